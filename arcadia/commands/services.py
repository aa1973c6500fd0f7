"""The long-running and operational commands, as async functions the CLI runs."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from arcadia.allinone import platform, prepare, started
from arcadia.runtime import database_url
from arcadia_core.auth import Principal, mint_token
from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.settings import ArcadiaSettings
from gateway.app import create_app as create_gateway
from gateway.app import upstream_clients
from inventory import bootstrap as inventory_bootstrap
from inventory.domain import kinds
from inventory.usecases.sync import Summary, sync_all


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGINT/SIGTERM once it has stopped, killing the process before our own
    shutdown (outbox relay, jobs, connections) runs. Here a signal only asks the server to stop."""

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


async def _serve(app: FastAPI, host: str, port: int) -> None:
    server = _Server(uvicorn.Config(app, host=host, port=port, log_level="info"))
    await server.serve()


async def run_sync(
    inventory: inventory_bootstrap.Inventory, only: list[str] | None, console: Console
) -> bool:
    """Sync with a progress line per kind; True if any kind failed."""
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
        await sync_all(
            provider=inventory.provider,
            uow=inventory.uow,
            clock=inventory.clock,
            only=order,
            internal_project=inventory.settings.internal_project_name,
            on_done=done,
        )
    return failed


async def run_all_in_one(
    host: str, port: int, initial_sync: bool, scenario: str, console: Console
) -> None:
    async with platform(scenario=scenario) as p:
        settings = p.services.settings
        where = "the built-in DigitalOcean sandbox" if p.services.sandboxed else settings.do_api_url
        console.print(f"ArcadiaCloud all-in-one, DigitalOcean: {where}")
        if initial_sync:
            await run_sync(p.services.inventory, None, console)
        token = mint_token(
            Principal.platform_admin(),
            secret=settings.jwt_secret,
            audience=settings.jwt_audience,
        )
        base = f"http://{host}:{port}"
        console.print(f"\nPlatform-admin token (12 h):\n{token}\n", soft_wrap=True)
        console.print("List the inventory:", soft_wrap=True)
        console.print(
            f"curl -s -H 'Authorization: Bearer {token}' '{base}/api/v1/inventory?kind=droplet'",
            soft_wrap=True,
            markup=False,
        )
        console.print(f"\nAPI docs: {base}/docs   Stop with Ctrl-C.\n")
        await _serve(p.gateway, host, port)


async def serve_one(service: str, host: str, port: int, run_jobs: bool) -> None:
    if service == "gateway":
        settings = ArcadiaSettings()
        await _serve(create_gateway(settings, upstream_clients(settings)), host, port)
        return
    async with started(run_jobs=run_jobs) as services:
        await _serve(services.inventory.app(), host, port)


async def migrate_all(console: Console) -> None:
    settings = ArcadiaSettings()
    url = await database_url(settings, "inventory")
    await inventory_bootstrap.migrate(url)
    console.print("inventory: migrated")


async def sync_now(only: list[str] | None, console: Console) -> bool:
    unknown = sorted(set(only or []) - set(kinds.FULL_SYNC_ORDER))
    if unknown:
        console.print(
            f"[red]unknown kind(s): {', '.join(unknown)}; known: {', '.join(kinds.FULL_SYNC_ORDER)}"
        )
        return True
    # Nothing started: the events stay in the outbox for the running service's relay to publish.
    services = await prepare(bus=InProcessBus())
    try:
        return await run_sync(services.inventory, only, console)
    finally:
        await services.inventory.stop()
