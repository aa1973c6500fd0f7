"""Scheduled jobs: the hourly sweep at :20 (after the :15 syncs) and housekeeping."""

from __future__ import annotations

import logging
from typing import Any

from arcadia_core.jobs import JobRunner
from drift.ports import Clock, UnitOfWorkFactory
from drift.usecases.detect import detect_all

logger = logging.getLogger("drift.jobs")

DETECT_ALL = "drift.detect_all"
DETECT_CRON = "20 * * * *"


def register_jobs(runner: JobRunner, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
    async def run_detect_all(_: dict[str, Any] | None = None) -> dict[str, int]:
        summary = await detect_all(uow=uow, clock=clock)
        logger.info(
            "drift sweep: %d resources, %d drifted fields, %d opened, %d closed, %d failed",
            summary.resources,
            summary.drifted_fields,
            summary.opened,
            summary.closed,
            summary.failed,
        )
        if summary.failed:
            raise RuntimeError(f"drift detection failed for {summary.failed} resource(s)")
        return {
            "resources": summary.resources,
            "drifted_fields": summary.drifted_fields,
            "opened": summary.opened,
            "closed": summary.closed,
        }

    async def tick() -> None:
        await runner.enqueue(DETECT_ALL, {}, dedupe_key="pending")

    runner.job(DETECT_ALL, retries=3)(run_detect_all)
    runner.schedule(f"{DETECT_ALL}.tick", DETECT_CRON, record=False)(tick)
