"""How drift findings are told to other services (drift.detected / drift.resolved)."""

from __future__ import annotations

from datetime import datetime

from arcadia_core.events import DriftDetected, DriftResolved
from drift.domain.model import Drift


def drift_detected(drift: Drift, at: datetime) -> DriftDetected:
    return DriftDetected(
        drift_id=drift.id,
        resource_id=drift.resource_id,
        field=drift.field,
        desired=drift.expected,
        actual=drift.actual,
        detected_at=at,
    )


def drift_resolved(drift: Drift) -> DriftResolved:
    assert drift.resolved_at is not None
    return DriftResolved(
        drift_id=drift.id,
        resource_id=drift.resource_id,
        field=drift.field,
        status=drift.status.value,
        resolved_by=drift.resolved_by,
        reason=drift.reason,
        resolved_at=drift.resolved_at,
    )
