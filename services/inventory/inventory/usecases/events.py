"""How inventory state changes are told to other services (resource.synced / resource.deleted)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter

from arcadia_core.db import dumps
from arcadia_core.events import ResourceDeleted, ResourceSynced
from inventory.domain.model import Resource

_SYNCED_BATCH = TypeAdapter(list[ResourceSynced])


def resource_synced(resource: Resource, change: str) -> ResourceSynced:
    return ResourceSynced(**_synced_fields(resource, change))


def resource_synced_json(resources: Sequence[Resource], changes: Sequence[str]) -> list[str]:
    """The `resource_synced(resource, change)` payloads as JSON text, one per resource.

    A sync emits tens of thousands: the payloads are validated against the schema in one call,
    strictly (every value must already be of the schema's type, so nothing is coerced), and
    written out directly, each resource's attrs as the text its fingerprint already made.
    """
    fields = [_synced_fields(r, change) for r, change in zip(resources, changes, strict=True)]
    _SYNCED_BATCH.validate_python(fields, strict=True)
    instants: dict[datetime, str] = {}

    def instant(value: datetime) -> str:
        text = instants.get(value)
        if text is None:
            text = instants[value] = _instant(value)
        return text

    return [
        (
            f'{{"resource_id":"{r.id}","version":{r.version},"provider":{_text(r.provider)},'
            f'"kind":{_text(r.kind)},"provider_id":{_text(r.provider_id)},'
            f'"name":{_text(r.name)},"status":{_text(r.status)},"region":{_text(r.region)},'
            f'"size_slug":{_text(r.size_slug)},'
            f'"attrs":{r.attrs_json if r.attrs_json is not None else dumps(r.attrs)},'
            f'"project_id":{_id(r.project_id)},"tenant_id":{_id(r.tenant_id)},'
            f'"deployment_id":{_id(r.deployment_id)},"change":{_text(change)},'
            f'"first_seen_at":{instant(r.first_seen_at)},'
            f'"last_seen_at":{instant(r.last_seen_at)}}}'
        )
        for r, change in zip(resources, changes, strict=True)
    ]


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


def _synced_fields(resource: Resource, change: str) -> dict[str, Any]:
    return {
        "resource_id": resource.id,
        "version": resource.version,
        "provider": resource.provider,
        "kind": resource.kind,
        "provider_id": resource.provider_id,
        "name": resource.name,
        "status": resource.status,
        "region": resource.region,
        "size_slug": resource.size_slug,
        "attrs": resource.attrs,
        "project_id": resource.project_id,
        "tenant_id": resource.tenant_id,
        "deployment_id": resource.deployment_id,
        "change": change,
        "first_seen_at": resource.first_seen_at,
        "last_seen_at": resource.last_seen_at,
    }


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


def _id(value: UUID | None) -> str:
    return "null" if value is None else f'"{value}"'


def _instant(value: datetime) -> str:
    # as pydantic writes it: ISO 8601, UTC as Z
    text = value.isoformat()
    return f'"{text[:-6]}Z"' if text.endswith("+00:00") else f'"{text}"'
