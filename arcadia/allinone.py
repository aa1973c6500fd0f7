"""Wiring the services of this process from the registry: all of them (`arcadia up`) or one
(`arcadia serve SERVICE`), on one bus, started in registry order and stopped in reverse."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI

from arcadia import registry
from arcadia.runtime import (
    DEMO_FINANCE_SECRET,
    DigitalOceanAccess,
    Environment,
    database_url,
    describe_bus,
    describe_database,
    digitalocean_access,
    make_bus,
)
from arcadia_core.bus.deadletters import SqlDeadLetterStore
from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.bus.ports import Bus
from arcadia_core.service import RunningService, ServiceContext
from arcadia_core.settings import ArcadiaSettings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: ArcadiaSettings
    bus: Bus
    running: dict[str, RunningService]
    access: DigitalOceanAccess | None
    environment: Environment
    transports: dict[str, httpx.AsyncBaseTransport] = field(default_factory=dict)
    dead_letter_stores: list[SqlDeadLetterStore] = field(default_factory=list)

    @property
    def sandboxed(self) -> bool:
        return self.access is not None and self.access.sandboxed

    def __getitem__(self, name: str) -> RunningService:
        return self.running[name]


def _outside_transports(
    settings: ArcadiaSettings, demo: bool
) -> dict[str, httpx.AsyncBaseTransport]:
    """In the demo, the finance service is an in-process stand-in unless one is configured."""
    if not demo or settings.finance_url or settings.finance_jwt_secret:
        return {}
    from do_sandbox.finance import create_finance_app

    return {"finance": httpx.ASGITransport(app=create_finance_app(DEMO_FINANCE_SECRET))}


async def prepare(
    *,
    names: Sequence[str] | None = None,
    bus: Bus | None = None,
    scenario: str = "seeds",
    sandbox: bool = True,
    demo: bool = False,
) -> Services:
    """Migrate and wire `names` (default: every service) on one bus; nothing is started."""
    selected = list(names or registry.names())
    base = ArcadiaSettings()
    definitions = [registry.definition(name) for name in selected]
    access = None
    if any(d.calls_digitalocean for d in definitions):
        access = digitalocean_access(base, scenario, sandbox=sandbox)
    transports = _outside_transports(base, demo)
    bus = bus or make_bus(base, "arcadia" if len(selected) > 1 else selected[0])
    running: dict[str, RunningService] = {}
    stores: list[SqlDeadLetterStore] = []
    for definition in definitions:
        settings = definition.settings()
        if access is not None and definition.calls_digitalocean:
            access.apply(settings)
        if "finance" in transports:
            settings.finance_jwt_secret = DEMO_FINANCE_SECRET
        url = await database_url(settings, definition.name)
        await definition.migrate(url)
        service = definition.build(
            ServiceContext(
                settings=settings,
                bus=bus,
                database_url=url,
                do_transport=access.transport if access is not None else None,
                transports=transports,
            )
        )
        for subscription in service.subscriptions():
            bus.subscribe(subscription)
        if isinstance(bus, InProcessBus):
            # in process, a service's dead letters go to its own `dead_letters` table
            store = SqlDeadLetterStore.connect(url, definition.schema)
            bus.store_dead_letters(definition.name, store)
            stores.append(store)
        running[definition.name] = service
    environment = Environment(
        database=describe_database(base),
        bus=describe_bus(base),
        digitalocean=access.describe() if access is not None else None,
    )
    if "finance" in transports:
        environment.notes.append("finance: the in-process stand-in")
    return Services(base, bus, running, access, environment, transports, stores)


@contextlib.asynccontextmanager
async def started(services: Services, *, run_jobs: bool = True) -> AsyncIterator[Services]:
    """Start the bus, then each service; on exit stop the consumers first, then the services
    in reverse order, so nothing is handed work by a service already stopped."""
    started_names: list[str] = []
    try:
        settings = services.settings
        if settings.amqp_url:
            # every known consumer queue, not only this process's: events for a service
            # that is not running yet are kept for it
            from arcadia_core.bus.topology import declare_topology

            await declare_topology(
                settings.amqp_url, settings.amqp_namespace, registry.consumer_queues()
            )
        await services.bus.start()
        for name, service in services.running.items():
            await service.start(run_jobs=run_jobs)
            started_names.append(name)
        yield services
    finally:
        with contextlib.suppress(Exception):
            await services.bus.stop()
        for name in reversed(list(services.running)):
            try:
                await services.running[name].stop()
            except Exception:
                log.exception("%s did not stop cleanly", name)
        for store in services.dead_letter_stores:
            with contextlib.suppress(Exception):
                await store.close()


def gateway_app(services: Services, demo_tokens: Mapping[str, str] | None = None) -> FastAPI:
    """The gateway, reaching every service of this process in process. `demo_tokens` (role →
    token) turns on the dashboard's demo sign-in."""
    from gateway.app import create_app as create_gateway
    from gateway.app import upstream_clients

    names = list(services.running)
    return create_gateway(
        services.settings,
        upstream_clients(
            services.settings,
            names,
            {name: httpx.ASGITransport(app=s.app()) for name, s in services.running.items()},
        ),
        registry.gateway_routes(),
        demo_tokens=demo_tokens,
    )
