"""`arcadia jobs list|failed|retry`: every service's PgQueuer jobs, from its own schema.

One-shot: each command reads the services' job tables directly (through `JobRunner`, which
uses PgQueuer's own queries); the services come from the registry with their schemas.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from arcadia.commands.common import Output, OutputOption, service_schemas
from arcadia.commands.common import emit_rows as _emit

if TYPE_CHECKING:
    from arcadia_core.jobs import JobRunner

T = TypeVar("T")

app = typer.Typer(
    help="Jobs: what each service has queued, running and held as failed; retry failed ones.",
    no_args_is_help=True,
)


class Status(StrEnum):
    queued = "queued"
    picked = "picked"
    failed = "failed"


ServiceOption = Annotated[
    list[str] | None,
    typer.Option("--service", "-s", help="Only this service (repeatable); default: every one"),
]
LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows per service")]


async def _each(
    only: list[str] | None, work: Callable[[str, JobRunner], Awaitable[T]]
) -> list[tuple[str, T]]:
    """Run `work` against each service's job tables; a service never migrated is skipped."""
    import asyncpg

    from arcadia.runtime import database_url
    from arcadia_core.jobs import JobRunner
    from arcadia_core.settings import ArcadiaSettings

    settings = ArcadiaSettings()
    results: list[tuple[str, T]] = []
    for name, schema in service_schemas(only):
        runner = JobRunner(await database_url(settings, name), schema=schema, service=name)
        try:
            results.append((name, await work(name, runner)))
        except asyncpg.UndefinedTableError:
            typer.echo(f"{name}: no job tables yet (run `arcadia migrate`)", err=True)
        finally:
            await runner.close()
    return results


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    from arcadia.commands.common import run

    return run(coroutine)


@app.command("list")
def list_jobs(
    service: ServiceOption = None,
    status: Annotated[
        list[Status] | None,
        typer.Option("--status", help="queued, picked (running) or failed; repeatable"),
    ] = None,
    name: Annotated[
        list[str] | None, typer.Option("--name", help="Only jobs of this name; repeatable")
    ] = None,
    limit: LimitOption = 100,
    output: OutputOption = Output.table,
) -> None:
    """Job rows of every service: queued (or waiting for a retry), running, held as failed."""
    statuses = [s.value for s in status] if status else None

    async def work(_: str, runner: JobRunner) -> list[Any]:
        return await runner.queued_jobs(limit, statuses=statuses, names=name)

    rows = [
        {
            "service": svc,
            "id": job.id,
            "name": job.name,
            "status": job.status,
            "attempts": job.attempts,
            "execute_after": job.execute_after.isoformat(),
            "created": job.created.isoformat(),
            "correlation_id": job.correlation_id,
            "payload": job.payload,
        }
        for svc, jobs in _run(_each(service, work))
        for job in jobs
    ]
    columns = ["service", "id", "name", "status", "attempts", "execute_after", "correlation_id"]
    if output is not Output.table:
        columns += ["created", "payload"]
    _emit(rows, columns, output)


@app.command()
def failed(
    service: ServiceOption = None,
    limit: LimitOption = 100,
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Include each job's last traceback")
    ] = False,
    output: OutputOption = Output.table,
) -> None:
    """Jobs held as failed after their last attempt, newest first, with their error."""

    async def work(_: str, runner: JobRunner) -> list[Any]:
        return await runner.failed_jobs(limit)

    rows = [
        {
            "service": svc,
            "id": job.id,
            "name": job.name,
            "attempts": job.attempts,
            "failed_at": job.failed_at.isoformat(),
            "error": job.error,
            "payload": job.payload,
            "traceback": job.traceback,
        }
        for svc, jobs in _run(_each(service, work))
        for job in jobs
    ]
    columns = ["service", "id", "name", "attempts", "failed_at", "error", "payload"]
    if traceback:
        columns.append("traceback")
    _emit(rows, columns, output)


@app.command()
def retry(
    ids: Annotated[
        list[int] | None, typer.Argument(help="Failed job ids of --service to put back")
    ] = None,
    service: ServiceOption = None,
    all_failed: Annotated[
        bool, typer.Option("--all", help="Every failed job (of --service, or of every service)")
    ] = False,
) -> None:
    """Put failed jobs back in the queue with a fresh retry budget.

    Job ids are per service: give one --service with ids, or --all.
    """
    if bool(ids) == all_failed:
        raise typer.BadParameter("give job ids (with one --service) or --all")
    if ids and (not service or len(service) != 1):
        raise typer.BadParameter("job ids are per service: give exactly one --service")

    async def work(_: str, runner: JobRunner) -> list[int]:
        wanted = ids or [job.id for job in await runner.failed_jobs(limit=100_000)]
        held = {job.id for job in await runner.failed_jobs(limit=100_000)}
        chosen = [i for i in wanted if i in held]
        if chosen:
            await runner.requeue_failed(chosen)
        missing = [i for i in wanted if i not in held]
        if missing:
            typer.echo(f"not held as failed: {', '.join(map(str, missing))}", err=True)
        return chosen

    done = _run(_each(service, work))
    for svc, chosen in done:
        if chosen:
            typer.echo(f"{svc}: requeued {len(chosen)} job(s): {', '.join(map(str, chosen))}")
    if not any(chosen for _, chosen in done):
        typer.echo("nothing to retry")
