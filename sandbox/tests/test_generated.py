from __future__ import annotations

import time

import pytest

from do_sandbox import create_app, expected_list_calls, scenarios
from do_sandbox.account import is_gpu_droplet
from do_sandbox.scenarios import generated


def test_counts_follow_the_documented_proportions():
    account = scenarios.load("generated", droplets=1000)
    droplets = account.items("droplets")

    assert sum(not is_gpu_droplet(d) for d in droplets) == 1000
    assert sum(is_gpu_droplet(d) for d in droplets) == 10
    assert account.counts() == {
        "droplets": 1010,
        "backups": 40,
        "domains": 400,
        "snapshots": 800,
        "volumes": 200,
        "reserved_ips": 100,
        "firewalls": 20,
        "load_balancers": 20,
        "projects": 50,
        "apps": 5,
        "kubernetes_clusters": 2,
        "databases": 5,
        "vpcs": 1,
        "reserved_ipv6": 0,
    }
    assert sum("backups" in d["features"] for d in droplets) == 20
    urns = [urn for members in account.memberships.values() for urn in members]
    assert sum(u.startswith("do:space:") for u in urns) == 6
    assert sum(u.startswith("do:droplet:") for u in urns) == 1010


def test_small_accounts_still_have_the_named_projects():
    account = scenarios.load("generated", droplets=10)

    names = [p["name"] for p in account.items("projects")]
    assert names == ["Default", "skyai-internal", "tenant-001"]
    assert generated.counts(10)["projects"] == 3


def test_same_seed_same_account_other_seed_differs():
    first = scenarios.load("generated", droplets=200, seed=1).to_json()

    assert first == scenarios.load("generated", droplets=200, seed=1).to_json()
    assert first != scenarios.load("generated", droplets=200, seed=2).to_json()


def test_references_are_consistent():
    account = scenarios.load("generated", droplets=500)

    for droplet in account.items("droplets"):
        for backup_id in droplet["backup_ids"]:
            assert account.get("backups", backup_id)["type"] == "backup"
        for snapshot_id in droplet["snapshot_ids"]:
            assert account.get("snapshots", str(snapshot_id))["resource_id"] == str(droplet["id"])
        for volume_id in droplet["volume_ids"]:
            assert account.get("volumes", volume_id)["droplet_ids"] == [droplet["id"]]
    for ip in account.items("reserved_ips"):
        if ip["droplet"]:
            droplet_project = account.project_of(f"do:droplet:{ip['droplet']['id']}")
            assert account.project_of(f"do:floatingip:{ip['ip']}") == droplet_project


def test_twenty_thousand_resources_build_quickly():
    start = time.perf_counter()
    account = scenarios.load("generated", droplets=8000)
    elapsed = time.perf_counter() - start

    assert sum(account.counts().values()) > 20_000
    assert elapsed < 2.0


def test_unknown_parameters_are_rejected():
    with pytest.raises(TypeError):
        scenarios.load("generated", tenants=3)
    with pytest.raises(ValueError):
        scenarios.load("no-such-scenario")


LISTS = [
    ("/v2/droplets?type=gpus&per_page=200", "droplets"),
    ("/v2/domains?per_page=200", "domains"),
    ("/v2/snapshots?per_page=200", "snapshots"),
    ("/v2/volumes?per_page=200", "volumes"),
    ("/v2/reserved_ips?per_page=200", "reserved_ips"),
    ("/v2/firewalls?per_page=200", "firewalls"),
    ("/v2/load_balancers?per_page=200", "load_balancers"),
    ("/v2/apps?per_page=200", "apps"),
    ("/v2/kubernetes/clusters?per_page=200", "kubernetes_clusters"),
    ("/v2/databases?per_page=200", "databases"),
    ("/v2/vpcs?per_page=200", "vpcs"),
    ("/v2/reserved_ipv6?per_page=200", "reserved_ipv6s"),
]


@pytest.mark.parametrize("droplets", [0, 450, 1000])
async def test_expected_list_calls_match_a_full_sync(make_client, list_all, droplets):
    account = scenarios.load("generated", droplets=droplets)
    app = create_app(account, rate_limit=None)
    async with make_client(app) as http:
        regular, _ = await list_all(http, "/v2/droplets?per_page=200", "droplets")
        for url, key in LISTS:
            await list_all(http, url, key)
        projects, _ = await list_all(http, "/v2/projects?per_page=200", "projects")
        for project in projects:
            await list_all(
                http, f"/v2/projects/{project['id']}/resources?per_page=200", "resources"
            )
        for droplet in regular:
            if "backups" in droplet["features"]:
                await list_all(
                    http, f"/v2/droplets/{droplet['id']}/backups?per_page=200", "backups"
                )

    assert account.stats.calls("/v2/droplets/") == 2 * droplets // 100
    assert account.stats.total == expected_list_calls(account)
