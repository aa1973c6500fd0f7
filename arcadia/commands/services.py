"""The long-running and operational commands, as async functions the CLI runs."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import signal
import socket
from collections.abc import Iterator
from types import FrameType
from typing import TYPE_CHECKING, cast

import uvicorn
from fastapi import FastAPI
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from arcadia import registry
from arcadia.allinone import gateway_app, prepare, started
from arcadia.runtime import (
    ConfigurationError,
    database_url,
    describe_bus,
    describe_database,
    production_problems,
)
from arcadia_core.auth import Principal, mint_token
from arcadia_core.settings import ArcadiaSettings

if TYPE_CHECKING:
    from arcadia.allinone import Services
    from arcadia.demo import DemoFacts
    from inventory.bootstrap import Inventory


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM once it has stopped, killing the process before our own
    shutdown (outbox relay, jobs, connections) runs. Here a signal only asks the server to stop.

    Once a signal has stopped it, the process is on its way out: later SIGINTs and SIGTERMs are
    ignored, while it stops and after, so that the shutdown and the embedded database's stop run
    to their end instead of breaking off with a traceback. (A second one comes easily: `kill`
    on the process group, or a wrapper that forwards the signal its child already had.)"""

    signalled = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.signalled:
            return  # already stopping: uvicorn would force the exit and skip the shutdown
        self.signalled = True
        super().handle_exit(sig, frame)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.handle_exit, sig, None)
        try:
            yield
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
                if self.signalled:
                    signal.signal(sig, signal.SIG_IGN)


async def _serve(app: FastAPI, host: str, port: int) -> None:
    server = _Server(uvicorn.Config(app, host=host, port=port, log_config=None))
    await server.serve()


def check_port_free(host: str, port: int) -> None:
    """Refuse early, before migrating or syncing, when another process holds the port."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"{host}:{port} is already in use; stop the other process or pick another "
                    "port with --port (or ARCADIA_PORT)"
                ) from exc
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


async def run_sync(
    inventory: Inventory,
    only: list[str] | None,
    console: Console,
    *,
    allow_mass_delete: bool = False,
    run_name: str = "arcadia sync",
) -> bool:
    """Sync with a progress line per kind; True if any kind failed. Recorded in the
    inventory's run log as `run_name`."""
    from arcadia.commands.runs import recorded, sync_summary
    from inventory.domain import kinds
    from inventory.usecases.sync import Summary, sync_all

    order = only or list(kinds.FULL_SYNC_ORDER)
    failed = False
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        tasks = {kind: progress.add_task(f"[dim]{kind}: waiting", total=1) for kind in order}

        def done(kind: str, outcome: Summary | BaseException) -> None:
            nonlocal failed
            if isinstance(outcome, BaseException):
                failed = True
                text = f"[red]{kind}: failed, nothing written: {outcome}"
            else:
                text = f"[green]{kind}[/]: " + ", ".join(f"{k} {v}" for k, v in outcome.items())
            progress.update(tasks[kind], description=text, completed=1)
            next_kind = order[order.index(kind) + 1] if kind != order[-1] else None
            if next_kind:
                progress.update(tasks[next_kind], description=f"{next_kind}: syncing…")

        progress.update(tasks[order[0]], description=f"{order[0]}: syncing…")
        async with recorded(inventory, run_name) as run:
            outcomes = await sync_all(
                provider=inventory.provider,
                uow=inventory.uow,
                clock=inventory.clock,
                only=order,
                internal_project=inventory.settings.internal_project_name,
                on_done=done,
                allow_mass_delete=allow_mass_delete,
            )
            sync_summary(run, order, outcomes)
    return failed


async def run_all_in_one(
    host: str, port: int, initial_sync: bool, scenario: str, console: Console
) -> None:
    check_port_free(host, port)
    console.print("[bold]ArcadiaCloud all-in-one[/]: development only (for production: serve)")
    with console.status("Starting (the first start initializes the embedded database)…"):
        services = await prepare(scenario=scenario, demo=True)
    console.print(services.environment.line(), soft_wrap=True, markup=False)
    async with started(services) as running:
        if initial_sync:
            await run_sync(
                cast("Inventory", running["inventory"]), None, console, run_name="arcadia up"
            )
        facts = None
        if initial_sync and running.sandboxed and scenario == "seeds":
            from arcadia import demo

            facts = await demo.tell(running, console)
        demo_tokens = None
        if facts is not None:
            from arcadia.demo import sign_in_tokens

            demo_tokens = sign_in_tokens(running.settings, facts)
        _banner(running, host, port, facts, console, demo_tokens)
        await _serve(gateway_app(running, demo_tokens=demo_tokens), host, port)


def _banner(
    services: Services,
    host: str,
    port: int,
    facts: DemoFacts | None,
    console: Console,
    demo_tokens: dict[str, str] | None = None,
) -> None:
    settings = services.settings

    def token(principal: Principal) -> str:
        return mint_token(principal, secret=settings.jwt_secret, audience=settings.jwt_audience)

    def curl(bearer: str, path: str) -> None:
        # never wrapped or cropped: the line must paste into a shell whole
        console.print(
            f"  curl -s -H 'Authorization: Bearer {bearer}' '{base}/api/v1{path}'",
            soft_wrap=True,
            crop=False,
            markup=False,
            highlight=False,
        )

    base = f"http://{host}:{port}"
    admin = token(Principal.platform_admin())
    console.print(f"\nPlatform-admin token (12 h):\n{admin}\n", soft_wrap=True, crop=False)
    console.print("The inventory:", soft_wrap=True)
    curl(admin, "/inventory?kind=droplet")
    if facts is not None:
        tenant = token(Principal.tenant(facts.tenant_id))
        console.print(
            f"\nTenant token for the demo tenant {facts.tenant_id} (12 h):\n{tenant}\n",
            soft_wrap=True,
            crop=False,
        )
        if facts.provider_invoice:
            console.print("DigitalOcean's April 2026 invoice, matched line by line (admin):")
            curl(admin, f"/billing/invoices/{facts.provider_invoice}")
        if facts.tenant_invoice:
            console.print("The tenant's April 2026 invoice, as the tenant sees it:")
            curl(tenant, f"/invoices/{facts.tenant_invoice}")
        console.print("What the tenant sees of the inventory (only its own):")
        curl(tenant, "/inventory")
    console.print(f"\nDashboard: {base}/ui/", soft_wrap=True, crop=False, highlight=False)
    for role, who in (("admin", "the platform admin"), ("tenant", "the demo tenant")):
        if role in (demo_tokens or {}):
            console.print(
                f"  sign in as {who}: {base}/ui/demo/sign-in/{role}",
                soft_wrap=True,
                crop=False,
                markup=False,
                highlight=False,
            )
    console.print(f"\nAPI docs: {base}/docs   Stop with Ctrl-C.\n")


async def serve_one(
    service: str, host: str, port: int, run_jobs: bool, dev: bool, console: Console
) -> None:
    settings = ArcadiaSettings()
    definition = None if service == registry.GATEWAY else registry.definition(service)
    problems = production_problems(definition, settings, gateway_for=registry.names())
    if problems and not dev:
        raise ConfigurationError(
            f"arcadia serve {service} refuses to start without:\n  - "
            + "\n  - ".join(problems)
            + "\n(--dev uses the development fallbacks instead: never in production)"
        )
    if service == registry.GATEWAY:
        from gateway.app import create_app as create_gateway
        from gateway.app import upstream_clients

        console.print(f"gateway for: {', '.join(registry.names())}", soft_wrap=True)
        app = create_gateway(
            settings, upstream_clients(settings, registry.names()), registry.gateway_routes()
        )
        await _serve(app, host, port)
        return
    services = await prepare(names=[service], sandbox=dev)
    console.print(services.environment.line(), soft_wrap=True, markup=False)
    async with started(services, run_jobs=run_jobs) as running:
        await _serve(running[service].app(), host, port)


async def migrate_all(console: Console) -> None:
    for definition in registry.definitions():
        settings = definition.settings()
        url = await database_url(settings, definition.name)
        await definition.migrate(url)
        console.print(
            f"{definition.name}: migrated ({describe_database(settings, definition.name)})"
        )
    settings = ArcadiaSettings()
    if settings.amqp_url:
        from arcadia_core.bus.topology import declare_topology

        await declare_topology(
            settings.amqp_url, settings.amqp_namespace, registry.consumer_queues()
        )
        queues = len(registry.consumer_queues())
        console.print(f"bus: {queues} consumer queues declared ({describe_bus(settings)})")


async def sync_now(
    only: list[str] | None, console: Console, *, sandbox: bool, allow_mass_delete: bool = False
) -> bool:
    from arcadia.runtime import one_shot
    from inventory.domain import kinds

    unknown = sorted(set(only or []) - set(kinds.FULL_SYNC_ORDER))
    if unknown:
        console.print(
            f"[red]unknown kind(s): {', '.join(unknown)}; known: {', '.join(kinds.FULL_SYNC_ORDER)}"
        )
        return True
    # Nothing started: the events stay in the outbox for the running service's relay to publish.
    async with one_shot("inventory", sandbox=sandbox) as inventory:
        return await run_sync(
            cast("Inventory", inventory), only, console, allow_mass_delete=allow_mass_delete
        )


async def republish_now(only: list[str] | None, console: Console) -> dict[str, int]:
    """Write the current state of every resource to the inventory's outbox."""
    from arcadia.runtime import one_shot
    from inventory.usecases.republish import known_kinds, republish

    kinds = only or known_kinds()
    async with one_shot("inventory", sandbox=True) as built:
        inventory = cast("Inventory", built)
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=console
        ) as progress:
            task = progress.add_task("republishing…", total=len(kinds))

            def step(kind: str, count: int) -> None:
                progress.update(task, advance=1, description=f"{kind}: {count}")

            return await republish(uow=inventory.uow, only=kinds, on_kind=step)
