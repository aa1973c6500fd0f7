"""One month as a FOCUS 1.3 Cost and Usage dataset: the provider side or the tenant side.

**Provider side** — what DigitalOcean billed the platform: one row per line of each
DigitalOcean invoice of the month, as billing ingest stored and matched it. DigitalOcean is
the service provider, the invoice issuer and the host provider; the billing account is the
platform's DigitalOcean account; InvoiceId is DigitalOcean's invoice id. Tax lines are
ChargeCategory Tax with no pricing quantity, negative lines are Credits, every other line is
Usage priced in DigitalOcean's billed hours (a line without hours counts one unit). A line
matched to a mirrored resource names it (ResourceId is DigitalOcean's own id). DigitalOcean's
invoice carries no unit prices, so ListUnitPrice is not a column of this side and ListCost is
the billed amount.

**Tenant side** — what ArcadiaCloud billed its tenants: one row per line of each tenant
invoice of the month that has been *issued* or *paid*. Drafts are left out (their lines may
still change and they have no invoice number yet: nothing has been invoiced), and so are void
invoices (cancelled: nothing is payable). ArcadiaCloud is the service provider and the invoice
issuer, DigitalOcean the host provider; the tenant is the billing account and the deployment
the sub-account; InvoiceId is the invoice number. The GST line is a Tax row with no pricing
quantity. A plan or add-on line is recurring Usage priced in months, an overage line Usage
priced in its metered unit, with PricingQuantity = the line's quantity and ListUnitPrice = its
unit price in currency units (cents / 100, exact). An adjustment line (a later correction of
an invoiced month's usage) is a Usage row of ChargeClass Correction whose charge period is the
corrected month, with no pricing quantity.

**Rounding.** A priced line's amount is its quantity * unit price rounded half-up to the cent
once. BilledCost (and EffectiveCost, and ContractedCost, there being no negotiated prices) is
that rounded amount, what the invoice asks for; ListCost is the exact, unrounded ListUnitPrice
* PricingQuantity. So ListCost = ListUnitPrice * PricingQuantity holds exactly on every row, the
BilledCost of an invoice sums exactly to its total, and the two differ on a line by less than
half a cent where rounding happened. A Tax row's costs are all the tax billed: tax is computed
once on the billed subtotal.

Amounts are decimals in the billing currency written plainly; date/times are ISO 8601 UTC with
a `Z`; a null is an empty cell. Pure: no I/O (the CSV is written to a string).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from gateway.reports.domain.focus_checks import exact_product
from gateway.reports.domain.months import month_after, month_text
from gateway.reports.domain.sources import (
    CostLine,
    Deployment,
    PeriodSources,
    ProviderInvoice,
    Resource,
    Tenant,
    TenantInvoice,
    TenantLine,
)

DIGITALOCEAN = "DigitalOcean"
ARCADIACLOUD = "ArcadiaCloud"
# tenant invoices that are invoiced: a draft is not yet, a void one no longer
INVOICED = frozenset({"issued", "paid"})


class Side(StrEnum):
    PROVIDER = "provider"
    TENANT = "tenant"


@dataclass(frozen=True, slots=True)
class ProviderAccount:
    """The DigitalOcean account the platform runs on: the provider side's billing account."""

    id: str
    name: str | None


# Billing ingest does not record DigitalOcean's own account id; the platform has exactly one
# DigitalOcean account, named this way until it does.
DIGITALOCEAN_ACCOUNT = ProviderAccount(id="digitalocean", name="DigitalOcean account")

_COMMON = (
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "EffectiveCost",
    "HostProviderName",
    "InvoiceId",
    "InvoiceIssuerName",
    "ListCost",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    "ServiceProviderName",
    "ServiceSubcategory",
    "Tags",
)
PROVIDER_COLUMNS: tuple[str, ...] = tuple(
    sorted((*_COMMON, "ResourceId", "ResourceName", "ResourceType"))
)
TENANT_COLUMNS: tuple[str, ...] = tuple(
    sorted((*_COMMON, "ListUnitPrice", "SubAccountId", "SubAccountName"))
)

Cell = str | Decimal | datetime | None
Record = dict[str, str]


@dataclass(frozen=True, slots=True)
class FocusExport:
    side: Side
    period: date
    columns: tuple[str, ...]
    rows: tuple[Record, ...]
    # InvoiceId → the invoice's payable amount, tax included: what its rows' BilledCost sums to
    payable: Mapping[str, Decimal]

    @property
    def filename(self) -> str:
        return filename(self.side, self.period)


def filename(side: Side, period: date) -> str:
    return f"focus-{side.value}-{month_text(period)}.csv"


def money(cents: int) -> Decimal:
    """Whole cents as an exact amount in currency units: 1234 → 12.34."""
    return Decimal(cents).scaleb(-2)


def cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _record(columns: tuple[str, ...], cells: Mapping[str, Cell]) -> Record:
    unknown = set(cells) - set(columns)
    if unknown:
        raise ValueError(f"not a column of this export: {', '.join(sorted(unknown))}")
    return {name: cell(cells.get(name)) for name in columns}


# --- the provider side -----------------------------------------------------------------------

# billing ingest's kind → (ServiceCategory, ServiceSubcategory, ResourceType)
_DO_KINDS: dict[str, tuple[str, str, str]] = {
    "droplet": ("Compute", "Virtual Machines", "Droplet"),
    "droplet_backup": ("Storage", "Backup Storage", "Droplet Backup"),
    "snapshot": ("Storage", "Backup Storage", "Snapshot"),
    "volume": ("Storage", "Block Storage", "Volume"),
    "floating_ip": ("Networking", "Network Connectivity", "Reserved IP"),
    "load_balancer": ("Networking", "Application Networking", "Load Balancer"),
    "spaces_bucket": ("Storage", "Object Storage", "Spaces Bucket"),
    "managed_db": ("Databases", "Relational Databases", "Database Cluster"),
    "k8s_cluster": ("Compute", "Containers", "Kubernetes Cluster"),
    "app": ("Web", "Application Platforms", "App"),
    "dns_zone": ("Networking", "Other (Networking)", "Domain"),
}
_OTHER = ("Other", "Other (Other)")
_DO_CURRENCY = "USD"  # DigitalOcean bills in US dollars


def provider_export(
    sources: PeriodSources, account: ProviderAccount = DIGITALOCEAN_ACCOUNT
) -> FocusExport:
    resources = {resource.id: resource for resource in sources.resources}
    rows: list[Record] = []
    payable: dict[str, Decimal] = {}
    invoices = sorted(sources.provider_invoices, key=lambda i: (i.period, i.invoice_uuid))
    for invoice in invoices:
        invoice_id = invoice.invoice_id or invoice.invoice_uuid
        payable[invoice_id] = money(invoice.amount_cents)
        for line in invoice.lines:
            rows.append(_provider_row(invoice, invoice_id, line, account, resources))
    return FocusExport(Side.PROVIDER, sources.period, PROVIDER_COLUMNS, tuple(rows), payable)


def _charge_period(line: CostLine, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The line's own period when it has a sound one (as written, to the second), else the
    billing period."""
    if line.start_at is None or line.end_at is None:
        return start, end
    if cell(line.start_at) < cell(line.end_at):
        return line.start_at, line.end_at
    return start, end


def _provider_row(
    invoice: ProviderInvoice,
    invoice_id: str,
    line: CostLine,
    account: ProviderAccount,
    resources: Mapping[UUID, Resource],
) -> Record:
    start, end = _midnight(invoice.period), _midnight(month_after(invoice.period))
    charge_start, charge_end = _charge_period(line, start, end)
    amount = money(line.amount_cents)
    cells: dict[str, Cell] = {
        "BilledCost": amount,
        "BillingAccountId": account.id,
        "BillingAccountName": account.name,
        "BillingCurrency": _DO_CURRENCY,
        "BillingPeriodEnd": end,
        "BillingPeriodStart": start,
        "ChargeDescription": line.description or line.product,
        "ChargePeriodEnd": charge_end,
        "ChargePeriodStart": charge_start,
        "ContractedCost": amount,
        "EffectiveCost": amount,
        "HostProviderName": DIGITALOCEAN,
        "InvoiceId": invoice_id,
        "InvoiceIssuerName": DIGITALOCEAN,
        "ListCost": amount,
        "ProviderName": DIGITALOCEAN,
        "PublisherName": DIGITALOCEAN,
        "ServiceName": line.product or line.kind,
        "ServiceProviderName": DIGITALOCEAN,
    }
    category, subcategory, _ = _DO_KINDS.get(line.kind, (*_OTHER, ""))
    cells["ServiceCategory"], cells["ServiceSubcategory"] = category, subcategory
    if line.is_tax:
        cells |= {"ChargeCategory": "Tax", "ChargeFrequency": "Recurring"}
    elif line.amount_cents < 0:
        cells |= {"ChargeCategory": "Credit", "ChargeFrequency": "One-Time"}
    else:
        hours = line.hours if line.hours is not None and line.hours > 0 else None
        quantity, unit = (hours, "Hours") if hours is not None else (Decimal(1), "Units")
        cells |= {
            "ChargeCategory": "Usage",
            "ChargeFrequency": "Usage-Based",
            "PricingQuantity": quantity,
            "PricingUnit": unit,
            "ConsumedQuantity": quantity,
            "ConsumedUnit": unit,
        }
    resource = resources.get(line.resource_id) if line.resource_id is not None else None
    if resource is not None:
        kind = _DO_KINDS.get(resource.kind)
        cells |= {
            "ResourceId": resource.provider_id,
            "ResourceName": resource.name,
            "ResourceType": kind[2] if kind else resource.kind,
        }
    return _record(PROVIDER_COLUMNS, cells)


# --- the tenant side -------------------------------------------------------------------------

# the billing kind an overage prices → (ServiceName, ServiceCategory, ServiceSubcategory, unit)
_USAGE_KINDS: dict[str, tuple[str, str, str, str]] = {
    "droplet_hours": ("ArcadiaCloud Compute", "Compute", "Virtual Machines", "Hours"),
    "snapshot_gb_month": ("ArcadiaCloud Snapshots", "Storage", "Backup Storage", "GB-Months"),
    "droplet_backup_gb_month": ("ArcadiaCloud Backups", "Storage", "Backup Storage", "GB-Months"),
    "volume_gb_month": ("ArcadiaCloud Volumes", "Storage", "Block Storage", "GB-Months"),
    "spaces_gb_month": ("ArcadiaCloud Object Storage", "Storage", "Object Storage", "GB-Months"),
    "dns_zones": ("ArcadiaCloud DNS", "Networking", "Other (Networking)", "Domain-Months"),
}
_HOSTING = ("ArcadiaCloud Hosting", "Web", "Application Platforms")
_RECURRING_KINDS = frozenset({"plan_base", "addon"})
_TAX_KIND = "tax"


def tenant_export(sources: PeriodSources) -> FocusExport:
    tenants = {tenant.id: tenant for tenant in sources.tenants}
    deployments = {deployment.id: deployment for deployment in sources.deployments}
    rows: list[Record] = []
    payable: dict[str, Decimal] = {}
    for invoice in _invoiced(sources.tenant_invoices, sources.period):
        invoice_id = invoice.number or str(invoice.id)
        payable[invoice_id] = money(invoice.total_cents)
        tenant = tenants.get(invoice.tenant_id)
        for line in invoice.lines:
            rows.append(_tenant_row(invoice, invoice_id, tenant, line, deployments))
    return FocusExport(Side.TENANT, sources.period, TENANT_COLUMNS, tuple(rows), payable)


def _invoiced(invoices: Iterable[TenantInvoice], period: date) -> list[TenantInvoice]:
    chosen = [i for i in invoices if i.status in INVOICED and i.period_start == period]
    return sorted(chosen, key=lambda i: (i.number or "", str(i.id)))


def _tenant_row(
    invoice: TenantInvoice,
    invoice_id: str,
    tenant: Tenant | None,
    line: TenantLine,
    deployments: Mapping[UUID, Deployment],
) -> Record:
    start = _midnight(invoice.period_start)
    end = _midnight(month_after(invoice.period_start))
    amount = money(line.amount_cents)
    cells: dict[str, Cell] = {
        "BilledCost": amount,
        "BillingAccountId": str(invoice.tenant_id),
        "BillingAccountName": tenant.name if tenant is not None else None,
        "BillingCurrency": invoice.currency,
        "BillingPeriodEnd": end,
        "BillingPeriodStart": start,
        "ChargeDescription": line.description,
        "ChargePeriodEnd": end,
        "ChargePeriodStart": start,
        "ContractedCost": amount,
        "EffectiveCost": amount,
        "HostProviderName": DIGITALOCEAN,
        "InvoiceId": invoice_id,
        "InvoiceIssuerName": ARCADIACLOUD,
        "ListCost": amount,
        "ProviderName": ARCADIACLOUD,
        "PublisherName": ARCADIACLOUD,
        "ServiceProviderName": ARCADIACLOUD,
    }
    deployment = deployments.get(line.deployment_id) if line.deployment_id is not None else None
    if line.deployment_id is not None:
        cells["SubAccountId"] = str(line.deployment_id)
        cells["SubAccountName"] = (
            deployment.name if deployment is not None else str(line.deployment_id)
        )
    if line.kind == _TAX_KIND:
        cells |= {
            "ChargeCategory": "Tax",
            "ChargeFrequency": "Recurring",
            "ServiceName": "Tax",
            "ServiceCategory": _OTHER[0],
            "ServiceSubcategory": _OTHER[1],
        }
        return _record(TENANT_COLUMNS, cells)
    name, category, subcategory, unit = _tenant_service(line)
    cells |= {
        "ChargeCategory": "Usage",
        "ServiceName": name,
        "ServiceCategory": category,
        "ServiceSubcategory": subcategory,
    }
    if line.corrects_period is not None:
        corrected = line.corrects_period.replace(day=1)
        cells |= {
            "ChargeClass": "Correction",
            "ChargeFrequency": "Usage-Based",
            "ChargePeriodStart": _midnight(corrected),
            "ChargePeriodEnd": _midnight(month_after(corrected)),
        }
        return _record(TENANT_COLUMNS, cells)
    list_unit_price = line.unit_price.scaleb(-2)
    cells |= {
        "ChargeFrequency": "Recurring" if line.kind in _RECURRING_KINDS else "Usage-Based",
        "PricingQuantity": line.quantity,
        "PricingUnit": unit,
        "ConsumedQuantity": line.quantity,
        "ConsumedUnit": unit,
        "ListUnitPrice": list_unit_price,
        "ListCost": exact_product(list_unit_price, line.quantity),
    }
    return _record(TENANT_COLUMNS, cells)


def _tenant_service(line: TenantLine) -> tuple[str, str, str, str]:
    if line.kind in _RECURRING_KINDS:
        return (*_HOSTING, "Months")
    known = _USAGE_KINDS.get(line.resource_kind or "")
    return known if known is not None else (*_HOSTING, "Units")


# --- both --------------------------------------------------------------------------------------


def build(
    sources: PeriodSources, side: Side, account: ProviderAccount = DIGITALOCEAN_ACCOUNT
) -> FocusExport:
    if side is Side.PROVIDER:
        return provider_export(sources, account)
    return tenant_export(sources)


def to_csv(export: FocusExport) -> str:
    """The export as CSV (RFC 4180: CRLF line ends, quoted where needed), header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export.columns)
    for row in export.rows:
        writer.writerow([row[name] for name in export.columns])
    return out.getvalue()
