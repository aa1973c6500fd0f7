"""Drift findings become entries in the drifted resource's audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from inventory.domain.model import EventType, ResourceEvent
from inventory.ports import UnitOfWork


async def record_drift(
    work: UnitOfWork, resource_id: UUID, finding: dict[str, Any], occurred_at: datetime
) -> bool:
    """Append a `drift_detected` event; False when inventory does not hold the resource."""
    if await work.resources.get(resource_id) is None:
        return False
    await work.resources.append_events(
        [ResourceEvent(resource_id, EventType.DRIFT_DETECTED, finding, occurred_at)]
    )
    return True
