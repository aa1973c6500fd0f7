"""Wiring the services of this process: all of them in all-in-one mode, or one in `serve`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from arcadia.runtime import database_url, digitalocean_access, make_bus
from arcadia_core.bus.ports import Bus
from gateway.app import create_app as create_gateway
from gateway.app import upstream_clients
from inventory import bootstrap as inventory_bootstrap
from inventory.config import InventorySettings


@dataclass
class Services:
    settings: InventorySettings
    bus: Bus
    inventory: inventory_bootstrap.Inventory
    sandboxed: bool


async def prepare(*, bus: Bus | None = None, scenario: str = "seeds") -> Services:
    """Migrate and wire the services on one bus; nothing is started yet."""
    settings = InventorySettings()
    access = digitalocean_access(settings, scenario)
    url = await database_url(settings, "inventory")
    await inventory_bootstrap.migrate(url)
    bus = bus or make_bus(settings, "inventory")
    inventory = inventory_bootstrap.build(
        settings, bus, database_url=url, do_transport=access.transport
    )
    for subscription in inventory.subscriptions():
        bus.subscribe(subscription)
    return Services(settings, bus, inventory, access.sandboxed)


@asynccontextmanager
async def started(*, run_jobs: bool = True, scenario: str = "seeds") -> AsyncIterator[Services]:
    """The services running (bus, outbox relays, jobs); all stopped on exit."""
    services = await prepare(scenario=scenario)
    await services.bus.start()
    try:
        async with inventory_bootstrap.running(services.inventory, run_jobs=run_jobs):
            yield services
    finally:
        await services.bus.stop()


@dataclass
class Platform:
    services: Services
    gateway: FastAPI


@asynccontextmanager
async def platform(*, run_jobs: bool = True, scenario: str = "seeds") -> AsyncIterator[Platform]:
    """All-in-one: every service started, and the gateway reaching them in process."""
    async with started(run_jobs=run_jobs, scenario=scenario) as services:
        gateway = create_gateway(
            services.settings,
            upstream_clients(
                services.settings,
                {"inventory": httpx.ASGITransport(app=services.inventory.app())},
            ),
        )
        yield Platform(services, gateway)
