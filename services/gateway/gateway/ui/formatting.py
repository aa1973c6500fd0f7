"""How figures read on a page. Money arrives as integer cents and is shown through `Decimal`,
never float; quantities and rates arrive as the API's decimal strings and stay exact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

SYMBOLS = {"USD": "$", "AUD": "A$", "NZD": "NZ$", "CAD": "C$", "EUR": "€", "GBP": "£"}
CENT = Decimal(100)
MISSING = "—"


def cents(value: Any) -> int | None:
    """Integer cents from what an API sent (an int, or an integer string); None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def money(value: Any, currency: str | None = "USD") -> str:
    """`7064` → `$70.64`; `-150` → `-$1.50`; thousands grouped. Not cents → an em dash."""
    amount = cents(value)
    if amount is None:
        return MISSING
    dollars = Decimal(amount) / CENT  # exact: an integer over 100
    code = (currency or "USD").upper()
    symbol = SYMBOLS.get(code, f"{code} ")
    sign = "-" if dollars < 0 else ""
    return f"{sign}{symbol}{abs(dollars):,.2f}"


def decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        return None  # never: the APIs send decimals as strings
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def quantity(value: Any, places: int = 2) -> str:
    """A decimal quantity rounded half-up for reading (`671.999` → `672.00`)."""
    number = decimal(value)
    if number is None or not number.is_finite():
        return MISSING
    shown = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{shown:,}"


def percent(value: Any, places: int = 1) -> str:
    """A percentage the API sent as a number of percent (`"43.5"` → `43.5%`)."""
    number = decimal(value)
    if number is None or not number.is_finite():
        return MISSING
    return f"{number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)}%"


def ratio_percent(value: Any, places: int = 1) -> str:
    """A ratio the API sent as a fraction (`"0.875"` → `87.5%`)."""
    number = decimal(value)
    if number is None or not number.is_finite():
        return MISSING
    return percent(number * 100, places)


def when(value: Any) -> str:
    """An ISO timestamp or date as `2026-04-30 13:05 UTC` / `2026-04-30`."""
    if not value:
        return MISSING
    if isinstance(value, datetime | date):
        parsed: datetime | date = value
    else:
        text = str(value)
        try:
            if len(text) == len("2026-04-01"):
                parsed = date.fromisoformat(text)
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
    if isinstance(parsed, datetime):
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC)
        return parsed.strftime("%Y-%m-%d %H:%M UTC")
    return parsed.isoformat()


def short_id(value: Any) -> str:
    text = str(value or "")
    return text[:8] if len(text) > 8 else text or MISSING
