"""How inventory state changes are told to other services (resource.synced / resource.deleted)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Annotated, Any
from uuid import UUID

import orjson
from pydantic import TypeAdapter

from arcadia_core.bulk import json_text
from arcadia_core.events import ResourceDeleted, ResourceSynced
from inventory.domain.model import Resource

# ResourceSynced's fields, in the model's order: a payload is validated as a tuple of them
SYNCED_FIELDS = (
    "resource_id",
    "version",
    "provider",
    "kind",
    "provider_id",
    "name",
    "status",
    "region",
    "size_slug",
    "attrs",
    "project_id",
    "tenant_id",
    "deployment_id",
    "change",
    "first_seen_at",
    "last_seen_at",
)


def _row_schema(model: type[ResourceSynced]) -> TypeAdapter[list[tuple[Any, ...]]]:
    """A list of the model's payloads as tuples, each value checked as the model checks that
    field (its type and any constraints on it): the model's own validation, without building a
    dict and a model object per payload. A model that also validated across fields, or gained
    or reordered a field, would no longer be checked whole this way: that fails here."""
    decorators = model.__pydantic_decorators__
    if tuple(model.model_fields) != SYNCED_FIELDS or any(
        (
            decorators.validators,
            decorators.field_validators,
            decorators.root_validators,
            decorators.model_validators,
        )
    ):
        raise TypeError(f"{model.__name__} changed: update SYNCED_FIELDS and its validation")
    types = tuple(
        Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        for field in model.model_fields.values()
    )
    return TypeAdapter(list[tuple[types]])  # type: ignore[valid-type]


_SYNCED_ROWS = _row_schema(ResourceSynced)
VALIDATION_CHUNK = 512


def resource_synced(resource: Resource, change: str) -> ResourceSynced:
    return ResourceSynced(**_synced_fields(resource, change))


def resource_synced_json(
    resources: Sequence[Resource], changes: Sequence[str], *, chunk: int = VALIDATION_CHUNK
) -> Iterator[str]:
    """The `resource_synced(resource, change)` payloads as JSON text, one per resource, made as
    they are read (the outbox stores the first while the next are made).

    A sync emits tens of thousands. They are validated against the schema `chunk` at a time,
    each chunk before any of its text is given out, and strictly: every value must already be
    of the schema's type, so nothing is coerced and the text says what the model would. Then
    each is written by orjson, with the resource's attrs as the text its fingerprint already
    made (not serialized again).
    """
    if len(resources) != len(changes):
        raise ValueError("one change per resource")
    for start in range(0, len(resources), chunk):
        ends = slice(start, start + chunk)
        batch = list(zip(resources[ends], changes[ends], strict=True))
        _SYNCED_ROWS.validate_python([_synced_row(r, c) for r, c in batch], strict=True)
        for r, change in batch:
            yield _payload_text(r, change)


def _payload_text(r: Resource, change: str) -> str:
    fields = _synced_fields(r, change)
    # the attrs as the text their fingerprint made, not serialized again
    fields["attrs"] = orjson.Fragment(
        r.attrs_json if r.attrs_json is not None else json_text(r.attrs)
    )
    return orjson.dumps(
        fields,
        default=_uuid_text,
        option=orjson.OPT_UTC_Z,  # UTC as Z, as pydantic writes it
    ).decode()


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


def _uuid_text(value: object) -> str:
    # orjson writes uuid.UUID itself, not its subclasses (the ids the driver reads back)
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _synced_row(r: Resource, change: str) -> tuple[Any, ...]:
    # in SYNCED_FIELDS' order
    return (
        r.id,
        r.version,
        r.provider,
        r.kind,
        r.provider_id,
        r.name,
        r.status,
        r.region,
        r.size_slug,
        r.attrs,
        r.project_id,
        r.tenant_id,
        r.deployment_id,
        change,
        r.first_seen_at,
        r.last_seen_at,
    )
