"""Schedules: the month just ended is rolled up at 03:00 UTC on the 1st; outbox housekeeping."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arcadia_core.jobs import JobRunner
from arcadia_core.outbox import OutboxRelay
from invoicing.domain.period import Period
from invoicing.ports import Clock, UnitOfWorkFactory
from invoicing.usecases.rollup import roll_up_period

ROLLUP_JOB = "invoicing.rollup"
OUTBOX_RETENTION = timedelta(days=7)


def register_jobs(
    runner: JobRunner,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    relay: OutboxRelay,
    rollup_cron: str,
) -> None:
    async def rollup(payload: dict[str, Any] | None = None) -> None:
        period = (payload or {}).get("period")
        target = Period.parse(period) if period else Period.containing(clock().date()).previous()
        await roll_up_period(target, uow=uow, clock=clock, force=False)

    async def tick() -> None:
        target = Period.containing(clock().date()).previous()
        await runner.enqueue(
            ROLLUP_JOB, {"period": str(target)}, dedupe_key=f"{ROLLUP_JOB}:{target}"
        )

    async def purge_outbox() -> None:
        await relay.purge_sent(OUTBOX_RETENTION)

    runner.job(ROLLUP_JOB, retries=3)(rollup)
    runner.schedule(f"{ROLLUP_JOB}.tick", rollup_cron)(tick)
    runner.schedule("invoicing.outbox.purge", "27 4 * * *")(purge_outbox)
