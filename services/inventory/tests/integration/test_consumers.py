"""drift.detected lands in the resource's audit log, once however often it is delivered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy import select

from arcadia_core.events import DriftDetected
from inventory.adapters.tables import cloud_resource_events
from inventory.bootstrap import Inventory
from inventory.consumers import on_drift_detected
from inventory.usecases.sync import Summary


async def test_drift_detected_is_appended_once(
    inventory: Inventory, sync: Callable[[str], Awaitable[Summary]]
) -> None:
    await sync("droplet")
    async with inventory.uow() as work:
        droplet = (await work.resources.by_kind("droplet"))["512340101"]
    envelope = DriftDetected(
        drift_id=uuid4(),
        resource_id=droplet.id,
        field="size_slug",
        desired="s-1vcpu-2gb",
        actual="s-2vcpu-4gb",
        detected_at=datetime(2026, 4, 20, 10, 20, tzinfo=UTC),
    ).envelope(producer="drift")

    for _ in range(3):  # at-least-once delivery: repeats must not duplicate the entry
        await on_drift_detected(envelope, inventory.uow)

    async with inventory.sessions() as session:
        rows = (
            (
                await session.execute(
                    select(cloud_resource_events.c.data).where(
                        cloud_resource_events.c.resource_id == droplet.id,
                        cloud_resource_events.c.type == "drift_detected",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert rows == [
        {
            "drift_id": envelope.payload["drift_id"],
            "field": "size_slug",
            "desired": "s-1vcpu-2gb",
            "actual": "s-2vcpu-4gb",
        }
    ]


async def test_drift_for_an_unknown_resource_is_ignored(inventory: Inventory) -> None:
    envelope = DriftDetected(
        drift_id=uuid4(),
        resource_id=uuid4(),
        field="region",
        desired="syd1",
        actual="sgp1",
        detected_at=datetime(2026, 4, 20, tzinfo=UTC),
    ).envelope(producer="drift")
    await on_drift_detected(envelope, inventory.uow)
    async with inventory.sessions() as session:
        assert (await session.execute(select(cloud_resource_events))).first() is None
