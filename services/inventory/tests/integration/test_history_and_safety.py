"""A tenant's own era of a history; per-resource classification with who and which request;
the mass-delete guard; the internal project created only where the token may."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from arcadia_core.auth import Principal
from arcadia_core.bus.inprocess import InProcessBus
from do_sandbox.account import Account
from inventory import bootstrap
from inventory.config import InventorySettings
from inventory.domain import kinds
from inventory.usecases.sync import Summary, sync_kind

Sync = Callable[[str], Awaitable[Summary]]
Bearer = Callable[[Principal], dict[str, str]]
ADMIN = Principal.platform_admin("ops@example.com")
TENANT_A = UUID("00000000-0000-0000-0000-0000000000aa")
TENANT_B = UUID("00000000-0000-0000-0000-0000000000bb")
DEPLOYMENT_A = UUID("00000000-0000-0000-0000-00000000d0aa")


@pytest.fixture(autouse=True)
async def registered(register: Callable[..., Awaitable[None]]) -> None:
    await register(TENANT_A, DEPLOYMENT_A)
    await register(TENANT_B)


async def sync_everything(sync: Sync) -> None:
    for kind in kinds.FULL_SYNC_ORDER:
        await sync(kind)


async def find(api: httpx.AsyncClient, bearer: Bearer, **params: str) -> list[dict[str, Any]]:
    response = await api.get(
        "/api/v1/inventory", params={"limit": "500", **params}, headers=bearer(ADMIN)
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def classify_project(
    api: httpx.AsyncClient, bearer: Bearer, name: str, body: dict[str, Any]
) -> None:
    projects = (await api.get("/api/v1/projects", headers=bearer(ADMIN))).json()["items"]
    project = next(p for p in projects if p["name"] == name)
    response = await api.patch(
        f"/api/v1/projects/{project['id']}", json=body, headers=bearer(ADMIN)
    )
    assert response.status_code == 200, response.text


async def test_a_tenant_sees_only_its_own_era(
    sync: Sync, api: httpx.AsyncClient, bearer: Bearer, account: Account
) -> None:
    await sync_everything(sync)
    await classify_project(
        api,
        bearer,
        "pilot-tenant",
        {"tenant_id": str(TENANT_A), "deployment_id": str(DEPLOYMENT_A)},
    )
    account.get("droplets", 512340101)["status"] = "off"  # type: ignore[index]
    await sync("droplet")  # a change made while A owns it
    await classify_project(
        api, bearer, "pilot-tenant", {"tenant_id": str(TENANT_B), "deployment_id": None}
    )
    web = next(r for r in await find(api, bearer, kind="droplet") if r["name"] == "web-01")

    admin_view = (await api.get(f"/api/v1/inventory/{web['id']}", headers=bearer(ADMIN))).json()
    assert [e["type"] for e in admin_view["events"]] == [
        "discovered",
        "attributed",
        "updated",
        "attributed",
    ]
    b_view = await api.get(
        f"/api/v1/inventory/{web['id']}", headers=bearer(Principal.tenant(TENANT_B))
    )
    assert b_view.status_code == 200
    events = b_view.json()["events"]
    assert [e["type"] for e in events] == ["attributed"]  # nothing from A's era
    assert events[0]["data"]["tenant_id"] == {"old": "redacted", "new": str(TENANT_B)}
    assert events[0]["data"]["deployment_id"] == {"old": "redacted", "new": None}
    assert str(TENANT_A) not in b_view.text and str(DEPLOYMENT_A) not in b_view.text
    a_view = await api.get(
        f"/api/v1/inventory/{web['id']}", headers=bearer(Principal.tenant(TENANT_A))
    )
    assert a_view.status_code == 404


async def test_classifying_a_stray_resource_records_who_and_which_request(
    sync: Sync, api: httpx.AsyncClient, bearer: Bearer
) -> None:
    await sync_everything(sync)
    await classify_project(api, bearer, "pilot-tenant", {"tenant_id": str(TENANT_B)})
    firewall = (await find(api, bearer, kind="firewall"))[0]  # firewalls are in no project
    assert firewall["project_id"] is None
    request_id = str(uuid.uuid4())
    response = await api.patch(
        f"/api/v1/inventory/{firewall['id']}",
        json={"tenant_id": str(TENANT_A), "deployment_id": str(DEPLOYMENT_A)},
        headers={**bearer(ADMIN), "X-Request-Id": request_id},
    )
    assert response.status_code == 200, response.text
    assert response.json()["tenant_id"] == str(TENANT_A)
    assert response.json()["attributed"] is True
    detail = (await api.get(f"/api/v1/inventory/{firewall['id']}", headers=bearer(ADMIN))).json()
    classified, attributed = detail["events"][-2:]
    assert (classified["type"], attributed["type"]) == ("classified", "attributed")
    for event in (classified, attributed):
        assert event["data"]["actor"] == {"subject": "ops@example.com", "role": ADMIN.role}
        assert event["data"]["request_id"] == request_id
    assert attributed["data"]["tenant_id"] == {"old": None, "new": str(TENANT_A)}

    # a sweep re-attributes every resource, and keeps the operator's classification
    await sync("projects")
    again = (await api.get(f"/api/v1/inventory/{firewall['id']}", headers=bearer(ADMIN))).json()
    assert again["tenant_id"] == str(TENANT_A) and again["version"] == detail["version"]

    # the project decides for its resources; a tenant may not classify
    web = next(r for r in await find(api, bearer, kind="droplet") if r["name"] == "web-01")
    conflict = await api.patch(
        f"/api/v1/inventory/{web['id']}", json={"tenant_id": str(TENANT_A)}, headers=bearer(ADMIN)
    )
    assert conflict.status_code == 409
    forbidden = await api.patch(
        f"/api/v1/inventory/{firewall['id']}",
        json={"tenant_id": None},
        headers=bearer(Principal.tenant(TENANT_A)),
    )
    assert forbidden.status_code == 403
    missing = await api.patch(
        f"/api/v1/inventory/{uuid.uuid4()}", json={"tenant_id": None}, headers=bearer(ADMIN)
    )
    assert missing.status_code == 404
    cleared = await api.patch(
        f"/api/v1/inventory/{firewall['id']}", json={"tenant_id": None}, headers=bearer(ADMIN)
    )
    assert cleared.status_code == 200 and cleared.json()["tenant_id"] is None


async def test_a_listing_that_would_strike_most_of_a_kind_strikes_nothing(
    inventory: bootstrap.Inventory,
    sync: Sync,
    account: Account,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await sync_everything(sync)
    for droplet in account.items("droplets"):
        account.remove("droplets", droplet["id"])  # a token of another account: `200 []`
    with caplog.at_level(logging.ERROR):
        summary = await sync("droplet")
    assert summary["struck"] == summary["deleted"] == 0
    assert summary["held_back"] == 6
    assert "mass-delete guard" in caplog.text and "--allow-mass-delete" in caplog.text
    async with inventory.uow() as work:
        held = await work.resources.by_kind("droplet")
    assert all(r.stale_strikes == 0 and not r.is_deleted for r in held.values())
    from prometheus_client import REGISTRY

    assert (
        REGISTRY.get_sample_value(
            "arcadia_inventory_mass_delete_held_resources", {"kind": "droplet"}
        )
        == 6
    )

    # the projects sweep holds back too: every membership gone at once unattributes nothing
    for project in account.items("projects"):
        account.remove("projects", project["id"])
    swept = await sync("projects")
    assert swept["held_back"] > 5
    async with inventory.uow() as work:
        held = await work.resources.by_kind("droplet")
    assert sum(1 for r in held.values() if r.project_id is not None) >= 5

    allowed = await sync_kind(
        "droplet",
        provider=inventory.provider,
        uow=inventory.uow,
        clock=inventory.clock,
        allow_mass_delete=True,
    )
    assert allowed["struck"] == 6 and "held_back" not in allowed


@pytest.fixture
async def read_only_inventory(
    inventory_db: str, sandbox: FastAPI
) -> AsyncIterator[bootstrap.Inventory]:
    """DigitalOcean refuses every write to this token (least privilege), as a real 403."""
    inner = httpx.ASGITransport(app=sandbox)

    class ReadOnly(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if request.method != "GET":
                return httpx.Response(
                    403,
                    json={"id": "forbidden", "message": "You are not authorized to do that."},
                )
            return await inner.handle_async_request(request)

    built = bootstrap.build(
        InventorySettings(DO_API_TOKEN=f"test-{uuid.uuid4().hex}"),
        InProcessBus(),
        database_url=inventory_db,
        do_transport=ReadOnly(),
    )
    yield built
    await built.stop()


async def test_a_read_only_token_sweeps_without_the_internal_project(
    read_only_inventory: bootstrap.Inventory, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    inventory = read_only_inventory
    internal = next(
        k for k, p in account.collections["projects"].items() if p["name"] == "skyai-internal"
    )
    account.remove("projects", internal)

    async def sweep() -> Summary:
        return await sync_kind(
            "projects",
            provider=inventory.provider,
            uow=inventory.uow,
            clock=inventory.clock,
            internal_project="skyai-internal",
        )

    await sync_kind(
        "droplet", provider=inventory.provider, uow=inventory.uow, clock=inventory.clock
    )
    with caplog.at_level(logging.WARNING):
        first = await sweep()
        second = await sweep()
    assert first["projects"] == second["projects"] == 4
    assert first["attributed"] > 0  # the sweep went on and attributed
    assert caplog.text.count("may not create it") == 1  # logged once
