"""`arcadia inventory ls`, `arcadia projects ls|classify` and `arcadia status`.

One-shot: each command works against the inventory's database directly, through the inventory's
queries and use cases; what a classification emits stays in the outbox for the running service's
relay to publish. Nothing here calls DigitalOcean, so no token is needed.
"""

from __future__ import annotations

import csv
import getpass
import io
import json
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from uuid import UUID

import typer

from arcadia.commands.common import Output, OutputOption, cell, service_schemas
from arcadia.commands.common import emit_rows as _emit

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

T = TypeVar("T")

inventory = typer.Typer(help="The mirrored DigitalOcean resources.", no_args_is_help=True)
projects = typer.Typer(
    help="DigitalOcean projects and whose they are (tenant, deployment, purpose).",
    no_args_is_help=True,
)


LimitOption = Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows at most")]


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    from arcadia.commands.common import run

    return run(coroutine)


@asynccontextmanager
async def _sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The inventory's database, migrated (so a fresh install answers with empty lists)."""
    from arcadia.runtime import database_url
    from arcadia_core.db import create_engine, session_factory
    from inventory.adapters.tables import SCHEMA
    from inventory.bootstrap import migrate
    from inventory.config import InventorySettings

    url = await database_url(InventorySettings(), "inventory")
    await migrate(url)
    engine = create_engine(url, schema=SCHEMA, pool_size=1)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _all_pages(fetch: Any, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(rows) < limit:
        page, cursor = await fetch(min(500, limit - len(rows)), cursor)
        rows += page
        if cursor is None:
            break
    return rows


RESOURCE_COLUMNS = [
    "id",
    "kind",
    "provider_id",
    "name",
    "status",
    "region",
    "size_slug",
    "project_id",
    "tenant_id",
    "deployment_id",
    "last_seen_at",
    "deleted_at",
]


@inventory.command("ls")
def inventory_ls(
    kind: Annotated[str | None, typer.Option("--kind", "-k", help="Only this kind")] = None,
    tenant: Annotated[UUID | None, typer.Option(help="Only this tenant's")] = None,
    deployment: Annotated[UUID | None, typer.Option(help="Only this deployment's")] = None,
    project: Annotated[UUID | None, typer.Option(help="Only this project's (inventory id)")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status")] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="In name, id")] = None,
    unattributed: Annotated[
        bool, typer.Option("--unattributed", help="Only resources billed to nobody")
    ] = False,
    include_deleted: Annotated[
        bool, typer.Option("--include-deleted", help="Tombstoned resources too")
    ] = False,
    limit: LimitOption = 1000,
    output: OutputOption = Output.table,
) -> None:
    """Mirrored resources, ordered by kind and provider id (every column with -o json|csv)."""
    from arcadia_core.auth import Principal
    from inventory.adapters import queries
    from inventory.domain import kinds, urns

    known = sorted(set(urns.URN_KINDS.values()) | kinds.DEDICATED_KINDS)
    if kind is not None and kind not in known:
        raise typer.BadParameter(f"unknown kind {kind!r}; known: {', '.join(known)}")
    f = queries.ResourceFilter(
        kind=kind,
        tenant_id=tenant,
        deployment_id=deployment,
        project_id=project,
        status=status,
        include_deleted=include_deleted,
        unattributed=True if unattributed else None,
        search=search,
    )

    async def read() -> list[dict[str, Any]]:
        async with _sessions() as sessions, sessions() as session:

            async def page(size: int, cursor: str | None) -> Any:
                return await queries.list_resources(
                    session, Principal.platform_admin("cli"), f, limit=size, cursor=cursor
                )

            return await _all_pages(page, limit)

    rows = _run(read())
    columns = RESOURCE_COLUMNS if output is Output.table else [*RESOURCE_COLUMNS, "attrs"]
    if output is Output.table:
        columns = [c for c in columns if c not in ("id", "deployment_id", "deleted_at")]
    _emit(rows, columns, output, title=f"{len(rows)} resources")


PROJECT_COLUMNS = ["id", "provider_id", "name", "tenant_id", "deployment_id", "purpose"]


@projects.command("ls")
def projects_ls(
    include_deleted: Annotated[
        bool, typer.Option("--include-deleted", help="Projects DigitalOcean no longer lists")
    ] = False,
    limit: LimitOption = 1000,
    output: OutputOption = Output.table,
) -> None:
    """Mirrored DigitalOcean projects and their classification."""
    from arcadia_core.auth import Principal
    from inventory.adapters import queries

    async def read() -> list[dict[str, Any]]:
        async with _sessions() as sessions, sessions() as session:

            async def page(size: int, cursor: str | None) -> Any:
                return await queries.list_projects(
                    session, Principal.platform_admin("cli"), limit=size, cursor=cursor
                )

            return await _all_pages(page, limit)

    rows = [r for r in _run(read()) if include_deleted or r.get("deleted_at") is None]
    columns = [*PROJECT_COLUMNS, "deleted_at"]
    if output is not Output.table:
        columns += ["attrs", "unrecognized_urns", "last_seen_at"]
    _emit(rows, columns, output, title=f"{len(rows)} projects")


@projects.command("classify")
def projects_classify(
    project: Annotated[str, typer.Argument(help="Project: inventory id, DO id or name")],
    tenant: Annotated[UUID | None, typer.Option(help="Tenant it is billed to")] = None,
    deployment: Annotated[UUID | None, typer.Option(help="Deployment it runs")] = None,
    purpose: Annotated[str | None, typer.Option(help="tenant, internal or shared")] = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", help="Clear tenant, deployment or purpose (repeatable)"),
    ] = None,
    output: OutputOption = Output.table,
) -> None:
    """Say whose a project is; its resources inherit tenant and deployment, each with an
    audit event naming who did it (`cli:<user>`)."""
    from inventory.adapters.unit_of_work import SqlUnitOfWork
    from inventory.domain.model import Actor
    from inventory.domain.projects import Classification
    from inventory.domain.registry import UnknownToRegistry
    from inventory.usecases.projects import classify_project

    purposes = ("tenant", "internal", "shared")
    if purpose is not None and purpose not in purposes:
        raise typer.BadParameter(f"purpose must be one of {', '.join(purposes)}")
    fields = {"tenant": "tenant_id", "deployment": "deployment_id", "purpose": "purpose"}
    cleared = set()
    for name in clear or []:
        if name not in fields:
            raise typer.BadParameter(f"--clear takes one of {', '.join(fields)}")
        cleared.add(fields[name])
    if tenant is None and deployment is None and purpose is None and not cleared:
        raise typer.BadParameter("say what to set (--tenant, --deployment, --purpose or --clear)")
    classification = Classification(
        tenant_id=tenant, deployment_id=deployment, purpose=purpose, clear=frozenset(cleared)
    )
    actor = Actor(subject=f"cli:{getpass.getuser()}", role="platform_admin")

    async def apply() -> dict[str, Any] | None:
        from dataclasses import asdict
        from datetime import UTC

        async with _sessions() as sessions:
            async with sessions() as session:
                from inventory.adapters.repository import SqlProjectRepository

                held = (await SqlProjectRepository(session).all()).values()
            found = [
                p
                for p in held
                if project in (str(p.id), p.provider_id, p.name) and p.deleted_at is None
            ]
            if len(found) != 1:
                return None
            updated = await classify_project(
                found[0].id,
                classification,
                uow=lambda: SqlUnitOfWork(sessions),
                clock=lambda: datetime.now(UTC),
                actor=actor,
            )
            return None if updated is None else asdict(updated)

    try:
        row = _run(apply())
    except UnknownToRegistry as exc:
        typer.echo(f"refused: {exc}", err=True)
        raise typer.Exit(code=1) from exc
    if row is None:
        typer.echo(f"no single live project matches {project!r} (see `arcadia projects ls`)")
        raise typer.Exit(code=1)
    _emit([row], PROJECT_COLUMNS, output)


def status(output: OutputOption = Output.table) -> None:
    """Last sync of each kind and how it ended; per service, jobs queued and failed, the outbox
    backlog and parked rows; dead letters per consumer queue."""
    report = _run(_status())
    if output is Output.json:
        typer.echo(json.dumps(report, default=str, indent=2))
        return
    if output is Output.csv:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["section", "name", "field", "value"])
        for section, rows in report.items():
            for row in rows:
                name = row.get("kind") or row.get("service") or row.get("queue")
                for key, value in row.items():
                    if key not in ("kind", "service", "queue"):
                        writer.writerow([section, name, key, cell(value)])
        typer.echo(buffer.getvalue(), nl=False)
        return
    _emit(report["syncs"], ["kind", "result", "finished_at", "summary"], output, "last syncs")
    _emit(
        report["services"],
        ["service", "jobs_queued", "jobs_failed", "outbox_pending", "outbox_parked"],
        output,
        "services",
    )
    _emit(report["dead_letters"], ["queue", "dead_letters"], output, "dead letters")


async def _status() -> dict[str, list[dict[str, Any]]]:
    from sqlalchemy import select

    from arcadia import registry
    from arcadia.commands import delivery, jobs
    from inventory.adapters.tables import sync_runs
    from inventory.domain import kinds

    async with _sessions() as sessions, sessions() as session:
        held = {r["kind"]: r for r in (await session.execute(select(sync_runs))).mappings()}
    syncs = []
    for kind in kinds.FULL_SYNC_ORDER:
        run = held.get(kind)
        if run is None:
            syncs.append({"kind": kind, "result": "never", "finished_at": None, "summary": None})
            continue
        summary = run["summary"] if run["ok"] else run["error"]
        result = "ok" if run["ok"] else "failed"
        if run["ok"] and (run["summary"] or {}).get("held_back"):
            result = "held back (mass-delete guard)"
        syncs.append(
            {"kind": kind, "result": result, "finished_at": run["finished_at"], "summary": summary}
        )

    counts: dict[str, dict[str, Any]] = {}

    async def job_counts(name: str, runner: Any) -> tuple[int, int]:
        queued = await runner.queued_jobs(100_000, statuses=["queued"])
        failed = await runner.failed_jobs(100_000)
        return len(queued), len(failed)

    for name, (queued, failed) in await jobs._each(None, job_counts):
        counts.setdefault(name, {"service": name})
        counts[name] |= {"jobs_queued": queued, "jobs_failed": failed}
    for name, schema in service_schemas(None):
        engine = await delivery._engine(name, schema)
        try:
            outbox = await delivery._relay(engine, schema).status()
            counts.setdefault(name, {"service": name})
            counts[name] |= {"outbox_pending": outbox.pending, "outbox_parked": outbox.parked}
        except Exception as exc:
            if not delivery._missing_table(exc):
                raise
        finally:
            await engine.dispose()

    letters = []
    for queue in sorted(registry.consumer_queues()):
        try:
            depth: int | str = await delivery._with_letters(queue, lambda s, q=queue: s.count(q))
        except Exception as exc:
            depth = f"unavailable: {type(exc).__name__}"
        letters.append({"queue": queue, "dead_letters": depth})
    return {"syncs": syncs, "services": list(counts.values()), "dead_letters": letters}
