"""Invoicing commands: `tenants`, `deployments`, `subscriptions`, `rollup`, `invoices`.

One-shot: they work against the database directly through the invoicing use cases and its
outbox (the running service's relay publishes `deployment.changed` and
`tenant_invoice.issued`). Service modules are imported inside the commands so that
`arcadia --help` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from uuid import UUID

import typer

from arcadia.commands.common import Output, OutputOption, run
from arcadia.commands.common import emit_rows as _print

if TYPE_CHECKING:
    from invoicing.bootstrap import Invoicing

T = TypeVar("T")


tenants = typer.Typer(help="The tenants of the customer registry.", no_args_is_help=True)
deployments = typer.Typer(
    help="Tenants' deployments, each linked to the DigitalOcean project it runs in.",
    no_args_is_help=True,
)
subscriptions = typer.Typer(help="Deployments on plans, with add-ons.", no_args_is_help=True)
invoices = typer.Typer(help="Month-end tenant invoices.", no_args_is_help=True)


def _run(work: Callable[[Invoicing], Awaitable[T]]) -> T:
    async def main() -> T:
        from arcadia.runtime import one_shot
        from invoicing.bootstrap import Invoicing

        async with one_shot("invoicing") as service:
            assert isinstance(service, Invoicing)
            return await work(service)

    from invoicing.domain.lifecycle import IllegalTransition
    from invoicing.domain.model import Conflict, Invalid, NotFound
    from invoicing.domain.period import InvalidPeriod

    try:
        return run(main())
    except (NotFound, Conflict, Invalid, IllegalTransition, InvalidPeriod) as exc:
        typer.echo(f"error: {str(exc).strip(chr(39))}", err=True)
        raise typer.Exit(code=1) from exc


def _money(cents: int) -> str:
    from arcadia_core.money import from_cents

    return f"{from_cents(cents):,.2f}"


# --- tenants -----------------------------------------------------------------------------------

TENANT_COLUMNS = ("id", "name", "external_id", "tax_rate", "currency")


@tenants.command("add")
def tenants_add(
    name: Annotated[str, typer.Argument(help="The tenant's name (unique)")],
    external_id: Annotated[str | None, typer.Option(help="Your own id for the tenant")] = None,
    tax_rate: Annotated[str, typer.Option(help="Tax rate as a fraction (GST: 0.10)")] = "0.10",
    currency: Annotated[str, typer.Option(help="Currency of its invoices")] = "USD",
    output: OutputOption = Output.table,
) -> None:
    """Register a tenant (prints it, with its id)."""
    from dataclasses import asdict

    from invoicing.usecases.registry import create_tenant

    async def work(service: Invoicing) -> dict[str, Any]:
        tenant = await create_tenant(
            name,
            uow=service.uow,
            clock=service.clock,
            external_id=external_id,
            tax_rate=Decimal(tax_rate),
            currency=currency,
        )
        return asdict(tenant)

    _print([_run(work)], TENANT_COLUMNS, output)


@tenants.command("ls")
def tenants_ls(output: OutputOption = Output.table) -> None:
    """List tenants."""
    from arcadia_core.auth import Principal
    from invoicing.adapters import queries

    async def work(service: Invoicing) -> list[dict[str, Any]]:
        async with service.sessions() as session:
            rows, _ = await queries.list_tenants(
                session, Principal.platform_admin(), limit=100_000, cursor=None
            )
        return rows

    _print(_run(work), TENANT_COLUMNS, output)


# --- deployments -------------------------------------------------------------------------------

DEPLOYMENT_COLUMNS = ("id", "tenant_id", "name", "do_project", "active", "version")


async def _tenant_id(service: Invoicing, tenant: str) -> UUID:
    """A tenant by id or by name."""
    from invoicing.domain.model import NotFound

    async with service.uow() as work:
        try:
            found = await work.registry.tenant(UUID(tenant))
        except ValueError:
            found = await work.registry.tenant_by_name(tenant)
    if found is None:
        raise NotFound(f"tenant {tenant} not found")
    return found.id


@deployments.command("add")
def deployments_add(
    name: Annotated[str, typer.Argument(help="The deployment's name (unique per tenant)")],
    tenant: Annotated[str, typer.Option("--tenant", help="Tenant id or name")],
    do_project: Annotated[
        str | None,
        typer.Option("--do-project", help="Name of the DigitalOcean project it runs in"),
    ] = None,
    output: OutputOption = Output.table,
) -> None:
    """Register a deployment; the inventory classifies its DigitalOcean project."""
    from dataclasses import asdict

    from invoicing.usecases.registry import create_deployment

    async def work(service: Invoicing) -> dict[str, Any]:
        tenant_id = await _tenant_id(service, tenant)
        deployment = await create_deployment(
            tenant_id, name, uow=service.uow, clock=service.clock, do_project=do_project
        )
        return asdict(deployment)

    _print([_run(work)], DEPLOYMENT_COLUMNS, output)


@deployments.command("ls")
def deployments_ls(
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant's")] = None,
    include_removed: Annotated[bool, typer.Option(help="Also removed deployments")] = False,
    output: OutputOption = Output.table,
) -> None:
    """List deployments."""
    from arcadia_core.auth import Principal
    from invoicing.adapters import queries

    async def work(service: Invoicing) -> list[dict[str, Any]]:
        tenant_id = await _tenant_id(service, tenant) if tenant else None
        async with service.sessions() as session:
            rows, _ = await queries.list_deployments(
                session,
                Principal.platform_admin(),
                tenant_id=tenant_id,
                include_removed=include_removed,
                limit=100_000,
                cursor=None,
            )
        return rows

    _print(_run(work), DEPLOYMENT_COLUMNS, output)


# --- subscriptions -----------------------------------------------------------------------------

SUBSCRIPTION_COLUMNS = (
    "id",
    "tenant_id",
    "deployment_id",
    "plan_code",
    "addon_codes",
    "starts_on",
    "ends_on",
    "status",
)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from exc


@subscriptions.command("add")
def subscriptions_add(
    deployment: Annotated[str, typer.Option("--deployment", help="Deployment id")],
    plan: Annotated[str, typer.Option("--plan", help="Plan code, e.g. studio")],
    from_: Annotated[str, typer.Option("--from", help="First day billed (YYYY-MM-DD)")],
    addon: Annotated[
        list[str] | None, typer.Option("--addon", help="Add-on code (repeatable)")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Last day billed, inclusive (default: open)")
    ] = None,
    output: OutputOption = Output.table,
) -> None:
    """Put a deployment on a plan with add-ons from a day."""
    from dataclasses import asdict

    from invoicing.usecases.registry import subscribe

    try:
        deployment_id = UUID(deployment)
    except ValueError as exc:
        raise typer.BadParameter(f"{deployment!r} is not a deployment id") from exc
    starts_on, ends_on = _date(from_), _date(to) if to else None

    async def work(service: Invoicing) -> dict[str, Any]:
        subscription = await subscribe(
            deployment_id,
            plan,
            uow=service.uow,
            clock=service.clock,
            starts_on=starts_on,
            ends_on=ends_on,
            addon_codes=tuple(addon or ()),
        )
        return asdict(subscription)

    _print([_run(work)], SUBSCRIPTION_COLUMNS, output)


@subscriptions.command("ls")
def subscriptions_ls(output: OutputOption = Output.table) -> None:
    """List subscriptions."""
    from dataclasses import asdict

    from arcadia_core.auth import Principal
    from invoicing.adapters import queries

    async def work(service: Invoicing) -> list[dict[str, Any]]:
        async with service.sessions() as session:
            found, _ = await queries.list_subscriptions(
                session,
                Principal.platform_admin(),
                tenant_id=None,
                deployment_id=None,
                limit=100_000,
                cursor=None,
            )
        return [asdict(s) for s in found]

    _print(_run(work), SUBSCRIPTION_COLUMNS, output)


# --- rollup ------------------------------------------------------------------------------------


def rollup(
    period: Annotated[str, typer.Option("--period", help="The month to roll up (YYYY-MM)")],
    force: Annotated[
        bool, typer.Option("--force", help="Regenerate draft invoices (never issued or paid)")
    ] = False,
    output: OutputOption = Output.table,
) -> None:
    """Roll up a month into one tenant invoice per tenant; a re-run skips unless --force."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from arcadia.commands.runs import recorded
    from invoicing.domain.period import Period
    from invoicing.usecases.rollup import roll_up_period

    try:
        target = Period.parse(period)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc

    async def work(service: Invoicing) -> dict[str, Any]:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            disable=output is not Output.table,
        ) as progress:
            task = progress.add_task(f"rolling up {target}", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            async with recorded(service, "arcadia rollup") as run:
                summary = await roll_up_period(
                    target, uow=service.uow, clock=service.clock, force=force, progress=advance
                )
                run.summarize(
                    {
                        "period": summary.period,
                        "tenants": summary.tenants,
                        "created": len(summary.created),
                        "regenerated": len(summary.regenerated),
                        "skipped": len(summary.skipped),
                    }
                )
        return {
            "period": summary.period,
            "tenants": summary.tenants,
            "created": len(summary.created),
            "regenerated": len(summary.regenerated),
            "skipped": len(summary.skipped),
            "locked": len(summary.locked),
        }

    _print(
        [_run(work)],
        ("period", "tenants", "created", "regenerated", "skipped", "locked"),
        output,
    )


# --- invoices ----------------------------------------------------------------------------------

INVOICE_COLUMNS = (
    "id",
    "tenant_id",
    "period_start",
    "status",
    "number",
    "subtotal",
    "tax",
    "total",
    "currency",
)


def _invoice_row(row: dict[str, Any]) -> dict[str, Any]:
    return row | {
        "subtotal": _money(row["subtotal_cents"]),
        "tax": _money(row["tax_cents"]),
        "total": _money(row["total_cents"]),
    }


@invoices.command("ls")
def invoices_ls(
    period: Annotated[
        str | None, typer.Option("--period", help="Only this month (YYYY-MM)")
    ] = None,
    status: Annotated[str | None, typer.Option(help="draft, issued, paid or void")] = None,
    tenant: Annotated[str | None, typer.Option("--tenant", help="Tenant id or name")] = None,
    output: OutputOption = Output.table,
) -> None:
    """List tenant invoices."""
    from arcadia_core.auth import Principal
    from invoicing.adapters import queries
    from invoicing.domain.period import Period

    start = Period.parse(period).start if period else None

    async def work(service: Invoicing) -> list[dict[str, Any]]:
        tenant_id = await _tenant_id(service, tenant) if tenant else None
        async with service.sessions() as session:
            rows, _ = await queries.list_invoices(
                session,
                Principal.platform_admin(),
                tenant_id=tenant_id,
                period_start=start,
                status=status,
                limit=100_000,
                cursor=None,
            )
        return [_invoice_row(r) for r in rows]

    _print(_run(work), INVOICE_COLUMNS, output)


def _invoice_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not an invoice id") from exc


@invoices.command("show")
def invoices_show(
    invoice: Annotated[str, typer.Argument(help="Invoice id")],
    output: OutputOption = Output.table,
) -> None:
    """One invoice with its lines."""
    from dataclasses import asdict

    from invoicing.domain.model import NotFound

    invoice_id = _invoice_id(invoice)

    async def work(service: Invoicing) -> dict[str, Any]:
        async with service.uow() as unit:
            found = await unit.invoices.get(invoice_id)
        if found is None:
            raise NotFound(f"invoice {invoice_id} not found")
        return asdict(found)

    found = _run(work)
    if output is Output.json:
        typer.echo(json.dumps(found, default=str, indent=2))
        return
    _print([_invoice_row(found)], INVOICE_COLUMNS, output)
    lines = [line | {"amount": _money(line["amount_cents"])} for line in found["lines"]]
    _print(
        lines,
        ("kind", "description", "deployment_id", "resource_kind", "quantity", "amount"),
        output,
    )


def _transition(invoice: str, action: str, output: Output) -> None:
    from dataclasses import asdict

    from invoicing.usecases.invoices import transition

    invoice_id = _invoice_id(invoice)

    async def work(service: Invoicing) -> dict[str, Any]:
        changed = await transition(
            invoice_id, action, uow=service.uow, clock=service.clock, renderer=service.renderer
        )
        return _invoice_row(asdict(changed))

    _print([_run(work)], INVOICE_COLUMNS, output)


@invoices.command("issue")
def invoices_issue(
    invoice: Annotated[str, typer.Argument(help="Invoice id")], output: OutputOption = Output.table
) -> None:
    """Issue a draft: it gets the next number and never changes again."""
    _transition(invoice, "issue", output)


@invoices.command("pay")
def invoices_pay(
    invoice: Annotated[str, typer.Argument(help="Invoice id")], output: OutputOption = Output.table
) -> None:
    """Mark an issued invoice paid."""
    _transition(invoice, "pay", output)


@invoices.command("void")
def invoices_void(
    invoice: Annotated[str, typer.Argument(help="Invoice id")], output: OutputOption = Output.table
) -> None:
    """Void a draft or issued invoice (the period can then be rolled up again)."""
    _transition(invoice, "void", output)
