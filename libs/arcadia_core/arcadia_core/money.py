"""Money is integer minor units at rest and Decimal in arithmetic, rounded half-up once."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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


def parse_amount(text: str) -> Decimal:
    """Parse a provider amount: '12.34', '-12.34', '$3.11', '-$1.00', '$-1.00', '1,234.50'."""
    cleaned = text.strip().replace(",", "")
    negative = cleaned.startswith("-") or cleaned.startswith("$-")
    cleaned = cleaned.replace("$", "").lstrip("-")
    if not cleaned:
        raise MoneyFormatError(f"not an amount: {text!r}")
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:
        raise MoneyFormatError(f"not an amount: {text!r}") from exc
    return -value if negative else value
