"""Registry, usage, rollup and invoice lifecycle as use cases, on the in-memory adapters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from arcadia_core.bus.errors import Unprocessable
from arcadia_core.events import (
    CatchUpRequested,
    DeploymentChanged,
    TenantChanged,
    TenantInvoiceIssued,
    UsageMetered,
)
from invoicing import catalog
from invoicing.adapters.memory import MemoryStore, MemoryUnitOfWork
from invoicing.domain.lifecycle import IllegalTransition
from invoicing.domain.model import Conflict, InvoiceLine
from invoicing.domain.period import Period
from invoicing.domain.quote import quote
from invoicing.usecases.catalog import load_catalog
from invoicing.usecases.invoices import transition
from invoicing.usecases.registry import (
    create_deployment,
    create_tenant,
    end_subscription,
    on_catch_up_requested,
    subscribe,
    update_deployment,
)
from invoicing.usecases.rollup import roll_up_period
from invoicing.usecases.usage import record_usage

APRIL = Period.parse("2026-04")
MAY = Period.parse("2026-05")
CATALOG = catalog.load()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, hours: int = 1) -> None:
        self.now += timedelta(hours=hours)


@dataclass
class Customer:
    tenant_id: UUID
    deployment_id: UUID
    subscription_id: UUID


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(clock: Clock) -> MemoryStore:
    store = MemoryStore()
    assert await load_catalog(CATALOG, uow=store.uow, clock=clock)
    return store


async def customer(store: MemoryStore, clock: Clock, name: str = "pilot") -> Customer:
    tenant = await create_tenant(name, uow=store.uow, clock=clock)
    deployment = await create_deployment(
        tenant.id, f"{name}-app", uow=store.uow, clock=clock, do_project=f"{name}-project"
    )
    subscription = await subscribe(
        deployment.id,
        "studio",
        uow=store.uow,
        clock=clock,
        starts_on=APRIL.start,
        addon_codes=("storage_50gb",),
    )
    return Customer(tenant.id, deployment.id, subscription.id)


async def meter(
    store: MemoryStore,
    clock: Clock,
    who: Customer,
    day: date,
    totals: dict[str, Decimal],
    version: int = 1,
) -> bool:
    payload = UsageMetered(
        deployment_id=who.deployment_id,
        tenant_id=who.tenant_id,
        day=day,
        version=version,
        totals=totals,
    )
    async with store.uow() as work:
        applied = await record_usage(work, payload, clock)
        await work.commit()
    return applied


async def meter_april(store: MemoryStore, clock: Clock, who: Customer, hours: str) -> None:
    for offset in range(APRIL.days):
        day = APRIL.start + timedelta(days=offset)
        await meter(store, clock, who, day, {"droplet_hours": Decimal(hours)})


def expected_lines(who: Customer, usage: dict[str, Decimal]) -> list[InvoiceLine]:
    plans = {p.code: p for p in CATALOG.plans}
    addons = {a.code: a for a in CATALOG.addons}
    priced = quote(plans["studio"], [addons["storage_50gb"]], usage, APRIL)
    return [
        InvoiceLine.from_quote(line, who.deployment_id, who.subscription_id)
        for line in priced.lines
    ]


async def test_removing_a_deployment_ends_its_subscriptions_that_day(
    store: MemoryStore, clock: Clock
) -> None:
    who = await customer(store, clock)
    await end_subscription(who.subscription_id, date(2026, 6, 30), uow=store.uow)
    later = await subscribe(
        who.deployment_id, "studio", uow=store.uow, clock=clock, starts_on=date(2026, 7, 1)
    )
    clock.now = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
    await update_deployment(who.deployment_id, uow=store.uow, clock=clock, active=False)

    running = store.state.subscriptions[who.subscription_id]
    assert (running.ends_on, running.status) == (date(2026, 5, 10), "cancelled")
    # the one not started yet never starts: no active day in any month
    future = store.state.subscriptions[later.id]
    assert future.status == "cancelled" and future.ends_on == date(2026, 6, 30)
    assert future.ends_on < future.starts_on
    # May is billed for ten days, June and July not at all
    may = await roll_up_period(MAY, uow=store.uow, clock=clock)
    july = await roll_up_period(Period.parse("2026-07"), uow=store.uow, clock=clock)
    assert len(may.created) == 1 and not july.created


async def test_registry_changes_are_announced_with_growing_versions(
    store: MemoryStore, clock: Clock
) -> None:
    tenant = await create_tenant("acme", uow=store.uow, clock=clock)
    deployment = await create_deployment(
        tenant.id, "acme-app", uow=store.uow, clock=clock, do_project="acme-project"
    )
    clock.tick()
    await update_deployment(deployment.id, uow=store.uow, clock=clock, name="acme-web")
    await update_deployment(deployment.id, uow=store.uow, clock=clock, active=False)
    # nothing changes: no new version, no event
    await update_deployment(deployment.id, uow=store.uow, clock=clock, active=False)

    [told] = store.events_of(TenantChanged.EVENT_TYPE)
    assert isinstance(told, TenantChanged) and (told.tenant_id, told.version) == (tenant.id, 1)
    changes = store.events_of(DeploymentChanged.EVENT_TYPE)
    assert all(isinstance(e, DeploymentChanged) for e in changes)
    assert [(e.version, e.name, e.active) for e in changes if isinstance(e, DeploymentChanged)] == [
        (1, "acme-app", True),
        (2, "acme-web", True),
        (3, "acme-web", False),
    ]
    assert store.state.deployments[deployment.id].version == 3

    # a removed deployment frees its DigitalOcean project; an active one holds it
    other = await create_deployment(
        tenant.id, "acme-2", uow=store.uow, clock=clock, do_project="acme-project"
    )
    with pytest.raises(Conflict):
        await create_deployment(
            tenant.id, "acme-3", uow=store.uow, clock=clock, do_project="acme-project"
        )
    assert len(store.events_of(DeploymentChanged.EVENT_TYPE)) == 4

    # catch-up re-sends every tenant and deployment at its current version
    request = CatchUpRequested(
        service="inventory", requested_at=clock(), topics=(DeploymentChanged.EVENT_TYPE,)
    )
    async with store.uow() as work:
        assert await on_catch_up_requested(work, request, request.envelope(producer="x")) == 3
        await work.commit()
    replayed = [e for e in store.events[-2:] if isinstance(e, DeploymentChanged)]
    assert {(e.deployment_id, e.version) for e in replayed} == {(deployment.id, 3), (other.id, 1)}


async def test_uncommitted_work_and_failed_use_cases_leave_nothing(
    store: MemoryStore, clock: Clock
) -> None:
    await create_tenant("acme", uow=store.uow, clock=clock)
    before = (len(store.state.tenants), len(store.events), store.commits)
    with pytest.raises(Conflict):
        await create_tenant("acme", uow=store.uow, clock=clock)
    async with store.uow() as work:
        await create_tenant("other", uow=lambda: work, clock=clock)
        # committed by the use case on this very unit of work: kept
    async with store.uow() as work:
        assert await work.claim_event("invoicing", event_id := uuid4())
        assert not await work.claim_event("invoicing", event_id)
        work.emit(TenantChanged(tenant_id=uuid4(), name="x", active=True, version=1))
        # no commit: the claim and the event are discarded
    async with store.uow() as work:
        assert await work.claim_event("invoicing", event_id)
        await work.commit()
    async with store.uow() as work:
        assert not await work.claim_event("invoicing", event_id)
    assert len(store.state.tenants) == before[0] + 1
    assert len(store.events) == before[1] + 1
    assert store.commits == before[2] + 2


async def test_usage_keeps_the_newest_version_of_a_day(store: MemoryStore, clock: Clock) -> None:
    who = await customer(store, clock)
    day = date(2026, 4, 3)
    assert await meter(store, clock, who, day, {"droplet_hours": Decimal(48)}, version=2)
    assert not await meter(store, clock, who, day, {"droplet_hours": Decimal(99)}, version=1)
    assert not await meter(store, clock, who, day, {"droplet_hours": Decimal(99)}, version=2)
    assert await meter(store, clock, who, day, {"dns_zones": Decimal("0.1")}, version=3)
    async with store.uow() as work:
        totals = await work.usage.totals(who.deployment_id, APRIL.start, APRIL.end)
    assert totals == {"dns_zones": Decimal("0.1")}

    stranger = Customer(uuid4(), who.deployment_id, who.subscription_id)
    with pytest.raises(Unprocessable, match="names tenant"):
        await meter(store, clock, stranger, day, {"droplet_hours": Decimal(1)}, version=9)
    unknown = Customer(who.tenant_id, uuid4(), who.subscription_id)
    with pytest.raises(Unprocessable, match="unknown deployment"):
        await meter(store, clock, unknown, day, {"droplet_hours": Decimal(1)})


async def test_rollup_prices_the_month_like_a_quote_and_skips_a_rerun(
    store: MemoryStore, clock: Clock
) -> None:
    who = await customer(store, clock)
    await meter_april(store, clock, who, "72")  # 2,160 droplet hours: 672 over 1,488

    summary = await roll_up_period(APRIL, uow=store.uow, clock=clock)
    assert summary.tenants == 1 and summary.skipped == []
    [invoice_id] = summary.created
    invoice = store.state.invoices[invoice_id]
    lines = expected_lines(who, {"droplet_hours": Decimal(2160)})
    assert list(invoice.lines[:-1]) == lines
    assert [line.kind for line in lines] == ["plan_base", "addon", "overage"]
    assert lines[-1].amount_cents == 672
    assert invoice.subtotal_cents == 5000 + 750 + 672
    assert (invoice.tax_cents, invoice.total_cents) == (642, 5000 + 750 + 672 + 642)
    assert (invoice.status, invoice.number) == ("draft", None)

    clock.tick()
    again = await roll_up_period(APRIL, uow=store.uow, clock=clock)
    assert (again.created, again.regenerated, again.skipped) == ([], [], [invoice_id])
    assert store.state.invoices[invoice_id] == invoice

    # a month nobody was subscribed in makes no invoice
    empty = await roll_up_period(Period.parse("2026-03"), uow=store.uow, clock=clock)
    assert (empty.tenants, empty.created) == (0, [])


async def test_force_regenerates_a_draft_but_never_an_issued_invoice(
    store: MemoryStore, clock: Clock
) -> None:
    who = await customer(store, clock)
    await meter_april(store, clock, who, "72")
    [invoice_id] = (await roll_up_period(APRIL, uow=store.uow, clock=clock)).created
    first = store.state.invoices[invoice_id]

    # metering corrects a day (+100 droplet hours) before the invoice is issued
    corrected = {"droplet_hours": Decimal(172)}
    assert await meter(store, clock, who, date(2026, 4, 30), corrected, version=2)
    clock.tick()
    forced = await roll_up_period(APRIL, uow=store.uow, clock=clock, force=True)
    assert (forced.created, forced.regenerated) == ([], [invoice_id])
    draft = store.state.invoices[invoice_id]
    assert list(draft.lines[:-1]) == expected_lines(who, {"droplet_hours": Decimal(2260)})
    assert draft.subtotal_cents == first.subtotal_cents + 100
    assert (draft.created_at, draft.updated_at) == (first.created_at, clock())

    issued = await transition(invoice_id, "issue", uow=store.uow, clock=clock)
    clock.tick()
    assert await meter(store, clock, who, date(2026, 4, 29), corrected, version=2)
    clock.tick()
    refused = await roll_up_period(APRIL, uow=store.uow, clock=clock, force=True)
    assert (refused.created, refused.regenerated, refused.locked) == ([], [], [invoice_id])
    assert store.state.invoices[invoice_id] == issued

    # the late usage is billed as an adjustment on the next month's invoice instead
    may = await roll_up_period(MAY, uow=store.uow, clock=clock)
    [may_id] = may.created
    adjustments = [line for line in store.state.invoices[may_id].lines if line.kind == "adjustment"]
    assert [(a.amount_cents, a.corrects_period, a.resource_kind) for a in adjustments] == [
        (100, APRIL.start, "droplet_hours")
    ]


class FailingCommit(MemoryUnitOfWork):
    async def commit(self) -> None:
        raise ConnectionError("the database went away")


async def test_issue_takes_the_next_gap_free_number(store: MemoryStore, clock: Clock) -> None:
    for name in ("a", "b", "c"):
        await customer(store, clock, name)
    summary = await roll_up_period(APRIL, uow=store.uow, clock=clock)
    ids = summary.created
    assert len(ids) == 3

    clock.tick()
    first = await transition(ids[0], "issue", uow=store.uow, clock=clock)
    assert (first.status, first.number, first.issued_at) == ("issued", "INV-2026-000001", clock())
    [told] = store.events_of(TenantInvoiceIssued.EVENT_TYPE)
    assert isinstance(told, TenantInvoiceIssued)
    assert (told.invoice_id, told.number, told.total_cents) == (
        ids[0],
        "INV-2026-000001",
        first.total_cents,
    )

    # an issue that fails to commit takes no number and announces nothing
    with pytest.raises(ConnectionError):
        await transition(ids[1], "issue", uow=lambda: FailingCommit(store), clock=clock)
    assert store.state.invoices[ids[1]].status == "draft"
    # a refused transition takes none either
    with pytest.raises(IllegalTransition):
        await transition(ids[0], "issue", uow=store.uow, clock=clock)
    await transition(ids[2], "void", uow=store.uow, clock=clock)
    with pytest.raises(IllegalTransition):
        await transition(ids[2], "issue", uow=store.uow, clock=clock)

    second = await transition(ids[1], "issue", uow=store.uow, clock=clock)
    assert second.number == "INV-2026-000002"
    assert store.state.sequences == {2026: 2}
    assert len(store.events_of(TenantInvoiceIssued.EVENT_TYPE)) == 2

    paid = await transition(ids[0], "pay", uow=store.uow, clock=clock)
    assert (paid.status, paid.number, paid.paid_at) == ("paid", "INV-2026-000001", clock())
