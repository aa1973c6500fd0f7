"""`arcadia export focus --period YYYY-MM --side provider|tenant [--out FILE]`.

One-shot: builds, in this process, the services the export reads (billing ingest, invoicing,
inventory, metering) against the configured database, and reads them through their HTTP APIs
exactly as the gateway's `GET /api/v1/exports/focus` does, with a platform-admin token minted
for the call. The export is checked against every FOCUS rule before it is written; one that
fails them is not written (exit 1, the broken rules on stderr).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from arcadia.commands.common import err_console, run

if TYPE_CHECKING:
    from datetime import date

    from gateway.reports.domain.focus import FocusExport, Side

app = typer.Typer(help="Exports of a month's cost and revenue data.", no_args_is_help=True)

LISTED_VIOLATIONS = 20


@app.command("focus")
def focus(
    period: Annotated[str, typer.Option(help="The month, YYYY-MM")],
    side: Annotated[
        str,
        typer.Option(
            help="provider: DigitalOcean's bills to the platform; tenant: the platform's "
            "invoices to its tenants"
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the CSV here (default: stdout)")
    ] = None,
) -> None:
    """One month as a FOCUS 1.3 Cost and Usage CSV, checked before it is written."""
    from gateway.reports.domain import focus as focus_export
    from gateway.reports.domain.months import InvalidPeriod, parse_month

    try:
        month = parse_month(period)
    except InvalidPeriod as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc
    try:
        chosen = focus_export.Side(side)
    except ValueError as exc:
        raise typer.BadParameter("provider or tenant", param_hint="--side") from exc
    export = run(_export(month, chosen))
    if export is None:
        raise typer.Exit(1)
    text = focus_export.to_csv(export)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8", newline="")
        err_console().print(f"{len(export.rows)} rows written to {out}", highlight=False)


async def _export(month: date, side: Side) -> FocusExport | None:
    from arcadia.commands.report_sources import in_process_sources
    from gateway.reports.exports_api import ExportRefused, checked_export
    from gateway.reports.ports import SourcesUnavailable

    async with in_process_sources() as sources:
        try:
            return await checked_export(sources, month, side)
        except SourcesUnavailable as exc:
            err_console().print(f"[red]error:[/] {exc}", highlight=False)
            return None
        except ExportRefused as exc:
            err = err_console()
            err.print(
                f"[red]refused:[/] the {side.value} side breaks {len(exc.violations)} FOCUS "
                "rule(s); nothing written",
                highlight=False,
            )
            for violation in exc.violations[:LISTED_VIOLATIONS]:
                err.print(f"  {violation}", highlight=False, markup=False)
            return None
