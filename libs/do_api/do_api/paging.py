"""DO list envelopes: `{"<key>": [...], "links": {"pages": {"next": url}}, "meta": {"total": n}}`.

`links` and `links.pages` are optional (missing or `{}` on a single page), `first`/`last` can
appear on a single page, so only `links.pages.next` decides whether another page exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from do_api.errors import InvalidResponse

MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Page:
    """One page of a listing: its items, `meta.total` (None when absent) and 1-based number."""

    items: list[dict[str, Any]]
    total: int | None
    number: int


def page_items(body: dict[str, Any], key: str, path: str) -> list[dict[str, Any]]:
    items = body.get(key)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise InvalidResponse(
            200, "invalid_response", f"{path}: expected a list of objects under {key!r}"
        )
    return items


def meta_total(body: dict[str, Any]) -> int | None:
    meta = body.get("meta")
    if not isinstance(meta, dict):
        return None
    total = meta.get("total")
    if isinstance(total, bool) or not isinstance(total, int):
        return None
    return total


def next_page_query(body: dict[str, Any], path: str) -> dict[str, str] | None:
    """The query parameters of `links.pages.next`, or None when there is no next page."""
    links = body.get("links")
    if not isinstance(links, dict):
        return None
    pages = links.get("pages")
    if not isinstance(pages, dict):
        return None
    url = pages.get("next")
    if url is None or url == "":
        return None
    if not isinstance(url, str):
        raise InvalidResponse(200, "invalid_response", f"{path}: links.pages.next is not a URL")
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
