"""Billing months: `YYYY-MM` as people and the APIs write them, the first day as a date."""

from __future__ import annotations

import re
from datetime import MAXYEAR, date

# the OpenAPI pattern of a `period` query parameter
PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
# the services keep money from the start of this product's era; anything earlier is a typo
FIRST_YEAR = 1970


class InvalidPeriod(ValueError):
    pass


def parse_month(text: str) -> date:
    """`2026-04` → 2026-04-01; InvalidPeriod for anything else, or a month out of range."""
    match = _PERIOD.match(text)
    if match is None:
        raise InvalidPeriod(f"{text!r} is not a month (YYYY-MM)")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise InvalidPeriod(f"{text!r} is not a month")
    if not FIRST_YEAR <= year < MAXYEAR:
        raise InvalidPeriod(f"{text!r} is out of range ({FIRST_YEAR}-01 to {MAXYEAR - 1}-12)")
    return date(year, month, 1)


def month_text(start: date) -> str:
    """2026-04-01 → `2026-04`, zero-padded whatever the platform's strftime does."""
    return f"{start.year:04d}-{start.month:02d}"


def month_after(start: date) -> date:
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def month_before(start: date) -> date:
    return date(start.year - (start.month == 1), (start.month - 2) % 12 + 1, 1)
