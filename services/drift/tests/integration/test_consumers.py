"""resource.synced and resource.deleted through the consumer helper: once, in order, detected."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from arcadia_core.bus.errors import Unprocessable
from arcadia_core.bus.ports import Subscription
from arcadia_core.events import Envelope, ResourceDeleted, ResourceSynced
from drift.adapters.tables import cloud_drift, outbox
from drift.bootstrap import Drift as DriftService
from drift.usecases.provisioning import record_provisioned

T0 = datetime(2026, 4, 20, 10, 15, tzinfo=UTC)


def synced(resource_id: UUID, version: int, size: str) -> Envelope:
    return ResourceSynced(
        resource_id=resource_id,
        version=version,
        provider="digitalocean",
        kind="droplet",
        provider_id="512340101",
        name="web-01",
        status="active",
        region="syd1",
        size_slug=size,
        attrs={"tags": ["web"]},
        project_id=None,
        tenant_id=None,
        deployment_id=None,
        change="updated",
        first_seen_at=T0,
        last_seen_at=T0,
    ).envelope(producer="inventory")


def deleted(resource_id: UUID, version: int) -> Envelope:
    return ResourceDeleted(
        resource_id=resource_id,
        version=version,
        provider="digitalocean",
        kind="droplet",
        provider_id="512340101",
        name="web-01",
        tenant_id=None,
        deployment_id=None,
        deleted_at=T0,
    ).envelope(producer="inventory")


def handlers(service: DriftService) -> dict[str, Subscription]:
    return {s.event_type: s for s in service.subscriptions()}


async def drift_rows(service: DriftService) -> list[tuple[str, str, Any, str | None]]:
    async with service.sessions() as session:
        rows = await session.execute(
            select(
                cloud_drift.c.field,
                cloud_drift.c.status,
                cloud_drift.c.actual,
                cloud_drift.c.reason,
            ).order_by(cloud_drift.c.opened_at, cloud_drift.c.field)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def events(service: DriftService) -> list[str]:
    async with service.sessions() as session:
        rows = await session.execute(select(outbox.c.event_type).order_by(outbox.c.id))
        return [r for r in rows.scalars() if r != "catchup.requested"]


async def test_synced_detects_once_however_often_delivered(drift_service: DriftService) -> None:
    subscriptions = handlers(drift_service)
    rid = uuid4()
    await record_provisioned(
        rid,
        {"size_slug": "s-1vcpu-2gb", "region": "syd1"},
        uow=drift_service.uow,
        clock=drift_service.clock,
    )
    envelope = synced(rid, 1, "s-2vcpu-4gb")
    for _ in range(3):
        await subscriptions["resource.synced"].handler(envelope)
    assert await drift_rows(drift_service) == [("size_slug", "open", "s-2vcpu-4gb", None)]
    assert await events(drift_service) == ["drift.detected"]

    # a late, older state neither rewrites the projection nor touches the drift
    await subscriptions["resource.synced"].handler(synced(rid, 0, "s-1vcpu-2gb"))
    assert await drift_rows(drift_service) == [("size_slug", "open", "s-2vcpu-4gb", None)]

    # the field is fixed elsewhere: the next synced closes the drift as stale
    await subscriptions["resource.synced"].handler(synced(rid, 2, "s-1vcpu-2gb"))
    assert await drift_rows(drift_service) == [
        ("size_slug", "stale", "s-2vcpu-4gb", "field matches again")
    ]
    assert await events(drift_service) == ["drift.detected", "drift.resolved"]


async def test_deleted_closes_open_drifts(drift_service: DriftService) -> None:
    subscriptions = handlers(drift_service)
    rid = uuid4()
    await record_provisioned(
        rid,
        {"size_slug": "s-1vcpu-2gb", "region": "sgp1"},
        uow=drift_service.uow,
        clock=drift_service.clock,
    )
    await subscriptions["resource.synced"].handler(synced(rid, 1, "s-2vcpu-4gb"))
    await subscriptions["resource.deleted"].handler(deleted(rid, 2))
    assert {(f, s, r) for f, s, _, r in await drift_rows(drift_service)} == {
        ("size_slug", "stale", "resource deleted"),
        ("region", "stale", "resource deleted"),
    }
    assert sorted(await events(drift_service)) == ["drift.detected"] * 2 + ["drift.resolved"] * 2
    # a late synced of an older version does not bring the resource back
    await subscriptions["resource.synced"].handler(synced(rid, 1, "s-2vcpu-4gb"))
    async with drift_service.uow() as work:
        found = await work.live.get(rid)
        assert found is not None and found.deleted


async def test_a_newer_schema_version_is_refused(drift_service: DriftService) -> None:
    envelope = synced(uuid4(), 1, "x").model_copy(update={"schema_version": 2})
    with pytest.raises(Unprocessable):
        await handlers(drift_service)["resource.synced"].handler(envelope)


async def test_first_start_asks_for_a_catch_up_once(drift_service: DriftService) -> None:
    assert await drift_service.request_catch_up()
    assert not await drift_service.request_catch_up()
    async with drift_service.sessions() as session:
        rows = (await session.execute(select(outbox.c.event_type))).scalars().all()
    assert rows == ["catchup.requested"]
