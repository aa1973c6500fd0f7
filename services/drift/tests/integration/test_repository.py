"""The SQL adapter against PostgreSQL: the version gate, the partial unique index, concurrency."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from drift.adapters.tables import cloud_drift, outbox
from drift.bootstrap import Drift as DriftService
from drift.domain.model import Drift, DriftStatus, LiveResource
from drift.usecases.detect import detect_all
from drift.usecases.provisioning import record_provisioned

T0 = datetime(2026, 4, 20, 10, 20, tzinfo=UTC)


def live(resource_id: object, version: int, size: str = "s-2vcpu-4gb") -> LiveResource:
    assert not isinstance(resource_id, str)
    return LiveResource(
        resource_id=resource_id,  # type: ignore[arg-type]
        version=version,
        kind="droplet",
        provider_id="512340101",
        name="web-01",
        status="active",
        region="syd1",
        size_slug=size,
        attrs={"tags": ["web"], "vcpus": 2},
    )


def open_drift(resource_id: object, field: str = "size_slug") -> Drift:
    return Drift(
        id=uuid4(),
        resource_id=resource_id,  # type: ignore[arg-type]
        field=field,
        expected="s-1vcpu-2gb",
        actual="s-2vcpu-4gb",
        status=DriftStatus.OPEN,
        opened_at=T0,
    )


async def test_projection_applies_in_version_order(drift_service: DriftService) -> None:
    rid = uuid4()
    async with drift_service.uow() as work:
        assert await work.live.apply_synced(live(rid, 2, "s-4vcpu-8gb"), T0)
        assert not await work.live.apply_synced(live(rid, 1, "s-1vcpu-1gb"), T0)
        assert not await work.live.apply_synced(live(rid, 2, "s-1vcpu-1gb"), T0)
        await work.commit()
    async with drift_service.uow() as work:
        found = await work.live.get(rid)
        assert found is not None
        assert (found.version, found.size_slug, found.attrs) == (
            2,
            "s-4vcpu-8gb",
            live(rid, 2).attrs,
        )
        # a tombstone keeps the last known fields; a later sync restores it
        tomb = LiveResource(rid, 3, "droplet", "512340101", name="web-01", deleted_at=T0)
        assert await work.live.apply_deleted(tomb)
        await work.commit()
    async with drift_service.uow() as work:
        found = await work.live.get(rid)
        assert found is not None and found.deleted and found.size_slug == "s-4vcpu-8gb"
        assert await work.live.apply_synced(live(rid, 4), T0)
        found = await work.live.get(rid)
        assert found is not None and not found.deleted


async def test_record_bumps_the_spec_version(drift_service: DriftService) -> None:
    rid = uuid4()
    first = await record_provisioned(
        rid, {"a": 1}, uow=drift_service.uow, clock=drift_service.clock, kind="droplet"
    )
    second = await record_provisioned(
        rid, {"a": 2}, uow=drift_service.uow, clock=drift_service.clock
    )
    assert (first.spec_version, second.spec_version) == (1, 2)
    assert (second.spec, second.kind) == ({"a": 2}, "droplet")


async def test_one_open_drift_per_field_history_kept(drift_service: DriftService) -> None:
    rid = uuid4()
    async with drift_service.uow() as work:
        first = open_drift(rid)
        assert await work.drifts.insert_open(first)
        assert not await work.drifts.insert_open(open_drift(rid))  # the index refuses a second
        assert await work.drifts.insert_open(open_drift(rid, "region"))  # another field is fine
        assert await work.drifts.close(first.closed(DriftStatus.STALE, T0, by=None, reason="x"))
        assert await work.drifts.insert_open(open_drift(rid))  # closed rows are history
        await work.commit()
    async with drift_service.sessions() as session, session.begin():
        rows = (
            (
                await session.execute(
                    select(cloud_drift.c.status).where(cloud_drift.c.resource_id == rid)
                )
            )
            .scalars()
            .all()
        )
        assert sorted(rows) == ["open", "open", "stale"]
        with pytest.raises(IntegrityError):  # the database itself enforces it
            await session.execute(
                insert(cloud_drift).values(
                    id=uuid4(), resource_id=rid, field="size_slug", status="open", opened_at=T0
                )
            )


async def test_concurrent_inserts_meet_at_the_partial_index(drift_service: DriftService) -> None:
    rid = uuid4()
    async with drift_service.uow() as first:
        assert await first.drifts.insert_open(open_drift(rid))

        async def second() -> bool:
            async with drift_service.uow() as work:
                inserted = await work.drifts.insert_open(open_drift(rid))
                await work.commit()
                return inserted

        racing = asyncio.create_task(second())
        await asyncio.sleep(0.2)
        assert not racing.done()  # waiting on the first transaction's index entry
        await first.commit()
    assert await racing is False


async def test_two_concurrent_sweeps_open_one_drift_and_one_event(
    drift_service: DriftService,
) -> None:
    ids = [uuid4() for _ in range(5)]
    async with drift_service.uow() as work:
        for rid in ids:
            await work.live.apply_synced(live(rid, 1), T0)
        await work.commit()
    for rid in ids:
        await record_provisioned(
            rid,
            {"size_slug": "s-1vcpu-2gb", "region": "syd1"},
            uow=drift_service.uow,
            clock=drift_service.clock,
        )

    sweeps = await asyncio.gather(
        detect_all(uow=drift_service.uow, clock=drift_service.clock),
        detect_all(uow=drift_service.uow, clock=drift_service.clock),
    )
    assert sum(s.opened for s in sweeps) == 5
    assert all(s.failed == 0 for s in sweeps)
    async with drift_service.sessions() as session:
        open_rows = await session.scalar(
            select(func.count()).select_from(cloud_drift).where(cloud_drift.c.status == "open")
        )
        events = await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.event_type == "drift.detected")
        )
    assert (open_rows, events) == (5, 5)
