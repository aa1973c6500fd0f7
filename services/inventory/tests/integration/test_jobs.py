"""The inventory's schedules follow the seeds' cadence; a tick enqueues one sync job at a time."""

from __future__ import annotations

import asyncpg

from arcadia_core.db import asyncpg_dsn
from inventory.bootstrap import Inventory


def test_schedules_follow_the_seeds(inventory: Inventory) -> None:
    schedules = inventory.jobs.schedules
    every_15 = ("droplet", "dns_zone", "volume", "floating_ip", "firewall", "load_balancer")
    for kind in every_15:
        assert schedules[f"inventory.sync.{kind}.tick"] == "*/15 * * * *"
    assert schedules["inventory.sync.projects.tick"] == "*/15 * * * *"
    assert schedules["inventory.sync.snapshot.tick"] == "33 * * * *"
    assert schedules["inventory.sync.droplet_backup.tick"] == "41 * * * *"
    assert "inventory.messaging.purge" in schedules


async def test_a_tick_enqueues_one_job_and_the_job_syncs(
    inventory: Inventory, inventory_db: str
) -> None:
    await inventory.jobs.run_now("inventory.sync.droplet.tick")
    await inventory.jobs.run_now("inventory.sync.droplet.tick")  # still pending: deduplicated
    connection = await asyncpg.connect(asyncpg_dsn(inventory_db))
    try:
        queued = await connection.fetchval(
            "SELECT count(*) FROM inventory.pgqueuer WHERE entrypoint = 'inventory.sync.droplet'"
        )
    finally:
        await connection.close()
    assert queued == 1

    await inventory.jobs.run_until_idle()
    async with inventory.uow() as work:
        assert len(await work.resources.by_kind("droplet")) == 6
