"""Metering test fixtures: a migrated database, an injected clock, a wired metering service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from arcadia_core.auth import Principal, mint_token
from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.events import Envelope, EventPayload
from metering import bootstrap
from metering.adapters.tables import outbox
from metering.config import MeteringSettings

JWT_SECRET = "metering-tests-secret-at-least-32-bytes"


class Clock:
    """The injected clock: tests move time by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 12, 11, 1, 10, tzinfo=UTC))


@pytest.fixture
async def metering_db(migrated_database: Callable[..., Awaitable[str]]) -> str:
    return await migrated_database(bootstrap.migrate)


@pytest.fixture
async def metering(metering_db: str, clock: Clock) -> AsyncIterator[bootstrap.Metering]:
    settings = MeteringSettings(ARCADIA_JWT_SECRET=JWT_SECRET)
    built = bootstrap.build(settings, InProcessBus(), database_url=metering_db, clock=clock)
    yield built
    await built.stop()


@pytest.fixture
def deliver(metering: bootstrap.Metering) -> Callable[[EventPayload], Awaitable[Envelope]]:
    """Hand an event to metering's subscriber as the bus would (same envelope twice: a repeat)."""
    handlers = {s.event_type: s.handler for s in metering.subscriptions()}

    async def send(payload: EventPayload | Envelope) -> Envelope:
        envelope = (
            payload if isinstance(payload, Envelope) else payload.envelope(producer="inventory")
        )
        await handlers[envelope.type](envelope)
        return envelope

    return send  # type: ignore[return-value]


@pytest.fixture
def published(metering: bootstrap.Metering) -> Callable[[], Awaitable[list[dict[str, Any]]]]:
    """The `usage.metered` payloads in metering's outbox, oldest first."""

    async def read() -> list[dict[str, Any]]:
        async with metering.sessions() as session:
            rows = await session.execute(
                select(outbox.c.envelope)
                .where(outbox.c.event_type == "usage.metered")
                .order_by(outbox.c.id)
            )
            return [
                (e if isinstance(e, dict) else Envelope.model_validate_json(e).model_dump())[
                    "payload"
                ]
                for (e,) in rows
            ]

    return read


def _bearer(principal: Principal) -> dict[str, str]:
    token = mint_token(principal, secret=JWT_SECRET, audience="arcadia")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def bearer() -> Callable[[Principal], dict[str, str]]:
    return _bearer


@pytest.fixture
async def api(metering: bootstrap.Metering) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=metering.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://metering") as client:
        yield client
