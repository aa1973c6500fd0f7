"""The seeds' April on the in-memory adapters, and the real document renderer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from arcadia_core.events import UsageMetered
from invoicing import catalog
from invoicing.adapters.documents import DocumentRenderer
from invoicing.adapters.memory import MemoryStore
from invoicing.domain.period import Period
from invoicing.usecases.catalog import load_catalog
from invoicing.usecases.registry import create_deployment, create_tenant, subscribe
from invoicing.usecases.rollup import roll_up_period
from invoicing.usecases.usage import record_usage

APRIL = Period.parse("2026-04")


class StepClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, hours: int = 1) -> None:
        self.now += timedelta(hours=hours)


@dataclass
class April:
    """The seeds' demo tenant `pilot` on Studio + storage_50gb, three droplets all April
    (72 droplet hours a day: 672 over the 1,488 included), rolled up into a draft."""

    store: MemoryStore
    clock: StepClock
    tenant_id: UUID
    deployment_id: UUID
    invoice_id: UUID


async def april_draft(name: str = "pilot") -> April:
    store, clock = MemoryStore(), StepClock()
    assert await load_catalog(catalog.load(), uow=store.uow, clock=clock)
    tenant = await create_tenant(name, uow=store.uow, clock=clock)
    deployment = await create_deployment(
        tenant.id, f"{name}-app", uow=store.uow, clock=clock, do_project=f"{name}-tenant"
    )
    await subscribe(
        deployment.id,
        "studio",
        uow=store.uow,
        clock=clock,
        starts_on=APRIL.start,
        addon_codes=("storage_50gb",),
    )
    for offset in range(APRIL.days):
        payload = UsageMetered(
            deployment_id=deployment.id,
            tenant_id=tenant.id,
            day=APRIL.start + timedelta(days=offset),
            version=1,
            totals={"droplet_hours": Decimal(72)},
        )
        async with store.uow() as work:
            assert await record_usage(work, payload, clock)
            await work.commit()
    [invoice_id] = (await roll_up_period(APRIL, uow=store.uow, clock=clock)).created
    return April(store, clock, tenant.id, deployment.id, invoice_id)


@pytest.fixture
async def april() -> April:
    return await april_draft()


@pytest.fixture(scope="session")
def renderer() -> DocumentRenderer:
    return DocumentRenderer()
