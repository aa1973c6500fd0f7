"""Billing months as the pages take them (`YYYY-MM`) and the day ranges the APIs take; the rules
are the reports' (`gateway.reports.domain.months`), a bad month here is a 400 page."""

from __future__ import annotations

from datetime import UTC, date, datetime

from gateway.reports.domain.months import InvalidPeriod, month_after, month_before, parse_month
from gateway.reports.domain.months import month_text as label
from gateway.ui.framework import BadInput

__all__ = ["label", "month_after", "month_before", "month_of", "parse_period", "this_month"]


def parse_period(text: str) -> date:
    """`2026-04` → 2026-04-01; anything else is a 400 page."""
    try:
        return parse_month(text)
    except InvalidPeriod as exc:
        raise BadInput("A period is a month written YYYY-MM.") from exc


def this_month() -> date:
    return datetime.now(UTC).date().replace(day=1)


def month_of(value: object) -> date | None:
    """The month of an API date or timestamp string (`2026-04-01`, `2026-04-30T...`)."""
    if not isinstance(value, str) or len(value) < 7:
        return None
    try:
        return parse_month(value[:7])
    except InvalidPeriod:
        return None
