from decimal import Decimal

import pytest

from arcadia_core.money import MoneyFormatError, from_cents, parse_amount, quantize_cents, to_cents


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        ("6.72", 672),
        ("0.005", 1),  # half-up, where round() would give 0
        ("0.015", 2),
        ("0.025", 3),  # half-even would give 2
        ("6.4220", 642),  # the seeds' GST on $64.22
        ("-0.005", -1),
    ],
)
def test_to_cents_rounds_half_up(amount: str, cents: int) -> None:
    assert to_cents(Decimal(amount)) == cents


def test_seed_invoice_figures() -> None:
    overage = Decimal(672) * Decimal("0.01")
    subtotal = Decimal("50.00") + Decimal("7.50") + overage
    gst = quantize_cents(subtotal * Decimal("0.10"))
    assert (to_cents(overage), to_cents(subtotal), to_cents(gst)) == (672, 6422, 642)
    assert to_cents(subtotal + gst) == 7064
    assert from_cents(7064) == Decimal("70.64")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12.34", "12.34"),
        ("$3.11", "3.11"),
        ("-$1.00", "-1.00"),
        ("$-1.00", "-1.00"),
        ("1,234.50", "1234.50"),
    ],
)
def test_parse_amount(text: str, value: str) -> None:
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize("text", ["", "$", "abc", "--1"])
def test_parse_amount_rejects_garbage(text: str) -> None:
    with pytest.raises(MoneyFormatError):
        parse_amount(text)
