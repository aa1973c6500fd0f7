"""What the resource projection keeps from the inventory's events (pure translation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

# where the inventory's normalizers put a kind's size and the provider's creation time
SIZE_ATTR = "size_gigabytes"
CREATED_ATTR = "created_at"


@dataclass(frozen=True, slots=True)
class ResourceState:
    """One version of a resource as the inventory reported it."""

    id: UUID
    version: int
    kind: str
    provider_id: str
    name: str | None
    change: str
    status: str | None
    size_gb: Decimal | None
    tenant_id: UUID | None
    deployment_id: UUID | None
    provider_created_at: datetime | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    deleted_at: datetime | None
    # when this state took effect: the sighting that reported it (the deletion time)
    at: datetime


def size_in_gb(attrs: dict[str, Any]) -> Decimal | None:
    value = attrs.get(SIZE_ATTR)
    if value is None or isinstance(value, bool):
        return None
    try:
        size = Decimal(str(value))
    except InvalidOperation:
        return None
    return size if size.is_finite() and size >= 0 else None


def provider_created_at(attrs: dict[str, Any]) -> datetime | None:
    value = attrs.get(CREATED_ATTR)
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None
