"""Detection: one resource (on its resource.synced) or every provisioned resource (hourly)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID, uuid4

from drift.domain.detection import DetectionPlan, plan_deletion, plan_detection
from drift.ports import Clock, IdFactory, UnitOfWork, UnitOfWorkFactory
from drift.usecases.events import drift_detected, drift_resolved

logger = logging.getLogger("drift.detect")


@dataclass
class Detection:
    """What one detection did: the fields it flagged and the records it wrote."""

    resource_id: UUID
    drifted: list[str] = field(default_factory=list)
    unverifiable: list[str] = field(default_factory=list)
    opened: int = 0
    changed: int = 0
    closed: int = 0
    unknown: bool = False
    provisioned: bool = True


@dataclass
class DetectionSummary:
    resources: int = 0
    drifted_fields: int = 0
    opened: int = 0
    changed: int = 0
    closed: int = 0
    unknown: int = 0
    failed: int = 0
    results: list[Detection] = field(default_factory=list)

    def add(self, detection: Detection) -> None:
        self.resources += 1
        self.drifted_fields += len(detection.drifted)
        self.opened += detection.opened
        self.changed += detection.changed
        self.closed += detection.closed
        self.unknown += int(detection.unknown)
        self.results.append(detection)


async def apply_plan(work: UnitOfWork, plan: DetectionPlan, now: datetime) -> Detection:
    """Write a plan; an event goes out only for a row this transaction actually changed, so
    a concurrent detection of the same resource never doubles an event."""
    done = Detection(
        plan.resource_id,
        drifted=plan.drifted,
        unverifiable=plan.unverifiable,
        unknown=plan.unknown,
    )
    for drift in plan.opened:
        if await work.drifts.insert_open(drift):
            work.emit(drift_detected(drift, now))
            done.opened += 1
    for drift in plan.changed:
        if await work.drifts.update_open(drift):
            work.emit(drift_detected(drift, now))
            done.changed += 1
    for drift in plan.closed:
        if await work.drifts.close(drift):
            work.emit(drift_resolved(drift))
            done.closed += 1
    return done


async def detect_in(
    work: UnitOfWork, resource_id: UUID, *, now: datetime, new_id: IdFactory = uuid4
) -> Detection:
    """Detect one resource inside an open unit of work (the caller commits)."""
    provisioned = await work.provisioned.get(resource_id, lock=True)
    if provisioned is None:
        return Detection(resource_id, provisioned=False)
    live = await work.live.get(resource_id)
    open_drifts = await work.drifts.open_for(resource_id)
    plan = plan_detection(provisioned, live, open_drifts, now=now, new_id=new_id)
    return await apply_plan(work, plan, now)


async def close_for_deleted(work: UnitOfWork, resource_id: UUID, *, now: datetime) -> int:
    """Close the open drifts of a deleted resource (inside the caller's unit of work)."""
    await work.provisioned.get(resource_id, lock=True)
    open_drifts = await work.drifts.open_for(resource_id)
    plan = DetectionPlan(resource_id, closed=plan_deletion(open_drifts, now))
    return (await apply_plan(work, plan, now)).closed


async def detect_one(
    resource_id: UUID, *, uow: UnitOfWorkFactory, clock: Clock, new_id: IdFactory = uuid4
) -> Detection:
    async with uow() as work:
        detection = await detect_in(work, resource_id, now=clock(), new_id=new_id)
        await work.commit()
    return detection


async def detect_all(
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    new_id: IdFactory = uuid4,
    progress: Callable[[int, int], None] | None = None,
) -> DetectionSummary:
    """Sweep every provisioned resource, one transaction per resource.

    A resource that fails is logged and counted, and the sweep goes on with the others.
    """
    async with uow() as work:
        ids = await work.provisioned.resource_ids()
    summary = DetectionSummary()
    for done, resource_id in enumerate(ids, start=1):
        try:
            summary.add(await detect_one(resource_id, uow=uow, clock=clock, new_id=new_id))
        except Exception:
            logger.exception("drift detection failed for resource %s", resource_id)
            summary.failed += 1
        if progress is not None:
            progress(done, len(ids))
    return summary
