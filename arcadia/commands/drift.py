"""`arcadia drift`: record desired specs, detect drift, list the inbox, accept a drift.

One-shot: each command works against the database directly, through the drift service's use
cases and outbox (the running service's relay publishes what they emit).
"""

from __future__ import annotations

import getpass
import json
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import typer
from rich.console import Console

from arcadia.commands.common import Output, OutputOption
from arcadia.commands.common import emit_rows as _emit
from arcadia.commands.common import run as run_command

if TYPE_CHECKING:
    from drift.bootstrap import Drift

app = typer.Typer(
    help="Drift: desired state against live state, field by field.", no_args_is_help=True
)
console = Console()


class Status(StrEnum):
    open = "open"
    accepted = "accepted"
    reverted = "reverted"
    stale = "stale"
    all = "all"


def _service(service: object) -> Drift:
    from drift.bootstrap import Drift

    assert isinstance(service, Drift)
    return service


@app.command("record")
def record(
    resource: Annotated[UUID, typer.Option("--resource", help="The inventory's resource id")],
    spec: Annotated[str, typer.Option("--spec", help="Desired spec as JSON: '{\"size_slug\": …}'")],
    kind: Annotated[
        str | None, typer.Option(help="Resource kind (default: from the mirror)")
    ] = None,
    output: OutputOption = Output.table,
) -> None:
    """Record (or replace) the desired spec of a resource; bumps its spec_version."""
    try:
        parsed = json.loads(spec)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"--spec is not JSON: {exc}") from exc

    async def run() -> dict[str, Any]:
        from dataclasses import asdict

        from arcadia.runtime import one_shot
        from drift.usecases.provisioning import InvalidSpec, record_provisioned

        async with one_shot("drift") as built:
            service = _service(built)
            try:
                recorded = await record_provisioned(
                    resource, parsed, uow=service.uow, clock=service.clock, kind=kind
                )
            except InvalidSpec as exc:
                raise typer.BadParameter(str(exc)) from exc
        return asdict(recorded)

    row = run_command(run())
    _emit([row], ["resource_id", "kind", "spec_version", "spec"], output)


@app.command("detect")
def detect(
    resource: Annotated[
        UUID | None, typer.Option("--resource", help="Only this resource (default: all)")
    ] = None,
    output: OutputOption = Output.table,
) -> None:
    """Compare every provisioned resource's spec with its live state now (as the :20 sweep)."""

    async def run() -> list[dict[str, Any]]:
        from rich.progress import Progress

        from arcadia.runtime import one_shot
        from drift.usecases.detect import DetectionSummary, detect_all, detect_one

        async with one_shot("drift") as built:
            service = _service(built)
            if resource is not None:
                summary = DetectionSummary()
                summary.add(await detect_one(resource, uow=service.uow, clock=service.clock))
            else:
                with Progress(console=console, transient=True) as progress:
                    task = progress.add_task("detecting drift", total=None)

                    def advance(done: int, total: int) -> None:
                        progress.update(task, completed=done, total=total)

                    summary = await detect_all(
                        uow=service.uow, clock=service.clock, progress=advance
                    )
        if output is Output.table:
            console.print(
                f"{summary.resources} resources: {summary.drifted_fields} drifted fields, "
                f"{summary.opened} opened, {summary.changed} changed, {summary.closed} closed, "
                f"{summary.unknown} not yet mirrored, {summary.failed} failed"
            )
        if summary.failed:
            raise typer.Exit(code=1)
        return [
            {
                "resource_id": str(r.resource_id),
                "drifted": r.drifted,
                "unverifiable": r.unverifiable,
                "opened": r.opened,
                "changed": r.changed,
                "closed": r.closed,
                "unknown": r.unknown,
            }
            for r in summary.results
        ]

    rows = run_command(run())
    _emit(
        rows,
        ["resource_id", "drifted", "unverifiable", "opened", "changed", "closed", "unknown"],
        output,
    )


@app.command("ls")
def ls(
    status: Annotated[Status, typer.Option(help="open (the inbox), a resolved status, or all")] = (
        Status.open
    ),
    kind: Annotated[str | None, typer.Option(help="Only this resource kind")] = None,
    resource: Annotated[UUID | None, typer.Option(help="Only this resource")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000, help="At most this many")] = 200,
    output: OutputOption = Output.table,
) -> None:
    """List drift records, newest first (the open inbox unless --status says otherwise)."""

    async def run() -> list[dict[str, Any]]:
        from arcadia.runtime import one_shot
        from drift.adapters import queries

        async with one_shot("drift") as built:
            service = _service(built)
            async with service.sessions() as session:
                rows, _ = await queries.list_drifts(
                    session,
                    queries.DriftFilter(status=status.value, kind=kind, resource_id=resource),
                    limit=limit,
                    cursor=None,
                )
        return rows

    rows = run_command(run())
    columns = ["id", "resource_id", "kind", "name", "field", "expected", "actual", "status"]
    if status is not Status.open:
        columns += ["resolved_at", "resolved_by", "reason"]
    else:
        columns += ["opened_at"]
    _emit(rows, columns, output)


@app.command("accept")
def accept(
    drift_id: Annotated[UUID, typer.Argument(help="The drift's id (from `arcadia drift ls`)")],
    reason: Annotated[str, typer.Option("--reason", help="Why the live value is right")],
    by: Annotated[str | None, typer.Option(help="Who accepts it (default: your login)")] = None,
    output: OutputOption = Output.table,
) -> None:
    """Adopt the live value as the desired state and close the drift as accepted."""
    if not reason.strip():
        raise typer.BadParameter("--reason must say why")

    async def run() -> dict[str, Any]:
        from dataclasses import asdict

        from arcadia.runtime import one_shot
        from drift.domain.model import DriftNotOpen
        from drift.usecases.resolve import DriftNotFound, accept_drift

        async with one_shot("drift") as built:
            service = _service(built)
            try:
                closed = await accept_drift(
                    drift_id,
                    by=by or f"cli:{getpass.getuser()}",
                    reason=reason,
                    uow=service.uow,
                    clock=service.clock,
                )
            except (DriftNotFound, DriftNotOpen) as exc:
                console.print(f"[red]{exc}[/red]")
                raise typer.Exit(code=1) from exc
        return asdict(closed)

    row = run_command(run())
    columns = ["id", "resource_id", "field", "actual", "status", "resolved_by", "reason"]
    _emit([row], columns, output)
