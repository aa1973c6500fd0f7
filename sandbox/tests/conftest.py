from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from do_sandbox import create_app

BASE_URL = "https://api.digitalocean.com"
TOKEN = "dop_v1_test"

MakeClient = Callable[..., httpx.AsyncClient]
ListAll = Callable[[httpx.AsyncClient, str, str], Awaitable[tuple[list[dict[str, Any]], int]]]


class FakeClock:
    def __init__(self, now: float = 1_776_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_client() -> MakeClient:
    def make(app: FastAPI, token: str | None = TOKEN) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=headers
        )

    return make


@pytest.fixture
def app() -> FastAPI:
    return create_app("seeds", rate_limit=None)


@pytest.fixture
async def api(app: FastAPI, make_client: MakeClient) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(app) as http:
        yield http


@pytest.fixture
def list_all() -> ListAll:
    async def follow(
        http: httpx.AsyncClient, url: str, key: str
    ) -> tuple[list[dict[str, Any]], int]:
        """Follow ``links.pages.next`` from ``url``: the items and the number of calls."""
        items: list[dict[str, Any]] = []
        calls = 0
        next_url: str | None = url
        while next_url:
            response = await http.get(next_url)
            assert response.status_code == 200, response.text
            calls += 1
            body = response.json()
            items += body[key]
            next_url = body.get("links", {}).get("pages", {}).get("next")
        return items, calls

    return follow
