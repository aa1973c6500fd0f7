"""UTC helpers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

__all__ = ["UTC", "previous_day", "previous_hour"]


def previous_day(now: datetime) -> date:
    """The last complete UTC day before `now`."""
    return (now.astimezone(UTC) - timedelta(days=1)).date()


def previous_hour(now: datetime) -> datetime:
    """The start of the last complete UTC hour before `now`."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return current - timedelta(hours=1)
