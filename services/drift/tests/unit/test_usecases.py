"""Detection, staleness, deletion and acceptance as use cases, on the in-memory adapters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from arcadia_core.events import (
    DriftDetected,
    DriftResolved,
    Envelope,
    ResourceDeleted,
    ResourceSynced,
)
from drift.adapters.memory import MemoryStore
from drift.domain.model import REASON_DELETED, REASON_MATCHES, DriftNotOpen, DriftStatus
from drift.usecases.detect import detect_all, detect_one
from drift.usecases.projection import on_resource_deleted, on_resource_synced
from drift.usecases.provisioning import InvalidSpec, record_provisioned
from drift.usecases.resolve import DriftNotFound, accept_drift

T0 = datetime(2026, 4, 20, 10, 20, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> None:
        self.now += timedelta(hours=1)


def synced(resource_id: UUID, version: int, **changes: object) -> ResourceSynced:
    fields: dict[str, object] = {
        "resource_id": resource_id,
        "version": version,
        "provider": "digitalocean",
        "kind": "droplet",
        "provider_id": "512340101",
        "name": "web-01",
        "status": "active",
        "region": "syd1",
        "size_slug": "s-2vcpu-4gb",
        "attrs": {"tags": ["web", "env:prod"], "vcpus": 2},
        "project_id": None,
        "tenant_id": None,
        "deployment_id": None,
        "change": "updated",
        "first_seen_at": T0,
        "last_seen_at": T0,
    }
    fields.update(changes)
    return ResourceSynced.model_validate(fields)


async def deliver(
    store: MemoryStore, payload: ResourceSynced | ResourceDeleted, clock: Clock
) -> None:
    envelope: Envelope = payload.envelope(producer="inventory")
    async with store.uow() as work:
        if isinstance(payload, ResourceSynced):
            await on_resource_synced(work, payload, envelope, clock=clock)
        else:
            await on_resource_deleted(work, payload, envelope, clock=clock)
        await work.commit()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_the_seeds_story(store: MemoryStore, clock: Clock) -> None:
    rid = uuid4()
    await deliver(store, synced(rid, 1), clock)
    await record_provisioned(
        rid, {"size_slug": "s-1vcpu-2gb", "region": "syd1"}, uow=store.uow, clock=clock
    )
    assert store.state.provisioned[rid].kind == "droplet"

    summary = await detect_all(uow=store.uow, clock=clock)
    assert (summary.resources, summary.drifted_fields, summary.opened) == (1, 1, 1)
    [event] = store.events
    assert isinstance(event, DriftDetected)
    assert (event.field, event.desired, event.actual) == ("size_slug", "s-1vcpu-2gb", "s-2vcpu-4gb")

    clock.tick()
    again = await detect_all(uow=store.uow, clock=clock)
    assert (again.drifted_fields, again.opened, again.changed) == (1, 0, 0)
    assert len(store.events) == 1

    closed = await accept_drift(
        event.drift_id, by="ops", reason="resized on purpose", uow=store.uow, clock=clock
    )
    assert (closed.status, closed.resolved_by, closed.reason) == (
        DriftStatus.ACCEPTED,
        "ops",
        "resized on purpose",
    )
    spec = store.state.provisioned[rid]
    assert (spec.spec["size_slug"], spec.spec_version) == ("s-2vcpu-4gb", 2)
    assert isinstance(store.events[-1], DriftResolved)

    final = await detect_all(uow=store.uow, clock=clock)
    assert (final.drifted_fields, final.opened) == (0, 0)
    with pytest.raises(DriftNotOpen):
        await accept_drift(event.drift_id, by="ops", reason="again", uow=store.uow, clock=clock)


async def test_a_field_fixed_elsewhere_closes_stale(store: MemoryStore, clock: Clock) -> None:
    rid = uuid4()
    await deliver(store, synced(rid, 1), clock)
    await record_provisioned(rid, {"size_slug": "s-1vcpu-2gb"}, uow=store.uow, clock=clock)
    await detect_one(rid, uow=store.uow, clock=clock)
    # someone resizes the droplet back: the next resource.synced detects and closes it
    await deliver(store, synced(rid, 2, size_slug="s-1vcpu-2gb"), clock)
    [drift] = store.state.drifts.values()
    assert (drift.status, drift.reason) == (DriftStatus.STALE, REASON_MATCHES)
    assert [type(e) for e in store.events] == [DriftDetected, DriftResolved]


async def test_a_changed_actual_is_told_again_but_not_a_repeat(
    store: MemoryStore, clock: Clock
) -> None:
    rid = uuid4()
    await deliver(store, synced(rid, 1), clock)
    await record_provisioned(rid, {"size_slug": "s-1vcpu-2gb"}, uow=store.uow, clock=clock)
    await detect_one(rid, uow=store.uow, clock=clock)
    await deliver(store, synced(rid, 2, size_slug="s-4vcpu-8gb"), clock)
    await deliver(store, synced(rid, 3, name="web-01-renamed", size_slug="s-4vcpu-8gb"), clock)
    detected = [e for e in store.events if isinstance(e, DriftDetected)]
    assert [e.actual for e in detected] == ["s-2vcpu-4gb", "s-4vcpu-8gb"]
    assert len({e.drift_id for e in detected}) == 1
    [drift] = store.state.drifts.values()
    assert (drift.status, drift.actual) == (DriftStatus.OPEN, "s-4vcpu-8gb")


async def test_an_older_event_changes_nothing(store: MemoryStore, clock: Clock) -> None:
    rid = uuid4()
    await deliver(store, synced(rid, 5, size_slug="s-4vcpu-8gb"), clock)
    await deliver(store, synced(rid, 4, size_slug="s-1vcpu-1gb"), clock)
    assert store.state.live[rid].size_slug == "s-4vcpu-8gb"


async def test_deletion_closes_open_drifts(store: MemoryStore, clock: Clock) -> None:
    rid = uuid4()
    await deliver(store, synced(rid, 1), clock)
    await record_provisioned(rid, {"size_slug": "x", "region": "sgp1"}, uow=store.uow, clock=clock)
    await detect_one(rid, uow=store.uow, clock=clock)
    deleted = ResourceDeleted(
        resource_id=rid,
        version=2,
        provider="digitalocean",
        kind="droplet",
        provider_id="512340101",
        name="web-01",
        tenant_id=None,
        deployment_id=None,
        deleted_at=T0,
    )
    await deliver(store, deleted, clock)
    assert {(d.status, d.reason) for d in store.state.drifts.values()} == {
        (DriftStatus.STALE, REASON_DELETED)
    }
    assert len([e for e in store.events if isinstance(e, DriftResolved)]) == 2
    assert (await detect_all(uow=store.uow, clock=clock)).opened == 0


async def test_a_field_dropped_from_the_spec_closes_its_drift(
    store: MemoryStore, clock: Clock
) -> None:
    rid = uuid4()
    await deliver(store, synced(rid, 1), clock)
    await record_provisioned(rid, {"size_slug": "x", "region": "syd1"}, uow=store.uow, clock=clock)
    await detect_one(rid, uow=store.uow, clock=clock)
    await record_provisioned(rid, {"region": "syd1"}, uow=store.uow, clock=clock)
    await detect_one(rid, uow=store.uow, clock=clock)
    [drift] = store.state.drifts.values()
    assert drift.status is DriftStatus.STALE


async def test_a_spec_for_an_unseen_resource_waits(store: MemoryStore, clock: Clock) -> None:
    rid = uuid4()
    recorded = await record_provisioned(rid, {"size_slug": "x"}, uow=store.uow, clock=clock)
    assert (recorded.kind, recorded.spec_version) == (None, 1)
    summary = await detect_all(uow=store.uow, clock=clock)
    assert (summary.unknown, summary.opened) == (1, 0)
    await deliver(store, synced(rid, 1), clock)  # the inventory sees it: detected at once
    assert len(store.events) == 1


async def test_bad_input(store: MemoryStore, clock: Clock) -> None:
    with pytest.raises(InvalidSpec):
        await record_provisioned(uuid4(), {}, uow=store.uow, clock=clock)
    with pytest.raises(DriftNotFound):
        await accept_drift(uuid4(), by="ops", reason="x", uow=store.uow, clock=clock)
