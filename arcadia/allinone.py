"""All-in-one mode: every service and the gateway in one process, on one port."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from arcadia.runtime import database_url, digitalocean_access, make_bus
from arcadia_core.bus.ports import Bus
from arcadia_core.settings import ArcadiaSettings
from gateway.app import create_app as create_gateway
from gateway.app import upstream_clients
from inventory import bootstrap as inventory_bootstrap
from inventory.config import InventorySettings

log = logging.getLogger(__name__)


@dataclass
class Platform:
    settings: ArcadiaSettings
    bus: Bus
    inventory: inventory_bootstrap.Inventory
    gateway: FastAPI
    sandboxed: bool


@asynccontextmanager
async def platform(*, run_jobs: bool = True, scenario: str = "seeds") -> AsyncIterator[Platform]:
    """Migrate, wire and start every service; stop them all on exit."""
    settings = InventorySettings()
    access = digitalocean_access(settings, scenario)
    url = await database_url(settings, "inventory")
    await inventory_bootstrap.migrate(url)
    bus = make_bus(settings, "inventory")
    inventory = inventory_bootstrap.build(
        settings, bus, database_url=url, do_transport=access.transport
    )
    for subscription in inventory.subscriptions():
        bus.subscribe(subscription)
    await bus.start()
    await inventory.start(run_jobs=run_jobs)
    gateway = create_gateway(
        settings,
        upstream_clients(settings, {"inventory": httpx.ASGITransport(app=inventory.app())}),
    )
    try:
        yield Platform(settings, bus, inventory, gateway, access.sandboxed)
    finally:
        await inventory.stop()
        await bus.stop()
