from __future__ import annotations

from do_sandbox import scenarios
from do_sandbox.account import is_gpu_droplet
from do_sandbox.scenarios import seeds


def _project_urns(account, name):
    project = next(p for p in account.items("projects") if p["name"] == name)
    return set(account.resources_of(project["id"]))


def test_seed_counts():
    account = scenarios.load("seeds")
    droplets = account.items("droplets")

    assert sum(not is_gpu_droplet(d) for d in droplets) == 5
    assert sum(is_gpu_droplet(d) for d in droplets) == 1
    assert len(account.items("domains")) == 7
    assert len(account.items("snapshots")) == 12
    assert len(account.items("firewalls")) == 1
    assert len(account.items("backups")) == 4
    assert len(account.items("volumes")) == 2
    assert len(account.items("reserved_ips")) == 2
    assert len(account.items("load_balancers")) == 1
    all_urns = {urn for members in account.memberships.values() for urn in members}
    assert len({u for u in all_urns if u.startswith("do:space:")}) == 6


def test_seed_droplets():
    account = scenarios.load("seeds")
    droplets = {d["name"]: d for d in account.items("droplets")}

    with_backups = sorted(n for n, d in droplets.items() if "backups" in d["features"])
    assert with_backups == ["git-01", "web-01"]
    assert all(droplets[n]["backup_ids"] for n in with_backups)
    assert [n for n, d in droplets.items() if d["status"] == "off"] == ["ci-01"]
    for droplet in droplets.values():
        for snapshot_id in droplet["snapshot_ids"]:
            snapshot = account.get("snapshots", str(snapshot_id))
            assert snapshot is not None
            assert snapshot["resource_id"] == str(droplet["id"])


def test_seed_projects_and_memberships():
    account = scenarios.load("seeds")

    names = {p["name"]: p for p in account.items("projects")}
    assert set(names) == {
        "Default",
        "skyai-internal",
        "pilot-tenant",
        "acme-prod",
        "harbor-research",
    }
    assert [n for n, p in names.items() if p["is_default"]] == ["Default"]
    assert names["harbor-research"]["purpose"].startswith("Other: ")
    internal = _project_urns(account, "skyai-internal")
    assert f"do:volumesnapshot:{seeds.GIT_DATA_SNAPSHOTS[0]}" in internal
    assert f"do:image:{seeds.GIT_01_SNAPSHOT}" in internal
    acme = _project_urns(account, "acme-prod")
    assert {u.split(":")[1] for u in acme} >= {"droplet", "loadbalancer", "dbaas", "kubernetes"}
    assert any(u.startswith("do:app:") for u in _project_urns(account, "pilot-tenant"))
    default = _project_urns(account, "Default")
    assert "do:floatingip:2a03:b0c0:2:d0::1f:6001" in default
    assert "do:widget:123" in default


def test_every_project_based_resource_has_a_project():
    account = scenarios.load("seeds")

    for droplet in account.items("droplets"):
        assert account.project_of(f"do:droplet:{droplet['id']}") is not None
    for domain in account.items("domains"):
        assert account.project_of(f"do:domain:{domain['name']}") is not None
    for volume in account.items("volumes"):
        assert account.project_of(f"do:volume:{volume['id']}") is not None


def test_seeds_are_deterministic():
    first, second = scenarios.load("seeds"), scenarios.load("seeds")

    assert first.to_json() == second.to_json()
    assert all("2026" in d["created_at"] for d in first.items("droplets"))
