"""The accrual model: a resource's usage over one period (a UTC day or hour), per deployment.

Everything downstream is `SUM(qty)`, so a period's quantity is its share of the month:

- `hours` (droplet_hours): each started hour in which the resource existed in a metered status
  counts 1, so a full active day is 24, a day off is 0, a droplet created at 10:30 gets 14.
- `gb_month`: size / days in the month per full day; a partial day gets its started hours' share
  (size * hours / (days * 24)), so a 48 GB snapshot all of a 31-day month sums to 48.
- `count_month` (dns_zones): 1 / days in the month per full day, the same way.

Existence runs from the provider's creation time (else the first sighting) to the last sighting
of a resource later deleted. Status, size and attribution come from the history in version
order, each state in effect from the sighting that reported it; before the first sighting the
first state holds. Before its first attribution a resource counts for its first deployment;
an hour shared by two deployments (a move) goes to the one holding the resource at its end.
A resource never attributed writes nothing; an attributed one that existed but was never in a
metered status writes 0 (it is known to have been off).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, localcontext
from functools import cache
from uuid import UUID

from metering.domain.billing import Accrual, BillingKind, Granularity
from metering.domain.model import HistoryEntry, MeteredResource, UsageLine

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
# significant digits of a stored quantity: exact for hours and sums to the cent for years
PRECISION = 34


@dataclass(frozen=True, slots=True)
class Segment:
    start: datetime
    end: datetime
    status: str | None
    tenant_id: UUID | None
    deployment_id: UUID
    size_gb: Decimal | None


def days_in_month(moment: datetime) -> int:
    return _days(moment.year, moment.month)


@cache
def _days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _segments(resource: MeteredResource, start: datetime, end: datetime) -> list[Segment]:
    """The resource's attributed states clipped to its existence and to [start, end)."""
    history = resource.history
    if not history:
        return []
    first_attributed = next((h for h in history if h.deployment_id is not None), None)
    if first_attributed is None:
        return []
    lower = max(start, resource.starts_at)
    upper = end if resource.ends_at is None else min(end, resource.ends_at)
    if lower >= upper:
        return []
    attributed = False
    out: list[Segment] = []
    previous_at: datetime | None = None
    for index, entry in enumerate(history):
        at = entry.at if previous_at is None else max(entry.at, previous_at)
        previous_at = at
        seg_start = lower if index == 0 else max(lower, at)
        following = history[index + 1].at if index + 1 < len(history) else None
        seg_end = upper if following is None else min(upper, max(following, at))
        attributed = attributed or entry.deployment_id is not None
        if seg_start >= seg_end:
            continue
        deployment, tenant = _attribution(entry, attributed, first_attributed)
        if deployment is None:
            continue
        out.append(Segment(seg_start, seg_end, entry.status, tenant, deployment, entry.size_gb))
    return out


def _attribution(
    entry: HistoryEntry, attributed: bool, first: HistoryEntry
) -> tuple[UUID | None, UUID | None]:
    if entry.deployment_id is not None:
        return entry.deployment_id, entry.tenant_id
    if not attributed:  # before its first attribution: its first deployment
        return first.deployment_id, first.tenant_id
    return None, None


def _counts(segment: Segment, rule: BillingKind) -> bool:
    if rule.metered_statuses is not None and segment.status not in rule.metered_statuses:
        return False
    return not (rule.needs_size and segment.size_gb is None)


_QUANTITIES: dict[tuple[Accrual, Decimal | None, int, int], Decimal] = {}


def _quantity(rule: BillingKind, hours: int, size: Decimal | None, days: int) -> Decimal:
    if rule.accrual is Accrual.HOURS:
        return Decimal(hours)
    key = (rule.accrual, size, hours, days)
    found = _QUANTITIES.get(key)
    if found is not None:
        return found
    with localcontext() as context:
        context.prec = PRECISION
        amount = size if rule.accrual is Accrual.GB_MONTH else Decimal(1)
        assert amount is not None
        qty = amount * hours / (days * 24) if hours else Decimal(0)
    if len(_QUANTITIES) > 100_000:
        _QUANTITIES.clear()
    _QUANTITIES[key] = qty
    return qty


def accrue(
    resource: MeteredResource,
    rule: BillingKind,
    period_start: datetime,
    granularity: Granularity,
) -> list[UsageLine]:
    """The resource's usage rows for the period starting at `period_start` (UTC)."""
    length = DAY if granularity is Granularity.DAILY else HOUR
    period_end = period_start + length
    history = resource.history
    deployment = history[0].deployment_id if len(history) == 1 else None
    if (
        deployment is not None
        and resource.starts_at <= period_start
        and (resource.ends_at is None or resource.ends_at >= period_end)
    ):
        # the common case: one known state all period long
        entry = history[0]
        if rule.needs_size and entry.size_gb is None:
            return []
        counts = rule.metered_statuses is None or entry.status in rule.metered_statuses
        hours = int(length / HOUR) if counts else 0
        qty = _quantity(rule, hours, entry.size_gb, days_in_month(period_start))
        return [
            UsageLine(
                deployment,
                resource.id,
                period_start,
                granularity,
                rule.billing_kind,
                qty,
                entry.tenant_id,
            )
        ]
    segments = _segments(resource, period_start, period_end)
    if not segments:
        return []
    if rule.needs_size and all(s.size_gb is None for s in segments):
        return []  # size never known: unmetered, never guessed
    days = days_in_month(period_start)
    slots = int(length / HOUR)
    only = segments[0]
    if len(segments) == 1 and only.start == period_start and only.end == period_end:
        hours = slots if _counts(only, rule) else 0
        qty = _quantity(rule, hours, only.size_gb, days)
        return [
            UsageLine(
                only.deployment_id,
                resource.id,
                period_start,
                granularity,
                rule.billing_kind,
                qty,
                only.tenant_id,
            )
        ]
    # hour by hour: an hour belongs to the deployment holding the resource at its end and
    # counts if the resource was in a metered status at any moment of it
    hours_by: dict[tuple[UUID, Decimal | None], int] = defaultdict(int)
    tenants: dict[UUID, UUID | None] = {}
    deployments: list[UUID] = []
    for slot in range(slots):
        slot_start = period_start + slot * HOUR
        slot_end = slot_start + HOUR
        overlapping = [s for s in segments if s.start < slot_end and s.end > slot_start]
        if not overlapping:
            continue
        holder = overlapping[-1]
        tenants[holder.deployment_id] = holder.tenant_id
        if holder.deployment_id not in deployments:
            deployments.append(holder.deployment_id)
        metered = [s for s in overlapping if _counts(s, rule)]
        if metered:
            hours_by[(holder.deployment_id, metered[-1].size_gb)] += 1
    lines = []
    for deployment in deployments:
        qty = Decimal(0)
        for (owner, size), hours in hours_by.items():
            if owner == deployment:
                qty += _quantity(rule, hours, size, days)
        lines.append(
            UsageLine(
                deployment,
                resource.id,
                period_start,
                granularity,
                rule.billing_kind,
                qty,
                tenants[deployment],
            )
        )
    return lines
