"""What drift reasons about: the live state of a resource, its desired spec, and drift records."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

Json = dict[str, Any]


class DriftStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REVERTED = "reverted"
    STALE = "stale"


# reasons a drift closes without an operator
REASON_MATCHES = "field matches again"
REASON_UNSPECIFIED = "field no longer in the desired spec"
REASON_DELETED = "resource deleted"

# top-level fields of a live resource; anything else in a spec is looked up in attrs
TOP_LEVEL_FIELDS = ("name", "status", "region", "size_slug", "provider_id")


@dataclass(frozen=True, slots=True)
class LiveResource:
    """The drift service's projection of one inventory resource (from resource.synced)."""

    resource_id: UUID
    version: int
    kind: str
    provider_id: str
    name: str | None = None
    status: str | None = None
    region: str | None = None
    size_slug: str | None = None
    attrs: Json = field(default_factory=dict)
    tenant_id: UUID | None = None
    deleted_at: datetime | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class Provisioned:
    """The desired state of a resource: what provisioning asked the provider for."""

    resource_id: UUID
    spec: Json
    spec_version: int
    kind: str | None = None
    recorded_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Drift:
    """One drifted field of one resource; resolved rows stay as history."""

    id: UUID
    resource_id: UUID
    field: str
    expected: Any
    actual: Any
    status: DriftStatus
    opened_at: datetime
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.status is DriftStatus.OPEN

    def closed(
        self, status: DriftStatus, at: datetime, *, by: str | None, reason: str | None
    ) -> Drift:
        if status is DriftStatus.OPEN:
            raise ValueError("a drift closes as accepted, reverted or stale, never open")
        return replace(self, status=status, resolved_at=at, resolved_by=by, reason=reason)


class DriftNotOpen(Exception):
    """An operator acted on a drift that is already resolved."""

    def __init__(self, drift: Drift) -> None:
        super().__init__(f"drift {drift.id} is {drift.status.value}, not open")
        self.drift = drift
