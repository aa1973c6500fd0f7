"""Pytest plugin of the product: tells the shared test fixtures what the registry holds, and sets
up the demo's April month in process, as `arcadia up` tells it, for the tests that read it."""

from __future__ import annotations

import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

import pytest

if TYPE_CHECKING:
    from rich.console import Console

    from arcadia.allinone import Services
    from arcadia.demo import DemoFacts

# What reaches the world outside this machine: without them the demo runs on the in-process bus,
# the DigitalOcean sandbox and the in-process finance stand-in.
OUTSIDE_WORLD = (
    "ARCADIA_AMQP_URL",
    "DO_API_TOKEN",
    "DO_API_URL",
    "SKYAI_FINANCE_URL",
    "SKYAI_FINANCE_JWT_SECRET",
)


@pytest.hookimpl
def pytest_arcadia_known_queues() -> list[str]:
    from arcadia import registry

    return list(registry.consumer_queues())


def use_demo_environment(
    env: pytest.MonkeyPatch, database_url: str, workdir: str | Path, secret: str
) -> None:
    """The settings of a fresh machine on `database_url`: run from `workdir` (so no developer
    .env file is read), signing with `secret`, nothing from OUTSIDE_WORLD."""
    env.chdir(workdir)
    env.setenv("ARCADIA_DATABASE_URL", database_url)
    env.setenv("ARCADIA_JWT_SECRET", secret)
    for name in OUTSIDE_WORLD:
        env.delenv(name, raising=False)


@pytest.fixture
def demo_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str, str], None]:
    """`use_demo_environment` for one test, from its `tmp_path`: called with (database URL,
    secret)."""

    def use(database_url: str, secret: str) -> None:
        use_demo_environment(monkeypatch, database_url, tmp_path, secret)

    return use


@contextlib.asynccontextmanager
async def demo_month(console: Console | None = None) -> AsyncIterator[tuple[Services, DemoFacts]]:
    """Every service of the registry started on one bus (jobs not run), the sandbox account
    synced into the inventory and the demo's month told: (the running services, the demo's
    facts). The environment is the caller's (see `use_demo_environment`)."""
    from rich.console import Console

    from arcadia import demo
    from arcadia.allinone import prepare, started
    from arcadia.commands.services import run_sync
    from inventory.bootstrap import Inventory

    console = console or Console(quiet=True)
    services = await prepare(demo=True)
    async with started(services, run_jobs=False) as running:
        failed = await run_sync(cast(Inventory, running["inventory"]), None, console)
        assert not failed, "the sandbox account did not sync"
        yield running, await demo.tell(running, console)


@contextlib.asynccontextmanager
async def demo_month_on_new_database(
    database_server_url: str, prefix: str, secret: str, *, unset: Iterable[str] = ()
) -> AsyncIterator[tuple[Services, DemoFacts]]:
    """`demo_month` on a database of its own (named `prefix`_…, dropped afterwards), in the
    environment of `use_demo_environment` from a temporary directory, with `unset` unset too;
    the environment is restored on exit. For fixtures wider than a test."""
    from arcadia_core.testing.servers import create_database, drop_database

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = await create_database(database_server_url, name)
    try:
        with pytest.MonkeyPatch.context() as env, tempfile.TemporaryDirectory() as workdir:
            use_demo_environment(env, url, workdir, secret)
            for variable in unset:
                env.delenv(variable, raising=False)
            async with demo_month() as told:
                yield told
    finally:
        await drop_database(database_server_url, name)
