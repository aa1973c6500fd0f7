"""The invoicing service's composition root: adapters built once, handed to every entry point."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from arcadia_core.bus.ports import Bus, Subscription
from arcadia_core.consumers import request_catch_up_once
from arcadia_core.container import ServiceContainer, migrate_service
from arcadia_core.db import asyncpg_dsn, create_engine, session_factory
from arcadia_core.events import (
    CatchUpRequested,
    DeploymentChanged,
    TenantChanged,
    TenantInvoiceIssued,
    UsageMetered,
)
from arcadia_core.housekeeping import register_messaging_housekeeping
from arcadia_core.http import service_app
from arcadia_core.jobs import JobRunner
from arcadia_core.outbox import OutboxRelay
from arcadia_core.runs import RunLog
from arcadia_core.runs_api import runs_path, runs_router
from arcadia_core.service import ServiceContext, ServiceDefinition
from invoicing import api, catalog, consumers
from invoicing.adapters.documents import DocumentRenderer
from invoicing.adapters.tables import SCHEMA, inbox, outbox
from invoicing.adapters.unit_of_work import SqlUnitOfWork
from invoicing.config import InvoicingSettings
from invoicing.jobs import register_jobs
from invoicing.ports import Clock, InvoiceRenderer
from invoicing.usecases.catalog import load_catalog

SERVICE = "invoicing"
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLICATIONS = {
    model.EVENT_TYPE: model
    for model in (TenantChanged, DeploymentChanged, TenantInvoiceIssued, CatchUpRequested)
}


def utc_now() -> datetime:
    return datetime.now(UTC)


async def migrate(database_url: str) -> None:
    """Apply the migrations, install the job tables, load the catalog file if newer."""
    await migrate_service(MIGRATIONS, database_url, schema=SCHEMA, service=SERVICE)
    engine = create_engine(database_url, schema=SCHEMA, pool_size=1)
    try:
        sessions = session_factory(engine)
        await load_catalog(
            catalog.load(),
            uow=lambda: SqlUnitOfWork(sessions, outbox=outbox, inbox=inbox),
            clock=utc_now,
        )
    finally:
        await engine.dispose()


@dataclass
class Invoicing(ServiceContainer):
    SERVICE = SERVICE
    PUBLICATIONS = PUBLICATIONS

    settings: InvoicingSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay
    jobs: JobRunner
    clock: Clock = field(default=utc_now)
    renderer: InvoiceRenderer = field(default_factory=DocumentRenderer)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.sessions, outbox=outbox, inbox=inbox, on_commit=self.relay.wake)

    def subscriptions(self) -> list[Subscription]:
        return consumers.subscriptions(self.uow, self.clock)

    async def before_start(self) -> None:
        """Load the catalog file if newer; ask metering once for every metered day (a new
        usage projection catches up)."""
        await load_catalog(catalog.load(), uow=self.uow, clock=self.clock)
        await request_catch_up_once(
            SERVICE, self.uow, self.clock(), topics=(UsageMetered.EVENT_TYPE,)
        )

    def app(self) -> FastAPI:
        app = service_app(
            title="ArcadiaCloud invoicing",
            description="Tenants, deployments, catalog, subscriptions, quotes, tenant invoices.",
            settings=self.settings,
            routers=[api.router, runs_router(SERVICE, self.jobs.run_log)],
            ready_checks={"database": self.ready},
            state={"container": self},
        )
        for error in api.ERRORS:
            app.add_exception_handler(error, api.domain_error)

        return self.publish_asyncapi(app)


def build(settings: InvoicingSettings, bus: Bus, *, database_url: str) -> Invoicing:
    engine = create_engine(database_url, schema=SCHEMA)
    service = Invoicing(
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
    )
    register_jobs(
        service.jobs,
        uow=service.uow,
        clock=lambda: service.clock(),
        rollup_cron=settings.rollup_cron,
    )
    register_messaging_housekeeping(
        service.jobs, service=SERVICE, relay=service.relay, engine=service.engine, inbox=inbox
    )
    return service


def build_service(context: ServiceContext) -> Invoicing:
    settings = context.settings
    if not isinstance(settings, InvoicingSettings):
        settings = InvoicingSettings()
    service = build(settings, context.bus, database_url=context.database_url)
    service.clock = context.clock
    return service


DEFINITION = ServiceDefinition(
    name=SERVICE,
    schema=SCHEMA,
    settings=InvoicingSettings,
    migrate=migrate,
    build=build_service,
    routes=(
        "/tenants",
        "/deployments",
        "/plans",
        "/addons",
        "/subscriptions",
        "/quotes",
        "/invoices",
        runs_path(SERVICE),
    ),
    publishes=(TenantChanged, DeploymentChanged, TenantInvoiceIssued, CatchUpRequested),
    consumes=(UsageMetered.EVENT_TYPE, CatchUpRequested.EVENT_TYPE),
    description="Customer registry, catalog, quote engine and month-end tenant invoices with GST.",
)
