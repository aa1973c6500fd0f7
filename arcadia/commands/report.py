"""`arcadia report margin --period YYYY-MM [-o table|json|csv]`: the margin and leakage report.

One-shot: builds, in this process, the services the report reads (billing ingest, invoicing,
inventory, metering) against the configured database and reads them through their HTTP APIs
exactly as the gateway's `GET /api/v1/reports/margin` does, with a platform-admin token minted
for the call. `-o json` prints the very document the API answers. Exits 1 when the report does
not reconcile to the provider's invoices, 2 when a source cannot be read.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from arcadia.commands.common import Output, OutputOption, emit_rows, err_console, run

if TYPE_CHECKING:
    from datetime import date

app = typer.Typer(
    help="Reports composed from every service's API: margin and leakage.", no_args_is_help=True
)


ROW_COLUMNS = (
    "tenant",
    "deployment",
    "kind",
    "provider_kind",
    "revenue",
    "cost",
    "margin",
    "margin_pct",
)
DEPLOYMENT_COLUMNS = ("tenant", "deployment", "revenue", "cost", "margin", "margin_pct")
UNALLOCATED_COLUMNS = ("category", "reason", "kind", "provider_kind", "cost", "lines")
CSV_COLUMNS = (
    "section",
    "tenant_id",
    "tenant_name",
    "deployment_id",
    "deployment_name",
    "kind",
    "billing_kind",
    "provider_kind",
    "category",
    "reason",
    "revenue_cents",
    "cost_cents",
    "margin_cents",
    "margin_pct",
    "lines",
)


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100:,}.{abs(cents) % 100:02d}"


@app.command("margin")
def margin(
    period: Annotated[str, typer.Option("--period", help="The month, YYYY-MM")],
    output: OutputOption = Output.table,
) -> None:
    """Tenant revenue against DigitalOcean's cost per deployment and kind (tax excluded), the
    cost no deployment carries, the reconciliation to the provider's invoices, and leakage."""
    from gateway.reports.domain.months import parse_month

    try:
        month = parse_month(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc
    document = run(_compose(month))
    if document is None:
        raise typer.Exit(2)
    if output is Output.json:
        typer.echo(json.dumps(document, indent=2))
    elif output is Output.csv:
        emit_rows(_csv_rows(document), CSV_COLUMNS, Output.csv)
        err_console().print(_reconciliation_line(document), highlight=False, markup=False)
    else:
        _tables(document)
    raise typer.Exit(0 if document["reconciliation"]["ok"] else 1)


async def _compose(month: date) -> dict[str, Any] | None:
    from arcadia.commands.report_sources import in_process_sources
    from gateway.reports.api import margin_json
    from gateway.reports.domain.margin import MixedCurrencies, margin_report
    from gateway.reports.ports import SourcesUnavailable

    async with in_process_sources() as reader:
        try:
            sources = await reader.for_period(month)
        except SourcesUnavailable as exc:
            err_console().print(f"[red]error:[/] {exc}", highlight=False)
            return None
    try:
        return margin_json(margin_report(sources))
    except MixedCurrencies as exc:
        err_console().print(f"[red]error:[/] {exc}", highlight=False)
        return None


def _reconciliation_line(document: dict[str, Any]) -> str:
    check = document["reconciliation"]
    verdict = "ok" if check["ok"] else "DOES NOT RECONCILE"
    return (
        f"reconciliation {document['period']}: provider invoices excluding tax "
        f"{_money(check['provider_net_cents'])} (tax {_money(check['provider_tax_cents'])}), "
        f"report cost {_money(check['report_cost_cents'])}, difference "
        f"{_money(check['difference_cents'])}: {verdict}"
    )


def _csv_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"section": "deployment", **row} for row in document["rows"]]
    rows += [
        {"section": "unallocated", "margin_cents": -row["cost_cents"], **row}
        for row in document["unallocated"]
    ]
    return rows


def _tables(document: dict[str, Any]) -> None:
    period = document["period"]
    emit_rows(
        [
            {
                "tenant": row["tenant_name"] or row["tenant_id"],
                "deployment": row["deployment_name"] or row["deployment_id"],
                "kind": row["kind"],
                "provider_kind": row["provider_kind"],
                "revenue": _money(row["revenue_cents"]),
                "cost": _money(row["cost_cents"]),
                "margin": _money(row["margin_cents"]),
                "margin_pct": row["margin_pct"],
            }
            for row in document["rows"]
        ],
        ROW_COLUMNS,
        Output.table,
        title=f"Margin by deployment and kind, {period} (excluding tax)",
    )
    emit_rows(
        [
            {
                "tenant": row["tenant_name"] or row["tenant_id"],
                "deployment": row["deployment_name"] or row["deployment_id"],
                "revenue": _money(row["revenue_cents"]),
                "cost": _money(row["cost_cents"]),
                "margin": _money(row["margin_cents"]),
                "margin_pct": row["margin_pct"],
            }
            for row in document["deployments"]
        ],
        DEPLOYMENT_COLUMNS,
        Output.table,
        title="Margin by deployment",
    )
    emit_rows(
        [row | {"cost": _money(row["cost_cents"])} for row in document["unallocated"]],
        UNALLOCATED_COLUMNS,
        Output.table,
        title="Cost no deployment carries",
    )
    totals = document["totals"]
    revenue = document["revenue_check"]
    typer.echo(
        f"revenue {_money(totals['revenue_cents'])} "
        f"(tenant invoice subtotals {_money(revenue['tenant_subtotal_cents'])}"
        f"{'' if revenue['ok'] else ', DIFFERENT'}), cost {_money(totals['cost_cents'])} "
        f"of which unallocated {_money(totals['unallocated_cost_cents'])}, margin "
        f"{_money(totals['margin_cents'])} ({totals['margin_pct'] or '-'}%)"
    )
    typer.echo(_reconciliation_line(document))
    leakage = document["leakage"]
    emit_rows(
        [row | {"cost": _money(row["cost_cents"])} for row in leakage["billed_not_metered"]],
        ("resource_kind", "resource_name", "reason", "cost", "link"),
        Output.table,
        title="Leakage: billed by the provider, metered for no tenant",
    )
    emit_rows(
        leakage["metered_not_billed"],
        ("resource_kind", "resource_name", "billing_kind", "quantity", "link"),
        Output.table,
        title="Leakage: metered for a tenant, not billed by the provider",
    )
    emit_rows(
        leakage["hours_variance"],
        ("resource_name", "metered_hours", "billed_hours", "variance_hours", "link"),
        Output.table,
        title="Droplet hours: metered against billed",
    )
