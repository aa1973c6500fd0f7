"""Plan a period's metering: the rows it should hold, against the rows it holds.

`plan_day` / `plan_hour` are pure: given the resources (with their history), the configuration
and what `usage_records` already holds for the period, they say which rows to insert, update
and delete, and which deployments' day totals changed (each one `usage.metered`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, localcontext
from uuid import UUID

from metering.domain.accrual import HOUR, accrue
from metering.domain.billing import BY_KIND, Granularity, KindConfig, full_config
from metering.domain.model import MeteredResource, UsageLine
from metering.domain.time import UTC

Key = tuple[UUID, UUID, datetime, str]
# digits for adding up a day's quantities (34 significant digits each) without rounding
SUM_PRECISION = 100


@dataclass(frozen=True, slots=True)
class DayTotals:
    deployment_id: UUID
    tenant_id: UUID | None
    day: date
    totals: dict[str, Decimal]


@dataclass(slots=True)
class MeterPlan:
    insert: list[UsageLine] = field(default_factory=list)
    update: list[UsageLine] = field(default_factory=list)
    delete: list[Key] = field(default_factory=list)
    lines: list[UsageLine] = field(default_factory=list)  # every row the period holds after

    @property
    def changed(self) -> bool:
        return bool(self.insert or self.update or self.delete)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def desired_lines(
    resources: Iterable[MeteredResource],
    period_start: datetime,
    config: Mapping[str, KindConfig],
    *,
    hour_only: bool = False,
) -> list[UsageLine]:
    """Every row the period should hold. A day holds daily rows of its daily kinds and the 24
    hourly rows of its hourly kinds; `hour_only` plans one hour of the hourly kinds alone."""
    settings = full_config(dict(config))
    out: list[UsageLine] = []
    for resource in resources:
        rule = BY_KIND.get(resource.kind)
        if rule is None:
            continue
        granularity = settings[rule.billing_kind].granularity
        if hour_only:
            if granularity is Granularity.HOURLY:
                out.extend(accrue(resource, rule, period_start, Granularity.HOURLY))
        elif granularity is Granularity.DAILY:
            out.extend(accrue(resource, rule, period_start, Granularity.DAILY))
        else:
            for slot in range(24):
                out.extend(accrue(resource, rule, period_start + slot * HOUR, Granularity.HOURLY))
    return out


def diff(desired: list[UsageLine], existing: Mapping[Key, UsageLine]) -> MeterPlan:
    """Rows to write so the period holds exactly `desired`: a re-run corrects, never adds."""
    plan = MeterPlan(lines=desired)
    wanted: set[Key] = set()
    for line in desired:
        key = line.key
        wanted.add(key)
        held = existing.get(key)
        if held is None:
            plan.insert.append(line)
        elif (held.qty, held.billing_kind, held.tenant_id) != (
            line.qty,
            line.billing_kind,
            line.tenant_id,
        ):
            plan.update.append(line)
    plan.delete = [key for key in existing if key not in wanted]
    return plan


def day_totals(day: date, lines: Iterable[UsageLine]) -> dict[UUID, DayTotals]:
    """Each deployment's totals by billing kind for the day."""
    sums: dict[UUID, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    tenants: dict[UUID, UUID | None] = {}
    # exact, as SUM(qty) over the day's rows is: the default 28-digit context would round
    # the sum of quantities stored with 34 significant digits
    with localcontext() as context:
        context.prec = SUM_PRECISION
        for line in lines:
            sums[line.deployment_id][line.billing_kind] += line.qty
            if line.tenant_id is not None or line.deployment_id not in tenants:
                tenants[line.deployment_id] = line.tenant_id
    return {
        deployment: DayTotals(deployment, tenants[deployment], day, dict(sorted(kinds.items())))
        for deployment, kinds in sums.items()
    }


@dataclass(frozen=True, slots=True)
class Announcement:
    """A deployment's day whose totals changed: published as `usage.metered` at `version`."""

    totals: DayTotals
    version: int


def announcements(
    day: date,
    current: Mapping[UUID, DayTotals],
    published: Mapping[UUID, tuple[int, dict[str, Decimal]]],
) -> list[Announcement]:
    """A `usage.metered` per deployment whose day totals differ from the last ones published
    (a deployment whose usage vanished is announced with empty totals); none when unchanged."""
    out: list[Announcement] = []
    for deployment, totals in current.items():
        version, sent = published.get(deployment, (0, None))
        if sent != totals.totals:
            out.append(Announcement(totals, version + 1))
    for deployment, (version, sent) in published.items():
        if deployment not in current and sent:
            out.append(Announcement(DayTotals(deployment, None, day, {}), version + 1))
    return out


def hour_starts(day: date) -> list[datetime]:
    start = day_start(day)
    return [start + timedelta(hours=h) for h in range(24)]
