"""The seeds' metering smoke, end to end from the sandbox with an injected clock.

In process: the DigitalOcean sandbox (ASGI), the inventory and metering on one in-process bus.
A deployment's DO project holds 2 droplets, 2 DNS zones and 3 snapshots of 48 GB in all; the
inventory syncs it on 30 November, the project is classified to the deployment, and metering
meters 1-10 December (a 31-day month): 70 records, droplet_hours 480, dns_zones 20/31 (0.65),
snapshot_gb_month 480/31 (15.48), read back through `GET /usage`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal, localcontext

import httpx
import pytest
from fastapi import FastAPI

from arcadia_core.auth import Principal, mint_token
from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.events import DeploymentChanged, TenantChanged
from do_sandbox import create_app
from do_sandbox.account import Account
from do_sandbox.scenarios import shapes
from do_sandbox.scenarios.shapes import IMAGES, REGIONS, SIZES
from inventory import bootstrap as inventory_bootstrap
from inventory.config import InventorySettings
from inventory.usecases.sync import sync_all
from metering import bootstrap
from metering.config import MeteringSettings
from metering.usecases.meter import meter_range

JWT_SECRET = "metering-smoke-secret-at-least-32-bytes"
PROJECT = "7d1f0d64-5a43-4f7c-8d55-2f3b0c9a1e01"
TENANT = uuid.UUID("5b0c4a4e-1f0e-4c1a-9d7e-0f6a2a3b4c5d")
DEPLOYMENT = uuid.UUID("9e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4")
SNAPSHOT_SIZES = (10, 16, 22)  # 48 GB in all


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def add_deployment_resources(account: Account) -> None:
    account.put(
        "projects",
        shapes.project(
            project_id=PROJECT,
            owner_uuid="owner",
            owner_id=1,
            name="smoke-deployment",
            purpose="Web Application",
            environment="Production",
            created_at="2026-10-01T00:00:00Z",
        ),
    )
    for n, droplet_id in enumerate((612340001, 612340002), start=1):
        droplet = shapes.droplet(
            droplet_id=droplet_id,
            name=f"smoke-web-0{n}",
            size=SIZES["s-1vcpu-2gb"],
            region=REGIONS["syd1"],
            image=IMAGES["ubuntu-24-04-x64"],
            created_at="2026-10-02T08:00:00Z",
            public_ip=f"203.0.113.{100 + n}",
            private_ip=f"10.120.0.{100 + n}",
            vpc_uuid=str(uuid.uuid4()),
        )
        account.put("droplets", droplet, project=PROJECT)
    for name in ("smoke.example", "www-smoke.example"):
        account.put("domains", shapes.domain(name), project=PROJECT)
    for n, size in enumerate(SNAPSHOT_SIZES):
        snapshot = shapes.droplet_snapshot(
            snapshot_id=690000001 + n,
            droplet_id=612340001,
            droplet_name="smoke-web-01",
            region_slug="syd1",
            disk=50,
            epoch=1_791_000_000 + n * 86_400,  # October 2026
            size_gigabytes=size,
        )
        account.put("snapshots", snapshot, project=PROJECT)


@pytest.fixture
async def world(
    migrated_database: Callable[..., Awaitable[str]],
) -> AsyncIterator[tuple[inventory_bootstrap.Inventory, bootstrap.Metering, Clock]]:
    database_url = await migrated_database(inventory_bootstrap.migrate, bootstrap.migrate)
    sandbox: FastAPI = create_app("seeds", rate_limit=None)
    add_deployment_resources(sandbox.state.account)
    clock = Clock(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    bus = InProcessBus()
    inventory = inventory_bootstrap.build(
        InventorySettings(DO_API_TOKEN=f"smoke-{uuid.uuid4().hex}", ARCADIA_JWT_SECRET=JWT_SECRET),
        bus,
        database_url=database_url,
        do_transport=httpx.ASGITransport(app=sandbox),
    )
    inventory.clock = clock
    metering = bootstrap.build(
        MeteringSettings(ARCADIA_JWT_SECRET=JWT_SECRET), bus, database_url=database_url, clock=clock
    )
    for subscription in [*inventory.subscriptions(), *metering.subscriptions()]:
        bus.subscribe(subscription)
    await bus.start()
    try:
        yield inventory, metering, clock
    finally:
        await bus.stop()
        await metering.stop()
        await inventory.stop()


async def drain(*relays: object) -> None:
    """Relay every outbox until all are empty (handlers run inside `publish`)."""
    while True:
        sent = 0
        for relay in relays:
            sent += await relay.relay_once()  # type: ignore[attr-defined]
        if not sent:
            return


def bearer(principal: Principal) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {mint_token(principal, secret=JWT_SECRET, audience='arcadia')}"
    }


async def test_seeds_metering_smoke(
    world: tuple[inventory_bootstrap.Inventory, bootstrap.Metering, Clock],
) -> None:
    inventory, metering, clock = world
    admin = bearer(Principal.platform_admin())
    results = await sync_all(provider=inventory.provider, uow=inventory.uow, clock=clock)
    assert not [k for k, v in results.items() if isinstance(v, BaseException)]
    # the customer registry announces the tenant and its deployment, as invoicing does
    handlers = {s.event_type: s.handler for s in inventory.subscriptions()}
    for payload in (
        TenantChanged(tenant_id=TENANT, name="smoke", active=True, version=1),
        DeploymentChanged(
            deployment_id=DEPLOYMENT,
            tenant_id=TENANT,
            name="smoke-deployment",
            do_project=None,
            active=True,
            version=1,
        ),
    ):
        await handlers[payload.EVENT_TYPE](payload.envelope(producer="invoicing"))

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=inventory.app()), base_url="http://inventory"
    ) as client:
        projects = (await client.get("/api/v1/projects", headers=admin)).json()["items"]
        project = next(p for p in projects if p["name"] == "smoke-deployment")
        classified = await client.patch(
            f"/api/v1/projects/{project['id']}",
            json={"tenant_id": str(TENANT), "deployment_id": str(DEPLOYMENT)},
            headers=admin,
        )
        assert classified.status_code == 200, classified.text

    await metering.start(run_jobs=False)  # first start: asks the inventory for a catch-up
    await drain(inventory.relay, metering.relay)

    clock.now = datetime(2026, 12, 11, 1, 10, tzinfo=UTC)
    summaries = await meter_range(
        date(2026, 12, 1), date(2026, 12, 10), uow=metering.uow, clock=clock
    )
    assert [s.records for s in summaries] == [7] * 10
    assert [s.events for s in summaries] == [1] * 10

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=metering.app()), base_url="http://metering"
    ) as client:
        query = {"deployment_id": str(DEPLOYMENT), "from": "2026-12-01", "to": "2026-12-11"}
        answer = await client.get("/api/v1/usage", params=query, headers=admin)
        tenant = await client.get(
            "/api/v1/usage", params=query, headers=bearer(Principal.tenant(TENANT))
        )
        stranger = await client.get(
            "/api/v1/usage", params=query, headers=bearer(Principal.tenant(uuid.uuid4()))
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["records"] == 70
    totals = {k: Decimal(v) for k, v in body["totals"].items()}
    assert set(totals) == {"droplet_hours", "dns_zones", "snapshot_gb_month"}
    assert totals["droplet_hours"] == 480
    with localcontext(prec=25):
        assert +totals["dns_zones"] == +(Decimal(20) / 31)
        assert +totals["snapshot_gb_month"] == +(Decimal(480) / 31)
    assert body["shown"] == {
        "dns_zones": "0.65",
        "droplet_hours": "480.00",
        "snapshot_gb_month": "15.48",
    }
    assert tenant.status_code == 200 and tenant.json()["totals"] == body["totals"]
    assert stranger.status_code == 404

    # re-metering the same days changes nothing and publishes nothing
    again = await meter_range(date(2026, 12, 1), date(2026, 12, 10), uow=metering.uow, clock=clock)
    assert sum(s.inserted + s.updated + s.deleted + s.events for s in again) == 0
