"""The resource projection: `resource.synced` / `resource.deleted` into state and history."""

from __future__ import annotations

from arcadia_core.events import (
    CatchUpRequested,
    Envelope,
    ResourceDeleted,
    ResourceSynced,
    UsageMetered,
)
from metering.domain.projection import ResourceState, provider_created_at, size_in_gb
from metering.ports import Clock, UnitOfWork, UnitOfWorkFactory


def synced_state(event: ResourceSynced) -> ResourceState:
    return ResourceState(
        id=event.resource_id,
        version=event.version,
        kind=event.kind,
        provider_id=event.provider_id,
        name=event.name,
        change=event.change,
        status=event.status,
        size_gb=size_in_gb(event.attrs),
        tenant_id=event.tenant_id,
        deployment_id=event.deployment_id,
        provider_created_at=provider_created_at(event.attrs),
        first_seen_at=event.first_seen_at,
        last_seen_at=event.last_seen_at,
        deleted_at=None,
        at=event.last_seen_at,
    )


def deleted_state(event: ResourceDeleted) -> ResourceState:
    return ResourceState(
        id=event.resource_id,
        version=event.version,
        kind=event.kind,
        provider_id=event.provider_id,
        name=event.name,
        change="deleted",
        status=None,
        size_gb=None,
        tenant_id=event.tenant_id,
        deployment_id=event.deployment_id,
        provider_created_at=None,
        first_seen_at=None,
        last_seen_at=None,
        deleted_at=event.deleted_at,
        at=event.deleted_at,
    )


async def on_resource_synced(work: UnitOfWork, event: ResourceSynced, _: Envelope) -> None:
    await work.resources.record(synced_state(event))


async def on_resource_deleted(work: UnitOfWork, event: ResourceDeleted, _: Envelope) -> None:
    await work.resources.record(deleted_state(event))


async def request_catch_up(*, uow: UnitOfWorkFactory, clock: Clock) -> bool:
    """On a first start (an empty projection), ask the inventory to republish every resource.
    Asked once: the request is kept in the outbox like every event."""
    async with uow() as work:
        if await work.resources.count() or await work.resources.catch_up_requested():
            return False
        work.emit(CatchUpRequested(service="metering", requested_at=clock()))
        await work.commit()
    return True


async def on_catch_up_requested(work: UnitOfWork, request: CatchUpRequested, _: Envelope) -> None:
    """A new usage projection (invoicing's) asks for every metered day: re-send each at its
    current version, which a projection that already holds it ignores."""
    if UsageMetered.EVENT_TYPE not in request.topics:
        return
    work.emit(
        *(
            UsageMetered(
                deployment_id=a.totals.deployment_id,
                tenant_id=a.totals.tenant_id,
                day=a.totals.day,
                version=a.version,
                totals=a.totals.totals,
            )
            for a in await work.usage.all_published()
        )
    )
