"""`DigitalOceanClient`: one `httpx.AsyncClient` with paging, retries and the per-token budget."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from do_api.budget import RateBudget, budget_for
from do_api.errors import IncompleteListing, InvalidResponse, TransportError, error_from_response
from do_api.paging import MAX_PER_PAGE, Page, meta_total, next_page_query, page_items
from do_api.retry import (
    RETRYABLE_TRANSPORT_ERRORS,
    RateLimitHeaders,
    RetryPolicy,
    is_retryable_status,
)
from do_api.tokens import token_label

DEFAULT_BASE_URL = "https://api.digitalocean.com"
USER_AGENT = "arcadia-do-api/0.1"
# A listing whose count disagrees with meta.total (an item moved between pages while we read)
# is read again from page 1 this many times in all before giving up.
LISTING_ATTEMPTS = 2
MAX_PAGES = 10_000

# Connection-level failures where the request cannot have reached the server: safe to retry
# even for a POST that must not be repeated.
_UNSENT_ERRORS: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)

Params = Mapping[str, Any]
Sleep = Callable[[float], Awaitable[object]]

log = logging.getLogger("do_api")


class DigitalOceanClient:
    """Async client for DigitalOcean API v2. Use as `async with DigitalOceanClient(token) as do:`.

    Every attempt (first tries and retries) first takes a slot from the token's `RateBudget`
    (by default the process-wide one from `budget_for(token)`) and is counted in `calls`.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        budget: RateBudget | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        timeout: float = 30,
        label: str | None = None,
        wall_clock: Callable[[], float] = time.time,
        jitter: Callable[[], float] = random.random,
        max_server_wait: float = 3600.0,
    ) -> None:
        if not token or not token.strip():
            raise ValueError("a DigitalOcean token is required")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.label = label or token_label(token)
        self.budget = budget if budget is not None else budget_for(token, label=label)
        self.policy = RetryPolicy(
            max_retries=max_retries,
            backoff_base=backoff_base,
            backoff_cap=backoff_cap,
            max_server_wait=max_server_wait,
            jitter=jitter,
        )
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={
                "Authorization": f"Bearer {token.strip()}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        self.calls = 0
        """HTTP attempts made (retries included)."""
        self.retries = 0
        """Attempts that were retries."""

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def __repr__(self) -> str:
        return f"DigitalOceanClient({self.label} @ {self._http.base_url}, calls={self.calls})"

    # -- single requests -----------------------------------------------------------------------

    async def get(self, path: str, params: Params | None = None) -> dict[str, Any]:
        response = await self._send("GET", path, params=params)
        return _json_object(response, path)

    async def post(
        self, path: str, json: Any = None, *, retry_server_errors: bool = True
    ) -> dict[str, Any]:
        """POST a JSON body. 429s and unsent requests are always retried; 5xx and timeouts
        after sending are retried unless `retry_server_errors=False` (for a create that must not
        run twice)."""
        response = await self._send("POST", path, json=json, replayable=retry_server_errors)
        return _json_object(response, path)

    async def get_text(self, path: str, params: Params | None = None) -> str:
        """GET a non-JSON body (e.g. an invoice CSV) as text."""
        response = await self._send("GET", path, params=params, accept="text/csv, */*")
        return response.text

    # -- listings ------------------------------------------------------------------------------

    async def iter_pages(
        self, path: str, key: str, params: Params | None = None
    ) -> AsyncIterator[Page]:
        """Yield each page of a listing (`per_page=200` unless given), following only
        `links.pages.next`. A failure on any page raises; a consumer that needs the whole set
        must not act on the pages before the iteration ends."""
        query = _query(params)
        query.setdefault("per_page", str(MAX_PER_PAGE))
        query.setdefault("page", "1")
        seen = {_fingerprint(query)}
        number = 0
        while True:
            body = await self.get(path, query)
            number += 1
            yield Page(items=page_items(body, key, path), total=meta_total(body), number=number)
            following = next_page_query(body, path)
            if following is None:
                return
            # Keep the caller's filters (type=gpus, tag_name, ...) even if a link drops them.
            query = {**query, **following}
            mark = _fingerprint(query)
            if mark in seen or number >= MAX_PAGES:
                raise InvalidResponse(
                    200, "invalid_response", f"{path}: links.pages.next loops ({following})"
                )
            seen.add(mark)

    async def list_all(
        self, path: str, key: str, params: Params | None = None, *, check_total: bool = True
    ) -> list[dict[str, Any]]:
        """The complete listing, or an exception: never a partial list.

        When `meta.total` is present (and `check_total`), the count must match it and no `id`
        may repeat; otherwise the listing is read again from page 1 (items moved between pages
        while we read), and `IncompleteListing` is raised if it still disagrees.
        """
        problem = ""
        for attempt in range(1, LISTING_ATTEMPTS + 1):
            items: list[dict[str, Any]] = []
            total: int | None = None
            async for page in self.iter_pages(path, key, params):
                items.extend(page.items)
                total = page.total
            problem = _inconsistency(items, total) if check_total else ""
            if not problem:
                return items
            if attempt < LISTING_ATTEMPTS:
                log.warning("DO %s: %s; reading the listing again", path, problem)
        raise IncompleteListing(
            None, "incomplete_listing", f"{path}: {problem}", attempts=LISTING_ATTEMPTS
        )

    # -- the retry loop ------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        accept: str | None = None,
        replayable: bool = True,
    ) -> httpx.Response:
        url = _path(path)
        query = _query(params) if params is not None else None
        headers = {"Accept": accept} if accept else None
        retry = 0
        honour_hold = True
        while True:
            await self.budget.acquire(honour_hold=honour_hold)
            honour_hold = True
            self.calls += 1
            try:
                response = await self._http.request(
                    method, url, params=query, json=json, headers=headers
                )
            except httpx.TransportError as exc:
                retryable = isinstance(exc, _UNSENT_ERRORS) or (
                    replayable and isinstance(exc, RETRYABLE_TRANSPORT_ERRORS)
                )
                if not retryable or retry >= self.policy.max_retries:
                    raise TransportError(
                        None,
                        "transport_error",
                        f"{method} {url}: {type(exc).__name__}: {exc}".rstrip(": "),
                        attempts=retry + 1,
                    ) from exc
                wait, reason = self.policy.wait_for(None, None, retry, self._wall_clock())
                await self._pause(method, url, type(exc).__name__, retry, wait, reason)
                retry += 1
                continue

            rate = RateLimitHeaders.parse(response.headers, self._wall_clock())
            self.budget.observe(rate.remaining, rate.reset, limit=rate.limit)
            status = response.status_code
            if 200 <= status < 300:
                return response
            retryable = status == 429 or (replayable and is_retryable_status(status))
            if not retryable or retry >= self.policy.max_retries:
                raise error_from_response(
                    response, attempts=retry + 1, retry_after=rate.retry_after
                )
            wait, reason = self.policy.wait_for(status, rate, retry, self._wall_clock())
            if status == 429:
                # Everyone on this token waits; this caller waits on its own sleep below and
                # then passes the hold it caused.
                self.budget.hold(wait)
                honour_hold = False
            await self._pause(method, url, f"HTTP {status}", retry, wait, reason)
            retry += 1

    async def _pause(
        self, method: str, url: str, what: str, retry: int, wait: float, reason: str
    ) -> None:
        log.warning(
            "DO %s %s: %s; retry %d/%d in %.2fs (%s) [token %s]",
            method,
            url,
            what,
            retry + 1,
            self.policy.max_retries,
            wait,
            reason,
            self.label,
        )
        self.retries += 1
        await self._sleep(wait)


def _path(path: str) -> str:
    if "://" in path:
        raise ValueError("pass an API path such as /v2/droplets, not a URL")
    return path if path.startswith("/") else f"/{path}"


def _query(params: Params | None) -> dict[str, str]:
    query: dict[str, str] = {}
    for name, value in (params or {}).items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[name] = "true" if value else "false"
        else:
            query[name] = str(value)
    if "per_page" in query and query["per_page"].isdigit():
        query["per_page"] = str(min(int(query["per_page"]), MAX_PER_PAGE))
    return query


def _fingerprint(query: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(query.items()))


def _json_object(response: httpx.Response, path: str) -> dict[str, Any]:
    if response.status_code == 204 or not response.content:
        return {}
    try:
        body = response.json()
    except ValueError as exc:
        raise InvalidResponse(
            response.status_code,
            "invalid_response",
            f"{path}: body is not JSON",
            response.headers.get("x-request-id"),
        ) from exc
    if not isinstance(body, dict):
        raise InvalidResponse(
            response.status_code,
            "invalid_response",
            f"{path}: body is not a JSON object",
            response.headers.get("x-request-id"),
        )
    return body


def _inconsistency(items: list[dict[str, Any]], total: int | None) -> str:
    if total is None:
        return ""
    if len(items) != total:
        return f"got {len(items)} items but meta.total is {total}"
    ids = [str(item["id"]) for item in items if "id" in item]
    if len(ids) == len(items) and len(set(ids)) != len(ids):
        return "an id appears on two pages"
    return ""
