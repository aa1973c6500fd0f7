"""Schedules: the month just ended is rolled up at 03:00 UTC on the 1st; outbox housekeeping."""

from __future__ import annotations

from typing import Any

from arcadia_core.jobs import JobRunner
from invoicing.domain.period import Period
from invoicing.ports import Clock, UnitOfWorkFactory
from invoicing.usecases.rollup import roll_up_period

ROLLUP_JOB = "invoicing.rollup"


def register_jobs(
    runner: JobRunner,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    rollup_cron: str,
) -> None:
    async def rollup(payload: dict[str, Any] | None = None) -> dict[str, Any]:
        period = (payload or {}).get("period")
        target = Period.parse(period) if period else Period.containing(clock().date()).previous()
        summary = await roll_up_period(target, uow=uow, clock=clock, force=False)
        return {
            "period": summary.period,
            "tenants": summary.tenants,
            "created": len(summary.created),
            "regenerated": len(summary.regenerated),
            "skipped": len(summary.skipped),
        }

    async def tick() -> None:
        target = Period.containing(clock().date()).previous()
        await runner.enqueue(
            ROLLUP_JOB, {"period": str(target)}, dedupe_key=f"{ROLLUP_JOB}:{target}"
        )

    runner.job(ROLLUP_JOB, retries=3)(rollup)
    runner.schedule(f"{ROLLUP_JOB}.tick", rollup_cron, record=False)(tick)
