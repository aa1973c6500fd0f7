"""Metering a day (or an hour): plan from the projection, then apply through one unit of work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from arcadia_core.events import UsageMetered
from arcadia_core.gc_pause import collector_paused
from metering.domain.accrual import DAY, HOUR
from metering.domain.billing import Granularity
from metering.domain.plan import announcements, day_start, day_totals, desired_lines, diff
from metering.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MeterSummary:
    period: str
    records: int
    inserted: int
    updated: int
    deleted: int
    events: int


async def meter_day(day: date, *, uow: UnitOfWorkFactory, clock: Clock) -> MeterSummary:
    """Write the day's usage rows (idempotent: a re-run corrects, never adds) and publish a
    `usage.metered` for each deployment whose day totals changed."""
    start = day_start(day)
    # tens of thousands of short-lived rows with no cycles: the cyclic collector only rescans
    with collector_paused():
        return await _meter_day(day, start, uow=uow, clock=clock)


async def _meter_day(
    day: date, start: datetime, *, uow: UnitOfWorkFactory, clock: Clock
) -> MeterSummary:
    async with uow() as work:
        await work.usage.lock_period(start)
        config = await work.config.load()
        resources = await work.usage.metered_resources(start, start + DAY)
        desired = desired_lines(resources, start, config)
        plan = diff(desired, await work.usage.existing(start, start + DAY))
        now = clock()
        await work.usage.apply(plan, now)
        sent = announcements(day, day_totals(day, plan.lines), await work.usage.published(day))
        await work.usage.record_published(sent, now)
        work.emit(
            *(
                UsageMetered(
                    deployment_id=a.totals.deployment_id,
                    tenant_id=a.totals.tenant_id,
                    day=day,
                    version=a.version,
                    totals=a.totals.totals,
                )
                for a in sent
            )
        )
        await work.commit()
    summary = MeterSummary(
        day.isoformat(),
        len(plan.lines),
        len(plan.insert),
        len(plan.update),
        len(plan.delete),
        len(sent),
    )
    log.info("metered %s", summary)
    return summary


async def meter_hour(hour: datetime, *, uow: UnitOfWorkFactory, clock: Clock) -> MeterSummary:
    """Write one hour's rows of the kinds configured `hourly` (the day's run publishes)."""
    start = hour.replace(minute=0, second=0, microsecond=0)
    async with uow() as work:
        await work.usage.lock_period(start)
        config = await work.config.load()
        if not any(c.granularity is Granularity.HOURLY for c in config.values()):
            return MeterSummary(start.isoformat(), 0, 0, 0, 0, 0)
        resources = await work.usage.metered_resources(start, start + HOUR)
        desired = desired_lines(resources, start, config, hour_only=True)
        plan = diff(
            desired,
            await work.usage.existing(start, start + HOUR, Granularity.HOURLY.value),
        )
        await work.usage.apply(plan, clock())
        await work.commit()
    return MeterSummary(
        start.isoformat(), len(plan.lines), len(plan.insert), len(plan.update), len(plan.delete), 0
    )


async def meter_range(
    first: date,
    last: date,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    on_day: Callable[[MeterSummary], None] = lambda _: None,
) -> list[MeterSummary]:
    """Meter every day from `first` to `last` inclusive (a backfill; idempotent)."""
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    out: list[MeterSummary] = []
    day = first
    while day <= last:
        summary = await meter_day(day, uow=uow, clock=clock)
        out.append(summary)
        on_day(summary)
        day += timedelta(days=1)
    return out
