"""Versioned payloads of published events. The producing service owns each model's meaning."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from arcadia_core.events.envelope import Envelope, EventPayload


class ResourceSynced(EventPayload):
    """Inventory saw a resource change (discovered, updated, restored or re-attributed)."""

    EVENT_TYPE = "resource.synced"
    SCHEMA_VERSION = 1

    resource_id: UUID
    version: int
    provider: str
    kind: str
    provider_id: str
    name: str | None
    status: str | None
    region: str | None
    size_slug: str | None
    attrs: dict[str, Any]
    project_id: UUID | None
    tenant_id: UUID | None
    deployment_id: UUID | None
    change: str
    first_seen_at: datetime
    last_seen_at: datetime


class ResourceDeleted(EventPayload):
    """Inventory tombstoned a resource after three complete listings without it."""

    EVENT_TYPE = "resource.deleted"
    SCHEMA_VERSION = 1

    resource_id: UUID
    version: int
    provider: str
    kind: str
    provider_id: str
    name: str | None
    tenant_id: UUID | None
    deployment_id: UUID | None
    deleted_at: datetime


class DriftDetected(EventPayload):
    """Drift found a field whose live value differs from the desired spec."""

    EVENT_TYPE = "drift.detected"
    SCHEMA_VERSION = 1

    drift_id: UUID
    resource_id: UUID
    field: str
    desired: Any
    actual: Any
    detected_at: datetime


PAYLOADS: dict[str, type[EventPayload]] = {
    model.EVENT_TYPE: model for model in (ResourceSynced, ResourceDeleted, DriftDetected)
}


def parse_payload(envelope: Envelope) -> EventPayload:
    """The typed payload of an envelope; unknown types or newer versions raise ValueError."""
    model = PAYLOADS.get(envelope.type)
    if model is None:
        raise ValueError(f"unknown event type {envelope.type!r}")
    if envelope.schema_version > model.SCHEMA_VERSION:
        raise ValueError(
            f"{envelope.type} schema_version {envelope.schema_version} is newer than "
            f"{model.SCHEMA_VERSION}; upgrade this consumer"
        )
    return model.model_validate(envelope.payload)
