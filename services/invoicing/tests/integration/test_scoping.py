"""Tenant scoping on every route: own rows only, a foreign id 404, admin routes 403."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from arcadia_core.auth import Principal

ADMIN = Principal.platform_admin()


async def test_a_tenant_sees_only_its_own(api: httpx.AsyncClient, pilot: Any, auth: Any) -> None:
    mine_t, mine_d = await pilot("mine", "p-mine")
    other_t, other_d = await pilot("other", "p-other")
    created = (
        await api.post("/api/v1/invoices/rollup", json={"period": "2026-04"}, headers=auth(ADMIN))
    ).json()["created"]
    me = auth(Principal.tenant(mine_t))

    def ids(response: httpx.Response) -> set[str]:
        assert response.status_code == 200, response.text
        return {str(i["id"]) for i in response.json()["items"]}

    assert ids(await api.get("/api/v1/tenants", headers=me)) == {str(mine_t)}
    assert ids(await api.get("/api/v1/deployments", headers=me)) == {str(mine_d)}
    subs = (await api.get("/api/v1/subscriptions", headers=me)).json()["items"]
    assert {s["deployment_id"] for s in subs} == {str(mine_d)}
    invoices = (await api.get("/api/v1/invoices", headers=me)).json()["items"]
    assert {i["tenant_id"] for i in invoices} == {str(mine_t)}
    other_invoice = next(i for i in created if i not in {x["id"] for x in invoices})
    other_sub = next(
        s["id"]
        for s in (await api.get("/api/v1/subscriptions", headers=auth(ADMIN))).json()["items"]
        if s["tenant_id"] == str(other_t)
    )

    for path in (
        f"/api/v1/tenants/{other_t}",
        f"/api/v1/deployments/{other_d}",
        f"/api/v1/subscriptions/{other_sub}",
        f"/api/v1/invoices/{other_invoice}",
        f"/api/v1/invoices/{uuid4()}",
    ):
        response = await api.get(path, headers=me)
        assert response.status_code == 404, path
    quoted = await api.post(
        "/api/v1/quotes", json={"plan": "studio", "tenant_id": str(other_t)}, headers=me
    )
    assert quoted.status_code == 404
    assert (
        await api.post("/api/v1/quotes", json={"plan": "studio"}, headers=me)
    ).status_code == 200
    # the catalog is readable by every tenant
    assert (await api.get("/api/v1/plans", headers=me)).status_code == 200
    assert (await api.get("/api/v1/addons/storage_50gb", headers=me)).status_code == 200

    admin_only = [
        ("POST", "/api/v1/tenants", {"name": "x"}),
        ("PATCH", f"/api/v1/tenants/{mine_t}", {"name": "y"}),
        ("POST", "/api/v1/deployments", {"tenant_id": str(mine_t), "name": "z"}),
        ("PATCH", f"/api/v1/deployments/{mine_d}", {"name": "z"}),
        ("DELETE", f"/api/v1/deployments/{mine_d}", None),
        ("PUT", "/api/v1/plans/studio", {"name": "S", "base_cents": 1}),
        ("PUT", "/api/v1/addons/storage_50gb", {"name": "S", "price_cents": 1}),
        (
            "POST",
            "/api/v1/subscriptions",
            {"deployment_id": str(mine_d), "plan": "studio", "starts_on": "2027-01-01"},
        ),
        ("POST", f"/api/v1/invoices/{invoices[0]['id']}/issue", None),
        ("POST", f"/api/v1/invoices/{invoices[0]['id']}/pay", None),
        ("POST", f"/api/v1/invoices/{invoices[0]['id']}/void", None),
        ("POST", "/api/v1/invoices/rollup", {"period": "2026-04"}),
    ]
    for method, path, body in admin_only:
        response = await api.request(method, path, json=body, headers=me)
        assert response.status_code == 403, (method, path, response.text)
    assert (await api.get("/api/v1/invoices")).status_code == 401


async def test_admin_edits_the_catalog(api: httpx.AsyncClient, auth: Any) -> None:
    put = await api.put(
        "/api/v1/plans/studio",
        json={
            "name": "Studio",
            "base_cents": 6000,
            "items": [{"billing_kind": "droplet_hours", "included": "1488", "overage_rate": "2"}],
        },
        headers=auth(ADMIN),
    )
    assert put.status_code == 200, put.text
    quoted = await api.post(
        "/api/v1/quotes",
        json={"plan": "studio", "period": "2026-04", "usage": {"droplet_hours": "1500"}},
        headers=auth(ADMIN),
    )
    assert [x["amount_cents"] for x in quoted.json()["lines"]] == [6000, 24]
    bad = await api.put(
        "/api/v1/plans/studio", json={"name": "S", "base_cents": -1}, headers=auth(ADMIN)
    )
    assert bad.status_code == 422
    bad_period = await api.post(
        "/api/v1/invoices/rollup", json={"period": "2026-13"}, headers=auth(ADMIN)
    )
    assert bad_period.status_code == 422
