"""The seeds' drift story, from the sandbox, through the APIs, with the inventory on one bus.

Recorded a droplet's desired spec with a deliberately wrong size_slug and a correct region;
detection flagged only size_slug and wrote the drift_detected event in the inventory's log;
detecting again added none; accept updated the spec to the live value and closed the drift;
re-detect found zero drift.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from arcadia_core.auth import Principal
from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.service import ServiceContext
from do_sandbox import create_app
from drift import bootstrap as drift_bootstrap
from drift.adapters.tables import live_resources, outbox
from drift.config import DriftSettings
from inventory import bootstrap as inventory_bootstrap
from inventory.config import InventorySettings
from inventory.jobs import job_name

WEB_01 = "512340101"


@dataclass
class Stack:
    inventory: Any
    drift: drift_bootstrap.Drift
    bus: InProcessBus
    inventory_api: httpx.AsyncClient
    drift_api: httpx.AsyncClient


@pytest.fixture
async def stack(
    migrated_database: Callable[..., Awaitable[str]], clock: Any, jwt_secret: str
) -> AsyncIterator[Stack]:
    url = await migrated_database(inventory_bootstrap.migrate, drift_bootstrap.migrate)
    bus = InProcessBus()
    inventory = inventory_bootstrap.DEFINITION.build(
        ServiceContext(
            settings=InventorySettings(
                DO_API_TOKEN=f"test-{uuid.uuid4().hex}", ARCADIA_jwt_secret=jwt_secret
            ),
            bus=bus,
            database_url=url,
            do_transport=httpx.ASGITransport(app=create_app("seeds", rate_limit=None)),
        )
    )
    drift = drift_bootstrap.build(
        DriftSettings(ARCADIA_jwt_secret=jwt_secret), bus, database_url=url, clock=clock
    )
    for service in (inventory, drift):
        for subscription in service.subscriptions():
            bus.subscribe(subscription)
    await bus.start()
    await inventory.start(run_jobs=False)
    await drift.start(run_jobs=False)
    async with (
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=inventory.app()), base_url="http://inventory"
        ) as inventory_api,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=drift.app()), base_url="http://drift"
        ) as drift_api,
    ):
        yield Stack(inventory, drift, bus, inventory_api, drift_api)
    await drift.stop()
    await inventory.stop()
    await bus.stop()


async def drift_events(stack: Stack, resource_id: str, admin: dict[str, str]) -> list[Any]:
    response = await stack.inventory_api.get(f"/api/v1/inventory/{resource_id}", headers=admin)
    assert response.status_code == 200, response.text
    return [e for e in response.json()["events"] if e["type"] == "drift_detected"]


async def drift_outbox_drained(stack: Stack) -> bool:
    async with stack.drift.sessions() as session:
        pending = await session.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        )
    return pending == 0


async def test_the_seeds_drift_story(
    stack: Stack,
    clock: Any,
    bearer: Callable[[Principal], dict[str, str]],
    eventually: Callable[..., Awaitable[Any]],
) -> None:
    admin = bearer(Principal.platform_admin("ops@example.com"))
    await stack.inventory.jobs.run_now(job_name("droplet"))

    listing = await stack.inventory_api.get("/api/v1/inventory?kind=droplet", headers=admin)
    droplets = listing.json()["items"]
    web_01 = next(r for r in droplets if r["provider_id"] == WEB_01)

    # the droplets reach drift's projection through the inventory's outbox and the bus
    async def projected() -> bool:
        async with stack.drift.sessions() as session:
            count = await session.scalar(select(func.count()).select_from(live_resources))
        return count == len(droplets)

    await eventually(projected)
    assert (web_01["size_slug"], web_01["region"]) == ("s-2vcpu-4gb", "syd1")

    recorded = await stack.drift_api.post(
        "/api/v1/provisioned",
        json={"resource_id": web_01["id"], "spec": {"size_slug": "s-1vcpu-2gb", "region": "syd1"}},
        headers=admin,
    )
    assert recorded.status_code == 200, recorded.text
    assert (recorded.json()["spec_version"], recorded.json()["kind"]) == (1, "droplet")

    detected = (await stack.drift_api.post("/api/v1/drift/detect", headers=admin)).json()
    [result] = detected["results"]
    assert (result["drifted"], result["opened"]) == (["size_slug"], 1)

    [event] = await eventually(lambda: drift_events(stack, web_01["id"], admin))
    assert (event["data"]["field"], event["data"]["desired"], event["data"]["actual"]) == (
        "size_slug",
        "s-1vcpu-2gb",
        "s-2vcpu-4gb",
    )

    inbox = (await stack.drift_api.get("/api/v1/drift", headers=admin)).json()["items"]
    assert [(d["field"], d["status"], d["kind"], d["name"]) for d in inbox] == [
        ("size_slug", "open", "droplet", "web-01")
    ]

    # detecting again (and a sync that changes nothing) adds no event
    clock.tick()
    again = (await stack.drift_api.post("/api/v1/drift/detect", headers=admin)).json()
    assert (again["drifted_fields"], again["opened"], again["changed"]) == (1, 0, 0)
    await stack.inventory.jobs.run_now(job_name("droplet"))
    await eventually(lambda: drift_outbox_drained(stack))
    assert len(await drift_events(stack, web_01["id"], admin)) == 1

    accepted = await stack.drift_api.post(
        f"/api/v1/drift/{inbox[0]['id']}/accept",
        json={"reason": "the droplet was resized on purpose"},
        headers=admin,
    )
    assert accepted.status_code == 200, accepted.text
    closed = accepted.json()
    assert (closed["status"], closed["resolved_by"], closed["reason"]) == (
        "accepted",
        "ops@example.com",
        "the droplet was resized on purpose",
    )
    spec = (await stack.drift_api.get(f"/api/v1/provisioned/{web_01['id']}", headers=admin)).json()
    assert (spec["spec"], spec["spec_version"]) == (
        {"size_slug": "s-2vcpu-4gb", "region": "syd1"},
        2,
    )

    final = (await stack.drift_api.post("/api/v1/drift/detect", headers=admin)).json()
    assert (final["drifted_fields"], final["opened"]) == (0, 0)
    assert (await stack.drift_api.get("/api/v1/drift", headers=admin)).json()["items"] == []
    history = (await stack.drift_api.get("/api/v1/drift?status=all", headers=admin)).json()
    assert [d["status"] for d in history["items"]] == ["accepted"]
    await eventually(lambda: drift_outbox_drained(stack))
    assert len(await drift_events(stack, web_01["id"], admin)) == 1
    assert stack.bus.dead_letters == []
