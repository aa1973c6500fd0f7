"""Each kind synced from the sandbox's seeds account, checked field by field against the API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import pytest

from do_sandbox.account import Account
from inventory.bootstrap import Inventory
from inventory.domain.model import Resource
from inventory.usecases.sync import Summary

Sync = Callable[[str], Awaitable[Summary]]


async def held(inventory: Inventory, kind: str) -> dict[str, Resource]:
    async with inventory.uow() as work:
        return await work.resources.by_kind(kind)


def api_items(account: Account, collection: str) -> list[dict[str, Any]]:
    return list(account.collections[collection].values())


async def test_droplets_regular_and_gpu(inventory: Inventory, account: Account, sync: Sync) -> None:
    summary = await sync("droplet")
    rows = await held(inventory, "droplet")
    source = api_items(account, "droplets")
    assert summary["discovered"] == len(source) == 6
    assert any(d.get("gpu_info") for d in source), "the seeds hold a GPU droplet"
    for item in source:
        row = rows[str(item["id"])]
        assert row.name == item["name"]
        assert row.status == item["status"]
        assert row.region == item["region"]["slug"]
        assert row.size_slug == item["size_slug"]
        assert row.attrs["vcpus"] == item["vcpus"] and row.attrs["memory"] == item["memory"]
        assert row.attrs["backups_enabled"] == ("backups" in item["features"])
        assert row.attrs["backup_ids"] == sorted(item["backup_ids"])
        assert row.attrs["tags"] == sorted(item["tags"])
        assert Decimal(row.attrs["price_monthly"]) == Decimal(str(item["size"]["price_monthly"]))
        public = [n["ip_address"] for n in item["networks"]["v4"] if n["type"] == "public"]
        assert row.attrs["public_ipv4"] == (public[0] if public else None)
        assert ("gpu_info" in row.attrs) == bool(item.get("gpu_info"))
        assert row.version == 1 and row.stale_strikes == 0 and row.deleted_at is None


async def test_domains_are_keyed_by_name(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync("dns_zone")
    rows = await held(inventory, "dns_zone")
    source = api_items(account, "domains")
    assert len(rows) == len(source) == 7
    for item in source:
        assert "id" not in item
        row = rows[item["name"]]
        assert (row.name, row.status, row.attrs["ttl"]) == (item["name"], "active", item["ttl"])


async def test_volumes_with_null_lists(inventory: Inventory, account: Account, sync: Sync) -> None:
    await sync("volume")
    rows = await held(inventory, "volume")
    source = api_items(account, "volumes")
    assert any(v["droplet_ids"] is None for v in source), "the seeds hold a volume with null ids"
    for item in source:
        row = rows[item["id"]]
        assert row.name == item["name"]
        assert row.region == item["region"]["slug"]
        assert row.attrs["size_gigabytes"] == item["size_gigabytes"]
        assert row.attrs["droplet_ids"] == sorted(item["droplet_ids"] or [])
        assert row.status == ("attached" if item["droplet_ids"] else "detached")


async def test_snapshots_of_droplets_and_volumes(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync("snapshot")
    rows = await held(inventory, "snapshot")
    source = api_items(account, "snapshots")
    assert len(rows) == len(source) == 12
    assert {s["resource_type"] for s in source} == {"droplet", "volume"}
    for item in source:
        assert isinstance(item["id"], str) and isinstance(item["resource_id"], str)
        row = rows[item["id"]]
        assert row.attrs["resource_type"] == item["resource_type"]
        assert row.attrs["resource_id"] == item["resource_id"]
        assert Decimal(row.attrs["size_gigabytes"]) == Decimal(str(item["size_gigabytes"]))
        assert row.attrs["tags"] == sorted(item["tags"] or [])


async def test_reserved_ips_are_listed_once(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync("floating_ip")
    rows = await held(inventory, "floating_ip")
    source = api_items(account, "reserved_ips")
    assert len(rows) == len(source) == 2
    for item in source:
        row = rows[item["ip"]]
        assert row.status == ("assigned" if item["droplet"] else "unassigned")
        expected = None if item["droplet"] is None else str(item["droplet"]["id"])
        assert row.attrs["droplet_id"] == expected
        assert row.region == item["region"]["slug"]
    assert account.stats.calls("/v2/floating_ips") == 0
    assert account.stats.calls("/v2/reserved_ips") == 1


async def test_firewalls_keep_rules(inventory: Inventory, account: Account, sync: Sync) -> None:
    await sync("firewall")
    rows = await held(inventory, "firewall")
    (item,) = api_items(account, "firewalls")
    row = rows[item["id"]]
    assert row.name == item["name"] and row.status == item["status"]
    assert row.attrs["inbound_rules"] == item["inbound_rules"]
    assert row.attrs["outbound_rules"] == item["outbound_rules"]
    assert row.attrs["droplet_ids"] == sorted(item["droplet_ids"] or [])


async def test_load_balancers(inventory: Inventory, account: Account, sync: Sync) -> None:
    await sync("load_balancer")
    rows = await held(inventory, "load_balancer")
    (item,) = api_items(account, "load_balancers")
    row = rows[item["id"]]
    assert (row.name, row.status, row.region) == (
        item["name"],
        item["status"],
        item["region"]["slug"],
    )
    assert row.size_slug == item.get("size")
    assert row.attrs["size_unit"] == item["size_unit"]
    assert row.attrs["algorithm"] == item.get("algorithm")
    assert row.attrs["forwarding_rules"] == item["forwarding_rules"]


async def test_backups_listed_only_for_droplets_with_backups(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync("droplet")
    account.stats.clear()
    summary = await sync("droplet_backup")
    rows = await held(inventory, "droplet_backup")
    assert summary["discovered"] == len(rows) == 4
    with_backups = {
        str(d["id"])
        for d in api_items(account, "droplets")
        if "backups" in d["features"] or d["backup_ids"]
    }
    assert {r.attrs["droplet_id"] for r in rows.values()} <= with_backups
    assert account.stats.total == len(with_backups) < len(api_items(account, "droplets"))
    for backup in api_items(account, "backups"):
        row = rows[str(backup["id"])]
        assert row.name == backup["name"]
        assert Decimal(row.attrs["size_gigabytes"]) == Decimal(str(backup["size_gigabytes"]))


async def test_unknown_kind_is_refused(sync: Sync) -> None:
    with pytest.raises(ValueError, match="unknown resource kind"):
        await sync("teapot")
