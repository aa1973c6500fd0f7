"""The upsert chokepoint and three-strike rule against real PostgreSQL and the sandbox."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import pytest
from sqlalchemy import select, text

from arcadia_core.events import Envelope
from do_api import ServerError
from do_sandbox.account import Account
from inventory.adapters.tables import cloud_resource_events, outbox
from inventory.bootstrap import Inventory
from inventory.usecases.sync import Summary

Sync = Callable[[str], Awaitable[Summary]]
Counts = Callable[[], Awaitable[dict[str, int]]]
WEB_01 = 512340101


async def droplet_row(inventory: Inventory, provider_id: int):  # type: ignore[no-untyped-def]
    async with inventory.uow() as work:
        return (await work.resources.by_kind("droplet"))[str(provider_id)]


async def outbox_envelopes(inventory: Inventory) -> list[Envelope]:
    async with inventory.sessions() as session:
        rows = await session.execute(select(outbox.c.envelope).order_by(outbox.c.id))
        return [Envelope.model_validate(r) for r in rows.scalars()]


async def events_of(inventory: Inventory, resource_id: object) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    async with inventory.sessions() as session:
        rows = await session.execute(
            select(cloud_resource_events.c.type, cloud_resource_events.c.data)
            .where(cloud_resource_events.c.resource_id == resource_id)
            .order_by(cloud_resource_events.c.id)
        )
        return [(r.type, r.data) for r in rows]


async def test_first_sync_writes_events_and_outbox_in_one_go(
    inventory: Inventory, sync: Sync, counts: Counts
) -> None:
    await sync("droplet")
    assert await counts() == {"events": 6, "outbox": 6}
    envelopes = await outbox_envelopes(inventory)
    assert {e.type for e in envelopes} == {"resource.synced"}
    assert {e.payload["change"] for e in envelopes} == {"discovered"}
    assert all(e.producer == "inventory" and e.payload["version"] == 1 for e in envelopes)


async def test_resync_with_nothing_changed_writes_nothing(
    inventory: Inventory, sync: Sync, counts: Counts
) -> None:
    await sync("droplet")
    before = await counts()
    first_seen = (await droplet_row(inventory, WEB_01)).last_seen_at
    summary = await sync("droplet")
    assert summary["unchanged"] == 6 and summary["changed"] == summary["discovered"] == 0
    assert await counts() == before
    assert (await droplet_row(inventory, WEB_01)).last_seen_at > first_seen


async def test_a_change_is_an_updated_event_with_its_diff(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync("droplet")
    droplet = dict(account.get("droplets", WEB_01))
    droplet["status"] = "off"
    account.put("droplets", droplet)
    await sync("droplet")
    row = await droplet_row(inventory, WEB_01)
    assert (row.status, row.version) == ("off", 2)
    assert (await events_of(inventory, row.id))[-1] == (
        "updated",
        {"diff": {"status": {"old": "active", "new": "off"}}},
    )
    last = (await outbox_envelopes(inventory))[-1]
    assert (last.payload["change"], last.payload["version"]) == ("updated", 2)


async def test_deleted_on_the_third_complete_listing_without_it_then_restored(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync("droplet")
    original = dict(account.get("droplets", WEB_01))
    account.remove("droplets", WEB_01)
    for strikes in (1, 2):
        await sync("droplet")
        row = await droplet_row(inventory, WEB_01)
        assert (row.stale_strikes, row.deleted_at) == (strikes, None)
    await sync("droplet")
    row = await droplet_row(inventory, WEB_01)
    assert row.deleted_at is not None and row.stale_strikes == 3
    assert (await outbox_envelopes(inventory))[-1].type == "resource.deleted"

    account.put("droplets", original)
    await sync("droplet")
    row = await droplet_row(inventory, WEB_01)
    assert (row.deleted_at, row.stale_strikes) == (None, 0)
    assert [t for t, _ in await events_of(inventory, row.id)] == [
        "discovered",
        "deleted",
        "restored",
    ]


async def test_a_listing_that_fails_midway_strikes_nothing(
    inventory: Inventory, account: Account, sync: Sync, counts: Counts
) -> None:
    await sync("droplet")
    account.remove("droplets", WEB_01)
    before = await counts()
    # the regular listing succeeds, then the GPU listing fails past every retry
    account.faults.inject(path_prefix="/v2/droplets", status=503, times=50, after=1)
    inventory.do_client.policy = replace(
        inventory.do_client.policy, max_retries=1, backoff_base=0.001, backoff_cap=0.001
    )
    with pytest.raises(ServerError):
        await sync("droplet")
    assert (await droplet_row(inventory, WEB_01)).stale_strikes == 0
    assert await counts() == before


async def test_the_audit_log_is_append_only(inventory: Inventory, sync: Sync) -> None:
    await sync("dns_zone")
    async with inventory.engine.connect() as connection:
        with pytest.raises(Exception, match="append-only"):
            await connection.execute(text("UPDATE cloud_resource_events SET type = 'x'"))
