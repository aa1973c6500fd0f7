"""The drift service's composition root: adapters built once, handed to every entry point."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from arcadia_core.bus.ports import Bus, Subscription
from arcadia_core.consumers import request_catch_up_once
from arcadia_core.container import ServiceContainer, migrate_service
from arcadia_core.db import asyncpg_dsn, create_engine, session_factory
from arcadia_core.events import (
    CatchUpRequested,
    DriftDetected,
    DriftResolved,
    ResourceDeleted,
    ResourceSynced,
)
from arcadia_core.housekeeping import register_messaging_housekeeping
from arcadia_core.http import service_app
from arcadia_core.jobs import JobRunner
from arcadia_core.outbox import OutboxRelay
from arcadia_core.runs import RunLog
from arcadia_core.runs_api import runs_path, runs_router
from arcadia_core.service import Clock, ServiceContext, ServiceDefinition, utc_now
from drift import api, consumers
from drift.adapters import queries
from drift.adapters.tables import SCHEMA, inbox, outbox
from drift.adapters.unit_of_work import SqlUnitOfWork
from drift.config import DriftSettings
from drift.jobs import register_jobs

SERVICE = "drift"
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLICATIONS = {
    model.EVENT_TYPE: model for model in (DriftDetected, DriftResolved, CatchUpRequested)
}

logger = logging.getLogger("drift")


async def migrate(database_url: str) -> None:
    """Apply the drift migrations and install its job tables (idempotent)."""
    await migrate_service(MIGRATIONS, database_url, schema=SCHEMA, service=SERVICE)


@dataclass
class Drift(ServiceContainer):
    SERVICE = SERVICE
    PUBLICATIONS = PUBLICATIONS

    settings: DriftSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay
    jobs: JobRunner
    clock: Clock = field(default=utc_now)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, on_commit=self.relay.wake)

    def subscriptions(self) -> list[Subscription]:
        return consumers.subscriptions(self.uow, self.clock)

    async def request_catch_up(self) -> bool:
        """On the first start against a database, ask the inventory to republish every resource
        (once, however many replicas start together). True when the request was written now."""
        asked = await request_catch_up_once(SERVICE, self.uow, self.clock())
        if asked:
            logger.info("drift: first start; asked the inventory to republish its resources")
        return asked

    async def before_start(self) -> None:
        await self.request_catch_up()

    def app(self) -> FastAPI:
        app = service_app(
            title="ArcadiaCloud drift",
            description="Desired state against live state, field by field; the drift inbox.",
            settings=self.settings,
            routers=[api.router, runs_router(SERVICE, self.jobs.run_log)],
            ready_checks={"database": self.ready},
            state={"container": self},
        )
        app.add_exception_handler(queries.InvalidCursor, api.invalid_cursor)
        return self.publish_asyncapi(app)


def build(settings: DriftSettings, bus: Bus, *, database_url: str, clock: Clock = utc_now) -> Drift:
    engine = create_engine(database_url, schema=SCHEMA)
    service = Drift(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        relay=OutboxRelay(engine, outbox, bus),
        jobs=JobRunner(
            asyncpg_dsn(database_url),
            schema=SCHEMA,
            service=SERVICE,
            run_log=RunLog(engine, SCHEMA),
        ),
        clock=clock,
    )
    register_jobs(service.jobs, uow=service.uow, clock=service.clock)
    register_messaging_housekeeping(
        service.jobs, service=SERVICE, relay=service.relay, engine=engine, inbox=inbox
    )
    return service


def build_service(context: ServiceContext) -> Drift:
    settings = context.settings
    if not isinstance(settings, DriftSettings):
        settings = DriftSettings()
    return build(settings, context.bus, database_url=context.database_url, clock=context.clock)


DEFINITION = ServiceDefinition(
    name=SERVICE,
    schema=SCHEMA,
    settings=DriftSettings,
    migrate=migrate,
    build=build_service,
    routes=("/provisioned", "/drift", runs_path(SERVICE)),
    publishes=(DriftDetected, DriftResolved, CatchUpRequested),
    consumes=(ResourceSynced.EVENT_TYPE, ResourceDeleted.EVENT_TYPE),
    calls_digitalocean=False,
    description="Desired state against live state, field by field; the drift inbox.",
)
