"""The inventory API: filters, cursor paging, event history and tenant scoping on every route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest

from arcadia_core.auth import Principal
from inventory.bootstrap import Inventory
from inventory.domain import kinds
from inventory.usecases.sync import Summary

Sync = Callable[[str], Awaitable[Summary]]
Bearer = Callable[[Principal], dict[str, str]]
Items = Callable[[httpx.Response], list[dict[str, Any]]]
TENANT = UUID("00000000-0000-0000-0000-00000000a001")
OTHER_TENANT = UUID("00000000-0000-0000-0000-00000000b002")
ADMIN = Principal.platform_admin()


@pytest.fixture(autouse=True)
async def registered(register: Callable[..., Awaitable[None]]) -> None:
    await register(TENANT)
    await register(OTHER_TENANT)


async def prepared(sync: Sync, api: httpx.AsyncClient, bearer: Bearer) -> dict[str, Any]:
    """Sync everything, then classify pilot-tenant as TENANT's; return that project."""
    for kind in kinds.FULL_SYNC_ORDER:
        await sync(kind)
    projects = (await api.get("/api/v1/projects", headers=bearer(ADMIN))).json()["items"]
    pilot = next(p for p in projects if p["name"] == "pilot-tenant")
    response = await api.patch(
        f"/api/v1/projects/{pilot['id']}",
        json={"tenant_id": str(TENANT), "purpose": "tenant"},
        headers=bearer(ADMIN),
    )
    assert response.status_code == 200, response.text
    assert response.json()["tenant_id"] == str(TENANT)
    return dict(pilot)


async def test_admin_sees_everything_and_filters(
    sync: Sync, api: httpx.AsyncClient, bearer: Bearer, items: Items
) -> None:
    await prepared(sync, api, bearer)
    droplets = items(
        await api.get("/api/v1/inventory", params={"kind": "droplet"}, headers=bearer(ADMIN))
    )
    assert len(droplets) == 6 and {d["kind"] for d in droplets} == {"droplet"}
    mine = items(
        await api.get("/api/v1/inventory", params={"tenant": str(TENANT)}, headers=bearer(ADMIN))
    )
    assert mine and all(r["tenant_id"] == str(TENANT) for r in mine)
    loose = items(
        await api.get("/api/v1/inventory", params={"unattributed": "true"}, headers=bearer(ADMIN))
    )
    assert loose and all(not r["attributed"] for r in loose)
    found = items(await api.get("/api/v1/inventory", params={"q": "web-0"}, headers=bearer(ADMIN)))
    assert [r["name"] for r in found if r["kind"] == "droplet"] == ["web-01"]
    off = items(await api.get("/api/v1/inventory", params={"status": "off"}, headers=bearer(ADMIN)))
    assert off and all(r["status"] == "off" for r in off)


async def test_cursor_paging_walks_every_row_once(
    sync: Sync, api: httpx.AsyncClient, bearer: Bearer, items: Items
) -> None:
    await prepared(sync, api, bearer)
    everything = items(
        await api.get("/api/v1/inventory", params={"limit": 500}, headers=bearer(ADMIN))
    )
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 7} | ({"cursor": cursor} if cursor else {})
        page = (await api.get("/api/v1/inventory", params=params, headers=bearer(ADMIN))).json()
        seen.extend(r["id"] for r in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [r["id"] for r in everything] and len(set(seen)) == len(seen) > 7
    bad = await api.get("/api/v1/inventory", params={"cursor": "nope"}, headers=bearer(ADMIN))
    assert bad.status_code == 400


async def test_tenant_sees_only_its_own(
    sync: Sync, api: httpx.AsyncClient, bearer: Bearer, items: Items
) -> None:
    await prepared(sync, api, bearer)
    tenant = Principal.tenant(TENANT)
    mine = items(await api.get("/api/v1/inventory", params={"limit": 500}, headers=bearer(tenant)))
    assert mine and all(r["tenant_id"] == str(TENANT) for r in mine)
    assert "web-01" in {r["name"] for r in mine}
    # asking for another tenant's rows returns none of them
    other = items(
        await api.get(
            "/api/v1/inventory", params={"tenant": str(OTHER_TENANT)}, headers=bearer(tenant)
        )
    )
    assert other == []
    stranger = Principal.tenant(OTHER_TENANT)
    assert items(await api.get("/api/v1/inventory", headers=bearer(stranger))) == []
    projects = items(await api.get("/api/v1/projects", headers=bearer(tenant)))
    assert [p["name"] for p in projects] == ["pilot-tenant"]


async def test_detail_has_history_and_foreign_ids_are_404(
    sync: Sync, api: httpx.AsyncClient, bearer: Bearer, items: Items
) -> None:
    await prepared(sync, api, bearer)
    all_rows = items(
        await api.get("/api/v1/inventory", params={"limit": 500}, headers=bearer(ADMIN))
    )
    web = next(r for r in all_rows if r["name"] == "web-01")
    foreign = next(r for r in all_rows if r["name"] == "app-01")
    detail = await api.get(
        f"/api/v1/inventory/{web['id']}", headers=bearer(Principal.tenant(TENANT))
    )
    assert detail.status_code == 200
    events = detail.json()["events"]
    # the tenant's era starts when the resource came under it
    assert [e["type"] for e in events] == ["attributed"]
    assert events[0]["data"]["tenant_id"] == {"old": None, "new": str(TENANT)}
    admin_view = (await api.get(f"/api/v1/inventory/{web['id']}", headers=bearer(ADMIN))).json()
    assert [e["type"] for e in admin_view["events"]] == ["discovered", "attributed"]
    assert admin_view["events"][0]["data"]["project_id"] is not None  # attributed on discovery
    hidden = await api.get(
        f"/api/v1/inventory/{foreign['id']}", headers=bearer(Principal.tenant(TENANT))
    )
    assert hidden.status_code == 404
    missing = await api.get(f"/api/v1/inventory/{uuid4()}", headers=bearer(ADMIN))
    assert missing.status_code == 404


async def test_admin_only_and_authentication(
    sync: Sync, api: httpx.AsyncClient, bearer: Bearer
) -> None:
    pilot = await prepared(sync, api, bearer)
    forbidden = await api.patch(
        f"/api/v1/projects/{pilot['id']}",
        json={"tenant_id": str(OTHER_TENANT)},
        headers=bearer(Principal.tenant(TENANT)),
    )
    assert forbidden.status_code == 403
    assert (await api.get("/api/v1/inventory")).status_code == 401
    bad = await api.get("/api/v1/inventory", headers={"Authorization": "Bearer not-a-jwt"})
    assert bad.status_code == 401
    unknown = await api.patch(
        f"/api/v1/projects/{uuid4()}", json={"purpose": "internal"}, headers=bearer(ADMIN)
    )
    assert unknown.status_code == 404
    invalid = await api.patch(
        f"/api/v1/projects/{pilot['id']}", json={"colour": "red"}, headers=bearer(ADMIN)
    )
    assert invalid.status_code == 422


async def test_classification_refuses_ids_the_registry_does_not_know(
    sync: Sync,
    api: httpx.AsyncClient,
    bearer: Bearer,
    items: Items,
    register: Callable[..., Awaitable[None]],
) -> None:
    pilot = await prepared(sync, api, bearer)
    mine, theirs, retired = uuid4(), uuid4(), uuid4()
    await register(TENANT, mine)
    await register(OTHER_TENANT, theirs)
    await register(retired)
    await register(retired, active=False, version=2)
    admin = bearer(ADMIN)

    async def refused(path: str, body: dict[str, Any], reason: str) -> None:
        response = await api.patch(path, json=body, headers=admin)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert reason in response.json()["detail"]

    project = f"/api/v1/projects/{pilot['id']}"
    phantom = uuid4()
    await refused(project, {"tenant_id": str(phantom)}, f"tenant {phantom} is not in the")
    await refused(project, {"tenant_id": str(retired)}, "inactive")
    await refused(project, {"deployment_id": str(phantom)}, f"deployment {phantom} is not in")
    await refused(
        project,
        {"tenant_id": str(TENANT), "deployment_id": str(theirs)},
        f"belongs to tenant {OTHER_TENANT}",
    )
    # the project holds TENANT: a deployment of another tenant alone is refused too
    await refused(project, {"deployment_id": str(theirs)}, f"belongs to tenant {OTHER_TENANT}")
    held = next(
        p for p in items(await api.get("/api/v1/projects", headers=admin)) if p["id"] == pilot["id"]
    )
    assert (held["tenant_id"], held["deployment_id"]) == (str(TENANT), None)  # nothing stored

    accepted = await api.patch(project, json={"deployment_id": str(mine)}, headers=admin)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["deployment_id"] == str(mine)
    # moving the tenant away from its deployment's tenant is refused
    await refused(project, {"tenant_id": str(OTHER_TENANT)}, f"belongs to tenant {TENANT}")

    firewall = items(await api.get("/api/v1/inventory?kind=firewall", headers=admin))[0]
    resource = f"/api/v1/inventory/{firewall['id']}"
    await refused(resource, {"tenant_id": str(phantom)}, "not in the customer registry")
    await refused(resource, {"tenant_id": str(retired)}, "inactive")
    await refused(resource, {"deployment_id": str(phantom)}, "not in the customer registry")
    await refused(
        resource, {"tenant_id": str(TENANT), "deployment_id": str(theirs)}, "belongs to tenant"
    )
    detail = (await api.get(resource, headers=admin)).json()
    assert detail["tenant_id"] is None and [e["type"] for e in detail["events"]] == ["discovered"]
    ok = await api.patch(
        resource, json={"tenant_id": str(OTHER_TENANT), "deployment_id": str(theirs)}, headers=admin
    )
    assert ok.status_code == 200, ok.text


async def test_health_and_readiness(inventory: Inventory, api: httpx.AsyncClient) -> None:
    assert (await api.get("/healthz")).json() == {"status": "ok"}
    ready = await api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_asyncapi_documents_published_and_consumed_events(api: httpx.AsyncClient) -> None:
    document = (await api.get("/asyncapi.json")).json()
    assert document["asyncapi"].startswith("3.")
    text = str(document)
    for name in ("resource.synced", "resource.deleted", "inventory.on-drift.detected"):
        assert name in text


async def test_metrics_expose_the_rate_budget(
    sync: Sync, api: httpx.AsyncClient, inventory: Inventory
) -> None:
    await sync("dns_zone")
    metrics = (await api.get("/metrics")).text
    line = next(
        line
        for line in metrics.splitlines()
        if line.startswith("arcadia_do_rate_budget_remaining")
        and f'"{inventory.settings.do_token_purpose}"' in line
    )
    assert 0 < float(line.rsplit(" ", 1)[1]) < 5000
