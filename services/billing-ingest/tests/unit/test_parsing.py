"""Reading invoice CSVs: every trait of DigitalOcean's format, and files that cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing_ingest.adapters.invoice_csv import (
    AmountError,
    parse_cents,
    parse_csv_time,
    parse_invoice_csv,
)
from billing_ingest.domain.model import InvoiceFormatError

HEADER = "product,group_description,description,hours,start,end,USD,project_name,category"
ROW = (
    "Droplets,,web-01 (s-1vcpu-2gb),744,2024-05-01 00:00:00 +0000,2024-06-01 00:00:00 +0000,"
    "$12.00,shop,iaas"
)


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12.34", 1234),
        ("$3.11", 311),
        ("-$1.00", -100),
        ("$-1.00", -100),
        ("-12.34", -1234),
        ("$1,234.50", 123450),
        ("$12,345,678.09", 1234567809),
        ("0.00", 0),
        ("$5", 500),
        ("$0.005", 1),  # half-up past the cent
        (" $7.90 ", 790),
    ],
)
def test_amounts(text: str, cents: int) -> None:
    assert parse_cents(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "$", "1,23.00", "--1", "-$-1.00", "$1.2.3", "NaN"])
def test_bad_amounts(text: str) -> None:
    with pytest.raises(AmountError):
        parse_cents(text)


def test_dates_are_do_format_and_utc() -> None:
    assert parse_csv_time("2019-01-31 23:59:59 +0000") == datetime(
        2019, 1, 31, 23, 59, 59, tzinfo=UTC
    )
    assert parse_csv_time("2020-07-01T00:00:00Z") == datetime(2020, 7, 1, tzinfo=UTC)
    assert parse_csv_time("2020-07-01 10:00:00 +1000") == datetime(2020, 7, 1, tzinfo=UTC)


def test_the_current_format() -> None:
    [line] = parse_invoice_csv(f"{HEADER}\n{ROW}\n")
    assert line.line_no == 2
    assert (line.product, line.description, line.amount_cents) == (
        "Droplets",
        "web-01 (s-1vcpu-2gb)",
        1200,
    )
    assert line.hours == Decimal(744)
    assert line.start_at == datetime(2024, 5, 1, tzinfo=UTC)
    assert line.end_at == datetime(2024, 6, 1, tzinfo=UTC)
    assert (line.project_name, line.category) == ("shop", "iaas")


def test_the_older_eight_columns_and_any_column_order() -> None:
    text = (
        "USD,description,product,start,end,hours,project_name,group_description\n"
        "$10.00,volume-sfo2-01 (sfo2) 100GB,Volumes,2019-01-01 00:00:00 +0000,"
        "2019-01-31 23:59:59 +0000,744,,\n"
    )
    [line] = parse_invoice_csv(text)
    assert line.product == "Volumes" and line.amount_cents == 1000
    assert line.category is None and line.project_name is None


def test_bom_quotes_negatives_thousands_and_empty_tax_hours() -> None:
    text = (
        "\ufeff" + HEADER + "\r\n"
        '"Kubernetes Clusters","k8s, prod","node pool ""a"", 3 nodes",744,'
        '2024-05-01 00:00:00 +0000,2024-06-01 00:00:00 +0000,"$1,234.50",shop,paas\r\n'
        "Credits,,Promotional credit,,2024-05-01 00:00:00 +0000,2024-05-31 23:59:59 +0000,"
        "-$61.08,,iaas\r\n"
        "Taxes,,GST (10%),,2024-05-01 00:00:00 +0000,2024-05-31 23:59:59 +0000,$117.34,,iaas\r\n"
        "\r\n"
    )
    k8s, credit, tax = parse_invoice_csv(text)
    assert k8s.group_description == "k8s, prod"
    assert k8s.description == 'node pool "a", 3 nodes'
    assert k8s.amount_cents == 123450
    assert credit.amount_cents == -6108 and credit.hours is None
    assert tax.hours is None and tax.amount_cents == 11734
    assert tax.line_no == 4


def test_headers_with_spaces_and_capitals() -> None:
    text = "Product,Group Description,Description,Hours,Start,End,USD,Project Name,Category\n" + ROW
    assert parse_invoice_csv(text)[0].project_name == "shop"


def test_a_header_only_file_has_no_lines() -> None:
    assert parse_invoice_csv(HEADER + "\n") == []


BROKEN = {
    "empty file": ("", None, None),
    "blank file": ("\n\n  \n", None, None),
    "missing column": (
        "product,group_description,description,hours,start,end,project_name\n",
        1,
        None,
    ),
    "bad amount": (f"{HEADER}\n{ROW.replace('$12.00', '$12.0x')}\n", 2, "USD"),
    "bad date": (
        f"{HEADER}\n{ROW}\n{ROW.replace('2024-06-01 00:00:00', '2024-13-45 99:00:00')}\n",
        3,
        "end",
    ),
    "truncated row": (f"{HEADER}\n{ROW}\nDroplets,,app-01 (s-1vcpu-2gb),744,2024-05-01", 3, None),
    "bad hours": (f"{HEADER}\n{ROW.replace(',744,', ',lots,')}\n", 2, "hours"),
    "empty product": (f"{HEADER}\n{ROW.replace('Droplets', '')}\n", 2, "product"),
    "unterminated quote": (f'{HEADER}\n"Droplets,,web-01,744,x,y,$1.00,,iaas\n', 2, None),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_files_name_the_line_and_field(name: str) -> None:
    text, line, field = BROKEN[name]
    with pytest.raises(InvoiceFormatError) as caught:
        parse_invoice_csv(text)
    assert caught.value.line == line
    assert caught.value.field == field
    if line is not None:
        assert f"line {line}" in str(caught.value)
