"""`ReportSources` held in memory, for tests of the reports and their routes without services."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from gateway.reports.domain.sources import PeriodSources
from gateway.reports.ports import SourcesUnavailable


class MemorySources:
    """Answers each period with the sources given for it (an empty month otherwise); with
    `unavailable` set, raises `SourcesUnavailable` as a service that cannot answer would."""

    def __init__(self, periods: Iterable[PeriodSources] = (), *, unavailable: str = "") -> None:
        self.periods = {p.period.replace(day=1): p for p in periods}
        self.unavailable = unavailable
        self.asked: list[date] = []

    async def for_period(self, period: date) -> PeriodSources:
        self.asked.append(period)
        if self.unavailable:
            raise SourcesUnavailable(self.unavailable)
        start = period.replace(day=1)
        return self.periods.get(
            start,
            PeriodSources(
                period=start, provider_invoices=(), tenant_invoices=(), tenants=(), deployments=()
            ),
        )
