from __future__ import annotations

import pytest

from do_sandbox.scenarios import seeds

BASE = "https://api.digitalocean.com"


async def test_create_returns_201_and_never_a_default_project(api):
    response = await api.post(
        "/v2/projects",
        json={
            "name": "beta-tenant",
            "purpose": "Service or API",
            "environment": "Staging",
            "is_default": True,
        },
    )

    assert response.status_code == 201
    project = response.json()["project"]
    assert project["is_default"] is False
    assert project["purpose"] == "Service or API"
    assert project["environment"] == "Staging"
    assert project["owner_uuid"] == seeds.OWNER_UUID
    fetched = (await api.get(f"/v2/projects/{project['id']}")).json()["project"]
    assert fetched == project
    assert (await api.get("/v2/projects/default")).json()["project"]["name"] == "Default"


async def test_undocumented_purpose_is_stored_as_other(api):
    response = await api.post("/v2/projects", json={"name": "resale", "purpose": "Reselling"})

    assert response.json()["project"]["purpose"] == "Other: Reselling"


@pytest.mark.parametrize(
    ("body", "missing"),
    [({"name": "no-purpose"}, "purpose"), ({"purpose": "IoT"}, "name"), ({}, "name")],
)
async def test_name_and_purpose_are_required(api, body, missing):
    response = await api.post("/v2/projects", json=body)

    assert response.status_code == 422
    assert response.json()["id"] == "unprocessable_entity"
    assert missing in response.json()["message"]


async def test_names_are_unique(api):
    response = await api.post("/v2/projects", json={"name": "acme-prod", "purpose": "IoT"})

    assert response.status_code == 409
    assert response.json()["id"] == "conflict"


async def test_invalid_environment_is_rejected(api):
    body = {"name": "x", "purpose": "IoT", "environment": "Prod"}

    assert (await api.post("/v2/projects", json=body)).status_code == 422


async def test_resources_list_urns_with_self_links(api):
    body = (await api.get(f"/v2/projects/{seeds.PILOT_PROJECT}/resources")).json()

    by_urn = {r["urn"]: r for r in body["resources"]}
    assert by_urn[f"do:droplet:{seeds.WEB_01}"] == {
        "urn": f"do:droplet:{seeds.WEB_01}",
        "assigned_at": "2026-01-12T09:41:30Z",
        "links": {"self": f"{BASE}/v2/droplets/{seeds.WEB_01}"},
        "status": "ok",
    }
    assert by_urn["do:floatingip:203.0.113.10"]["links"]["self"] == (
        f"{BASE}/v2/floating_ips/203.0.113.10"
    )
    assert body["meta"]["total"] == len(body["resources"]) == 6
    assert set(body["links"]["pages"]) == {"first", "last"}


async def test_default_alias_lists_the_default_projects_resources(api):
    body = (await api.get("/v2/projects/default/resources")).json()

    urns = [r["urn"] for r in body["resources"]]
    assert "do:floatingip:2a03:b0c0:2:d0::1f:6001" in urns
    assert "do:widget:123" in urns


async def test_assigning_moves_a_resource_between_projects(api):
    urn = f"do:droplet:{seeds.WEB_01}"

    response = await api.post(
        f"/v2/projects/{seeds.ACME_PROJECT}/resources",
        json={"resources": [urn, "do:space:new-bucket", "do:droplet:1"]},
    )

    assert response.status_code == 200
    statuses = {r["urn"]: r["status"] for r in response.json()["resources"]}
    assert statuses == {
        urn: "assigned",
        "do:space:new-bucket": "assigned",
        "do:droplet:1": "not_found",
    }
    acme = (await api.get(f"/v2/projects/{seeds.ACME_PROJECT}/resources")).json()["resources"]
    pilot = (await api.get(f"/v2/projects/{seeds.PILOT_PROJECT}/resources")).json()["resources"]
    assert urn in {r["urn"] for r in acme}
    assert urn not in {r["urn"] for r in pilot}


async def test_moving_an_attached_reserved_ip_is_a_precondition_failure(api):
    response = await api.post(
        "/v2/projects/default/resources", json={"resources": ["do:floatingip:203.0.113.10"]}
    )

    assert response.status_code == 412
    assert response.json()["id"] == "precondition_failed"


async def test_assign_rejects_malformed_urns(api):
    response = await api.post("/v2/projects/default/resources", json={"resources": ["droplet:1"]})

    assert response.status_code == 400


async def test_deleting_a_project_with_resources_is_refused(api):
    response = await api.delete(f"/v2/projects/{seeds.HARBOR_PROJECT}")

    assert response.status_code == 412
    assert response.json()["message"].startswith("cannot delete a project with resources")


async def test_deleting_an_empty_project(api):
    created = (await api.post("/v2/projects", json={"name": "tmp", "purpose": "IoT"})).json()

    response = await api.delete(f"/v2/projects/{created['project']['id']}")

    assert response.status_code == 204
    assert (await api.get(f"/v2/projects/{created['project']['id']}")).status_code == 404


async def test_unknown_project_is_not_found(api):
    assert (await api.get("/v2/projects/00000000-0000-0000-0000-000000000000")).status_code == 404
    assert (await api.get("/v2/projects/nope/resources")).status_code == 404
