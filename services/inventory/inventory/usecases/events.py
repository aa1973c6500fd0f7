"""How inventory state changes are told to other services (resource.synced / resource.deleted)."""

from __future__ import annotations

from arcadia_core.events import ResourceDeleted, ResourceSynced
from inventory.domain.model import Resource


def resource_synced(resource: Resource, change: str) -> ResourceSynced:
    return ResourceSynced(
        resource_id=resource.id,
        version=resource.version,
        provider=resource.provider,
        kind=resource.kind,
        provider_id=resource.provider_id,
        name=resource.name,
        status=resource.status,
        region=resource.region,
        size_slug=resource.size_slug,
        attrs=resource.attrs,
        project_id=resource.project_id,
        tenant_id=resource.tenant_id,
        deployment_id=resource.deployment_id,
        change=change,
        first_seen_at=resource.first_seen_at,
        last_seen_at=resource.last_seen_at,
    )


def resource_deleted(resource: Resource) -> ResourceDeleted:
    assert resource.deleted_at is not None
    return ResourceDeleted(
        resource_id=resource.id,
        version=resource.version,
        provider=resource.provider,
        kind=resource.kind,
        provider_id=resource.provider_id,
        name=resource.name,
        tenant_id=resource.tenant_id,
        deployment_id=resource.deployment_id,
        deleted_at=resource.deleted_at,
    )
