"""What the reports read, as domain types: one period's provider and tenant sides.

Adapters build these from the services' APIs; nothing here knows a wire format.
Money is integer cents; quantities and rates are `Decimal`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID


@dataclass(frozen=True, slots=True)
class CostLine:
    """One line of a DigitalOcean invoice, with its match to a resource (billing-ingest)."""

    id: int
    invoice_uuid: str
    line_no: int
    product: str
    group_description: str
    description: str
    kind: str  # billing-ingest's kind: droplet, volume, tax, ...
    amount_cents: int
    hours: Decimal | None
    start_at: datetime | None
    end_at: datetime | None
    project_name: str | None
    category: str | None
    resource_id: UUID | None
    match_method: str  # id | name | none
    unmatched_reason: str | None  # tax | account_level | destroyed_before_mirror | no_such_resource
    tenant_id: UUID | None
    deployment_id: UUID | None

    @property
    def is_tax(self) -> bool:
        return self.kind == "tax"


@dataclass(frozen=True, slots=True)
class ProviderInvoice:
    """A DigitalOcean invoice for one billing period, with all of its lines."""

    invoice_uuid: str
    invoice_id: str | None
    period: date  # first day of the billed month
    amount_cents: int  # payable, tax included
    net_cents: int | None
    tax_cents: int | None
    status: str
    lines: tuple[CostLine, ...] = ()


@dataclass(frozen=True, slots=True)
class TenantLine:
    """One priced line of a tenant invoice (invoicing)."""

    kind: str  # base | overage | addon | ... as invoicing names them
    description: str
    deployment_id: UUID | None
    resource_kind: str | None  # the billing kind a usage line prices (droplet_hours, ...)
    quantity: Decimal
    unit_price: Decimal  # cents per unit
    amount_cents: int
    corrects_period: date | None = None


@dataclass(frozen=True, slots=True)
class TenantInvoice:
    id: UUID
    tenant_id: UUID
    number: str | None
    status: str  # draft | issued | paid | void
    period_start: date
    currency: str
    tax_rate: Decimal
    subtotal_cents: int
    tax_cents: int
    total_cents: int
    issued_at: datetime | None
    lines: tuple[TenantLine, ...] = ()


@dataclass(frozen=True, slots=True)
class Tenant:
    id: UUID
    name: str
    currency: str
    tax_rate: Decimal


@dataclass(frozen=True, slots=True)
class Deployment:
    id: UUID
    tenant_id: UUID
    name: str
    do_project: str | None


@dataclass(frozen=True, slots=True)
class Resource:
    """A mirrored DigitalOcean resource (inventory), deleted ones included."""

    id: UUID
    kind: str
    provider_id: str
    name: str | None
    project_id: UUID | None
    tenant_id: UUID | None
    deployment_id: UUID | None
    deleted_at: datetime | None
    # the provider id of the droplet a backup belongs to: DigitalOcean bills a droplet's
    # backups on a line naming the droplet, metering meters each backup as a resource
    parent_provider_id: str | None = None


@dataclass(frozen=True, slots=True)
class Project:
    id: UUID
    name: str
    purpose: str | None  # e.g. internal
    tenant_id: UUID | None
    deployment_id: UUID | None


@dataclass(frozen=True, slots=True)
class MeteredUsage:
    """Metered quantity of one billing kind for one resource of one deployment over a period."""

    deployment_id: UUID
    tenant_id: UUID | None
    resource_id: UUID
    billing_kind: str  # droplet_hours, volume_gb_hours, ...
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class PeriodSources:
    """Everything one period's reports read, fetched once."""

    period: date  # first day of the month
    provider_invoices: tuple[ProviderInvoice, ...]
    tenant_invoices: tuple[TenantInvoice, ...]
    tenants: tuple[Tenant, ...]
    deployments: tuple[Deployment, ...]
    resources: tuple[Resource, ...] = ()
    projects: tuple[Project, ...] = ()
    usage: tuple[MeteredUsage, ...] = field(default=())
