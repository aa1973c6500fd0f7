"""Schedules: the day's metering at 01:10 UTC, hourly kinds at :10, retention, outbox purge."""

from __future__ import annotations

from typing import Any

from arcadia_core.jobs import JobRunner
from metering.domain.time import previous_day, previous_hour
from metering.ports import Clock, UnitOfWorkFactory
from metering.usecases.meter import MeterSummary, meter_day, meter_hour
from metering.usecases.settings import purge_expired

METER_DAY = "metering.meter_day"
METER_HOUR = "metering.meter_hour"
RETENTION = "metering.retention"


def _summary(summary: MeterSummary) -> dict[str, Any]:
    """The run log's line for a metered period."""
    return {"period": summary.period, "records": summary.records, "events": summary.events}


def register_jobs(runner: JobRunner, *, uow: UnitOfWorkFactory, clock: Clock) -> None:
    async def daily() -> dict[str, Any]:
        return _summary(await meter_day(previous_day(clock()), uow=uow, clock=clock))

    async def hourly() -> dict[str, Any]:
        return _summary(await meter_hour(previous_hour(clock()), uow=uow, clock=clock))

    async def retention() -> dict[str, int]:
        return await purge_expired(uow=uow, clock=clock)

    runner.schedule(METER_DAY, "10 1 * * *")(daily)
    runner.schedule(METER_HOUR, "10 * * * *")(hourly)
    runner.schedule(RETENTION, "40 1 * * *")(retention)
