"""Invoicing test fixtures: a migrated database, a built service, an API client, a clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import httpx
import pytest

from arcadia_core.auth import Principal, mint_token
from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.events import Envelope, UsageMetered
from invoicing import bootstrap
from invoicing.config import InvoicingSettings

JWT_SECRET = "invoicing-tests-secret-at-least-32-bytes"


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def invoicing_db(migrated_database: Callable[..., Awaitable[str]]) -> str:
    return await migrated_database(bootstrap.migrate)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 5, 1, 3, 0, tzinfo=UTC))


@pytest.fixture
async def service(invoicing_db: str, clock: FakeClock) -> AsyncIterator[bootstrap.Invoicing]:
    settings = InvoicingSettings(ARCADIA_JWT_SECRET=JWT_SECRET)
    built = bootstrap.build(settings, InProcessBus(), database_url=invoicing_db)
    built.clock = clock
    yield built
    await built.stop()


def bearer(principal: Principal) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {mint_token(principal, secret=JWT_SECRET, audience='arcadia')}"
    }


@pytest.fixture
async def api(service: bootstrap.Invoicing) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://invoicing") as client:
        yield client


Feed = Callable[..., Awaitable[None]]


@pytest.fixture
def feed(service: bootstrap.Invoicing) -> Feed:
    """Deliver `usage.metered` envelopes through the service's real consumer."""
    handler = service.subscriptions()[0].handler

    async def deliver(
        deployment_id: UUID,
        tenant_id: UUID | None,
        day: date,
        totals: dict[str, Decimal],
        version: int = 1,
    ) -> None:
        payload = UsageMetered(
            deployment_id=deployment_id,
            tenant_id=tenant_id,
            day=day,
            version=version,
            totals=totals,
        )
        envelope: Envelope = payload.envelope(producer="metering")
        await handler(envelope)

    return deliver


def new_id() -> UUID:
    return uuid4()


ADMIN = Principal.platform_admin()
Bearer = Callable[[Principal], dict[str, str]]
Pilot = Callable[..., Awaitable[tuple[UUID, UUID]]]


@pytest.fixture
def auth() -> Bearer:
    return bearer


@pytest.fixture
def pilot(api: httpx.AsyncClient) -> Pilot:
    """The seeds' demo: a tenant, its deployment on DO project pilot-tenant, Studio + storage."""

    async def make(
        name: str = "pilot",
        do_project: str | None = "pilot-tenant",
        starts_on: str = "2026-04-01",
        ends_on: str | None = None,
        addons: tuple[str, ...] = ("storage_50gb",),
    ) -> tuple[UUID, UUID]:
        headers = bearer(ADMIN)
        tenant = await api.post("/api/v1/tenants", json={"name": name}, headers=headers)
        assert tenant.status_code == 201, tenant.text
        tenant_id = UUID(tenant.json()["id"])
        deployment = await api.post(
            "/api/v1/deployments",
            json={"tenant_id": str(tenant_id), "name": f"{name}-app", "do_project": do_project},
            headers=headers,
        )
        assert deployment.status_code == 201, deployment.text
        deployment_id = UUID(deployment.json()["id"])
        subscription = await api.post(
            "/api/v1/subscriptions",
            json={
                "deployment_id": str(deployment_id),
                "plan": "studio",
                "addons": list(addons),
                "starts_on": starts_on,
                "ends_on": ends_on,
            },
            headers=headers,
        )
        assert subscription.status_code == 201, subscription.text
        return tenant_id, deployment_id

    return make
