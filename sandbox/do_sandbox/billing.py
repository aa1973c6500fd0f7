"""The account's billing side: balance, billing history, issued invoices and the preview.

Shapes follow DigitalOcean's billing API (``/v2/customers/my/...``):

* money in JSON is a string of dollars with no ``$`` (``"12.34"``, ``"-12.34"``);
* the invoice CSV has the header ``product,group_description,description,hours,start,end,USD,
  project_name,category`` (invoices before July 2020 have the older 8 columns, without
  ``category``), ``USD`` values carry a ``$`` (``$3.11``, ``-$1.00``, ``$1,234.50``), dates are
  written ``YYYY-MM-DD HH:MM:SS +0000`` and ``hours`` is empty on ``Taxes`` lines;
* the JSON line items call the same fields ``duration``, ``start_time``/``end_time`` (RFC 3339)
  and ``amount``, and carry ``resource_id``/``resource_uuid`` only when DigitalOcean has them;
* the summary has ``billing_period`` (``YYYY-MM``) and ``taxes`` (plural), amounts as strings;
* the month-to-date preview is a separate object, never in the list of issued invoices.

The CSV, the items and the summary are all rendered from the same lines, so they agree: an
invoice's amount is the sum of its lines, its ``taxes`` the sum of its ``Taxes`` lines. Tests can
serve a broken CSV through ``SandboxInvoice.csv_override`` (and mend it by setting it back to
``None``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]

CURRENT_COLUMNS = (
    "product",
    "group_description",
    "description",
    "hours",
    "start",
    "end",
    "USD",
    "project_name",
    "category",
)
LEGACY_COLUMNS = CURRENT_COLUMNS[:-1]  # before mid-2020: no category

TAXES = "Taxes"


def dollars(cents: int) -> str:
    """``1234`` → ``"12.34"``; ``-100`` → ``"-1.00"`` (the JSON form)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def csv_dollars(cents: int) -> str:
    """``1234`` → ``"$12.34"``; ``-100`` → ``"-$1.00"``; thousands separated (``$1,234.50``)."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def csv_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")


def json_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(
    year: int, month: int, day: int = 1, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass(frozen=True)
class InvoiceItem:
    """One line of an invoice, rendered as a CSV row and as a JSON line item."""

    product: str
    description: str
    amount_cents: int
    start: datetime
    end: datetime
    hours: str = ""  # an integer string; empty on Taxes lines
    project_name: str = ""
    category: str = "iaas"
    group_description: str = ""
    resource_id: str | None = None
    resource_uuid: str | None = None

    def csv_row(self, columns: tuple[str, ...]) -> list[str]:
        values = {
            "product": self.product,
            "group_description": self.group_description,
            "description": self.description,
            "hours": self.hours,
            "start": csv_time(self.start),
            "end": csv_time(self.end),
            "USD": csv_dollars(self.amount_cents),
            "project_name": self.project_name,
            "category": self.category,
        }
        return [values[c] for c in columns]

    def as_json(self) -> Json:
        item: Json = {"product": self.product}
        if self.resource_id is not None:
            item["resource_id"] = self.resource_id
        if self.resource_uuid is not None:
            item["resource_uuid"] = self.resource_uuid
        item |= {
            "group_description": self.group_description,
            "description": self.description,
            "amount": dollars(self.amount_cents),
            "duration": self.hours,
            "duration_unit": "Hours" if self.hours else "",
            "start_time": json_time(self.start),
            "end_time": json_time(self.end),
            "project_name": self.project_name,
            "category": self.category,
        }
        return item


@dataclass
class SandboxInvoice:
    invoice_uuid: str
    invoice_id: str
    period: str  # YYYY-MM
    items: list[InvoiceItem]
    issued_at: datetime
    legacy_csv: bool = False  # the 8-column format without category
    csv_override: str | None = None  # served instead of the rendered CSV (tests)
    updated_at: datetime | None = None  # the preview's only
    _csv: str | None = field(default=None, repr=False, compare=False)
    _items_json: list[Json] | None = field(default=None, repr=False, compare=False)

    @property
    def amount_cents(self) -> int:
        return sum(item.amount_cents for item in self.items)

    @property
    def taxes_cents(self) -> int:
        return sum(item.amount_cents for item in self.items if item.product == TAXES)

    @property
    def credits_cents(self) -> int:
        return sum(i.amount_cents for i in self.items if i.product != TAXES and i.amount_cents < 0)

    def header_json(self) -> Json:
        header: Json = {
            "invoice_uuid": self.invoice_uuid,
            "invoice_id": self.invoice_id,
            "amount": dollars(self.amount_cents),
            "invoice_period": self.period,
        }
        if self.updated_at is not None:
            header["updated_at"] = json_time(self.updated_at)
        return header

    def items_json(self) -> list[Json]:
        if self._items_json is None:
            self._items_json = [item.as_json() for item in self.items]
        return self._items_json

    def csv_text(self) -> str:
        if self.csv_override is not None:
            return self.csv_override
        if self._csv is None:
            columns = LEGACY_COLUMNS if self.legacy_csv else CURRENT_COLUMNS
            buffer = io.StringIO()
            writer = csv.writer(buffer, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(item.csv_row(columns) for item in self.items)
            self._csv = buffer.getvalue()
        return self._csv

    def csv_filename(self) -> str:
        year, month = self.period.split("-")
        name = datetime(int(year), int(month), 1).strftime("%Y %b")
        return f"DigitalOcean Invoice {name} ({self.invoice_id}-{self.invoice_uuid[:9]}).csv"

    def summary_json(self, customer: Json) -> Json:
        products: dict[str, list[int]] = {}
        for item in self.items:
            if item.product == TAXES or item.amount_cents < 0:
                continue
            entry = products.setdefault(item.product, [0, 0])
            entry[0] += item.amount_cents
            entry[1] += 1
        product_total = sum(amount for amount, _ in products.values())
        return {
            "invoice_uuid": self.invoice_uuid,
            "invoice_id": self.invoice_id,
            "billing_period": self.period,
            "amount": dollars(self.amount_cents),
            **customer,
            "product_charges": {
                "name": "Product usage charges",
                "amount": dollars(product_total),
                "items": [
                    {"name": name, "amount": dollars(amount), "count": str(count)}
                    for name, (amount, count) in products.items()
                ],
            },
            "overages": {"name": "Overages", "amount": "0.00"},
            "taxes": {"name": "Taxes", "amount": dollars(self.taxes_cents)},
            "credits_and_adjustments": {
                "name": "Credits & adjustments",
                "amount": dollars(self.credits_cents),
            },
        }

    def forget_rendering(self) -> None:
        """Render again after `items` changed."""
        self._csv = None
        self._items_json = None


@dataclass
class HistoryEntry:
    """A billing history entry that is not an invoice (payments, credits, refunds...)."""

    type: str
    description: str
    amount_cents: int
    date: datetime

    def as_json(self) -> Json:
        return {
            "description": self.description,
            "amount": dollars(self.amount_cents),
            "date": json_time(self.date),
            "type": self.type,
        }


DEFAULT_CUSTOMER: Json = {
    "user_name": "Sandbox Operator",
    "user_company": "Sky AI (sandbox)",
    "user_email": "billing@sandbox.example",
    "user_billing_address": {
        "address_line1": "1 Example Street",
        "address_line2": "",
        "city": "Sydney",
        "region": "NSW",
        "postal_code": "2000",
        "country_iso2_code": "AU",
        "created_at": "2014-11-20T02:00:00Z",
        "updated_at": "2014-11-20T02:00:00Z",
    },
}


@dataclass
class Billing:
    """What `/v2/customers/my/*` serves. An account starts with none of it."""

    account_balance_cents: int = 0
    invoices: list[SandboxInvoice] = field(default_factory=list)  # issued, oldest first
    preview: SandboxInvoice | None = None
    entries: list[HistoryEntry] = field(default_factory=list)  # payments, credits, ...
    generated_at: datetime | None = None
    customer: Json = field(default_factory=lambda: dict(DEFAULT_CUSTOMER))

    def invoice(self, invoice_uuid: str) -> SandboxInvoice | None:
        if invoice_uuid == "preview" or (
            self.preview is not None and invoice_uuid == self.preview.invoice_uuid
        ):
            return self.preview
        return next((i for i in self.invoices if i.invoice_uuid == invoice_uuid), None)

    def add_invoice(self, invoice: SandboxInvoice) -> SandboxInvoice:
        self.invoices.append(invoice)
        self.invoices.sort(key=lambda i: (i.issued_at, i.invoice_uuid))
        return invoice

    def balance_json(self) -> Json:
        usage = self.preview.amount_cents if self.preview is not None else 0
        generated = self.generated_at or (
            self.preview.updated_at if self.preview is not None else None
        )
        return {
            "month_to_date_balance": dollars(self.account_balance_cents + usage),
            "account_balance": dollars(self.account_balance_cents),
            "month_to_date_usage": dollars(usage),
            "generated_at": json_time(generated or datetime.now(UTC)),
        }

    def history_json(self) -> list[Json]:
        """Every entry, newest first: one ``Invoice`` entry per issued invoice plus the rest."""
        rows: list[tuple[datetime, Json]] = [
            (
                invoice.issued_at,
                {
                    "description": f"Invoice for {_month_name(invoice.period)}",
                    "amount": dollars(invoice.amount_cents),
                    "invoice_id": invoice.invoice_id,
                    "invoice_uuid": invoice.invoice_uuid,
                    "date": json_time(invoice.issued_at),
                    "type": "Invoice",
                },
            )
            for invoice in self.invoices
        ]
        rows += [(entry.date, entry.as_json()) for entry in self.entries]
        rows.sort(key=lambda row: row[0], reverse=True)
        return [row for _, row in rows]

    def issued_json(self) -> list[Json]:
        """Issued invoices, newest first, as `/v2/customers/my/invoices` lists them."""
        return [invoice.header_json() for invoice in reversed(self.invoices)]

    # -- export / import (the scenario file format) -------------------------------------------

    def to_json(self) -> Json:
        return {
            "account_balance": dollars(self.account_balance_cents),
            "generated_at": json_time(self.generated_at) if self.generated_at else None,
            "invoices": [_invoice_to_json(i) for i in self.invoices],
            "preview": _invoice_to_json(self.preview) if self.preview else None,
            "entries": [e.as_json() for e in self.entries],
        }

    @classmethod
    def from_json(cls, data: Json) -> Billing:
        billing = cls(
            account_balance_cents=_cents(data.get("account_balance") or "0.00"),
            generated_at=_parse_time(data["generated_at"]) if data.get("generated_at") else None,
        )
        for invoice in data.get("invoices", []):
            billing.add_invoice(_invoice_from_json(invoice))
        if data.get("preview"):
            billing.preview = _invoice_from_json(data["preview"])
        billing.entries = [
            HistoryEntry(e["type"], e["description"], _cents(e["amount"]), _parse_time(e["date"]))
            for e in data.get("entries", [])
        ]
        return billing


def _month_name(period: str) -> str:
    year, month = period.split("-")
    return datetime(int(year), int(month), 1).strftime("%B %Y")


def _cents(text: str) -> int:
    negative = text.startswith("-")
    whole, _, part = text.lstrip("-").partition(".")
    cents = int(whole) * 100 + int((part + "00")[:2])
    return -cents if negative else cents


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _invoice_to_json(invoice: SandboxInvoice) -> Json:
    return {
        **invoice.header_json(),
        "issued_at": json_time(invoice.issued_at),
        "legacy_csv": invoice.legacy_csv,
        "items": invoice.items_json(),
    }


def _invoice_from_json(data: Json) -> SandboxInvoice:
    items = [
        InvoiceItem(
            product=i["product"],
            description=i["description"],
            amount_cents=_cents(i["amount"]),
            start=_parse_time(i["start_time"]),
            end=_parse_time(i["end_time"]),
            hours=i.get("duration", ""),
            project_name=i.get("project_name", ""),
            category=i.get("category", "iaas"),
            group_description=i.get("group_description", ""),
            resource_id=i.get("resource_id"),
            resource_uuid=i.get("resource_uuid"),
        )
        for i in data.get("items", [])
    ]
    return SandboxInvoice(
        invoice_uuid=data["invoice_uuid"],
        invoice_id=data["invoice_id"],
        period=data["invoice_period"],
        items=items,
        issued_at=_parse_time(data["issued_at"]),
        legacy_csv=bool(data.get("legacy_csv")),
        updated_at=_parse_time(data["updated_at"]) if data.get("updated_at") else None,
    )
