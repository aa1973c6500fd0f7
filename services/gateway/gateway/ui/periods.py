"""Billing months as the pages take them (`YYYY-MM`) and the day ranges the APIs take."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from gateway.ui.framework import BadInput

PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(text: str) -> date:
    """`2026-04` → 2026-04-01; anything else is a 400 page."""
    match = PERIOD.match(text)
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1970:
        raise BadInput("A period is a month written YYYY-MM.")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_after(start: date) -> date:
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def month_before(start: date) -> date:
    return date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)


def label(start: date) -> str:
    return f"{start.year:04d}-{start.month:02d}"


def this_month() -> date:
    return datetime.now(UTC).date().replace(day=1)


def month_of(value: object) -> date | None:
    """The month of an API date or timestamp string (`2026-04-01`, `2026-04-30T...`)."""
    if not isinstance(value, str) or len(value) < 7:
        return None
    try:
        return parse_period(value[:7])
    except BadInput:
        return None
