"""The inventory's composition root: real adapters built once, handed to every entry point."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from arcadia_core.bus.ports import Bus, Subscription
from arcadia_core.consumers import request_catch_up_once
from arcadia_core.container import ServiceContainer, migrate_service
from arcadia_core.db import asyncpg_dsn, create_engine, session_factory
from arcadia_core.events import CatchUpRequested, ResourceDeleted, ResourceSynced
from arcadia_core.housekeeping import register_messaging_housekeeping
from arcadia_core.http import service_app
from arcadia_core.jobs import JobRunner
from arcadia_core.outbox import OutboxRelay
from arcadia_core.runs import RunLog
from arcadia_core.runs_api import runs_path, runs_router
from arcadia_core.service import ServiceContext, ServiceDefinition
from do_api import DigitalOceanClient, budget_for
from inventory import api, consumers
from inventory.adapters import queries
from inventory.adapters.digitalocean import DigitalOceanInventory
from inventory.adapters.tables import SCHEMA, inbox, outbox
from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.config import InventorySettings
from inventory.jobs import register_jobs
from inventory.ports import Clock

SERVICE = "inventory"
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLICATIONS = {
    model.EVENT_TYPE: model for model in (ResourceSynced, ResourceDeleted, CatchUpRequested)
}


def utc_now() -> datetime:
    return datetime.now(UTC)


async def migrate(database_url: str) -> None:
    """Apply the inventory's migrations and install its job tables (idempotent)."""
    await migrate_service(MIGRATIONS, database_url, schema=SCHEMA, service=SERVICE)


@dataclass
class Inventory(ServiceContainer):
    SERVICE = SERVICE
    PUBLICATIONS = PUBLICATIONS

    settings: InventorySettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    do_client: DigitalOceanClient
    provider: DigitalOceanInventory
    relay: OutboxRelay
    jobs: JobRunner
    clock: Clock = field(default=utc_now)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, on_commit=self.relay.wake)

    def subscriptions(self) -> list[Subscription]:
        return consumers.subscriptions(self.uow, self.clock)

    async def before_start(self) -> None:
        """Ask invoicing once for the whole customer registry (a new registry projection
        catches up)."""
        await request_catch_up_once(
            SERVICE, self.uow, self.clock(), topics=consumers.REGISTRY_TOPICS
        )

    async def after_stop(self) -> None:
        await self.do_client.aclose()

    def app(self) -> FastAPI:
        app = self._app()
        app.add_exception_handler(queries.InvalidCursor, api.invalid_cursor)

        return self.publish_asyncapi(app)

    def _app(self) -> FastAPI:
        return service_app(
            title="ArcadiaCloud inventory",
            description="Mirror of the DigitalOcean account: resources, projects, audit log.",
            settings=self.settings,
            routers=[api.router, runs_router(SERVICE, self.jobs.run_log)],
            ready_checks={"database": self.ready},
            state={"container": self},
        )


def build(
    settings: InventorySettings,
    bus: Bus,
    *,
    database_url: str,
    do_transport: httpx.AsyncBaseTransport | None = None,
) -> Inventory:
    token = settings.do_token_for(settings.do_token_purpose)
    if not token:
        raise RuntimeError(
            "no DigitalOcean token: set DO_API_TOKEN (or "
            f"DO_API_TOKEN_{settings.do_token_purpose.upper()}), or run against the sandbox"
        )
    engine = create_engine(database_url, schema=SCHEMA)
    do_client = DigitalOceanClient(
        token,
        base_url=settings.do_api_url,
        budget=budget_for(
            token,
            per_minute=settings.do_rate_per_minute,
            per_hour=settings.do_rate_per_hour,
            label=settings.do_token_purpose,
        ),
        transport=do_transport,
    )
    purpose_variable = f"DO_API_TOKEN_{settings.do_token_purpose.upper()}"
    provider = DigitalOceanInventory(
        do_client,
        token_source=purpose_variable if settings.variable(purpose_variable) else "DO_API_TOKEN",
    )
    inventory = Inventory(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        do_client=do_client,
        provider=provider,
        relay=OutboxRelay(engine, outbox, bus),
        jobs=JobRunner(
            asyncpg_dsn(database_url),
            schema=SCHEMA,
            service=SERVICE,
            run_log=RunLog(engine, SCHEMA),
        ),
    )
    register_jobs(
        inventory.jobs,
        provider=provider,
        uow=inventory.uow,
        clock=inventory.clock,
        internal_project=settings.internal_project_name,
    )
    register_messaging_housekeeping(
        inventory.jobs, service=SERVICE, relay=inventory.relay, engine=engine, inbox=inbox
    )
    return inventory


@contextlib.asynccontextmanager
async def running(inventory: Inventory, *, run_jobs: bool = True) -> AsyncIterator[Inventory]:
    await inventory.start(run_jobs=run_jobs)
    try:
        yield inventory
    finally:
        await inventory.stop()


def build_service(context: ServiceContext) -> Inventory:
    settings = context.settings
    if not isinstance(settings, InventorySettings):
        settings = InventorySettings()
    return build(
        settings,
        context.bus,
        database_url=context.database_url,
        do_transport=context.do_transport,
    )


DEFINITION = ServiceDefinition(
    name=SERVICE,
    schema=SCHEMA,
    settings=InventorySettings,
    migrate=migrate,
    build=build_service,
    routes=("/inventory", "/projects", runs_path(SERVICE)),
    publishes=(ResourceSynced, ResourceDeleted, CatchUpRequested),
    consumes=tuple(model.EVENT_TYPE for model in consumers.CONSUMES),
    calls_digitalocean=True,
    description="Mirror of the DigitalOcean account: resources, projects, audit log.",
)
