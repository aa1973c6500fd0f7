"""Metering's composition root: real adapters built once, handed to every entry point."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from arcadia_core.bus.ports import Bus, Subscription
from arcadia_core.container import ServiceContainer, migrate_service
from arcadia_core.db import asyncpg_dsn, create_engine, session_factory
from arcadia_core.events import CatchUpRequested, ResourceDeleted, ResourceSynced, UsageMetered
from arcadia_core.housekeeping import register_messaging_housekeeping
from arcadia_core.http import service_app
from arcadia_core.jobs import JobRunner
from arcadia_core.outbox import OutboxRelay
from arcadia_core.runs import RunLog
from arcadia_core.runs_api import runs_path, runs_router
from arcadia_core.service import ServiceContext, ServiceDefinition, utc_now
from metering import api, consumers
from metering.adapters.tables import SCHEMA, inbox, outbox
from metering.adapters.unit_of_work import MeteringUnitOfWork
from metering.config import MeteringSettings
from metering.jobs import register_jobs
from metering.ports import Clock
from metering.usecases.projection import request_catch_up

SERVICE = "metering"
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLICATIONS = {model.EVENT_TYPE: model for model in (UsageMetered, CatchUpRequested)}


async def migrate(database_url: str) -> None:
    """Apply metering's migrations and install its job tables (idempotent)."""
    await migrate_service(MIGRATIONS, database_url, schema=SCHEMA, service=SERVICE)


@dataclass
class Metering(ServiceContainer):
    SERVICE = SERVICE
    PUBLICATIONS = PUBLICATIONS

    settings: MeteringSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay
    jobs: JobRunner
    clock: Clock = field(default=utc_now)

    def uow(self) -> MeteringUnitOfWork:
        return MeteringUnitOfWork(self.sessions, on_commit=self.relay.wake)

    def subscriptions(self) -> list[Subscription]:
        return consumers.subscriptions(self.uow)

    async def before_start(self) -> None:
        """Ask for a catch-up if the projection is new."""
        await request_catch_up(uow=self.uow, clock=self.clock)

    def app(self) -> FastAPI:
        app = service_app(
            title="ArcadiaCloud metering",
            description="Daily usage per deployment, from the inventory's resource history.",
            settings=self.settings,
            routers=[api.router, runs_router(SERVICE, self.jobs.run_log)],
            ready_checks={"database": self.ready},
            state={"container": self},
        )

        return self.publish_asyncapi(app)


def build(
    settings: MeteringSettings, bus: Bus, *, database_url: str, clock: Clock = utc_now
) -> Metering:
    engine = create_engine(database_url, schema=SCHEMA)
    metering = Metering(
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
    register_jobs(metering.jobs, uow=metering.uow, clock=metering.clock)
    register_messaging_housekeeping(
        metering.jobs, service=SERVICE, relay=metering.relay, engine=metering.engine, inbox=inbox
    )
    return metering


def build_service(context: ServiceContext) -> Metering:
    settings = context.settings
    if not isinstance(settings, MeteringSettings):
        settings = MeteringSettings()
    return build(settings, context.bus, database_url=context.database_url, clock=context.clock)


DEFINITION = ServiceDefinition(
    name=SERVICE,
    schema=SCHEMA,
    settings=MeteringSettings,
    migrate=migrate,
    build=build_service,
    routes=("/usage", "/metering", runs_path(SERVICE)),
    publishes=(UsageMetered, CatchUpRequested),
    consumes=(ResourceSynced.EVENT_TYPE, ResourceDeleted.EVENT_TYPE, CatchUpRequested.EVENT_TYPE),
    description="Daily usage per deployment, from the inventory's resource history.",
)
