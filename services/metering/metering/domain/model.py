"""What metering knows about a resource, and what it writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from metering.domain.billing import Granularity


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One `resource.synced` / `resource.deleted` as metering keeps it: the state the
    inventory reported at version `version`, in effect from `at` (the sighting that reported it)."""

    version: int
    at: datetime
    status: str | None
    tenant_id: UUID | None
    deployment_id: UUID | None
    size_gb: Decimal | None


@dataclass(slots=True)
class MeteredResource:
    """A resource of a metered kind with the history metering reads its usage from."""

    id: UUID
    kind: str
    # existence: from the provider's creation time (else the first sighting) ...
    starts_at: datetime
    # ... to the last sighting of a resource later deleted (None: still there)
    ends_at: datetime | None
    history: list[HistoryEntry] = field(default_factory=list)  # in version order


@dataclass(frozen=True, slots=True)
class UsageLine:
    """One row of `usage_records`."""

    deployment_id: UUID
    resource_id: UUID
    period_start: datetime
    granularity: Granularity
    billing_kind: str
    qty: Decimal
    tenant_id: UUID | None

    @property
    def key(self) -> tuple[UUID, UUID, datetime, str]:
        # a StrEnum member hashes and compares as its text (and is cheaper than `.value`)
        return (self.deployment_id, self.resource_id, self.period_start, self.granularity)
