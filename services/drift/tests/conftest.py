"""Drift test fixtures: a migrated database, a wired drift service, API clients and tokens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from arcadia_core.auth import Principal, mint_token
from arcadia_core.bus.inprocess import InProcessBus
from drift import bootstrap
from drift.config import DriftSettings

JWT_SECRET = "drift-tests-secret-at-least-32-bytes-long"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 4, 20, 10, 20, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, hours: int = 1) -> None:
        self.now += timedelta(hours=hours)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def drift_db(migrated_database: Callable[..., Awaitable[str]]) -> str:
    return await migrated_database(bootstrap.migrate)


@pytest.fixture
async def drift_service(drift_db: str, clock: Clock) -> AsyncIterator[bootstrap.Drift]:
    built = bootstrap.build(
        DriftSettings(ARCADIA_JWT_SECRET=JWT_SECRET),
        InProcessBus(),
        database_url=drift_db,
        clock=clock,
    )
    yield built
    await built.stop()


def bearer(principal: Principal) -> dict[str, str]:
    token = mint_token(principal, secret=JWT_SECRET, audience="arcadia")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin() -> dict[str, str]:
    return bearer(Principal.platform_admin("ops@example.com"))


@pytest.fixture
async def api(drift_service: bootstrap.Drift) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=drift_service.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://drift") as client:
        yield client


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy (the relays deliver asynchronously)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last: {result!r})")
        await asyncio.sleep(0.05)


Eventually = Callable[..., Awaitable[Any]]
Bearer = Callable[[Principal], dict[str, str]]


@pytest.fixture(name="eventually")
def eventually_fixture() -> Eventually:
    return eventually


@pytest.fixture(name="bearer")
def bearer_fixture() -> Bearer:
    return bearer


@pytest.fixture
def jwt_secret() -> str:
    return JWT_SECRET
