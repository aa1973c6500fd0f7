"""Bus subscribers: the live-resource projection (and per-resource detection) from inventory."""

from __future__ import annotations

from typing import Any

from arcadia_core.bus.ports import Subscription
from arcadia_core.consumers import consume
from arcadia_core.events import Envelope, ResourceDeleted, ResourceSynced
from drift.ports import Clock, UnitOfWorkFactory
from drift.usecases.projection import on_resource_deleted, on_resource_synced

SERVICE = "drift"


def subscriptions(uow: UnitOfWorkFactory, clock: Clock) -> list[Subscription]:
    async def synced(work: Any, payload: ResourceSynced, envelope: Envelope) -> None:
        await on_resource_synced(work, payload, envelope, clock=clock)

    async def deleted(work: Any, payload: ResourceDeleted, envelope: Envelope) -> None:
        await on_resource_deleted(work, payload, envelope, clock=clock)

    factory: Any = uow  # consume() is generic over the unit of work it is given
    return [
        consume(SERVICE, ResourceSynced, uow=factory, apply=synced),
        consume(SERVICE, ResourceDeleted, uow=factory, apply=deleted),
    ]
