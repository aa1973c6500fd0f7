"""`arcadia billing`: ingest DigitalOcean's bills now, and list the invoices.

One-shot: each command works against the database directly, through billing ingest's use
cases and outbox (the running service's relay publishes what they emit; a finance push that
fails here stays queued for the running service's jobs).
"""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from arcadia.commands.common import Output

if TYPE_CHECKING:
    from rich.console import Console

    from billing_ingest.bootstrap import BillingIngest

app = typer.Typer(help="DigitalOcean's bills: balance, invoices, cost lines.", no_args_is_help=True)


def _console() -> Console:
    from arcadia.commands.common import console

    found: Console = console()
    return found


def _service(service: object) -> BillingIngest:
    from billing_ingest.bootstrap import BillingIngest

    assert isinstance(service, BillingIngest)
    return service


@app.command()
def ingest(
    invoice: Annotated[
        str | None, typer.Option("--invoice", help="Only this invoice (its uuid)")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Ingest again invoices already ingested")
    ] = False,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Use the built-in sandbox when no token is set")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail")] = False,
) -> None:
    """Read the balance and the billing history now, then ingest every invoice not yet ingested
    (all of them with --force), with progress. Exits non-zero if an invoice failed or does not
    reconcile."""
    from arcadia.commands.common import print_environment, run, setup_logging

    setup_logging(verbose)
    print_environment("billing-ingest")
    problems = run(_ingest(invoice, force, sandbox, _console()))
    raise typer.Exit(code=1 if problems else 0)


async def _ingest(invoice: str | None, force: bool, sandbox: bool, console: Console) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from arcadia.commands.runs import recorded
    from arcadia.runtime import one_shot
    from billing_ingest.usecases.ingest import ingest_invoice
    from billing_ingest.usecases.push import push_invoice
    from billing_ingest.usecases.records import record_balance, refresh_history

    async with (
        one_shot("billing-ingest", sandbox=sandbox) as built,
        recorded(_service(built), "arcadia billing ingest") as run,
    ):
        billing = _service(built)
        pushing = billing.finance.configured
        await record_balance(provider=billing.provider, uow=billing.uow, clock=billing.clock)
        history = await refresh_history(
            provider=billing.provider,
            uow=billing.uow,
            clock=billing.clock,
            force=force,
            enqueue=False,
            push_configured=pushing,
        )
        console.print(
            f"billing history: {history.history_entries} entries, {history.invoices} invoices, "
            f"{len(history.to_ingest)} to ingest"
            + ("" if pushing else "; finance push skipped (no SKYAI_FINANCE_JWT_SECRET)"),
            soft_wrap=True,
        )
        targets = [invoice] if invoice else history.to_ingest
        problems = lines = matched = 0
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("ingesting", total=len(targets))
            for invoice_uuid in targets:
                outcome = await ingest_invoice(
                    invoice_uuid,
                    provider=billing.provider,
                    uow=billing.uow,
                    clock=billing.clock,
                    force=force,
                    push=pushing,
                )
                note = f"{outcome.line_count} lines, {outcome.matched_count} matched"
                lines, matched = lines + outcome.line_count, matched + outcome.matched_count
                if outcome.status == "failed":
                    problems += 1
                    progress.console.print(f"[red]{invoice_uuid}: failed: {outcome.reason}")
                elif outcome.reconciled is False:
                    problems += 1
                    progress.console.print(
                        f"[red]{invoice_uuid}: does not reconcile: {outcome.reason}"
                    )
                elif outcome.push_queued:
                    try:
                        pushed = await push_invoice(
                            invoice_uuid,
                            uow=billing.uow,
                            finance=billing.finance,
                            clock=billing.clock,
                        )
                        note += f", finance: {pushed.action}"
                    except Exception as exc:  # queued: the running service retries it
                        note += f", finance push queued for retry ({type(exc).__name__})"
                progress.update(task, advance=1, description=f"{invoice_uuid[:8]}: {note}")
        console.print(
            f"{len(targets)} invoice(s) processed, {problems} failed or not reconciled",
            soft_wrap=True,
        )
        run.summarize(
            {"invoices": len(targets), "lines": lines, "matched": matched, "problems": problems}
        )
        if problems:
            run.fail(f"{problems} invoice(s) failed or did not reconcile")
        return problems


COLUMNS = (
    "invoice_uuid",
    "invoice_id",
    "invoice_period",
    "amount_cents",
    "status",
    "line_count",
    "matched_count",
    "match_rate",
    "reconciled",
    "pushed_to_finance_at",
    "failure_reason",
)


@app.command()
def invoices(
    output: Annotated[Output, typer.Option("--output", "-o", help="table, json or csv")] = (
        Output.table
    ),
    limit: Annotated[int, typer.Option(help="At most this many, newest first")] = 200,
) -> None:
    """List DigitalOcean's invoices with their status and match rate."""
    from arcadia.commands.common import run

    rows = run(_invoices(limit))
    console = _console()
    if output is Output.json:
        typer.echo(json.dumps(rows, default=str, indent=2))
        return
    if output is Output.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buffer.getvalue(), nl=False)
        return
    from rich.table import Table

    table = Table("period", "uuid", "amount", "status", "lines", "matched", "rate", "pushed")
    for row in rows:
        table.add_row(
            str(row["invoice_period"])[:7],
            row["invoice_uuid"],
            f"${row['amount_cents'] / 100:,.2f}",
            row["status"] if row["reconciled"] is not False else "not reconciled",
            str(row["line_count"]),
            str(row["matched_count"]),
            "" if row["match_rate"] is None else f"{float(row['match_rate']):.1%}",
            "yes" if row["pushed_to_finance_at"] else "",
        )
    console.print(table)


async def _invoices(limit: int) -> list[dict[str, Any]]:
    from arcadia.runtime import one_shot
    from billing_ingest.adapters import queries

    async with one_shot("billing-ingest", sandbox=True) as built:
        billing = _service(built)
        async with billing.sessions() as session:
            rows, _ = await queries.list_invoices(session, status=None, limit=limit, cursor=None)
    return [{column: row[column] for column in COLUMNS} for row in rows]
