"""Billing periods: a calendar month in UTC, half-open [start, end)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True, slots=True, order=True)
class Period:
    start: date

    def __post_init__(self) -> None:
        if self.start.day != 1:
            raise InvalidPeriod(f"a period starts on the 1st, not {self.start.isoformat()}")

    @classmethod
    def parse(cls, text: str) -> Period:
        match = PERIOD.match(text.strip())
        if match is None:
            raise InvalidPeriod(f"not a period (YYYY-MM): {text!r}")
        year, month = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise InvalidPeriod(f"not a month: {text!r}")
        return cls(date(year, month, 1))

    @classmethod
    def containing(cls, day: date) -> Period:
        return cls(day.replace(day=1))

    @property
    def end(self) -> date:
        """The first day after the period (exclusive bound)."""
        if self.start.month == 12:
            return date(self.start.year + 1, 1, 1)
        return date(self.start.year, self.start.month + 1, 1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        return Period.containing(self.start - timedelta(days=1))

    def next(self) -> Period:
        return Period(self.end)

    def __str__(self) -> str:
        return f"{self.start.year:04d}-{self.start.month:02d}"


def active_window(
    period: Period, starts_on: date, ends_on: date | None
) -> tuple[date, date] | None:
    """The half-open days [from, to) a subscription is active inside `period`, or None.

    `ends_on` is the last day the subscription is active (inclusive); None means open-ended.
    """
    first = max(period.start, starts_on)
    last_exclusive = period.end if ends_on is None else min(period.end, ends_on + timedelta(days=1))
    if first >= last_exclusive:
        return None
    return first, last_exclusive


def active_days(period: Period, starts_on: date, ends_on: date | None) -> int:
    window = active_window(period, starts_on, ends_on)
    return 0 if window is None else (window[1] - window[0]).days
