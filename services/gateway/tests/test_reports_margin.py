"""The margin report and leakage as pure rules, on hand-built sources: no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from itertools import count
from uuid import UUID, uuid4

import pytest

from gateway.reports.domain import kinds
from gateway.reports.domain.margin import MarginReport, MixedCurrencies, margin_pct, margin_report
from gateway.reports.domain.sources import (
    CostLine,
    Deployment,
    MeteredUsage,
    PeriodSources,
    Project,
    ProviderInvoice,
    Resource,
    Tenant,
    TenantInvoice,
    TenantLine,
)

APRIL = date(2026, 4, 1)
TENANT = Tenant(uuid4(), "pilot", "USD", Decimal("0.10"))
OTHER_TENANT = Tenant(uuid4(), "acme", "USD", Decimal("0.10"))
DEP = Deployment(uuid4(), TENANT.id, "pilot-web", "pilot-tenant")
OTHER_DEP = Deployment(uuid4(), OTHER_TENANT.id, "acme-prod", "acme-prod")
TENANT_PROJECT = Project(uuid4(), "pilot-tenant", "tenant", TENANT.id, DEP.id)
INTERNAL_PROJECT = Project(uuid4(), "skyai-internal", "internal", None, None)
SHARED_PROJECT = Project(uuid4(), "shared-edge", "shared", None, None)
DEFAULT_PROJECT = Project(uuid4(), "Default", None, None, None)
PROJECTS = (TENANT_PROJECT, INTERNAL_PROJECT, SHARED_PROJECT, DEFAULT_PROJECT)

_ids = count(1)


def resource(
    kind: str,
    name: str,
    project: Project = DEFAULT_PROJECT,
    *,
    deployment: Deployment | None = None,
    parent: str | None = None,
) -> Resource:
    return Resource(
        id=uuid4(),
        kind=kind,
        provider_id=f"{kind}-{next(_ids)}",
        name=name,
        project_id=project.id,
        tenant_id=deployment.tenant_id if deployment else None,
        deployment_id=deployment.id if deployment else None,
        deleted_at=None,
        parent_provider_id=parent,
    )


def cost(
    kind: str,
    cents: int,
    *,
    of: Resource | None = None,
    deployment: Deployment | None = None,
    reason: str | None = None,
    hours: str | None = None,
    project: str | None = None,
    invoice: str = "inv-april",
) -> CostLine:
    number = next(_ids)
    return CostLine(
        id=number,
        invoice_uuid=invoice,
        line_no=number,
        product=kind,
        group_description="",
        description=f"{of.name if of else kind} (detail)",
        kind=kind,
        amount_cents=cents,
        hours=Decimal(hours) if hours is not None else None,
        start_at=None,
        end_at=None,
        project_name=project,
        category=None,
        resource_id=of.id if of else None,
        match_method="id" if of else "none",
        unmatched_reason=reason if of is None else None,
        tenant_id=deployment.tenant_id if deployment else None,
        deployment_id=deployment.id if deployment else None,
    )


def provider_invoice(
    *lines: CostLine, amount: int | None = None, uuid: str = "inv-april", period: date = APRIL
) -> ProviderInvoice:
    tax = sum(line.amount_cents for line in lines if line.is_tax)
    total = sum(line.amount_cents for line in lines)
    return ProviderInvoice(
        invoice_uuid=uuid,
        invoice_id="500485656",
        period=period,
        amount_cents=total if amount is None else amount,
        net_cents=total - tax,
        tax_cents=tax,
        status="ingested",
        lines=lines,
    )


def line(
    kind: str, cents: int, deployment: Deployment | None = DEP, resource_kind: str | None = None
) -> TenantLine:
    return TenantLine(
        kind=kind,
        description=kind,
        deployment_id=deployment.id if deployment else None,
        resource_kind=resource_kind,
        quantity=Decimal(1),
        unit_price=Decimal(cents),
        amount_cents=cents,
    )


def tenant_invoice(
    *lines: TenantLine,
    tenant: Tenant = TENANT,
    status: str = "issued",
    period: date = APRIL,
) -> TenantInvoice:
    subtotal = sum(item.amount_cents for item in lines)
    tax = (Decimal(subtotal) * tenant.tax_rate).quantize(Decimal(1))
    return TenantInvoice(
        id=uuid4(),
        tenant_id=tenant.id,
        number="INV-1",
        status=status,
        period_start=period,
        currency="USD",
        tax_rate=tenant.tax_rate,
        subtotal_cents=subtotal,
        tax_cents=int(tax),
        total_cents=subtotal + int(tax),
        issued_at=None,
        lines=(*lines, line("tax", int(tax), None)),
    )


def sources(
    provider: tuple[ProviderInvoice, ...] = (),
    tenant: tuple[TenantInvoice, ...] = (),
    resources: tuple[Resource, ...] = (),
    usage: tuple[MeteredUsage, ...] = (),
) -> PeriodSources:
    return PeriodSources(
        period=APRIL,
        provider_invoices=provider,
        tenant_invoices=tenant,
        tenants=(TENANT, OTHER_TENANT),
        deployments=(DEP, OTHER_DEP),
        resources=resources,
        projects=PROJECTS,
        usage=usage,
    )


def metered(of: Resource, billing_kind: str, quantity: str, dep: Deployment = DEP) -> MeteredUsage:
    return MeteredUsage(dep.id, dep.tenant_id, of.id, billing_kind, Decimal(quantity))


def rows_by_key(report: MarginReport) -> dict[tuple[UUID | None, str], tuple[int, int]]:
    return {(r.deployment_id, r.kind): (r.revenue_cents, r.cost_cents) for r in report.rows}


# --- the kind table ----------------------------------------------------------------------------


def test_provider_kinds_map_to_the_billing_kinds_tenants_are_billed_for() -> None:
    assert kinds.cost_kind("droplet") == "droplet_hours"
    assert kinds.cost_kind("droplet_backup") == "droplet_backup_gb_month"
    assert kinds.cost_kind("snapshot") == "snapshot_gb_month"
    assert kinds.cost_kind("volume") == "volume_gb_month"
    assert kinds.cost_kind("spaces_bucket") == "spaces_gb_month"
    assert kinds.cost_kind("dns_zone") == "dns_zones"
    assert kinds.cost_kind("floating_ip") == "floating_ip"  # no tenant is billed for it
    assert kinds.revenue_kind("plan_base", None) == "plan"
    assert kinds.revenue_kind("addon", None) == "addon"
    assert kinds.revenue_kind("overage", "droplet_hours") == "droplet_hours"
    assert kinds.revenue_kind("adjustment", "volume_gb_month") == "volume_gb_month"
    assert kinds.PROVIDER_KIND["droplet_hours"] == "droplet"


# --- margin % ----------------------------------------------------------------------------------


def test_margin_percent_is_a_decimal_rounded_half_up_and_none_without_revenue() -> None:
    assert margin_pct(2813, 5750) == Decimal("48.92")  # 48.9217...
    assert margin_pct(1, 8) == Decimal("12.50")
    assert margin_pct(1, 200) == Decimal("0.50")
    assert margin_pct(1, 400) == Decimal("0.25")
    assert margin_pct(1, 800) == Decimal("0.13")  # 0.125: half-up, not half-even
    assert margin_pct(-2400, 100) == Decimal("-2400.00")
    assert margin_pct(-480, 0) is None
    assert margin_pct(0, 0) is None
    assert isinstance(margin_pct(1, 3), Decimal)


# --- revenue and cost per deployment and kind --------------------------------------------------


def test_rows_per_deployment_and_kind_with_tax_left_out_on_both_sides() -> None:
    web = resource("droplet", "web-01", TENANT_PROJECT, deployment=DEP)
    snap = resource("snapshot", "web-01-snap", TENANT_PROJECT, deployment=DEP)
    acme = resource("droplet", "acme-01", deployment=OTHER_DEP)
    report = margin_report(
        sources(
            provider=(
                provider_invoice(
                    cost("droplet", 2400, of=web, deployment=DEP, hours="720"),
                    cost("droplet_backup", 480, of=web, deployment=DEP, hours="720"),
                    cost("snapshot", 28, of=snap, deployment=DEP),
                    cost("droplet", 1200, of=acme, deployment=OTHER_DEP, hours="720"),
                    cost("tax", 411, reason="tax"),
                ),
            ),
            tenant=(
                tenant_invoice(
                    line("plan_base", 5000),
                    line("addon", 750),
                    line("overage", 672, resource_kind="droplet_hours"),
                ),
                tenant_invoice(line("plan_base", 5000, OTHER_DEP), tenant=OTHER_TENANT),
            ),
            resources=(web, snap, acme),
        )
    )
    assert rows_by_key(report) == {
        (DEP.id, "plan"): (5000, 0),
        (DEP.id, "addon"): (750, 0),
        (DEP.id, "droplet_hours"): (672, 2400),
        (DEP.id, "droplet_backup_gb_month"): (0, 480),
        (DEP.id, "snapshot_gb_month"): (0, 28),
        (OTHER_DEP.id, "plan"): (5000, 0),
        (OTHER_DEP.id, "droplet_hours"): (0, 1200),
    }
    droplets = next(
        r for r in report.rows if (r.deployment_id, r.kind) == (DEP.id, "droplet_hours")
    )
    assert (droplets.tenant_name, droplets.deployment_name) == ("pilot", "pilot-web")
    assert (droplets.billing_kind, droplets.provider_kind) == ("droplet_hours", "droplet")
    assert droplets.margin_cents == 672 - 2400
    assert droplets.margin_pct == Decimal("-257.14")
    plan = next(r for r in report.rows if (r.deployment_id, r.kind) == (DEP.id, "plan"))
    assert (plan.billing_kind, plan.provider_kind, plan.margin_pct) == (
        None,
        None,
        Decimal("100.00"),
    )
    backups = next(r for r in report.rows if r.kind == "droplet_backup_gb_month")
    assert backups.margin_pct is None  # cost, no revenue
    pilot = next(d for d in report.deployments if d.deployment_id == DEP.id)
    assert (pilot.revenue_cents, pilot.cost_cents) == (6422, 2908)
    assert pilot.margin_pct == Decimal("54.72")
    assert report.unallocated == ()
    assert report.revenue_cents == 11422
    assert report.revenue_check.tenant_subtotal_cents == 11422 and report.revenue_check.ok
    assert report.reconciliation.provider_tax_cents == 411
    assert report.reconciliation.provider_net_cents == 4108
    assert report.reconciliation.report_cost_cents == 4108
    assert report.reconciliation.ok


def test_void_and_other_months_invoices_are_not_revenue() -> None:
    report = margin_report(
        sources(
            tenant=(
                tenant_invoice(line("plan_base", 5000)),
                tenant_invoice(line("plan_base", 9999), status="void"),
                tenant_invoice(line("plan_base", 7777), period=date(2026, 3, 1)),
                tenant_invoice(line("plan_base", 100), status="draft"),
            )
        )
    )
    assert rows_by_key(report) == {(DEP.id, "plan"): (5100, 0)}
    assert report.revenue_check.tenant_subtotal_cents == 5100
    assert report.revenue_check.ok
    assert len(report.void_invoices) == 1
    assert [i.status for i in report.tenant_invoices] == ["issued", "draft"]


def test_revenue_in_another_currency_than_the_provider_s_is_refused() -> None:
    euros = replace(tenant_invoice(line("plan_base", 5000)), currency="EUR")
    with pytest.raises(MixedCurrencies, match="EUR"):
        margin_report(sources(tenant=(tenant_invoice(line("plan_base", 100)), euros)))
    # a void invoice counts for nothing, whatever its currency
    void = replace(euros, status="void")
    assert margin_report(sources(tenant=(void,))).revenue_cents == 0


def test_every_revenue_line_lands_in_a_row_so_revenue_sums_to_the_subtotals() -> None:
    invoice = tenant_invoice(
        line("plan_base", 5000),
        line("addon", 750),
        line("addon", 250),
        line("overage", 672, resource_kind="droplet_hours"),
        line("adjustment", -120, resource_kind="droplet_hours"),
        line("credit", -300),  # a kind this report has never seen is kept under its own name
        line("plan_base", 1000, deployment=None),  # a line of no deployment is kept too
    )
    report = margin_report(sources(tenant=(invoice,)))
    assert rows_by_key(report) == {
        (DEP.id, "plan"): (5000, 0),
        (DEP.id, "addon"): (1000, 0),
        (DEP.id, "droplet_hours"): (552, 0),
        (DEP.id, "credit"): (-300, 0),
        (None, "plan"): (1000, 0),
    }
    assert report.revenue_cents == invoice.subtotal_cents == 7252
    assert report.revenue_check.ok


def test_cost_no_deployment_carries_is_its_own_rows_and_the_report_reconciles() -> None:
    web = resource("droplet", "web-01", TENANT_PROJECT, deployment=DEP)
    monitor = resource("droplet", "monitor-01")  # Default project: no deployment
    git = resource("droplet", "git-01", INTERNAL_PROJECT)
    edge = resource("load_balancer", "edge-lb", SHARED_PROJECT)
    ip = resource("floating_ip", "203.0.113.24")
    lines = (
        cost("droplet", 2400, of=web, deployment=DEP),
        cost("droplet", 129, of=monitor),
        cost("droplet", 450, of=monitor),
        cost("droplet", 1200, of=git),
        cost("load_balancer", 1000, of=edge),
        cost("floating_ip", 500, of=ip),
        cost("droplet", 343, reason="destroyed_before_mirror"),
        cost("droplet", 557, reason="destroyed_before_mirror"),
        cost("droplet_backup", 69, reason="destroyed_before_mirror"),
        cost("spaces_bucket", 500, reason="account_level"),
        cost("droplet", 11, reason=None),  # billing-ingest gave no reason
        cost("tax", 716, reason="tax"),
    )
    report = margin_report(
        sources(provider=(provider_invoice(*lines),), resources=(web, monitor, git, edge, ip))
    )
    assert rows_by_key(report) == {(DEP.id, "droplet_hours"): (0, 2400)}
    unallocated = {
        (u.category, u.reason, u.kind, u.provider_kind): (u.cost_cents, u.lines)
        for u in report.unallocated
    }
    assert unallocated == {
        ("unattributed", "no_deployment", "droplet_hours", "droplet"): (579, 2),
        ("unattributed", "no_deployment", "floating_ip", "floating_ip"): (500, 1),
        ("unattributed", "shared", "load_balancer", "load_balancer"): (1000, 1),
        ("internal", "internal", "droplet_hours", "droplet"): (1200, 1),
        ("unmatched", "destroyed_before_mirror", "droplet_hours", "droplet"): (900, 2),
        ("unmatched", "destroyed_before_mirror", "droplet_backup_gb_month", "droplet_backup"): (
            69,
            1,
        ),
        ("unmatched", "account_level", "spaces_gb_month", "spaces_bucket"): (500, 1),
        ("unmatched", "unexplained", "droplet_hours", "droplet"): (11, 1),
    }
    check = report.reconciliation
    assert (check.provider_amount_cents, check.provider_tax_cents) == (7875, 716)
    assert check.provider_net_cents == 7159
    assert report.deployment_cost_cents == 2400
    assert report.unallocated_cost_cents == 4759
    assert check.report_cost_cents == report.cost_cents == 7159
    assert (check.difference_cents, check.ok) == (0, True)
    assert report.margin_cents == -7159
    assert report.margin_pct is None  # no revenue at all


def test_a_line_billing_ingest_left_unowned_takes_the_inventory_s_attribution() -> None:
    web = resource("droplet", "web-01", TENANT_PROJECT, deployment=DEP)
    report = margin_report(
        sources(provider=(provider_invoice(cost("droplet", 2400, of=web)),), resources=(web,))
    )
    assert rows_by_key(report) == {(DEP.id, "droplet_hours"): (0, 2400)}
    assert report.rows[0].tenant_id == TENANT.id


def test_an_unknown_resource_in_an_internal_project_by_the_line_s_project_is_internal() -> None:
    stranger = Resource(uuid4(), "droplet", "1", "ci-01", None, None, None, None)
    report = margin_report(
        sources(
            provider=(provider_invoice(cost("droplet", 75, of=stranger, project="skyai-internal")),)
        )
    )
    assert [(u.category, u.cost_cents) for u in report.unallocated] == [("internal", 75)]


def test_the_reconciliation_shows_a_provider_invoice_whose_lines_miss_cents() -> None:
    web = resource("droplet", "web-01", TENANT_PROJECT, deployment=DEP)
    short = provider_invoice(
        cost("droplet", 2400, of=web, deployment=DEP), cost("tax", 240, reason="tax"), amount=2650
    )
    other_month = provider_invoice(
        cost("droplet", 999, of=web, deployment=DEP, invoice="march"),
        uuid="march",
        period=date(2026, 3, 1),
    )
    report = margin_report(sources(provider=(short, other_month), resources=(web,)))
    check = report.reconciliation
    assert (check.provider_net_cents, check.report_cost_cents) == (2410, 2400)
    assert (check.difference_cents, check.ok) == (-10, False)
    assert [i.invoice_uuid for i in report.provider_invoices] == ["inv-april"]


def test_a_pending_provider_invoice_without_lines_does_not_reconcile() -> None:
    pending = ProviderInvoice("inv-april", None, APRIL, 5000, None, None, "pending")
    check = margin_report(sources(provider=(pending,))).reconciliation
    assert (check.provider_net_cents, check.report_cost_cents, check.ok) == (5000, 0, False)


# --- leakage -----------------------------------------------------------------------------------


def test_billed_resources_no_tenant_is_metered_for_with_the_reason() -> None:
    web = resource("droplet", "web-01", TENANT_PROJECT, deployment=DEP)
    idle = resource("droplet", "idle-01", TENANT_PROJECT, deployment=DEP)
    off = resource("droplet", "off-01", TENANT_PROJECT, deployment=DEP)
    lb = resource("load_balancer", "pilot-lb", TENANT_PROJECT, deployment=DEP)
    monitor = resource("droplet", "monitor-01")
    git = resource("droplet", "git-01", INTERNAL_PROJECT)
    edge = resource("load_balancer", "edge-lb", SHARED_PROJECT)
    report = margin_report(
        sources(
            provider=(
                provider_invoice(
                    cost("droplet", 2400, of=web, deployment=DEP, hours="720"),
                    cost("droplet", 600, of=idle, deployment=DEP, hours="180"),
                    cost("droplet", 700, of=off, deployment=DEP, hours="210"),
                    cost("load_balancer", 1200, of=lb, deployment=DEP),
                    cost("droplet", 129, of=monitor, hours="216"),
                    cost("droplet", 450, of=monitor, hours="504"),
                    cost("droplet", 1200, of=git, hours="720"),
                    cost("load_balancer", 1000, of=edge),
                    cost("droplet", 343, reason="destroyed_before_mirror"),
                ),
            ),
            resources=(web, idle, off, lb, monitor, git, edge),
            usage=(metered(web, "droplet_hours", "720"), metered(off, "droplet_hours", "0")),
        )
    )
    leaks = {item.resource.name: item for item in report.leakage.billed_not_metered}
    assert set(leaks) == {"idle-01", "off-01", "pilot-lb", "monitor-01", "edge-lb"}
    assert leaks["idle-01"].reason == "not_metered"
    assert leaks["off-01"].reason == "not_metered"  # metered, but nothing: off all month
    assert leaks["pilot-lb"].reason == "kind_not_metered"
    assert leaks["monitor-01"].reason == "no_deployment"
    assert leaks["edge-lb"].reason == "shared"
    monitor_leak = leaks["monitor-01"]
    assert (monitor_leak.cost_cents, monitor_leak.lines) == (579, 2)
    assert monitor_leak.provider_kinds == ("droplet",)
    assert (monitor_leak.resource.id, monitor_leak.resource.kind) == (monitor.id, "droplet")
    assert monitor_leak.resource.link == f"/api/v1/inventory/{monitor.id}"
    assert leaks["idle-01"].deployment_id == DEP.id
    assert leaks["idle-01"].tenant_id == TENANT.id


def test_metered_resources_the_provider_did_not_bill() -> None:
    web = resource("droplet", "web-01", TENANT_PROJECT, deployment=DEP)
    backup = resource(
        "droplet_backup",
        "web-01 2026-04-05",
        TENANT_PROJECT,
        deployment=DEP,
        parent=web.provider_id,
    )
    api = resource("droplet", "api-01", TENANT_PROJECT, deployment=DEP)
    api_backup = resource(
        "droplet_backup",
        "api-01 2026-04-05",
        TENANT_PROJECT,
        deployment=DEP,
        parent=api.provider_id,
    )
    zone = resource("dns_zone", "pilot.example", TENANT_PROJECT, deployment=DEP)
    report = margin_report(
        sources(
            provider=(
                provider_invoice(
                    cost("droplet", 2400, of=web, deployment=DEP, hours="720"),
                    # the provider bills a droplet's backups on a line naming the droplet
                    cost("droplet_backup", 480, of=web, deployment=DEP),
                    cost("droplet", 2400, of=api, deployment=DEP, hours="720"),
                ),
            ),
            resources=(web, backup, api, api_backup, zone),
            usage=(
                metered(web, "droplet_hours", "720"),
                metered(backup, "droplet_backup_gb_month", "4.08"),
                metered(api, "droplet_hours", "720"),
                metered(api_backup, "droplet_backup_gb_month", "2.5"),
                metered(zone, "dns_zones", "1"),
                metered(resource("volume", "gone"), "volume_gb_month", "0"),
            ),
        )
    )
    leaks = {item.resource.name: item for item in report.leakage.metered_not_billed}
    assert set(leaks) == {"api-01 2026-04-05", "pilot.example"}
    api_leak = leaks["api-01 2026-04-05"]
    assert (api_leak.billing_kind, api_leak.quantity) == ("droplet_backup_gb_month", Decimal("2.5"))
    assert (api_leak.deployment_id, api_leak.tenant_id) == (DEP.id, TENANT.id)
    assert (api_leak.resource.kind, api_leak.resource.link) == (
        "droplet_backup",
        f"/api/v1/inventory/{api_backup.id}",
    )
    assert leaks["pilot.example"].billing_kind == "dns_zones"


def test_hours_variance_per_droplet_of_a_deployment() -> None:
    web = resource("droplet", "web-01", TENANT_PROJECT, deployment=DEP)
    resized = resource("droplet", "db-01", TENANT_PROJECT, deployment=DEP)
    unbilled = resource("droplet", "new-01", TENANT_PROJECT, deployment=DEP)
    monitor = resource("droplet", "monitor-01")
    report = margin_report(
        sources(
            provider=(
                provider_invoice(
                    cost("droplet", 2400, of=web, deployment=DEP, hours="672"),
                    cost("droplet_backup", 480, of=web, deployment=DEP, hours="720"),
                    cost("droplet", 129, of=resized, deployment=DEP, hours="216"),
                    cost("droplet", 450, of=resized, deployment=DEP, hours="504"),
                    cost("droplet", 579, of=monitor, hours="720"),
                ),
            ),
            resources=(web, resized, unbilled, monitor),
            usage=(
                metered(web, "droplet_hours", "720"),
                metered(resized, "droplet_hours", "720"),
                metered(unbilled, "droplet_hours", "14"),
            ),
        )
    )
    variance = {
        v.resource.name: (v.metered_hours, v.billed_hours, v.variance_hours, v.billed_cents)
        for v in report.leakage.hours_variance
    }
    assert variance == {
        "web-01": (Decimal(720), Decimal(672), Decimal(48), 2400),  # backup hours not counted
        "db-01": (Decimal(720), Decimal(720), Decimal(0), 579),
        "new-01": (Decimal(14), Decimal(0), Decimal(14), 0),
    }
    web_row = next(v for v in report.leakage.hours_variance if v.resource.id == web.id)
    assert (web_row.deployment_id, web_row.tenant_id, web_row.resource.kind) == (
        DEP.id,
        TENANT.id,
        "droplet",
    )


def test_an_empty_month_reconciles_to_nothing() -> None:
    report = margin_report(sources())
    assert report.rows == () and report.unallocated == ()
    assert report.reconciliation.ok and report.revenue_check.ok
    assert report.margin_pct is None
