"""Bus subscribers: the inventory's resource events feed the projection lines match against."""

from __future__ import annotations

from arcadia_core.bus.ports import Subscription
from arcadia_core.consumers import consume
from arcadia_core.events import Envelope, ResourceDeleted, ResourceSynced
from billing_ingest.ports import Clock, UnitOfWork, UnitOfWorkFactory
from billing_ingest.usecases import projection

SERVICE = "billing-ingest"
CONSUMES = (ResourceSynced, ResourceDeleted)


def subscriptions(uow: UnitOfWorkFactory, clock: Clock) -> list[Subscription]:
    async def on_synced(work: UnitOfWork, payload: ResourceSynced, _: Envelope) -> None:
        await projection.on_resource_synced(work, payload, clock())

    async def on_deleted(work: UnitOfWork, payload: ResourceDeleted, _: Envelope) -> None:
        await projection.on_resource_deleted(work, payload, clock())

    return [
        consume(SERVICE, ResourceSynced, uow=uow, apply=on_synced),
        consume(SERVICE, ResourceDeleted, uow=uow, apply=on_deleted),
    ]
