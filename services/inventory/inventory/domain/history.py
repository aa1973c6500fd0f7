"""What a tenant may read of a resource's audit log: only its own era of it.

A resource that moved from tenant A to tenant B keeps one log, but B sees it from the event that
brought it under B (its discovery, or the attribution to B) onward, and in that event the
previous owner's ids are redacted. Older events (A's changes, drift found under A) are not shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from inventory.domain.model import ATTRIBUTION_FIELDS, EventType

REDACTED = "redacted"

Event = Mapping[str, Any]


def _brings_under(event: Event, tenant: str) -> bool:
    data = event.get("data") or {}
    if event.get("type") == EventType.DISCOVERED:
        return data.get("tenant_id") == tenant
    if event.get("type") in (EventType.ATTRIBUTED, EventType.CLASSIFIED):
        moved = data.get("tenant_id")
        return isinstance(moved, Mapping) and moved.get("new") == tenant
    return False


def _redacted(event: Event) -> dict[str, Any]:
    data = dict(event.get("data") or {})
    for name in ATTRIBUTION_FIELDS:
        change = data.get(name)
        if isinstance(change, Mapping) and change.get("old") is not None:
            data[name] = {**change, "old": REDACTED}
    return {**event, "data": data}


def tenant_era(events: Sequence[Event], tenant_id: UUID) -> list[dict[str, Any]]:
    """The events from the last one that brought the resource under `tenant_id` onward.

    `events` in log order. None at all if no event says the resource came under this tenant.
    """
    tenant = str(tenant_id)
    start = next(
        (i for i in range(len(events) - 1, -1, -1) if _brings_under(events[i], tenant)), None
    )
    if start is None:
        return []
    return [_redacted(events[start]), *(dict(e) for e in events[start + 1 :])]
