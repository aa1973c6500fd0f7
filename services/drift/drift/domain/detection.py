"""Detection and resolution as plans: what to open, update and close, decided without I/O."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from drift.domain.compare import FieldCheck, Outcome, check_spec, loose_equal, same_actual
from drift.domain.model import (
    REASON_DELETED,
    REASON_MATCHES,
    REASON_UNSPECIFIED,
    Drift,
    DriftNotOpen,
    DriftStatus,
    LiveResource,
    Provisioned,
)


@dataclass(frozen=True)
class DetectionPlan:
    resource_id: UUID
    checks: list[FieldCheck] = field(default_factory=list)
    opened: list[Drift] = field(default_factory=list)
    # open drifts whose observed (or desired) value changed: updated in place
    changed: list[Drift] = field(default_factory=list)
    closed: list[Drift] = field(default_factory=list)
    # the live resource is not (yet) known: nothing can be compared
    unknown: bool = False

    @property
    def drifted(self) -> list[str]:
        return [c.field for c in self.checks if c.outcome is Outcome.DRIFT]

    @property
    def unverifiable(self) -> list[str]:
        return [c.field for c in self.checks if c.outcome is Outcome.UNVERIFIABLE]


def plan_detection(
    provisioned: Provisioned,
    live: LiveResource | None,
    open_drifts: Mapping[str, Drift],
    *,
    now: datetime,
    new_id: Callable[[], UUID],
) -> DetectionPlan:
    """Compare one resource's spec with its live state, against the drifts already open."""
    if live is None:
        return DetectionPlan(provisioned.resource_id, unknown=True)
    if live.deleted:
        return DetectionPlan(provisioned.resource_id, closed=plan_deletion(open_drifts, now))
    checks = check_spec(live, provisioned.spec)
    opened: list[Drift] = []
    changed: list[Drift] = []
    closed: list[Drift] = []
    for check in checks:
        current = open_drifts.get(check.field)
        if check.outcome is Outcome.DRIFT:
            if current is None:
                opened.append(
                    Drift(
                        id=new_id(),
                        resource_id=provisioned.resource_id,
                        field=check.field,
                        expected=check.desired,
                        actual=check.actual,
                        status=DriftStatus.OPEN,
                        opened_at=now,
                    )
                )
            elif not same_actual(live.kind, check.field, current.actual, check.actual) or not (
                loose_equal(current.expected, check.desired)
                and loose_equal(check.desired, current.expected)
            ):
                changed.append(replace(current, expected=check.desired, actual=check.actual))
        elif current is not None:
            # it matches again (or became unverifiable): fixed elsewhere
            closed.append(current.closed(DriftStatus.STALE, now, by=None, reason=REASON_MATCHES))
    for name, current in sorted(open_drifts.items()):
        if name not in provisioned.spec:
            closed.append(
                current.closed(DriftStatus.STALE, now, by=None, reason=REASON_UNSPECIFIED)
            )
    return DetectionPlan(
        provisioned.resource_id, checks=checks, opened=opened, changed=changed, closed=closed
    )


def plan_deletion(open_drifts: Mapping[str, Drift], now: datetime) -> list[Drift]:
    """A deleted resource has nothing left to drift: its open drifts close as stale."""
    return [
        drift.closed(DriftStatus.STALE, now, by=None, reason=REASON_DELETED)
        for _, drift in sorted(open_drifts.items())
    ]


def accept(
    provisioned: Provisioned, drift: Drift, *, by: str, reason: str | None, now: datetime
) -> tuple[Provisioned, Drift]:
    """The live value becomes the desired state; the drift closes as accepted."""
    if not drift.is_open:
        raise DriftNotOpen(drift)
    if drift.resource_id != provisioned.resource_id:
        raise ValueError("the drift belongs to another resource")
    spec = dict(provisioned.spec)
    spec[drift.field] = drift.actual
    updated = replace(
        provisioned, spec=spec, spec_version=provisioned.spec_version + 1, updated_at=now
    )
    return updated, drift.closed(DriftStatus.ACCEPTED, now, by=by, reason=reason)
