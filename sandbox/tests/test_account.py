from __future__ import annotations

import copy
import json

import pytest

from do_sandbox import Account, create_app, scenarios
from do_sandbox.scenarios import seeds


def _droplet(droplet_id: int, name: str) -> dict:
    template = scenarios.load("seeds").get("droplets", seeds.APP_01)
    return {**copy.deepcopy(template), "id": droplet_id, "name": name, "snapshot_ids": []}


async def test_put_adds_an_item_visible_through_the_api(app, api):
    app.state.account.put("droplets", _droplet(777, "web-02"), project="default")

    droplets = (await api.get("/v2/droplets")).json()
    default = (await api.get("/v2/projects/default/resources")).json()["resources"]
    assert droplets["meta"]["total"] == 6
    assert "do:droplet:777" in {r["urn"] for r in default}


async def test_put_replaces_an_existing_item(app, api):
    account = app.state.account
    account.put("droplets", {**account.get("droplets", seeds.CI_01), "status": "active"})

    droplet = (await api.get(f"/v2/droplets/{seeds.CI_01}")).json()["droplet"]
    assert droplet["status"] == "active"
    assert account.project_of(f"do:droplet:{seeds.CI_01}") == seeds.INTERNAL_PROJECT


async def test_removing_a_droplet_drops_membership_backups_and_ip_attachment(app, api):
    account = app.state.account

    account.remove("droplets", seeds.WEB_01)

    assert (await api.get(f"/v2/droplets/{seeds.WEB_01}")).status_code == 404
    assert account.get("backups", 201100001) is None
    assert account.project_of(f"do:droplet:{seeds.WEB_01}") is None
    ip = (await api.get("/v2/reserved_ips/203.0.113.10")).json()["reserved_ip"]
    assert ip["droplet"] is None


def test_remove_unknown_item_raises(app):
    with pytest.raises(KeyError):
        app.state.account.remove("droplets", 1)
    with pytest.raises(KeyError):
        app.state.account.items("buckets")


def test_put_needs_the_key_field(app):
    with pytest.raises(ValueError):
        app.state.account.put("domains", {"ttl": 1800})


def test_put_into_an_unknown_project_stores_nothing(app):
    account = app.state.account
    with pytest.raises(KeyError):
        account.put("domains", {"name": "new.example", "ttl": 1800, "zone_file": ""}, project="x")
    assert account.get("domains", "new.example") is None


def test_floating_ips_is_an_alias_of_reserved_ips(app):
    assert app.state.account.get("floating_ips", "203.0.113.24")["droplet"] is None


def test_memberships_move_and_unassign(app):
    account = app.state.account
    urn = "do:space:acme-assets"

    account.assign(seeds.PILOT_PROJECT, urn, "2026-04-01T00:00:00Z")
    assert account.project_of(urn) == seeds.PILOT_PROJECT
    assert urn not in account.resources_of(seeds.ACME_PROJECT)
    account.unassign(urn)
    assert account.project_of(urn) is None
    with pytest.raises(ValueError):
        account.assign(seeds.PILOT_PROJECT, "space:acme-assets")


async def test_http_mirror_of_mutations(api, app):
    put = await api.put(
        "/_sandbox/collections/domains",
        params={"project": seeds.ACME_PROJECT},
        json={"name": "new.example", "ttl": 3600, "zone_file": None},
    )
    assert put.status_code == 200
    assert (await api.get("/v2/domains/new.example")).status_code == 200
    assert app.state.account.project_of("do:domain:new.example") == seeds.ACME_PROJECT

    assert (await api.delete("/_sandbox/collections/domains/new.example")).status_code == 204
    assert (await api.get("/v2/domains/new.example")).status_code == 404
    assert (await api.delete("/_sandbox/collections/domains/new.example")).status_code == 404
    assert (await api.put("/_sandbox/collections/buckets", json={"id": "x"})).status_code == 404

    member = {"project_id": "default", "urn": "do:floatingip:2001:db8::7"}
    assert (await api.put("/_sandbox/memberships", json=member)).status_code == 204
    default = (await api.get("/v2/projects/default/resources")).json()["resources"]
    assert "do:floatingip:2001:db8::7" in {r["urn"] for r in default}
    assert (await api.delete("/_sandbox/memberships/do:floatingip:2001:db8::7")).status_code == 204
    assert app.state.account.project_of("do:floatingip:2001:db8::7") is None


async def test_reset_reloads_the_scenario_and_forgets_faults_and_stats(app, api):
    account = app.state.account
    account.remove("droplets", seeds.WEB_01)
    account.faults.inject(path_prefix="/v2/domains", status=500)
    await api.get("/v2/droplets")

    response = await api.post("/_sandbox/reset")

    assert response.status_code == 200
    assert response.json()["counts"]["droplets"] == 6
    assert app.state.account is account
    assert account.get("droplets", seeds.WEB_01) is not None
    assert account.faults.pending == []
    assert account.stats.total == 0


async def test_reset_needs_a_scenario(make_client):
    app = create_app(Account(), rate_limit=None)
    async with make_client(app) as http:
        assert (await http.post("/_sandbox/reset")).status_code == 409


async def test_export_round_trips_through_a_scenario_file(api, make_client, tmp_path):
    exported = (await api.get("/_sandbox/account")).json()
    path = tmp_path / "account.json"
    path.write_text(json.dumps(exported))

    account = scenarios.load(str(path))

    assert account.to_json() == scenarios.load("seeds").to_json()
    assert account.scenario is not None and account.scenario.name == str(path)
    async with make_client(create_app(str(path), rate_limit=None)) as http:
        ips = (await http.get("/v2/floating_ips")).json()["floating_ips"]
    assert {ip["project_id"] for ip in ips} == {seeds.PILOT_PROJECT, seeds.DEFAULT_PROJECT}
