"""Billing ingest's composition root: adapters built once, handed to every entry point."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from arcadia_core.bus.ports import Bus, Subscription
from arcadia_core.consumers import request_catch_up_once
from arcadia_core.container import ServiceContainer, migrate_service
from arcadia_core.db import asyncpg_dsn, create_engine, session_factory
from arcadia_core.events import CatchUpRequested, InvoiceIngested
from arcadia_core.housekeeping import register_messaging_housekeeping
from arcadia_core.http import service_app
from arcadia_core.jobs import JobRunner
from arcadia_core.outbox import OutboxRelay
from arcadia_core.runs import RunLog
from arcadia_core.runs_api import runs_path, runs_router
from arcadia_core.service import Clock, ServiceContext, ServiceDefinition, utc_now
from billing_ingest import api, consumers
from billing_ingest.adapters import queries
from billing_ingest.adapters.digitalocean import DigitalOceanBilling
from billing_ingest.adapters.finance import HttpFinanceClient
from billing_ingest.adapters.tables import SCHEMA, inbox, outbox
from billing_ingest.adapters.unit_of_work import BillingUnitOfWork
from billing_ingest.config import BillingSettings
from billing_ingest.jobs import register_jobs
from do_api import DigitalOceanClient, budget_for

SERVICE = "billing-ingest"
MIGRATIONS = Path(__file__).parent / "migrations"
PUBLICATIONS = {model.EVENT_TYPE: model for model in (InvoiceIngested, CatchUpRequested)}

log = logging.getLogger("billing_ingest")


async def migrate(database_url: str) -> None:
    """Apply billing's migrations and install its job tables (idempotent)."""
    await migrate_service(MIGRATIONS, database_url, schema=SCHEMA, service=SERVICE)


@dataclass
class BillingIngest(ServiceContainer):
    SERVICE = SERVICE
    PUBLICATIONS = PUBLICATIONS

    settings: BillingSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    do_client: DigitalOceanClient
    provider: DigitalOceanBilling
    finance: HttpFinanceClient
    relay: OutboxRelay
    jobs: JobRunner
    clock: Clock = field(default=utc_now)

    def uow(self) -> BillingUnitOfWork:
        return BillingUnitOfWork(self.sessions, jobs=self.jobs, on_commit=self.relay.wake)

    def subscriptions(self) -> list[Subscription]:
        return consumers.subscriptions(self.uow, self.clock)

    async def before_start(self) -> None:
        """Ask for a catch-up on the first start."""
        if await request_catch_up_once(SERVICE, self.uow, self.clock()):
            log.info("billing-ingest: first start; asked the inventory to republish resources")

    async def after_stop(self) -> None:
        await self.do_client.aclose()
        await self.finance.aclose()

    def app(self) -> FastAPI:
        app = service_app(
            title="ArcadiaCloud billing ingest",
            description="DigitalOcean's bills: balance, invoices, cost lines matched to resources.",
            settings=self.settings,
            routers=[api.router, runs_router(SERVICE, self.jobs.run_log)],
            ready_checks={"database": self.ready},
            state={"container": self},
        )
        app.add_exception_handler(queries.InvalidCursor, api.invalid_cursor)

        return self.publish_asyncapi(app)


def build(
    settings: BillingSettings,
    bus: Bus,
    *,
    database_url: str,
    do_transport: httpx.AsyncBaseTransport | None = None,
    finance_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock = utc_now,
) -> BillingIngest:
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
    service = BillingIngest(
        settings=settings,
        engine=engine,
        sessions=session_factory(engine),
        do_client=do_client,
        provider=DigitalOceanBilling(do_client),
        finance=HttpFinanceClient(
            settings.finance_url, settings.finance_jwt_secret, transport=finance_transport
        ),
        relay=OutboxRelay(engine, outbox, bus),
        jobs=JobRunner(
            asyncpg_dsn(database_url),
            schema=SCHEMA,
            service=SERVICE,
            run_log=RunLog(engine, SCHEMA),
        ),
        clock=clock,
    )
    register_jobs(
        service.jobs,
        provider=service.provider,
        uow=service.uow,
        clock=service.clock,
        finance=service.finance,
    )
    register_messaging_housekeeping(
        service.jobs, service=SERVICE, relay=service.relay, engine=engine, inbox=inbox
    )
    return service


def build_service(context: ServiceContext) -> BillingIngest:
    settings = context.settings
    if not isinstance(settings, BillingSettings):
        settings = BillingSettings()
    return build(
        settings,
        context.bus,
        database_url=context.database_url,
        do_transport=context.do_transport,
        finance_transport=context.transports.get("finance"),
        clock=context.clock,
    )


DEFINITION = ServiceDefinition(
    name=SERVICE,
    schema=SCHEMA,
    settings=BillingSettings,
    migrate=migrate,
    build=build_service,
    routes=("/billing", runs_path(SERVICE)),
    publishes=(InvoiceIngested,),
    consumes=tuple(model.EVENT_TYPE for model in consumers.CONSUMES),
    calls_digitalocean=True,
    description="DigitalOcean's bills: balance, invoices, cost lines matched to resources.",
)
