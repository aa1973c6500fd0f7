"""What the reports need from the services, as one port."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from gateway.reports.domain.sources import PeriodSources


class SourcesUnavailable(Exception):
    """A service the report reads could not answer; the report is not produced half-read."""


class ReportSources(Protocol):
    async def for_period(self, period: date) -> PeriodSources:
        """The provider and tenant sides of the month starting on `period`, complete or raising
        `SourcesUnavailable`."""
        ...
