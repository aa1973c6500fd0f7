"""Projection, metering, corrections, catch-up and settings as use cases, on the in-memory
adapters (through the same consumer helper the bus subscriptions use)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from arcadia_core.consumers import consume
from arcadia_core.events import (
    CatchUpRequested,
    Envelope,
    EventPayload,
    ResourceDeleted,
    ResourceSynced,
    UsageMetered,
)
from metering.adapters.memory import MemoryStore
from metering.domain.billing import Granularity, KindConfig
from metering.usecases.meter import meter_day, meter_hour, meter_range
from metering.usecases.projection import (
    on_catch_up_requested,
    on_resource_deleted,
    on_resource_synced,
    request_catch_up,
    synced_state,
)
from metering.usecases.settings import purge_expired, read_config, update_config

TENANT = UUID("00000000-0000-0000-0000-0000000000f1")
OTHER_TENANT = UUID("00000000-0000-0000-0000-0000000000f2")
DEP = UUID("00000000-0000-0000-0000-00000000000a")
OTHER_DEP = UUID("00000000-0000-0000-0000-00000000000b")
DAY = date(2026, 12, 1)
NEXT_DAY = date(2026, 12, 2)

Deliver = Callable[[EventPayload | Envelope], Awaitable[Envelope]]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = at("2026-12-02T01:10")

    def __call__(self) -> datetime:
        return self.now


def synced(
    rid: UUID,
    version: int,
    *,
    kind: str = "droplet",
    status: str = "active",
    seen: str = "2026-11-30T12:00",
    first: str = "2026-11-30T12:00",
    deployment: UUID | None = DEP,
    tenant: UUID | None = TENANT,
    attrs: dict[str, Any] | None = None,
) -> ResourceSynced:
    return ResourceSynced(
        resource_id=rid,
        version=version,
        provider="digitalocean",
        kind=kind,
        provider_id=str(rid)[:8],
        name=f"{kind}-{str(rid)[:4]}",
        status=status,
        region="syd1",
        size_slug=None,
        attrs=attrs if attrs is not None else {"created_at": "2026-10-01T00:00:00Z"},
        project_id=None,
        tenant_id=tenant if deployment else None,
        deployment_id=deployment,
        change="updated" if version > 1 else "created",
        first_seen_at=at(first),
        last_seen_at=at(seen),
    )


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deliver(store: MemoryStore) -> Deliver:
    """Hand an event to metering's consumer as the bus would (same envelope twice: a repeat)."""
    subscriptions = [
        consume("metering", ResourceSynced, uow=store.uow, apply=on_resource_synced),
        consume("metering", ResourceDeleted, uow=store.uow, apply=on_resource_deleted),
        consume("metering", CatchUpRequested, uow=store.uow, apply=on_catch_up_requested),
    ]
    handlers = {s.event_type: s.handler for s in subscriptions}

    async def send(payload: EventPayload | Envelope) -> Envelope:
        envelope = (
            payload if isinstance(payload, Envelope) else payload.envelope(producer="inventory")
        )
        await handlers[envelope.type](envelope)
        return envelope

    return send


def metered(store: MemoryStore) -> list[UsageMetered]:
    return [e for e in store.events if isinstance(e, UsageMetered)]


def day_totals(store: MemoryStore, day: date, deployment: UUID = DEP) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for row in store.usage_rows():
        line = row.line
        if line.deployment_id == deployment and line.period_start.date() == day:
            out[line.billing_kind] = out.get(line.billing_kind, Decimal(0)) + line.qty
    return out


async def test_projection_applies_in_version_order_and_ignores_a_late_older_event(
    store: MemoryStore, clock: Clock, deliver: Deliver
) -> None:
    rid = uuid4()
    newer = synced(rid, 3, status="off", seen="2026-12-02T00:00")
    older = synced(rid, 2, status="active", seen="2026-12-01T00:00")
    first = synced(rid, 1, status="active", seen="2026-11-30T12:00")
    envelope = await deliver(newer)
    await deliver(older)  # late: kept in the history, never the current state
    await deliver(envelope)  # duplicate delivery: claimed once
    await deliver(first)
    state = store.state.resources[rid]
    assert (state.status, state.version) == ("off", 3)
    assert state.first_seen_at == at("2026-11-30T12:00")
    assert state.last_seen_at == at("2026-12-02T00:00")
    assert state.provider_created_at == at("2026-10-01T00:00")
    assert sorted(store.state.history[rid]) == [1, 2, 3]
    assert len(store.state.inbox) == 3
    # the history drives metering: active until the sighting of the 2nd, off after
    await meter_range(DAY, NEXT_DAY, uow=store.uow, clock=clock)
    assert day_totals(store, DAY) == {"droplet_hours": Decimal(24)}
    assert day_totals(store, NEXT_DAY) == {"droplet_hours": Decimal(0)}


async def test_a_repeated_version_is_not_recorded_again(store: MemoryStore) -> None:
    rid = uuid4()
    async with store.uow() as work:
        assert await work.resources.record(synced_state(synced(rid, 2, status="off")))
        assert not await work.resources.record(synced_state(synced(rid, 2, status="active")))
        assert await work.resources.record(synced_state(synced(rid, 1, status="active")))
        await work.commit()
    row = store.state.resources[rid]
    assert (row.status, row.version) == ("off", 2)
    assert sorted(store.state.history[rid]) == [1, 2]


async def test_a_deletion_ends_the_resource_at_its_last_sighting(
    store: MemoryStore, clock: Clock, deliver: Deliver
) -> None:
    rid = uuid4()
    await deliver(
        ResourceDeleted(
            resource_id=rid,
            version=3,
            provider="digitalocean",
            kind="droplet",
            provider_id="1",
            name="gone",
            tenant_id=TENANT,
            deployment_id=DEP,
            deleted_at=at("2026-12-01T12:00"),
        )
    )
    await deliver(synced(rid, 2, seen="2026-12-01T05:30"))  # older, arriving after
    row = store.state.resources[rid]
    assert row.version == 3 and row.deleted_at == at("2026-12-01T12:00")
    assert row.last_seen_at == at("2026-12-01T05:30")
    await meter_day(DAY, uow=store.uow, clock=clock)
    assert day_totals(store, DAY) == {"droplet_hours": Decimal(6)}  # 00:00 .. 05:30 started


async def test_meter_day_writes_the_rows_and_one_usage_metered_per_deployment(
    store: MemoryStore, clock: Clock, deliver: Deliver
) -> None:
    await deliver(synced(uuid4(), 1))
    await deliver(synced(uuid4(), 1))
    await deliver(
        synced(
            uuid4(),
            1,
            kind="volume",
            deployment=OTHER_DEP,
            tenant=OTHER_TENANT,
            attrs={"created_at": "2026-10-01T00:00:00Z", "size_gigabytes": 31},
        )
    )
    await deliver(synced(uuid4(), 1, deployment=None))  # never attributed: nothing
    summary = await meter_day(DAY, uow=store.uow, clock=clock)
    assert (summary.records, summary.inserted, summary.events) == (3, 3, 2)
    assert store.locked == [at("2026-12-01T00:00")]
    assert {r.metered_at for r in store.usage_rows()} == {clock.now}
    events = {e.deployment_id: e for e in metered(store)}
    assert set(events) == {DEP, OTHER_DEP}
    assert events[DEP].totals == {"droplet_hours": Decimal(48)}
    assert (events[DEP].tenant_id, events[DEP].day, events[DEP].version) == (TENANT, DAY, 1)
    assert events[OTHER_DEP].totals == {"volume_gb_month": Decimal(1)}  # 31 GB / 31 days
    assert events[OTHER_DEP].tenant_id == OTHER_TENANT


async def test_re_metering_an_unchanged_day_writes_and_emits_nothing(
    store: MemoryStore, clock: Clock, deliver: Deliver
) -> None:
    await deliver(synced(uuid4(), 1))
    await meter_day(DAY, uow=store.uow, clock=clock)
    before = store.usage_rows()
    clock.now = at("2026-12-03T01:10")
    again = await meter_day(DAY, uow=store.uow, clock=clock)
    assert (again.inserted, again.updated, again.deleted, again.events) == (0, 0, 0, 0)
    assert store.usage_rows() == before  # not even metered_at moved
    assert len(metered(store)) == 1


async def test_a_changed_day_is_corrected_with_the_next_version(
    store: MemoryStore, clock: Clock, deliver: Deliver
) -> None:
    rid = uuid4()
    await deliver(synced(rid, 1))
    await deliver(synced(uuid4(), 1, deployment=OTHER_DEP, tenant=OTHER_TENANT))
    await meter_day(DAY, uow=store.uow, clock=clock)
    # a late sighting: the droplet was off from 06:00
    await deliver(synced(rid, 2, status="off", seen="2026-12-01T06:00"))
    clock.now = at("2026-12-03T01:10")
    corrected = await meter_day(DAY, uow=store.uow, clock=clock)
    assert (corrected.inserted, corrected.updated, corrected.deleted) == (0, 1, 0)
    assert corrected.events == 1  # the other deployment's day did not change
    last = metered(store)[-1]
    assert (last.deployment_id, last.version) == (DEP, 2)
    assert last.totals == {"droplet_hours": Decimal(6)}
    assert store.state.published[(DEP, DAY)].version == 2
    assert store.state.published[(OTHER_DEP, DAY)].version == 1
    first = [e for e in metered(store) if (e.deployment_id, e.version) == (DEP, 1)]
    assert [e.totals for e in first] == [{"droplet_hours": Decimal(24)}]


async def test_catch_up_for_usage_metered_resends_every_published_day_at_its_version(
    store: MemoryStore, clock: Clock, deliver: Deliver
) -> None:
    rid = uuid4()
    await deliver(synced(rid, 1))
    await deliver(synced(uuid4(), 1, deployment=OTHER_DEP, tenant=OTHER_TENANT))
    await meter_range(DAY, NEXT_DAY, uow=store.uow, clock=clock)
    await deliver(synced(rid, 2, status="off", seen="2026-12-01T06:00"))
    await meter_day(DAY, uow=store.uow, clock=clock)
    sent_before = len(store.events)

    await deliver(CatchUpRequested(service="billing", requested_at=clock.now))  # resources only
    assert len(store.events) == sent_before

    request = CatchUpRequested(
        service="invoicing", requested_at=clock.now, topics=(UsageMetered.EVENT_TYPE,)
    )
    envelope = await deliver(request)
    await deliver(envelope)  # a repeat re-sends nothing
    resent = [e for e in store.events[sent_before:] if isinstance(e, UsageMetered)]
    assert [(e.day, e.deployment_id, e.version) for e in resent] == sorted(
        [(DAY, DEP, 2), (DAY, OTHER_DEP, 1), (NEXT_DAY, DEP, 1), (NEXT_DAY, OTHER_DEP, 1)]
    )
    assert len(store.events) == sent_before + 4
    latest = {(e.deployment_id, e.day, e.version): e.totals for e in metered(store)[:sent_before]}
    for e in resent:
        assert e.totals == latest[(e.deployment_id, e.day, e.version)]
        assert e.tenant_id == (TENANT if e.deployment_id == DEP else OTHER_TENANT)


async def test_uncommitted_changes_and_events_are_discarded(
    store: MemoryStore, clock: Clock, deliver: Deliver
) -> None:
    await deliver(synced(uuid4(), 1))

    def broken() -> datetime:
        raise RuntimeError("clock down")

    with pytest.raises(RuntimeError):
        await meter_day(DAY, uow=store.uow, clock=broken)
    assert store.usage_rows() == [] and metered(store) == []

    async with store.uow() as work:
        work.emit(CatchUpRequested(service="metering", requested_at=clock.now))
        await work.config.save(KindConfig("dns_zones", retention_days=5), clock.now)
        assert await work.claim_event("x", uuid4())
        # leaves without commit
    assert store.events == [] and store.state.config == {}
    assert len(store.state.inbox) == 1


async def test_catch_up_of_resources_is_requested_once_on_an_empty_projection(
    store: MemoryStore, clock: Clock, deliver: Deliver
) -> None:
    assert await request_catch_up(uow=store.uow, clock=clock)
    assert not await request_catch_up(uow=store.uow, clock=clock)
    assert len(store.events_of(CatchUpRequested.EVENT_TYPE)) == 1
    other = MemoryStore()
    await consume("metering", ResourceSynced, uow=other.uow, apply=on_resource_synced).handler(
        synced(uuid4(), 1).envelope(producer="inventory")
    )
    assert not await request_catch_up(uow=other.uow, clock=clock)  # already has resources


async def test_hourly_kinds_and_retention_through_the_config(
    store: MemoryStore, clock: Clock, deliver: Deliver
) -> None:
    await deliver(synced(uuid4(), 1))
    config = await update_config(
        [KindConfig("droplet_hours", Granularity.HOURLY, retention_days=1)],
        uow=store.uow,
        clock=clock,
    )
    assert config["droplet_hours"].granularity is Granularity.HOURLY
    assert (await read_config(uow=store.uow))["dns_zones"] == KindConfig("dns_zones")
    hour = await meter_hour(at("2026-12-01T05:20"), uow=store.uow, clock=clock)
    assert (hour.inserted, hour.events) == (1, 0)
    day = await meter_day(DAY, uow=store.uow, clock=clock)
    assert (day.records, day.inserted, day.events) == (24, 23, 1)
    assert metered(store)[-1].totals == {"droplet_hours": Decimal(24)}
    clock.now = at("2026-12-03T00:30")  # 12-01 is past one day of retention
    assert (await purge_expired(uow=store.uow, clock=clock))["droplet_hours"] == 24
    assert store.usage_rows() == []
