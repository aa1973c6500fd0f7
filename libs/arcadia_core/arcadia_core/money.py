"""Money is integer minor units at rest and Decimal in arithmetic, rounded half-up once."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


class MoneyFormatError(ValueError):
    pass


def quantize_cents(amount: Decimal) -> Decimal:
    """Round to the cent, half-up (Python's round() is half-even, which is wrong for invoices)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> int:
    return int(quantize_cents(amount) * 100)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


AMOUNT = re.compile(r"^(?:-\$?|\$-?)?(\d[\d,]*(?:\.\d+)?)$")


def parse_amount(text: str) -> Decimal:
    """Parse a provider amount: '12.34', '-12.34', '$3.11', '-$1.00', '$-1.00', '1,234.50'."""
    cleaned = text.strip()
    match = AMOUNT.match(cleaned)
    if match is None:
        raise MoneyFormatError(f"not an amount: {text!r}")
    value = Decimal(match.group(1).replace(",", ""))
    return -value if "-" in cleaned else value
