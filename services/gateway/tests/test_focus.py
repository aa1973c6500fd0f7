"""The FOCUS 1.3 export and its checks as pure rules, on hand-built sources: no I/O.

Every check is shown to catch a row broken in the way it guards against, starting from an
export that passes them all."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from gateway.reports.domain.focus import (
    PROVIDER_COLUMNS,
    TENANT_COLUMNS,
    FocusExport,
    ProviderAccount,
    Side,
    build,
    to_csv,
)
from gateway.reports.domain.focus_checks import (
    MANDATORY,
    SPEC,
    Violation,
    check,
    exact_product,
    parse_datetime,
    parse_decimal,
)
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

APRIL = date(2026, 4, 1)
TENANT = Tenant(uuid4(), "pilot", "USD", Decimal("0.10"))
DEPLOYMENT = Deployment(uuid4(), TENANT.id, "pilot-web", "pilot-tenant")
WEB = Resource(uuid4(), "droplet", "512340101", "web-01", None, TENANT.id, DEPLOYMENT.id, None)


def at(day: int, hour: int = 0) -> datetime:
    return (
        datetime(2026, 4, day, hour, tzinfo=UTC) if day <= 30 else datetime(2026, 5, 1, tzinfo=UTC)
    )


def line(
    number: int,
    product: str,
    description: str,
    kind: str,
    cents: int,
    hours: str | None = "720",
    *,
    resource: Resource | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> CostLine:
    return CostLine(
        id=number,
        invoice_uuid="do-april",
        line_no=number,
        product=product,
        group_description="",
        description=description,
        kind=kind,
        amount_cents=cents,
        hours=None if hours is None else Decimal(hours),
        start_at=start or at(1),
        end_at=end or at(31),
        project_name="pilot-tenant" if resource else None,
        category="iaas",
        resource_id=resource.id if resource else None,
        match_method="id" if resource else "none",
        unmatched_reason=None if resource else "destroyed_before_mirror",
        tenant_id=resource.tenant_id if resource else None,
        deployment_id=resource.deployment_id if resource else None,
    )


DO_LINES = (
    line(1, "Droplets", "web-01 (s-2vcpu-4gb)", "droplet", 2400, resource=WEB),
    line(
        2, "Droplet Backups", "web-01 (Weekly Backup Services)", "droplet_backup", 480, resource=WEB
    ),
    line(3, "Droplets", "ci-runner-01 (c-2)", "droplet", 38, "6", start=at(2), end=at(2, 6)),
    line(4, "Spaces Subscription", "Spaces ($5/mo)", "spaces_bucket", 500, None),
    line(5, "Credits", "Promotional credit", "unknown", -100, None),
    line(6, "Taxes", "GST (10%)", "tax", 332, None),
)
DO_INVOICE = ProviderInvoice(
    invoice_uuid="do-april",
    invoice_id="500485656",
    period=APRIL,
    amount_cents=sum(x.amount_cents for x in DO_LINES),
    net_cents=3318,
    tax_cents=332,
    status="ingested",
    lines=DO_LINES,
)


def tenant_line(
    kind: str,
    description: str,
    quantity: str,
    unit_price: str,
    cents: int,
    *,
    resource_kind: str | None = None,
    deployment: bool = True,
    corrects: date | None = None,
) -> TenantLine:
    return TenantLine(
        kind=kind,
        description=description,
        deployment_id=DEPLOYMENT.id if deployment else None,
        resource_kind=resource_kind,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        amount_cents=cents,
        corrects_period=corrects,
    )


# a plan prorated to 20 of 30 days: 5000 * 20/30 = 3333.33... cents, billed 3333
PRORATED = Decimal(20) / Decimal(30)
TENANT_LINES = (
    tenant_line("plan_base", "Plan: Studio (20/30 days)", str(PRORATED), "5000", 3333),
    tenant_line("addon", "Addon: storage_50gb", "1", "750", 750),
    tenant_line(
        "overage",
        "Overage: droplet_hours (672 over 768 included)",
        "672",
        "1",
        672,
        resource_kind="droplet_hours",
    ),
    tenant_line(
        "adjustment",
        "Adjustment for 2026-03: droplet_hours usage corrected after issue",
        "1",
        "-120",
        -120,
        resource_kind="droplet_hours",
        corrects=date(2026, 3, 1),
    ),
    tenant_line("tax", "GST 10%", "0.1000", "4635", 464, deployment=False),
)


def tenant_invoice(status: str, number: str | None, period: date = APRIL) -> TenantInvoice:
    subtotal = sum(x.amount_cents for x in TENANT_LINES if x.kind != "tax")
    return TenantInvoice(
        id=uuid4(),
        tenant_id=TENANT.id,
        number=number,
        status=status,
        period_start=period,
        currency="USD",
        tax_rate=Decimal("0.10"),
        subtotal_cents=subtotal,
        tax_cents=464,
        total_cents=subtotal + 464,
        issued_at=datetime(2026, 5, 1, 3, tzinfo=UTC) if number else None,
        lines=TENANT_LINES,
    )


ISSUED = tenant_invoice("issued", "INV-2026-04-0001")
PAID = replace(
    tenant_invoice("paid", "INV-2026-04-0002"),
    lines=(TENANT_LINES[1], replace(TENANT_LINES[4], unit_price=Decimal(750), amount_cents=75)),
    subtotal_cents=750,
    tax_cents=75,
    total_cents=825,
)
SOURCES = PeriodSources(
    period=APRIL,
    provider_invoices=(DO_INVOICE,),
    tenant_invoices=(
        ISSUED,
        PAID,
        tenant_invoice("draft", None),
        tenant_invoice("void", "INV-2026-04-0003"),
        tenant_invoice("issued", "INV-2026-03-0001", date(2026, 3, 1)),
    ),
    tenants=(TENANT,),
    deployments=(DEPLOYMENT,),
    resources=(WEB,),
)


def violations(export: FocusExport) -> list[Violation]:
    return check(export.columns, export.rows, export.payable)


def by_description(export: FocusExport) -> dict[str, dict[str, str]]:
    return {row["ChargeDescription"]: row for row in export.rows}


# --- the provider side ------------------------------------------------------------------------


def test_the_provider_side_is_one_row_per_digitalocean_line_and_passes_every_check() -> None:
    export = build(SOURCES, Side.PROVIDER)
    assert export.columns == PROVIDER_COLUMNS
    assert len(export.rows) == len(DO_LINES)
    assert export.payable == {"500485656": Decimal("36.50")}
    assert violations(export) == []
    assert sum(Decimal(row["BilledCost"]) for row in export.rows) == Decimal("36.50")
    for row in export.rows:
        assert row["ServiceProviderName"] == row["InvoiceIssuerName"] == "DigitalOcean"
        assert row["HostProviderName"] == "DigitalOcean"
        assert row["InvoiceId"] == "500485656"
        assert row["BillingAccountId"] == "digitalocean"
        assert row["BillingPeriodStart"] == "2026-04-01T00:00:00Z"
        assert row["BillingPeriodEnd"] == "2026-05-01T00:00:00Z"


def test_provider_rows_say_what_each_line_is() -> None:
    rows = by_description(build(SOURCES, Side.PROVIDER))
    web = rows["web-01 (s-2vcpu-4gb)"]
    assert (web["ChargeCategory"], web["BilledCost"], web["ListCost"]) == (
        "Usage",
        "24.00",
        "24.00",
    )
    assert (web["PricingQuantity"], web["PricingUnit"]) == ("720", "Hours")
    assert (web["ResourceId"], web["ResourceName"], web["ResourceType"]) == (
        "512340101",
        "web-01",
        "Droplet",
    )
    assert (web["ServiceCategory"], web["ServiceSubcategory"]) == ("Compute", "Virtual Machines")
    runner = rows["ci-runner-01 (c-2)"]
    assert (runner["ChargePeriodStart"], runner["ChargePeriodEnd"]) == (
        "2026-04-02T00:00:00Z",
        "2026-04-02T06:00:00Z",
    )
    assert runner["ResourceId"] == runner["ResourceType"] == ""  # destroyed before the mirror
    spaces = rows["Spaces ($5/mo)"]
    assert (spaces["PricingQuantity"], spaces["PricingUnit"]) == ("1", "Units")
    credit = rows["Promotional credit"]
    assert (credit["ChargeCategory"], credit["BilledCost"], credit["PricingQuantity"]) == (
        "Credit",
        "-1.00",
        "",
    )
    tax = rows["GST (10%)"]
    assert tax["ChargeCategory"] == "Tax"
    assert tax["PricingQuantity"] == tax["PricingUnit"] == tax["ConsumedQuantity"] == ""
    assert tax["BilledCost"] == "3.32"


def test_the_provider_account_can_be_named() -> None:
    export = build(SOURCES, Side.PROVIDER, ProviderAccount("team-1234", "Sky AI"))
    assert {(r["BillingAccountId"], r["BillingAccountName"]) for r in export.rows} == {
        ("team-1234", "Sky AI")
    }


def test_a_line_with_no_sound_period_is_charged_over_the_billing_period() -> None:
    odd = replace(DO_LINES[2], start_at=at(3), end_at=at(3))
    lines = (odd, *DO_LINES[3:])
    invoice = replace(DO_INVOICE, lines=lines, amount_cents=sum(x.amount_cents for x in lines))
    sources = replace(SOURCES, provider_invoices=(invoice,))
    export = build(sources, Side.PROVIDER)
    row = export.rows[0]
    assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == (
        "2026-04-01T00:00:00Z",
        "2026-05-01T00:00:00Z",
    )
    assert violations(export) == []


def test_a_digitalocean_invoice_whose_lines_do_not_add_up_fails_the_total_check() -> None:
    short = replace(DO_INVOICE, lines=DO_LINES[:-1])  # the tax line never ingested
    export = build(replace(SOURCES, provider_invoices=(short,)), Side.PROVIDER)
    [found] = violations(export)
    assert found.rule == "invoice-total"
    assert "33.18" in found.message and "36.50" in found.message


# --- the tenant side --------------------------------------------------------------------------


def test_the_tenant_side_holds_issued_and_paid_invoices_of_the_month_only() -> None:
    export = build(SOURCES, Side.TENANT)
    assert export.columns == TENANT_COLUMNS
    assert set(export.payable) == {"INV-2026-04-0001", "INV-2026-04-0002"}
    assert export.payable["INV-2026-04-0001"] == Decimal("50.99")
    assert len(export.rows) == len(TENANT_LINES) + 2
    assert violations(export) == []
    for row in export.rows:
        assert row["ServiceProviderName"] == row["InvoiceIssuerName"] == "ArcadiaCloud"
        assert row["HostProviderName"] == "DigitalOcean"
        assert (row["BillingAccountId"], row["BillingAccountName"]) == (str(TENANT.id), "pilot")


def test_tenant_rows_price_each_line_and_keep_the_billed_amount() -> None:
    export = build(replace(SOURCES, tenant_invoices=(ISSUED,)), Side.TENANT)
    rows = by_description(export)
    plan = rows["Plan: Studio (20/30 days)"]
    # ListCost is the exact list price of the quantity, BilledCost the amount rounded once
    assert plan["ListUnitPrice"] == "50.00"
    assert Decimal(plan["ListCost"]) == exact_product(Decimal("50.00"), PRORATED)
    assert plan["BilledCost"] == "33.33"
    assert 0 < abs(Decimal(plan["ListCost"]) - Decimal("33.33")) < Decimal("0.005")
    assert (plan["PricingUnit"], plan["ChargeFrequency"]) == ("Months", "Recurring")
    assert (plan["SubAccountId"], plan["SubAccountName"]) == (str(DEPLOYMENT.id), "pilot-web")
    overage = rows["Overage: droplet_hours (672 over 768 included)"]
    assert (overage["PricingQuantity"], overage["PricingUnit"]) == ("672", "Hours")
    assert (overage["ListUnitPrice"], overage["ListCost"], overage["BilledCost"]) == (
        "0.01",
        "6.72",
        "6.72",
    )
    assert (overage["ServiceCategory"], overage["ChargeFrequency"]) == ("Compute", "Usage-Based")
    correction = rows["Adjustment for 2026-03: droplet_hours usage corrected after issue"]
    assert (correction["ChargeCategory"], correction["ChargeClass"]) == ("Usage", "Correction")
    assert (correction["ChargePeriodStart"], correction["ChargePeriodEnd"]) == (
        "2026-03-01T00:00:00Z",
        "2026-04-01T00:00:00Z",
    )
    assert correction["PricingQuantity"] == correction["ListUnitPrice"] == ""
    assert correction["BilledCost"] == correction["ListCost"] == "-1.20"
    tax = rows["GST 10%"]
    assert (tax["ChargeCategory"], tax["BilledCost"], tax["PricingQuantity"]) == ("Tax", "4.64", "")
    assert tax["ListUnitPrice"] == tax["SubAccountId"] == tax["SubAccountName"] == ""
    assert sum(Decimal(row["BilledCost"]) for row in export.rows) == Decimal("50.99")


def test_an_empty_month_is_a_header_and_no_rows() -> None:
    empty = PeriodSources(APRIL, (), (), (), ())
    for side in Side:
        export = build(empty, side)
        assert export.rows == () and violations(export) == []
        assert to_csv(export).count("\r\n") == 1


# --- the CSV ----------------------------------------------------------------------------------


@pytest.mark.parametrize("side", list(Side))
def test_the_csv_reads_back_to_the_same_rows_and_passes(side: Side) -> None:
    export = build(SOURCES, side)
    text = to_csv(export)
    assert text.splitlines()[0] == ",".join(export.columns)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert tuple(reader.fieldnames or ()) == export.columns
    rows = list(reader)
    assert rows == [dict(row) for row in export.rows]
    assert check(export.columns, rows, export.payable) == []
    assert export.filename == f"focus-{side.value}-2026-04.csv"


def test_every_mandatory_column_of_focus_1_3_is_in_both_sides() -> None:
    assert len(SPEC) == 65
    for columns in (PROVIDER_COLUMNS, TENANT_COLUMNS):
        assert set(MANDATORY) <= set(columns)
        assert set(columns) <= set(SPEC)
    assert {"ServiceProviderName", "HostProviderName", "ProviderName", "PublisherName"} <= set(
        MANDATORY
    )


# --- each check catches what it guards against -------------------------------------------------

Mutation = Callable[[list[dict[str, str]]], None]


def _set(description: str, **cells: str) -> Mutation:
    def mutate(rows: list[dict[str, str]]) -> None:
        row = next(r for r in rows if r["ChargeDescription"] == description)
        row.update(cells)

    return mutate


WEB_LINE = "web-01 (s-2vcpu-4gb)"
DO_TAX = "GST (10%)"
OVERAGE = "Overage: droplet_hours (672 over 768 included)"
TENANT_TAX = "GST 10%"

BROKEN: list[tuple[Side, str, Mutation, str]] = [
    (
        Side.PROVIDER,
        "unknown charge category",
        _set(WEB_LINE, ChargeCategory="Refund"),
        "allowed-value",
    ),
    (
        Side.PROVIDER,
        "charge class other than Correction",
        _set(WEB_LINE, ChargeClass="Regular"),
        "allowed-value",
    ),
    (
        Side.PROVIDER,
        "unknown charge frequency",
        _set(WEB_LINE, ChargeFrequency="Monthly"),
        "allowed-value",
    ),
    (
        Side.PROVIDER,
        "unknown service category",
        _set(WEB_LINE, ServiceCategory="Hosting"),
        "allowed-value",
    ),
    (
        Side.PROVIDER,
        "subcategory of another category",
        _set(WEB_LINE, ServiceSubcategory="Block Storage"),
        "allowed-value",
    ),
    (Side.PROVIDER, "currency not in ISO 4217", _set(WEB_LINE, BillingCurrency="usd"), "currency"),
    (Side.PROVIDER, "decimal with an exponent", _set(WEB_LINE, ListCost="2.4E+1"), "decimal"),
    (
        Side.PROVIDER,
        "decimal with a separator",
        _set(WEB_LINE, EffectiveCost="1,024.00"),
        "decimal",
    ),
    (Side.PROVIDER, "not a decimal", _set(WEB_LINE, ContractedCost="twenty"), "decimal"),
    (
        Side.PROVIDER,
        "date/time without Z",
        _set(WEB_LINE, ChargePeriodStart="2026-04-01T00:00:00"),
        "datetime",
    ),
    (
        Side.PROVIDER,
        "date/time with an offset",
        _set(WEB_LINE, ChargePeriodEnd="2026-05-01T00:00:00+00:00"),
        "datetime",
    ),
    (
        Side.PROVIDER,
        "date/time that is no date",
        _set(WEB_LINE, BillingPeriodEnd="2026-02-30T00:00:00Z"),
        "datetime",
    ),
    (
        Side.PROVIDER,
        "charge period ending before it starts",
        _set(WEB_LINE, ChargePeriodEnd="2026-03-31T00:00:00Z"),
        "period-order",
    ),
    (
        Side.PROVIDER,
        "billing period of no length",
        _set(WEB_LINE, BillingPeriodEnd="2026-04-01T00:00:00Z"),
        "period-order",
    ),
    (Side.PROVIDER, "null billing account", _set(WEB_LINE, BillingAccountId=""), "not-null"),
    (Side.PROVIDER, "null service provider", _set(WEB_LINE, ServiceProviderName=""), "not-null"),
    (Side.PROVIDER, "null deprecated provider name", _set(WEB_LINE, ProviderName=""), "not-null"),
    (Side.PROVIDER, "null invoice issuer", _set(WEB_LINE, InvoiceIssuerName=""), "not-null"),
    (Side.PROVIDER, "null charge period", _set(WEB_LINE, ChargePeriodStart=""), "not-null"),
    (Side.PROVIDER, "null subcategory", _set(WEB_LINE, ServiceSubcategory=""), "not-null"),
    (
        Side.PROVIDER,
        "tax with a pricing quantity",
        _set(DO_TAX, PricingQuantity="1", PricingUnit="Units"),
        "tax-unpriced",
    ),
    (
        Side.PROVIDER,
        "usage without a pricing quantity",
        _set(WEB_LINE, PricingQuantity="", PricingUnit=""),
        "priced",
    ),
    (
        Side.PROVIDER,
        "quantity without its unit",
        _set(WEB_LINE, PricingUnit=""),
        "unit-with-quantity",
    ),
    (
        Side.PROVIDER,
        "consumed quantity on a tax row",
        _set(DO_TAX, ConsumedQuantity="1", ConsumedUnit="Units"),
        "consumed",
    ),
    (
        Side.PROVIDER,
        "usage without a consumed quantity",
        _set(WEB_LINE, ConsumedQuantity="", ConsumedUnit=""),
        "consumed",
    ),
    (Side.PROVIDER, "resource id without a type", _set(WEB_LINE, ResourceType=""), "resource-type"),
    (Side.PROVIDER, "tags that are no JSON object", _set(WEB_LINE, Tags="team=ops"), "json-object"),
    (
        Side.PROVIDER,
        "billed cost that no longer adds up",
        _set(WEB_LINE, BilledCost="24.01"),
        "invoice-total",
    ),
    (
        Side.PROVIDER,
        "a row of an invoice nobody issued",
        _set(WEB_LINE, InvoiceId="500485657"),
        "invoice-known",
    ),
    (
        Side.PROVIDER,
        "two currencies on one invoice",
        _set(DO_TAX, BillingCurrency="AUD"),
        "invoice-currency",
    ),
    (Side.TENANT, "list cost off by a cent", _set(OVERAGE, ListCost="6.73"), "cost-product"),
    (
        Side.TENANT,
        "negative list unit price",
        _set(OVERAGE, ListUnitPrice="-0.01"),
        "list-unit-price",
    ),
    (Side.TENANT, "usage without a list unit price", _set(OVERAGE, ListUnitPrice=""), "priced"),
    (
        Side.TENANT,
        "tax with a list unit price",
        _set(TENANT_TAX, ListUnitPrice="0.10"),
        "tax-unpriced",
    ),
    (
        Side.TENANT,
        "sub-account id without its name",
        _set(OVERAGE, SubAccountName=""),
        "sub-account",
    ),
    (
        Side.TENANT,
        "purchase billed by usage",
        _set(OVERAGE, ChargeCategory="Purchase", ConsumedQuantity="", ConsumedUnit=""),
        "charge-frequency",
    ),
]


@pytest.mark.parametrize(
    ("side", "broken", "mutate", "rule"), BROKEN, ids=[case[1] for case in BROKEN]
)
def test_each_check_catches_a_broken_row(
    side: Side, broken: str, mutate: Mutation, rule: str
) -> None:
    export = build(SOURCES, side)
    rows = [dict(row) for row in export.rows]
    assert check(export.columns, rows, export.payable) == []
    mutate(rows)
    found = check(export.columns, rows, export.payable)
    assert rule in {v.rule for v in found}, (broken, [str(v) for v in found])


def test_the_header_checks_catch_missing_unknown_and_repeated_columns() -> None:
    export = build(SOURCES, Side.PROVIDER)
    without = tuple(c for c in export.columns if c != "ServiceProviderName")
    rows = [{k: v for k, v in row.items() if k != "ServiceProviderName"} for row in export.rows]
    assert {v.rule for v in check(without, rows, export.payable)} == {"column-mandatory"}
    extra = (*export.columns, "Discount", "x_Project")
    rows = [dict(row) | {"Discount": "", "x_Project": "p"} for row in export.rows]
    found = check(extra, rows, export.payable)
    assert [(v.rule, v.message) for v in found] == [
        ("column-known", "Discount is not a FOCUS 1.3 column")
    ]
    twice = (*export.columns, "BilledCost")
    assert "column-unique" in {v.rule for v in check(twice, list(export.rows), export.payable)}


def test_a_row_that_does_not_match_the_header_is_caught() -> None:
    export = build(SOURCES, Side.PROVIDER)
    rows = [dict(row) for row in export.rows]
    del rows[0]["Tags"]
    assert "row-shape" in {v.rule for v in check(export.columns, rows, export.payable)}


def test_an_expected_invoice_with_no_rows_is_caught() -> None:
    export = build(SOURCES, Side.PROVIDER)
    payable = dict(export.payable) | {"500485999": Decimal("1.00")}
    [found] = check(export.columns, list(export.rows), payable)
    assert found.rule == "invoice-total" and "500485999" in found.message
    assert str(found).startswith("header: ")


def test_numbers_and_times_are_parsed_strictly_and_multiplied_exactly() -> None:
    assert parse_decimal("-0.05") == Decimal("-0.05")
    for bad in ("1e3", "1.", ".5", "+1", " 1", "NaN", "Infinity", ""):
        with pytest.raises(ValueError):
            parse_decimal(bad)
    assert parse_datetime("2026-04-01T00:00:00Z") == datetime(2026, 4, 1, tzinfo=UTC)
    for bad in ("2026-04-01", "2026-04-01T00:00Z", "2026-04-01T00:00:00.000Z"):
        with pytest.raises(ValueError):
            parse_datetime(bad)
    third = Decimal(1) / Decimal(3)  # 28 significant digits
    product = exact_product(third, Decimal("50.00"))
    assert product == Decimal("16.666666666666666666666666665")
    assert product != third * Decimal("50.00")  # the default context would have rounded
