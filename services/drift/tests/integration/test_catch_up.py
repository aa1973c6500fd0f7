"""A drift service started after the inventory has synced catches up on its first start."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from sqlalchemy import func, select

from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.service import ServiceContext
from do_sandbox import create_app
from drift import bootstrap as drift_bootstrap
from drift.adapters.tables import live_resources
from drift.config import DriftSettings
from inventory import bootstrap as inventory_bootstrap
from inventory.adapters.tables import cloud_resources
from inventory.config import InventorySettings
from inventory.jobs import job_name


async def test_first_start_catches_up(
    migrated_database: Callable[..., Awaitable[str]],
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    url = await migrated_database(inventory_bootstrap.migrate, drift_bootstrap.migrate)
    bus = InProcessBus()
    inventory: Any = inventory_bootstrap.DEFINITION.build(
        ServiceContext(
            settings=InventorySettings(DO_API_TOKEN=f"test-{uuid.uuid4().hex}"),
            bus=bus,
            database_url=url,
            do_transport=httpx.ASGITransport(app=create_app("seeds", rate_limit=None)),
        )
    )
    for subscription in inventory.subscriptions():
        bus.subscribe(subscription)
    await bus.start()
    await inventory.start(run_jobs=False)
    drift = drift_bootstrap.build(DriftSettings(), bus, database_url=url)
    try:
        # the inventory syncs while drift does not exist yet: nobody hears these events
        await inventory.jobs.run_now(job_name("droplet"))
        await inventory.jobs.run_now(job_name("volume"))
        async with inventory.sessions() as session:
            mirrored = await session.scalar(select(func.count()).select_from(cloud_resources))

        for subscription in drift.subscriptions():
            bus.subscribe(subscription)
        await drift.start(run_jobs=False)

        async def caught_up() -> bool:
            async with drift.sessions() as session:
                count = await session.scalar(select(func.count()).select_from(live_resources))
            return count == mirrored

        await eventually(caught_up)
        assert mirrored and mirrored >= 7  # the seeds' droplets and volumes
    finally:
        await drift.stop()
        await inventory.stop()
        await bus.stop()
