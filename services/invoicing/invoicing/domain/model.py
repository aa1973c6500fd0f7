"""The customer registry and invoices as the use cases see them (no persistence here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from invoicing.domain.quote import Line

DEFAULT_TAX_RATE = Decimal("0.10")  # Australian GST
DEFAULT_CURRENCY = "USD"

ACTIVE = "active"
CANCELLED = "cancelled"


class NotFound(LookupError):
    """An id or code this service does not know (HTTP 404)."""


class Conflict(Exception):
    """The request contradicts the current state (HTTP 409)."""


class Invalid(ValueError):
    """The request is well-formed but not acceptable (HTTP 422)."""


@dataclass(frozen=True, slots=True)
class Tenant:
    id: UUID
    name: str
    external_id: str | None
    tax_rate: Decimal
    currency: str
    created_at: datetime
    version: int = 1  # grows with every change; `tenant.changed` carries it


@dataclass(frozen=True, slots=True)
class Deployment:
    id: UUID
    tenant_id: UUID
    name: str
    do_project: str | None
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Subscription:
    id: UUID
    tenant_id: UUID
    deployment_id: UUID
    plan_code: str
    addon_codes: tuple[str, ...]
    starts_on: date
    ends_on: date | None
    status: str
    created_at: datetime


def overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    """Do two inclusive day ranges (None: open-ended) share a day?"""
    return (b_end is None or a_start <= b_end) and (a_end is None or b_start <= a_end)


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount_cents: int
    deployment_id: UUID | None = None
    subscription_id: UUID | None = None
    resource_kind: str | None = None
    corrects_period: date | None = None

    @classmethod
    def from_quote(cls, line: Line, deployment_id: UUID, subscription_id: UUID) -> InvoiceLine:
        return cls(
            kind=line.kind,
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            amount_cents=line.amount_cents,
            deployment_id=deployment_id,
            subscription_id=subscription_id,
            resource_kind=line.resource_kind,
        )


@dataclass(frozen=True, slots=True)
class Invoice:
    id: UUID
    tenant_id: UUID
    period_start: date
    currency: str
    tax_rate: Decimal
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    status: str
    number: str | None
    created_at: datetime
    updated_at: datetime
    issued_at: datetime | None = None
    paid_at: datetime | None = None
    voided_at: datetime | None = None
    lines: tuple[InvoiceLine, ...] = field(default=())
