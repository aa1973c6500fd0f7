"""`arcadia meter --from D --to D`: meter (or backfill) a range of UTC days.

One-shot: works against the database directly through metering's use cases and outbox (the
running service's relay publishes the `usage.metered` events). Idempotent: re-metering a day
that did not change writes and publishes nothing; a day whose resources changed is corrected.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any

import typer

from arcadia.commands.common import Output, run


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from exc


def meter(
    from_: Annotated[str, typer.Option("--from", help="First UTC day to meter (YYYY-MM-DD)")],
    to: Annotated[str, typer.Option("--to", help="Last UTC day to meter, inclusive")],
    output: Annotated[
        Output, typer.Option("--output", "-o", help="Summary as table, json or csv")
    ] = Output.table,
) -> None:
    """Meter every day from --from to --to (inclusive), with a progress bar; idempotent."""
    first, last = _day(from_), _day(to)
    if last < first:
        raise typer.BadParameter("--to is before --from")
    summaries = run(_meter(first, last, show_progress=output is Output.table))
    _print(summaries, output)


async def _meter(first: date, last: date, *, show_progress: bool) -> list[dict[str, Any]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from arcadia.commands.runs import recorded
    from arcadia.runtime import one_shot
    from metering.bootstrap import Metering
    from metering.usecases.meter import MeterSummary, meter_range

    total = (last - first).days + 1
    async with one_shot("metering") as service:
        assert isinstance(service, Metering)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            disable=not show_progress,
        ) as progress:
            task = progress.add_task(f"metering {first} → {last}", total=total)

            def done(summary: MeterSummary) -> None:
                progress.update(task, advance=1, description=f"metered {summary.period}")

            async with recorded(service, "arcadia meter") as run:
                summaries = await meter_range(
                    first, last, uow=service.uow, clock=service.clock, on_day=done
                )
                run.summarize(
                    {
                        "from": first,
                        "to": last,
                        "days": len(summaries),
                        "records": sum(s.records for s in summaries),
                        "events": sum(s.events for s in summaries),
                    }
                )
    return [asdict(s) for s in summaries]


COLUMNS = ("period", "records", "inserted", "updated", "deleted", "events")


def _print(rows: list[dict[str, Any]], output: Output) -> None:
    if output is Output.json:
        typer.echo(json.dumps(rows, default=_default, indent=2))
        return
    if output is Output.csv:
        typer.echo(",".join(COLUMNS))
        for row in rows:
            typer.echo(",".join(str(row[c]) for c in COLUMNS))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*COLUMNS, title="metered days")
    for row in rows:
        table.add_row(*(str(row[c]) for c in COLUMNS))
    Console().print(table)


def _default(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)
