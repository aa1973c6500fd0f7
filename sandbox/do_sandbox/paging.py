"""List envelopes: ``{<key>: [...], "links": {...}, "meta": {"total": n}}``.

``per_page`` defaults to 20 and is clamped to 200. ``links.pages`` holds full URLs for
``first``/``prev`` (past page 1) and ``next``/``last`` (before the last page); a list that
fits on one page answers ``"links": {}``, except where the real Projects API shows
``first`` and ``last`` on a single page too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class PageParams:
    page: int
    per_page: int


def page_params(
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1)] = DEFAULT_PER_PAGE,
) -> PageParams:
    return PageParams(page, min(per_page, MAX_PER_PAGE))


Paging = Annotated[PageParams, Depends(page_params)]


def envelope(
    request: Request,
    key: str,
    items: Sequence[dict[str, Any]],
    paging: PageParams,
    *,
    single_page_links: bool = False,
) -> dict[str, Any]:
    page, per_page = paging.page, paging.per_page
    start = (page - 1) * per_page
    last = max(1, math.ceil(len(items) / per_page))
    pages: dict[str, str] = {}
    if page > 1:
        pages["first"] = _page_url(request, 1, per_page)
        pages["prev"] = _page_url(request, min(page - 1, last), per_page)
    if page < last:
        pages["next"] = _page_url(request, page + 1, per_page)
        pages["last"] = _page_url(request, last, per_page)
    if not pages and single_page_links:
        pages = {"first": _page_url(request, 1, per_page), "last": _page_url(request, 1, per_page)}
    return {
        key: list(items[start : start + per_page]),
        "links": {"pages": pages} if pages else {},
        "meta": {"total": len(items)},
    }


def _page_url(request: Request, page: int, per_page: int) -> str:
    params = request.query_params.multi_items()
    others = [(k, v) for k, v in params if k not in ("page", "per_page")]
    query = urlencode([("page", page), ("per_page", per_page), *others])
    return f"{str(request.base_url).rstrip('/')}{request.url.path}?{query}"
