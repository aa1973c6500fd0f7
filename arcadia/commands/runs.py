"""`arcadia runs`: when each job, schedule and command of every service last ran and how it
ended, read from each service's run log (its `runs` table); and `recorded`, with which the
one-shot commands (`sync`, `billing ingest`, `meter`, `rollup`) write their own runs there.

One-shot: reads each service's schema directly; the services come from the registry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from arcadia.commands.common import Output, OutputOption, emit_rows, service_schemas

if TYPE_CHECKING:
    from arcadia_core.jobs import JobRunner
    from arcadia_core.runs import RunNote

COLUMNS = ("service", "name", "outcome", "started_at", "finished_at", "summary", "error")
MORE_COLUMNS = ("id", "latest", "correlation_id")
UNDEFINED_TABLE = "42P01"  # a service never migrated has no runs table


class _Service(Protocol):
    jobs: JobRunner


@asynccontextmanager
async def recorded(service: _Service, name: str) -> AsyncIterator[RunNote]:
    """Record the enclosed work of a one-shot command as a run of `name` in `service`'s run
    log, under one correlation id shared with the events the work emits."""
    from arcadia_core.context import correlation, current_correlation_id
    from arcadia_core.runs import RunNote

    with correlation(current_correlation_id(), new_if_missing=True):
        run_log = service.jobs.run_log
        if run_log is None:
            yield RunNote()
            return
        async with run_log.record(name) as note:
            yield note


def sync_summary(
    run: RunNote, kinds: Sequence[str], outcomes: Mapping[str, Mapping[str, int] | BaseException]
) -> None:
    """What a sync of `kinds` did, for its run: resources seen and changed over every kind, and
    the kinds that failed (which fail the run)."""
    from arcadia_core.runs import error_text

    totals: Counter[str] = Counter()
    failed: dict[str, BaseException] = {}
    for kind, outcome in outcomes.items():
        if isinstance(outcome, BaseException):
            failed[kind] = outcome
        else:
            totals.update(outcome)
    run.summarize(
        {
            "kinds": len(kinds),
            "failed": len(failed),
            **{key: totals[key] for key in ("seen", "discovered", "changed", "deleted")},
        }
    )
    if failed:
        run.fail("; ".join(f"{kind}: {error_text(exc)}" for kind, exc in failed.items()))


async def _runs(only: list[str] | None, name: str | None, limit: int) -> list[dict[str, Any]]:
    from arcadia.runtime import database_url
    from arcadia_core.db import create_engine
    from arcadia_core.runs import RunLog
    from arcadia_core.settings import ArcadiaSettings

    settings = ArcadiaSettings()
    rows: list[dict[str, Any]] = []
    for service, schema in service_schemas(only):
        engine = create_engine(await database_url(settings, service), schema=schema, pool_size=1)
        try:
            runs = await RunLog(engine, schema).list_runs(limit=limit, name=name)
        except Exception as exc:
            if not any(getattr(e, "sqlstate", None) == UNDEFINED_TABLE for e in _causes(exc)):
                raise
            typer.echo(f"{service}: no run log yet (run `arcadia migrate`)", err=True)
            continue
        finally:
            await engine.dispose()
        rows += [{"service": service, **run.as_dict()} for run in runs]
    return rows


def _causes(exc: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found


def runs(
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="Only this service (repeatable); default: every one"),
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Only the runs of this job or command")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=1, max=500, help="Rows per service")
    ] = 50,
    output: OutputOption = Output.table,
) -> None:
    """When each job, schedule and command last ran and how it ended: per service, the latest
    run of every name first, then the most recent others."""
    from arcadia.commands.common import run

    rows = run(_runs(service, name, limit))
    for row in rows:
        for column in ("started_at", "finished_at"):
            if row[column] is not None:
                row[column] = row[column].isoformat(timespec="seconds")
    columns = list(COLUMNS) if output is Output.table else [*COLUMNS, *MORE_COLUMNS]
    if output is Output.table and not rows:
        typer.echo("no run recorded")
        return
    emit_rows(rows, columns, output, title="runs")
