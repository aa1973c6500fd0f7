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
    assert len(rows) == len(source) + 1 == 3  # and one reserved IPv6
    (ipv6,) = api_items(account, "reserved_ipv6")
    row = rows[ipv6["ip"]]
    assert (row.status, row.region) == ("unassigned", ipv6["region_slug"])
    assert row.attrs["ipv6"] is True and row.attrs["reserved_at"] == ipv6["reserved_at"]
    assert account.stats.calls("/v2/reserved_ipv6") == 1
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


async def test_apps_with_their_components(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync("app")
    (item,) = api_items(account, "apps")
    row = (await held(inventory, "app"))[item["id"]]
    assert (row.name, row.status, row.region) == (item["spec"]["name"], "active", "syd")
    (web,) = item["spec"]["services"]
    assert row.attrs["components"] == [
        {
            "type": "services",
            "name": web["name"],
            "instance_size_slug": web["instance_size_slug"],
            "instance_count": web["instance_count"],
        }
    ]
    assert row.attrs["instance_count"] == 2 and row.attrs["tier_slug"] == "basic"
    assert row.attrs.get("placeholder") is None


async def test_kubernetes_clusters_with_node_pools(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync("k8s_cluster")
    (item,) = api_items(account, "kubernetes_clusters")
    row = (await held(inventory, "k8s_cluster"))[item["id"]]
    assert (row.name, row.status, row.region) == (item["name"], "running", item["region"])
    pools = {p["name"]: (p["size"], p["count"]) for p in row.attrs["node_pools"]}
    assert pools == {p["name"]: (p["size"], p["count"]) for p in item["node_pools"]}
    assert pools == {"acme-default": ("s-2vcpu-4gb", 3), "acme-batch": ("c-4", 1)}
    assert row.attrs["node_count"] == 4 and row.attrs["version"] == item["version"]


async def test_managed_databases_engine_size_nodes(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync("managed_db")
    (item,) = api_items(account, "databases")
    row = (await held(inventory, "managed_db"))[item["id"]]
    assert (row.name, row.status, row.region, row.size_slug) == (
        "acme-pg",
        "online",
        "syd1",
        "db-s-2vcpu-4gb",
    )
    assert (row.attrs["engine"], row.attrs["num_nodes"]) == ("pg", 2)


async def test_vpcs(inventory: Inventory, account: Account, sync: Sync) -> None:
    await sync("vpc")
    rows = await held(inventory, "vpc")
    source = api_items(account, "vpcs")
    assert len(rows) == len(source) == 3
    for item in source:
        row = rows[item["id"]]
        assert (row.name, row.region, row.status) == (item["name"], item["region"], "available")
        assert row.attrs["ip_range"] == item["ip_range"]


async def test_new_kinds_are_attributed_and_take_over_their_placeholders(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    """An inventory that held a placeholder for the cluster (from the projects sweep) keeps the
    same resource: the first listing fills it in, with an `updated` event, and its project."""
    from inventory.domain.model import Observation
    from inventory.domain.sync_plan import plan_sync
    from inventory.usecases.apply import apply_sync_plan

    (item,) = api_items(account, "kubernetes_clusters")
    await sync("projects")
    async with inventory.uow() as work:  # as an older release's sweep left it
        placeholder = Observation(
            "k8s_cluster", item["id"], item["id"], "unknown", attrs={"placeholder": True}
        )
        plan = plan_sync("k8s_cluster", {}, [placeholder], inventory.clock())
        await apply_sync_plan(work, plan, inventory.clock())
        await work.commit()
    summary = await sync("k8s_cluster")
    assert summary["changed"] == 1 and summary["discovered"] == 0
    row = (await held(inventory, "k8s_cluster"))[item["id"]]
    assert row.name == "acme-k8s" and row.attrs.get("placeholder") is None
    await sync("projects")
    row = (await held(inventory, "k8s_cluster"))[item["id"]]
    assert row.project_id is not None
