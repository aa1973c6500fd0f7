"""The margin report: one month's tenant revenue against DigitalOcean's cost, per deployment and
kind, and the check that every cent of the provider's bill is in it.

- Revenue is the tenant invoices of the month (void ones left out), tax excluded: every line but
  the tax line, under its billing kind (`plan` and `addon` for what prices no usage), so the
  revenue column sums to the invoices' subtotals.
- Cost is the lines of DigitalOcean's invoices for the month, tax excluded, under the billing kind
  of their provider kind (see `kinds`). A line no deployment carries is its own row
  (`unallocated`), by category and reason, never spread over deployments.
- Reconciliation: the cost column plus the unallocated rows equal the provider invoices' totals
  excluding tax, to the cent.
- Margin is revenue minus cost; margin % is margin / revenue x 100, half-up to 0.01, and None
  when there is no revenue.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from gateway.reports.domain import kinds
from gateway.reports.domain.attribution import Attribution
from gateway.reports.domain.leakage import Leakage, find_leakage
from gateway.reports.domain.sources import PeriodSources, ProviderInvoice, TenantInvoice

VOID = "void"
PERCENT = Decimal("0.01")


def margin_pct(margin_cents: int, revenue_cents: int) -> Decimal | None:
    """Margin as a percentage of revenue, half-up to 0.01; None when there is no revenue."""
    if revenue_cents == 0:
        return None
    ratio = Decimal(margin_cents) * 100 / Decimal(revenue_cents)
    return ratio.quantize(PERCENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class MarginRow:
    """Revenue and cost of one kind for one deployment."""

    tenant_id: UUID | None
    tenant_name: str | None
    deployment_id: UUID | None
    deployment_name: str | None
    kind: str  # a billing kind, `plan`, `addon`, or a provider kind no tenant is billed for
    billing_kind: str | None
    provider_kind: str | None
    revenue_cents: int
    cost_cents: int

    @property
    def margin_cents(self) -> int:
        return self.revenue_cents - self.cost_cents

    @property
    def margin_pct(self) -> Decimal | None:
        return margin_pct(self.margin_cents, self.revenue_cents)


@dataclass(frozen=True, slots=True)
class DeploymentMargin:
    """One deployment's rows summed."""

    tenant_id: UUID | None
    tenant_name: str | None
    deployment_id: UUID | None
    deployment_name: str | None
    revenue_cents: int
    cost_cents: int

    @property
    def margin_cents(self) -> int:
        return self.revenue_cents - self.cost_cents

    @property
    def margin_pct(self) -> Decimal | None:
        return margin_pct(self.margin_cents, self.revenue_cents)


@dataclass(frozen=True, slots=True)
class UnallocatedCost:
    """Provider cost no deployment carries, by category, reason and kind."""

    category: str  # unmatched | internal | unattributed
    reason: str  # billing-ingest's unmatched reason, `internal`, `no_deployment` or `shared`
    kind: str
    provider_kind: str
    cost_cents: int
    lines: int


@dataclass(frozen=True, slots=True)
class CostReconciliation:
    """The report's cost (deployment rows plus unallocated rows) against the provider invoices'
    totals excluding tax."""

    provider_amount_cents: int
    provider_tax_cents: int
    report_cost_cents: int

    @property
    def provider_net_cents(self) -> int:
        return self.provider_amount_cents - self.provider_tax_cents

    @property
    def difference_cents(self) -> int:
        return self.report_cost_cents - self.provider_net_cents

    @property
    def ok(self) -> bool:
        return self.difference_cents == 0


@dataclass(frozen=True, slots=True)
class RevenueReconciliation:
    """The report's revenue against the tenant invoices' subtotals (tax excluded)."""

    tenant_subtotal_cents: int
    report_revenue_cents: int

    @property
    def difference_cents(self) -> int:
        return self.report_revenue_cents - self.tenant_subtotal_cents

    @property
    def ok(self) -> bool:
        return self.difference_cents == 0


@dataclass(frozen=True, slots=True)
class MarginReport:
    period: date
    rows: tuple[MarginRow, ...]
    deployments: tuple[DeploymentMargin, ...]
    unallocated: tuple[UnallocatedCost, ...]
    reconciliation: CostReconciliation
    revenue_check: RevenueReconciliation
    provider_invoices: tuple[ProviderInvoice, ...]
    tenant_invoices: tuple[TenantInvoice, ...]  # the ones counted: the month's, not void
    void_invoices: tuple[TenantInvoice, ...]
    currencies: tuple[str, ...]  # of the counted tenant invoices; one expected
    leakage: Leakage

    @property
    def revenue_cents(self) -> int:
        return sum(row.revenue_cents for row in self.rows)

    @property
    def deployment_cost_cents(self) -> int:
        return sum(row.cost_cents for row in self.rows)

    @property
    def unallocated_cost_cents(self) -> int:
        return sum(row.cost_cents for row in self.unallocated)

    @property
    def cost_cents(self) -> int:
        return self.deployment_cost_cents + self.unallocated_cost_cents

    @property
    def deployment_margin_cents(self) -> int:
        """Revenue less the cost deployments carry."""
        return self.revenue_cents - self.deployment_cost_cents

    @property
    def margin_cents(self) -> int:
        """Revenue less every cost of the month, unallocated included."""
        return self.revenue_cents - self.cost_cents

    @property
    def margin_pct(self) -> Decimal | None:
        return margin_pct(self.margin_cents, self.revenue_cents)


_Key = tuple[UUID | None, UUID | None, str]  # tenant, deployment, kind


# DigitalOcean bills in US dollars; revenue in another currency cannot be set against it
PROVIDER_CURRENCY = "USD"


class MixedCurrencies(ValueError):
    """Tenant invoices of the month are not in the provider's currency: no margin to compute."""


def margin_report(sources: PeriodSources) -> MarginReport:
    period = sources.period.replace(day=1)
    tenants = {t.id: t.name for t in sources.tenants}
    deployments = {d.id: d for d in sources.deployments}
    revenue: dict[_Key, int] = defaultdict(int)
    cost: dict[_Key, int] = defaultdict(int)
    provider_kind: dict[_Key, str] = {}

    month = [i for i in sources.tenant_invoices if i.period_start == period]
    counted = tuple(i for i in month if i.status != VOID)
    foreign = sorted({i.currency for i in counted} - {PROVIDER_CURRENCY})
    if foreign:
        raise MixedCurrencies(
            f"tenant invoices in {', '.join(foreign)} cannot be set against DigitalOcean's "
            f"{PROVIDER_CURRENCY} bill; no exchange rate is kept"
        )
    for invoice in counted:
        for line in invoice.lines:
            if line.kind == kinds.TENANT_TAX:
                continue
            tenant = invoice.tenant_id
            kind = kinds.revenue_kind(line.kind, line.resource_kind)
            revenue[(tenant, line.deployment_id, kind)] += line.amount_cents

    attribution = Attribution(sources)
    unallocated: dict[tuple[str, str, str, str], list[int]] = {}
    invoices = tuple(i for i in sources.provider_invoices if i.period == period)
    for provider_invoice in invoices:
        for cost_line in provider_invoice.lines:
            if cost_line.is_tax:
                continue
            kind = kinds.cost_kind(cost_line.kind)
            allocation = attribution.of(cost_line)
            if allocation.carried:
                key = (allocation.tenant_id, allocation.deployment_id, kind)
                cost[key] += cost_line.amount_cents
                provider_kind.setdefault(key, cost_line.kind)
                continue
            assert allocation.reason is not None
            bucket = unallocated.setdefault(
                (allocation.category, allocation.reason, kind, cost_line.kind), [0, 0]
            )
            bucket[0] += cost_line.amount_cents
            bucket[1] += 1

    def row(key: _Key) -> MarginRow:
        tenant, deployment, kind = key
        known = deployments.get(deployment) if deployment is not None else None
        return MarginRow(
            tenant_id=tenant,
            tenant_name=tenants.get(tenant) if tenant is not None else None,
            deployment_id=deployment,
            deployment_name=known.name if known is not None else None,
            kind=kind,
            billing_kind=kinds.billing_kind_of(kind),
            provider_kind=provider_kind.get(key, kinds.PROVIDER_KIND.get(kind)),
            revenue_cents=revenue.get(key, 0),
            cost_cents=cost.get(key, 0),
        )

    rows = sorted(
        (row(key) for key in set(revenue) | set(cost)),
        key=lambda r: (r.tenant_name or "", r.deployment_name or "", str(r.deployment_id), r.kind),
    )
    per_deployment: dict[tuple[UUID | None, UUID | None], list[MarginRow]] = defaultdict(list)
    for margin_row in rows:
        per_deployment[(margin_row.tenant_id, margin_row.deployment_id)].append(margin_row)
    deployment_totals = tuple(
        DeploymentMargin(
            tenant_id=group[0].tenant_id,
            tenant_name=group[0].tenant_name,
            deployment_id=group[0].deployment_id,
            deployment_name=group[0].deployment_name,
            revenue_cents=sum(r.revenue_cents for r in group),
            cost_cents=sum(r.cost_cents for r in group),
        )
        for group in per_deployment.values()
    )
    unallocated_rows = tuple(
        UnallocatedCost(category, reason, kind, provider, cents, count)
        for (category, reason, kind, provider), (cents, count) in sorted(unallocated.items())
    )
    reconciliation = CostReconciliation(
        provider_amount_cents=sum(i.amount_cents for i in invoices),
        provider_tax_cents=sum(i.tax_cents or 0 for i in invoices),
        report_cost_cents=sum(r.cost_cents for r in rows)
        + sum(r.cost_cents for r in unallocated_rows),
    )
    revenue_check = RevenueReconciliation(
        tenant_subtotal_cents=sum(i.subtotal_cents for i in counted),
        report_revenue_cents=sum(r.revenue_cents for r in rows),
    )
    return MarginReport(
        period=period,
        rows=tuple(rows),
        deployments=deployment_totals,
        unallocated=unallocated_rows,
        reconciliation=reconciliation,
        revenue_check=revenue_check,
        provider_invoices=invoices,
        tenant_invoices=counted,
        void_invoices=tuple(i for i in month if i.status == VOID),
        currencies=tuple(sorted({i.currency for i in counted})),
        leakage=find_leakage(sources, attribution),
    )
