"""The live-resource projection, fed by the inventory's resource.synced / resource.deleted.

Detection for the resource runs in the same transaction as the projection update (see
`on_resource_synced`), so the projection, the drift rows, their events and the inbox claim
commit together or not at all.
"""

from __future__ import annotations

from arcadia_core.events import Envelope, ResourceDeleted, ResourceSynced
from drift.domain.model import LiveResource
from drift.ports import Clock, UnitOfWork
from drift.usecases.detect import close_for_deleted, detect_in


def live_from_synced(payload: ResourceSynced) -> LiveResource:
    return LiveResource(
        resource_id=payload.resource_id,
        version=payload.version,
        kind=payload.kind,
        provider_id=payload.provider_id,
        name=payload.name,
        status=payload.status,
        region=payload.region,
        size_slug=payload.size_slug,
        attrs=payload.attrs,
        tenant_id=payload.tenant_id,
    )


def live_from_deleted(payload: ResourceDeleted) -> LiveResource:
    return LiveResource(
        resource_id=payload.resource_id,
        version=payload.version,
        kind=payload.kind,
        provider_id=payload.provider_id,
        name=payload.name,
        tenant_id=payload.tenant_id,
        deleted_at=payload.deleted_at,
    )


async def on_resource_synced(
    work: UnitOfWork, payload: ResourceSynced, envelope: Envelope, *, clock: Clock
) -> None:
    """Apply the newer state, then detect drift for this one resource."""
    if await work.live.apply_synced(live_from_synced(payload), payload.last_seen_at):
        await detect_in(work, payload.resource_id, now=clock())


async def on_resource_deleted(
    work: UnitOfWork, payload: ResourceDeleted, envelope: Envelope, *, clock: Clock
) -> None:
    """Tombstone the resource and close its open drifts (reason: resource deleted)."""
    if await work.live.apply_deleted(live_from_deleted(payload)):
        await close_for_deleted(work, payload.resource_id, now=clock())
