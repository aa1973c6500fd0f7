"""`arcadia`: run, operate and inspect ArcadiaCloud from the command line.

Only typer is imported at module level: every command imports what it needs when it runs, so
`arcadia --help` answers at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, TypeVar
from uuid import UUID

import typer

from arcadia.commands import billing as billing_commands
from arcadia.commands import delivery as delivery_commands
from arcadia.commands import drift as drift_commands
from arcadia.commands import export as export_commands
from arcadia.commands import inventory as inventory_commands
from arcadia.commands import invoicing as invoicing_commands
from arcadia.commands import jobs as jobs_commands
from arcadia.commands import metering as metering_commands
from arcadia.commands import report as report_commands
from arcadia.commands import runs as runs_commands
from arcadia.commands import sandbox as sandbox_commands
from arcadia.commands.common import console, print_environment, run, setup_logging

T = TypeVar("T")

app = typer.Typer(
    help=(
        "ArcadiaCloud: mirror a DigitalOcean account, ingest its bills, meter and invoice "
        "tenants, detect drift. Settings come from the environment (see README)."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox_commands.app, name="sandbox")
app.add_typer(drift_commands.app, name="drift")
app.add_typer(billing_commands.app, name="billing")
app.add_typer(report_commands.app, name="report")
app.add_typer(export_commands.app, name="export")
app.add_typer(jobs_commands.app, name="jobs")
app.add_typer(delivery_commands.outbox, name="outbox")
app.add_typer(delivery_commands.dlq, name="dlq")
app.command("meter")(metering_commands.meter)
app.add_typer(invoicing_commands.tenants, name="tenants")
app.add_typer(invoicing_commands.deployments, name="deployments")
app.add_typer(invoicing_commands.subscriptions, name="subscriptions")
app.add_typer(invoicing_commands.invoices, name="invoices")
app.command("rollup")(invoicing_commands.rollup)
app.add_typer(inventory_commands.inventory, name="inventory")
app.add_typer(inventory_commands.projects, name="projects")
app.command("status")(inventory_commands.status)
app.command("runs")(runs_commands.runs)

SERVICES_HELP = "inventory, billing-ingest, metering, invoicing, drift or gateway"
VERBOSE = Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail")]
SANDBOX = Annotated[
    bool,
    typer.Option(
        "--sandbox", help="Use the built-in DigitalOcean sandbox when no DO_API_TOKEN is set"
    ),
]


@app.command()
def up(
    host: Annotated[
        str, typer.Option(envvar="ARCADIA_HOST", help="Interface to listen on")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="ARCADIA_PORT", help="Port of the API")] = 8000,
    initial_sync: Annotated[
        bool, typer.Option(help="Sync every resource kind once before serving")
    ] = True,
    scenario: Annotated[
        str, typer.Option(help="Sandbox scenario when no DO_API_TOKEN is set")
    ] = "seeds",
    verbose: VERBOSE = False,
) -> None:
    """Run everything in one process, for development: every service and the gateway on one port.

    Uses an embedded PostgreSQL under .arcadia/ unless ARCADIA_DATABASE_URL is set, the
    in-process bus unless ARCADIA_AMQP_URL is set, and the DigitalOcean sandbox unless
    DO_API_TOKEN is set; prints which. Then prints an admin token and a curl line to try.
    """
    from arcadia.commands import services

    setup_logging(verbose)
    run(services.run_all_in_one(host, port, initial_sync, scenario, console()), announce=False)


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help=f"One of: {SERVICES_HELP}")],
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the service's API")] = 8000,
    jobs: Annotated[bool, typer.Option(help="Run this service's scheduled jobs")] = True,
    dev: Annotated[
        bool,
        typer.Option(
            "--dev",
            help="Allow the development fallbacks (embedded database, in-process bus, "
            "sandbox, development JWT secret). Never in production.",
        ),
    ] = False,
    verbose: VERBOSE = False,
) -> None:
    """Run one service: its API, its bus consumers and its jobs (distributed mode).

    Strict: refuses to start, naming every missing variable, without ARCADIA_DATABASE_URL,
    ARCADIA_AMQP_URL, a DigitalOcean token (services that call DigitalOcean) and an
    ARCADIA_JWT_SECRET of 32+ bytes that is not the development default. The gateway needs
    ARCADIA_<SERVICE>_URL for each service. Applies the service's migrations first.
    """
    from arcadia import registry
    from arcadia.commands import services

    if service != registry.GATEWAY and service not in registry.names():
        raise typer.BadParameter(f"unknown service {service!r}; choose one of: {SERVICES_HELP}")
    setup_logging(verbose)
    run(services.serve_one(service, host, port, jobs, dev, console()), announce=False)


@app.command()
def migrate() -> None:
    """Apply every service's database migrations (each in its own schema) and, with
    ARCADIA_AMQP_URL, declare every known consumer queue. Idempotent."""
    from arcadia.commands import services

    run(services.migrate_all(console()), announce=False)


@app.command()
def sync(
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            "-k",
            help="Kind to sync (repeatable): projects, droplet, snapshot, dns_zone, volume, "
            "floating_ip, firewall, load_balancer, app, k8s_cluster, managed_db, vpc, "
            "droplet_backup. Default: all, in that order.",
        ),
    ] = None,
    sandbox: SANDBOX = False,
    allow_mass_delete: Annotated[
        bool,
        typer.Option(
            "--allow-mass-delete",
            help="Strike resources even when a listing misses more than half of a kind",
        ),
    ] = False,
    verbose: VERBOSE = False,
) -> None:
    """Sync the inventory from DigitalOcean now, showing progress per kind.

    Exits non-zero if any kind failed; a failed kind writes nothing and strikes nothing. The
    events stay in the outbox for the running inventory service to publish.
    """
    from arcadia.commands import services

    setup_logging(verbose)
    print_environment("inventory")
    failed = run(
        services.sync_now(kind, console(), sandbox=sandbox, allow_mass_delete=allow_mass_delete)
    )
    raise typer.Exit(code=1 if failed else 0)


@app.command()
def republish(
    kind: Annotated[
        list[str] | None, typer.Option("--kind", "-k", help="Only this kind (repeatable)")
    ] = None,
    verbose: VERBOSE = False,
) -> None:
    """Re-emit the current state of every resource (resource.synced, and resource.deleted for
    tombstones) through the inventory's outbox, so a new projection can catch up. Harmless to
    projections that already hold it: each event carries the resource's current version."""
    from arcadia.commands import services

    setup_logging(verbose)
    print_environment("inventory")
    counts = run(services.republish_now(kind, console()))
    typer.echo(f"republished {sum(counts.values())} resource(s)")


@app.command()
def token(
    platform_admin: Annotated[
        bool, typer.Option("--platform-admin", help="A token that sees every tenant")
    ] = False,
    tenant: Annotated[
        UUID | None, typer.Option("--tenant", help="A token scoped to this tenant id")
    ] = None,
    ttl_hours: Annotated[int, typer.Option(help="Hours until the token expires")] = 12,
) -> None:
    """Mint an API token signed with ARCADIA_JWT_SECRET (print it on stdout)."""
    from arcadia_core.auth import Principal, mint_token
    from arcadia_core.settings import ArcadiaSettings

    if platform_admin == (tenant is not None):
        raise typer.BadParameter("give exactly one of --platform-admin or --tenant ID")
    settings = ArcadiaSettings()
    principal = Principal.platform_admin() if tenant is None else Principal.tenant(tenant)
    typer.echo(
        mint_token(
            principal,
            secret=settings.jwt_secret,
            audience=settings.jwt_audience,
            ttl=timedelta(hours=ttl_hours),
        )
    )


if __name__ == "__main__":
    app()
