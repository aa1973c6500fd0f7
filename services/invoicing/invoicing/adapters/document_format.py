"""How figures read on an invoice document: money from integer cents, quantities, rates, dates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from invoicing.domain.period import Period

SYMBOLS = {"USD": "$", "AUD": "A$", "NZD": "NZ$", "EUR": "€", "GBP": "£"}
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
QUANTITY_PLACES = Decimal("0.0001")  # a prorated fraction such as 10/31 shows as 0.3226
UNIT_PRICE_PLACES = 6  # dollars; overage rates are fractions of a cent


def _symbol(currency: str) -> str:
    return SYMBOLS.get(currency.upper(), f"{currency.upper()} ")


def _sign(amount: Decimal) -> str:
    return "-" if amount < 0 else ""


def money(cents: int, currency: str) -> str:
    """12345 USD → "$123.45"; -100 → "-$1.00"; 123456789 → "$1,234,567.89"."""
    dollars = abs(Decimal(cents)) / 100
    return f"{_sign(Decimal(cents))}{_symbol(currency)}{dollars:,.2f}"


def unit_price(cents: Decimal, currency: str) -> str:
    """A price per unit in cents, which may be a fraction of a cent: 5000 → "$50.00",
    1 → "$0.01", 0.5 → "$0.005" (never rounded to zero)."""
    dollars = abs(cents) / 100
    places = max(2, -int(dollars.normalize().as_tuple().exponent))
    places = min(places, UNIT_PRICE_PLACES)
    shown = dollars.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{_sign(cents)}{_symbol(currency)}{shown:,}"


def quantity(value: Decimal) -> str:
    """672 → "672"; 0.5 → "0.5"; 10/31 → "0.3226"; 1488.000 → "1,488"."""
    rounded = value.quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP).normalize()
    if rounded == rounded.to_integral_value():
        rounded = rounded.quantize(Decimal(1))
    return f"{rounded:,}"


def percent(rate: Decimal) -> str:
    """0.10 → "10%"; 0.125 → "12.5%"."""
    shown = (rate * 100).normalize()
    if shown == shown.to_integral_value():
        shown = shown.quantize(Decimal(1))
    return f"{shown}%"


def day(value: date) -> str:
    """2026-05-01 → "1 May 2026" (the same in every locale)."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def period(start: date) -> str:
    """2026-04-01 → "April 2026 (1-30 April 2026)", with an en dash."""
    last = Period(start).end - timedelta(days=1)
    month = f"{MONTHS[start.month - 1]} {start.year}"
    return f"{month} ({start.day}\N{EN DASH}{last.day} {month})"
