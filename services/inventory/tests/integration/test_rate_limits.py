"""A 429 storm slows a sync down; it never fails it or costs a strike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from do_api import budget_for
from do_sandbox.account import Account
from inventory.bootstrap import Inventory
from inventory.usecases.sync import Summary


async def test_sync_rides_out_a_429_storm(
    inventory: Inventory, account: Account, sync: Callable[[str], Awaitable[Summary]]
) -> None:
    account.faults.inject(path_prefix="/v2/droplets", status=429, times=4, retry_after=0)
    summary = await sync("droplet")
    assert summary["discovered"] == 6
    assert inventory.do_client.retries == 4
    assert account.stats.by_status[429] == 4


async def test_jobs_of_one_token_share_one_budget(
    inventory: Inventory, sync: Callable[[str], Awaitable[Summary]]
) -> None:
    token = inventory.settings.do_token_for(inventory.settings.do_token_purpose)
    assert token is not None
    shared = budget_for(token)
    assert shared is inventory.do_client.budget
    before = shared.remaining
    await sync("dns_zone")
    await sync("volume")
    assert shared.remaining == before - 2  # one call each, from the one budget
