"""The billing domain's values: invoices, cost lines, the resources lines are matched to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

# invoice status
PENDING = "pending"
INGESTED = "ingested"
FAILED = "failed"

# how a line was matched
BY_ID = "id"
BY_NAME = "name"
NONE = "none"

# why a line is not matched
DESTROYED_BEFORE_MIRROR = "destroyed_before_mirror"
ACCOUNT_LEVEL = "account_level"
TAX = "tax"
NO_SUCH_RESOURCE = "no_such_resource"
UNMATCHED_REASONS = (DESTROYED_BEFORE_MIRROR, ACCOUNT_LEVEL, TAX, NO_SUCH_RESOURCE)


@dataclass(frozen=True, slots=True)
class BalanceSnapshot:
    month_to_date_balance_cents: int
    account_balance_cents: int
    month_to_date_usage_cents: int
    generated_at: datetime


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One billing history entry, of any type (Invoice, Payment, Credit, Refund, ...)."""

    occurred_at: datetime
    type: str
    description: str
    amount_cents: int
    invoice_uuid: str | None = None
    invoice_id: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceHeader:
    """An invoice as the invoice list names it (issued, or the month-to-date preview)."""

    invoice_uuid: str
    invoice_id: str | None
    period: date  # the first day of the billed month
    amount_cents: int
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class InvoiceListing:
    issued: list[InvoiceHeader]
    preview: InvoiceHeader | None


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    """`/invoices/{uuid}/summary`: what the lines must add up to."""

    amount_cents: int
    taxes_cents: int
    billing_period: str | None = None


@dataclass(frozen=True, slots=True)
class ProviderItem:
    """A JSON line item: the only place DigitalOcean gives resource ids."""

    product: str
    description: str
    amount_cents: int
    start_at: datetime | None
    resource_id: str | None
    resource_uuid: str | None


class InvoiceFormatError(ValueError):
    """An invoice file cannot be read; `line` (1-based, the header is line 1) and `field` (as
    the file names it) say where, so that a person can act on it."""

    def __init__(self, message: str, *, line: int | None = None, field: str | None = None):
        self.line = line
        self.field = field
        where = []
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class InvoiceUnavailable(LookupError):
    """The provider has no line set for this invoice."""


@dataclass(slots=True)
class CsvLine:
    """One parsed row of the invoice CSV (the line set of record)."""

    line_no: int  # the row's line in the file (the header is line 1)
    product: str
    group_description: str
    description: str
    hours: Decimal | None
    start_at: datetime | None
    end_at: datetime | None
    amount_cents: int
    project_name: str | None
    category: str | None
    resource_id: str | None = None
    resource_uuid: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """An invoice's line set of record, read from the provider's file, and the file's digest
    (a re-ingest of an unchanged file changes nothing)."""

    lines: list[CsvLine]
    digest: str


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """A resource of the inventory as the billing projection knows it (deleted ones too)."""

    id: UUID
    kind: str
    provider_id: str
    name: str | None
    tenant_id: UUID | None
    deployment_id: UUID | None
    deleted: bool = False


@dataclass(slots=True)
class CostLine:
    """A CSV line with its kind, the resource it was matched to, or why not."""

    line_no: int
    product: str
    group_description: str
    description: str
    kind: str
    amount_cents: int
    hours: Decimal | None
    start_at: datetime | None
    end_at: datetime | None
    project_name: str | None
    category: str | None
    provider_resource_id: str | None
    provider_resource_uuid: str | None
    match_kind: str | None  # the kind of resource the line names (a backup names a droplet)
    match_name: str | None  # lower-cased name taken from the description
    resource_id: UUID | None = None
    match_method: str = NONE
    unmatched_reason: str | None = None
    tenant_id: UUID | None = None
    deployment_id: UUID | None = None

    @property
    def is_tax(self) -> bool:
        return self.kind == TAX


@dataclass(frozen=True, slots=True)
class Reconciliation:
    lines_cents: int
    invoice_cents: int
    tax_lines_cents: int
    summary_taxes_cents: int | None

    @property
    def difference_cents(self) -> int:
        return self.lines_cents - self.invoice_cents

    @property
    def tax_difference_cents(self) -> int:
        if self.summary_taxes_cents is None:
            return 0
        return self.tax_lines_cents - self.summary_taxes_cents

    @property
    def ok(self) -> bool:
        return self.difference_cents == 0 and self.tax_difference_cents == 0

    def describe(self) -> str:
        if self.ok:
            return "lines reconcile with the invoice and its taxes"
        problems = []
        if self.difference_cents:
            problems.append(
                f"lines sum to {_usd(self.lines_cents)} but the invoice is "
                f"{_usd(self.invoice_cents)} (difference {_usd(self.difference_cents)})"
            )
        if self.tax_difference_cents:
            problems.append(
                f"Taxes lines sum to {_usd(self.tax_lines_cents)} but the summary's taxes are "
                f"{_usd(self.summary_taxes_cents or 0)} "
                f"(difference {_usd(self.tax_difference_cents)})"
            )
        return "; ".join(problems)

    def as_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "lines_cents": self.lines_cents,
            "invoice_cents": self.invoice_cents,
            "difference_cents": self.difference_cents,
            "tax_lines_cents": self.tax_lines_cents,
            "summary_taxes_cents": self.summary_taxes_cents,
            "tax_difference_cents": self.tax_difference_cents,
            "detail": self.describe(),
        }


def _usd(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) / 100:,.2f}"


@dataclass(frozen=True, slots=True)
class InvoiceStats:
    """Aggregates of an invoice's stored lines, for its header and its event."""

    line_count: int
    matched_count: int
    amount_cents: int
    tax_cents: int
    cost_by_deployment: dict[str, int] = field(default_factory=dict)
    cost_by_kind: dict[str, int] = field(default_factory=dict)
    unmatched_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.tax_cents

    @property
    def match_rate(self) -> Decimal:
        if self.line_count == 0:
            return Decimal("1.0000")
        return (Decimal(self.matched_count) / Decimal(self.line_count)).quantize(Decimal("0.0001"))
