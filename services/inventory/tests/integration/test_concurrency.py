"""Attribution that cannot be lost: concurrent writers, one paused inside its transaction.

In the style of cosmicpython's `test_concurrent_updates_to_version_are_not_allowed`: a writer is
held inside its transaction (after its reads, before its commit) while another writer starts;
both must end with every resource attributed and strictly increasing versions in the outbox.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select, text

from arcadia_core.events import Envelope
from do_sandbox.account import Account
from inventory.adapters.tables import outbox
from inventory.adapters.unit_of_work import SqlUnitOfWork
from inventory.bootstrap import Inventory
from inventory.domain.projects import Classification
from inventory.ports import ConcurrentUpdate, UnitOfWork
from inventory.usecases.projects import classify_project
from inventory.usecases.sync import Summary, sync_kind
from inventory.usecases.writes import write

Sync = Callable[[str], Awaitable[Summary]]
TENANT = UUID("00000000-0000-0000-0000-00000000a0c1")
WEB_01 = 512340101
WEB_URN = f"do:droplet:{WEB_01}"


@pytest.fixture(autouse=True)
async def registered(register: Callable[..., Awaitable[None]]) -> None:
    await register(TENANT)


class PausedUnitOfWork(SqlUnitOfWork):
    """Holds its transaction open at commit until the test releases it."""

    def __init__(self, inventory: Inventory, inside: asyncio.Event, release: asyncio.Event):
        super().__init__(inventory.sessions, on_commit=inventory.relay.wake)
        self.inside = inside
        self.release = release

    async def commit(self) -> None:
        self.inside.set()
        await self.release.wait()
        await super().commit()


async def wait_for_lock_waiter(inventory: Inventory) -> None:
    """Until some transaction is queued behind the inventory's advisory lock."""
    for _ in range(200):
        async with inventory.sessions() as session:
            waiting = await session.scalar(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            )
        if waiting:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the second writer never waited for the lock")


async def paused_sync(
    inventory: Inventory, kind: str, inside: asyncio.Event, release: asyncio.Event
) -> Summary:
    return await sync_kind(
        kind,
        provider=inventory.provider,
        uow=lambda: PausedUnitOfWork(inventory, inside, release),
        clock=inventory.clock,
        internal_project=inventory.settings.internal_project_name,
    )


async def held_droplet_sync(inventory: Inventory) -> tuple[asyncio.Task[Summary], asyncio.Event]:
    """A droplet sync, started and held inside its transaction after its reads; set the event
    to let it commit."""
    inside, release = asyncio.Event(), asyncio.Event()
    droplets = asyncio.create_task(paused_sync(inventory, "droplet", inside, release))
    await asyncio.wait_for(inside.wait(), 10)
    return droplets, release


async def versions_by_resource(inventory: Inventory) -> dict[str, list[tuple[int, str]]]:
    async with inventory.sessions() as session:
        rows = await session.execute(select(outbox.c.envelope).order_by(outbox.c.id))
        envelopes = [Envelope.model_validate(r) for r in rows.scalars()]
    versions: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for envelope in envelopes:
        payload: dict[str, Any] = envelope.payload
        versions[payload["resource_id"]].append(
            (payload["version"], payload.get("change", "deleted"))
        )
    return versions


def assert_strictly_increasing(versions: dict[str, list[tuple[int, str]]]) -> None:
    for resource_id, seen in versions.items():
        numbers = [v for v, _ in seen]
        assert numbers == sorted(set(numbers)), (resource_id, seen)


async def droplet(inventory: Inventory, provider_id: int) -> Any:
    async with inventory.uow() as work:
        return (await work.resources.by_kind("droplet"))[str(provider_id)]


async def project_id(inventory: Inventory, name: str) -> UUID:
    async with inventory.uow() as work:
        return next(p.id for p in (await work.projects.all()).values() if p.name == name)


async def classify(inventory: Inventory, name: str, tenant: UUID) -> None:
    await classify_project(
        await project_id(inventory, name),
        Classification(tenant_id=tenant),
        uow=inventory.uow,
        clock=inventory.clock,
    )


async def test_sweep_during_a_droplet_sync_leaves_the_new_droplet_attributed(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    # web-01 joins pilot-tenant (classified) after the last sweep stored the memberships
    account.unassign(WEB_URN)
    await sync("projects")
    await classify(inventory, "pilot-tenant", TENANT)
    pilot = next(
        key for key, p in account.collections["projects"].items() if p["name"] == "pilot-tenant"
    )
    account.assign(str(pilot), WEB_URN)

    droplets, release = await held_droplet_sync(inventory)
    sweep = asyncio.create_task(sync("projects"))
    await wait_for_lock_waiter(inventory)  # the sweep waits, it does not interleave
    assert not sweep.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(droplets, sweep), 20)

    web = await droplet(inventory, WEB_01)
    assert web.project_id == await project_id(inventory, "pilot-tenant")
    assert web.tenant_id == TENANT
    versions = await versions_by_resource(inventory)
    assert versions[str(web.id)] == [(1, "discovered"), (2, "attributed")]
    assert_strictly_increasing(versions)


async def test_classification_during_a_droplet_sync_is_not_overwritten(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync("projects")
    await sync("droplet")
    account.get("droplets", WEB_01)["status"] = "off"  # type: ignore[index]

    # it read web-01 before the classification
    droplets, release = await held_droplet_sync(inventory)
    patch = asyncio.create_task(classify(inventory, "pilot-tenant", TENANT))
    await wait_for_lock_waiter(inventory)
    release.set()
    await asyncio.wait_for(asyncio.gather(droplets, patch), 20)

    web = await droplet(inventory, WEB_01)
    assert (web.status, web.tenant_id) == ("off", TENANT)
    versions = await versions_by_resource(inventory)
    assert versions[str(web.id)] == [(1, "discovered"), (2, "updated"), (3, "attributed")]
    assert_strictly_increasing(versions)


async def test_concurrent_updates_to_version_are_not_allowed(
    inventory: Inventory, sync: Sync
) -> None:
    """Without the lock, the version guard still refuses a write from a stale read."""
    await sync("projects")
    await sync("droplet")
    async with inventory.uow() as first, inventory.uow() as second:
        stale = (await first.resources.by_kind("droplet"))[str(WEB_01)]
        fresh = (await second.resources.by_kind("droplet"))[str(WEB_01)]
        fresh.tenant_id, fresh.version = TENANT, fresh.version + 1
        await second.resources.update_attribution([fresh])
        await second.commit()
        stale.status, stale.version = "off", stale.version + 1
        with pytest.raises(ConcurrentUpdate):
            await first.resources.update([stale])
    web = await droplet(inventory, WEB_01)
    assert (web.status, web.tenant_id, web.version) == ("active", TENANT, 2)


async def test_a_conflicting_write_is_redone_from_fresh_reads(
    inventory: Inventory, sync: Sync
) -> None:
    await sync("projects")
    await sync("droplet")
    attempts: list[int] = []

    async def body(work: UnitOfWork) -> int:
        web = (await work.resources.by_kind("droplet"))[str(WEB_01)]
        if not attempts:
            # someone outside the lock bumps the row after our read
            async with inventory.sessions() as other, other.begin():
                await other.execute(
                    text(
                        "UPDATE inventory.cloud_resources SET version = version + 1 WHERE id = :id"
                    ),
                    {"id": web.id},
                )
        attempts.append(web.version)
        web.tenant_id, web.version = TENANT, web.version + 1
        await work.resources.update_attribution([web])
        return web.version

    assert await write(inventory.uow, body) == 3
    assert attempts == [1, 2]
    assert (await droplet(inventory, WEB_01)).tenant_id == TENANT


async def test_every_sweep_heals_a_lost_attribution(inventory: Inventory, sync: Sync) -> None:
    await sync("projects")
    await sync("droplet")
    await classify(inventory, "pilot-tenant", TENANT)
    async with inventory.sessions() as session, session.begin():
        await session.execute(
            text(
                "UPDATE inventory.cloud_resources SET project_id = NULL, tenant_id = NULL "
                "WHERE provider_id = :id"
            ),
            {"id": str(WEB_01)},
        )
    summary = await sync("projects")  # memberships did not move
    assert summary["attributed"] == 1
    assert (await droplet(inventory, WEB_01)).tenant_id == TENANT


async def test_two_kinds_syncs_write_at_once_and_one_kinds_syncs_take_turns(
    inventory: Inventory, sync: Sync
) -> None:
    await sync("projects")
    droplets, release = await held_droplet_sync(inventory)
    # another kind's sync touches other rows: it does not wait for the droplets
    assert (await asyncio.wait_for(sync("volume"), 10))["discovered"] > 0
    # the same kind's does, and so does the sweep, which writes every kind
    again = asyncio.create_task(sync("droplet"))
    await wait_for_lock_waiter(inventory)
    sweep = asyncio.create_task(sync("projects"))
    await asyncio.sleep(0.2)
    assert not again.done() and not sweep.done()
    release.set()
    first, second, _ = await asyncio.wait_for(asyncio.gather(droplets, again, sweep), 20)
    assert first["discovered"] > 0 and second["discovered"] == 0  # it read what the first wrote
    assert_strictly_increasing(await versions_by_resource(inventory))


async def test_a_sweep_waiting_for_its_lock_holds_back_the_kinds_syncs_behind_it(
    inventory: Inventory, sync: Sync
) -> None:
    # a sync that shares the lock does not slip past a sweep waiting for it whole
    await sync("projects")
    droplets, release = await held_droplet_sync(inventory)
    sweep = asyncio.create_task(sync("projects"))
    await wait_for_lock_waiter(inventory)
    volumes = asyncio.create_task(sync("volume"))
    await asyncio.sleep(0.2)
    assert not sweep.done() and not volumes.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(droplets, sweep, volumes), 20)
