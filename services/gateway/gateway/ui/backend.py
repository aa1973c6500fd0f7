"""How pages read and change data: through the gateway's own API, as the signed-in user.

Each call goes over `httpx.ASGITransport` to the gateway app itself with the user's bearer token,
so a page sees exactly what the API shows that principal: tenant scoping, 403 and 404 included.
The dashboard holds no data and no rules of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi import Request

API_TIMEOUT_SECONDS = 60.0
Params = Mapping[str, str | int | bool | None]


@dataclass(frozen=True, slots=True)
class ApiResult:
    """One API answer: its status, JSON body (None when not JSON) and the problem detail."""

    status: int
    data: Any
    content: bytes
    headers: httpx.Headers

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def detail(self) -> str:
        """What went wrong, as the API's problem response says it."""
        if isinstance(self.data, dict):
            detail = self.data.get("detail") or self.data.get("title")
            if isinstance(detail, str):
                return detail
        return f"the API answered {self.status}"

    @property
    def items(self) -> list[Any]:
        """A page's items (an empty list when the answer is not a page)."""
        if isinstance(self.data, dict) and isinstance(self.data.get("items"), list):
            return list(self.data["items"])
        return []

    @property
    def next_cursor(self) -> str | None:
        if isinstance(self.data, dict) and isinstance(self.data.get("next_cursor"), str):
            return str(self.data["next_cursor"])
        return None


class Backend:
    """The gateway API as one principal sees it."""

    def __init__(self, request: Request, token: str) -> None:
        self._app = request.app
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        request_id = request.headers.get("x-request-id")
        if request_id:
            self._headers["X-Request-Id"] = request_id

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self._app),
            base_url="http://gateway",
            headers=self._headers,
            timeout=API_TIMEOUT_SECONDS,
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
    ) -> ApiResult:
        query = {k: _text(v) for k, v in (params or {}).items() if v is not None and v != ""}
        async with self._client() as client:
            response = await client.request(method, path, params=query, json=json)
        return _result(response)

    async def get(self, path: str, params: Params | None = None) -> ApiResult:
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None) -> ApiResult:
        return await self.request("POST", path, json=json)

    async def stream(self, path: str) -> tuple[ApiResult, bytes]:
        """A binary answer (a PDF): the result and its bytes."""
        async with self._client() as client:
            response = await client.get(path, headers={"Accept": "*/*"})
        return _result(response), response.content

    async def all_items(
        self, path: str, params: Params | None = None, *, limit: int = 500, pages: int = 20
    ) -> ApiResult:
        """Every item of a paginated list (up to `pages` pages), as one result."""
        items: list[Any] = []
        cursor: str | None = None
        result: ApiResult | None = None
        for _ in range(pages):
            result = await self.get(path, {**(params or {}), "limit": limit, "cursor": cursor})
            if not result.ok:
                return result
            items.extend(result.items)
            cursor = result.next_cursor
            if cursor is None:
                break
        assert result is not None
        return ApiResult(
            result.status, {"items": items, "next_cursor": cursor}, b"", result.headers
        )


def _text(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _result(response: httpx.Response) -> ApiResult:
    data: Any = None
    content_type = response.headers.get("content-type", "")
    if "json" in content_type:
        try:
            data = response.json()
        except ValueError:
            data = None
    return ApiResult(response.status_code, data, response.content, response.headers)
