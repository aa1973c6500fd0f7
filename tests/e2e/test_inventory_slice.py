"""Droplets from the sandbox, out as resource.synced over RabbitMQ, back through the gateway.

Sandbox, inventory and gateway each run as their own `arcadia` process; the sync runs as a
fourth (`arcadia sync`), and the inventory service's outbox relay publishes what it wrote.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aio_pika
import httpx
import pytest

from arcadia import registry
from arcadia_core.auth import Principal, mint_token
from arcadia_core.events import TenantChanged

from ..conftest import ROOT, Process, free_port

pytestmark = pytest.mark.e2e
SECRET = "e2e-secret-that-is-at-least-32-bytes-long"
TENANT = uuid.UUID("00000000-0000-0000-0000-0000000e2e01")


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal, secret=SECRET, audience='arcadia')}"}


async def test_sync_publish_and_scoped_listing(
    migrated_database: Callable[..., Awaitable[str]],
    amqp_url: str,
    amqp_namespace: str,
    # last, so that its processes stop before the database and the queues are dropped
    processes: Callable[[str, list[str], dict[str, str]], Process],
) -> None:
    database_url = await migrated_database()
    sandbox_port, inventory_port, gateway_port = free_port(), free_port(), free_port()
    env = {
        "ARCADIA_DATABASE_URL": database_url,
        "ARCADIA_AMQP_URL": amqp_url,
        "ARCADIA_AMQP_NAMESPACE": amqp_namespace,
        "ARCADIA_JWT_SECRET": SECRET,
        "DO_API_URL": f"http://127.0.0.1:{sandbox_port}",
        "DO_API_TOKEN": "e2e-token",
        "ARCADIA_INVENTORY_URL": f"http://127.0.0.1:{inventory_port}",
        # services this slice does not start: the gateway answers 503 for their routes
        **{
            f"ARCADIA_{name.upper().replace('-', '_')}_URL": f"http://127.0.0.1:{free_port()}"
            for name in registry.names()
            if name != "inventory"
        },
    }
    sandbox = processes("sandbox", ["sandbox", "serve", "--port", str(sandbox_port)], env)
    sandbox.wait_healthy(f"http://127.0.0.1:{sandbox_port}/_sandbox/stats")
    inventory = processes(
        "inventory", ["serve", "inventory", "--port", str(inventory_port), "--no-jobs"], env
    )
    gateway = processes("gateway", ["serve", "gateway", "--port", str(gateway_port)], env)
    inventory.wait_healthy(f"http://127.0.0.1:{inventory_port}/readyz")
    gateway.wait_healthy(f"http://127.0.0.1:{gateway_port}/healthz")

    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        f"{amqp_namespace}arcadia.events", aio_pika.ExchangeType.TOPIC, durable=True
    )
    probe = await channel.declare_queue(f"{amqp_namespace}e2e-probe", auto_delete=True)
    await probe.bind(exchange, routing_key="resource.#")

    sync = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "arcadia.cli", "sync"],
        cwd=ROOT,
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert sync.returncode == 0, sync.stdout + sync.stderr

    received: list[dict[str, Any]] = []
    async with asyncio.timeout(30):
        async with probe.iterator() as messages:
            async for message in messages:
                async with message.process():
                    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
                    received.append(json.loads(message.body))
                droplets = {
                    e["payload"]["provider_id"]
                    for e in received
                    if e["type"] == "resource.synced" and e["payload"]["kind"] == "droplet"
                }
                if len(droplets) == 6:
                    break
    # the customer registry (invoicing, not started in this slice) announces the tenant
    announced = TenantChanged(tenant_id=TENANT, name="e2e", active=True, version=1)
    await exchange.publish(
        aio_pika.Message(
            announced.envelope(producer="invoicing").model_dump_json().encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key=TenantChanged.EVENT_TYPE,
    )
    await connection.close()
    assert all(e["producer"] == "inventory" for e in received)

    base = f"http://127.0.0.1:{gateway_port}/api/v1"
    admin = bearer(Principal.platform_admin())
    async with httpx.AsyncClient(base_url=base, timeout=30) as api:
        droplets = (await api.get("/inventory", params={"kind": "droplet"}, headers=admin)).json()
        assert sorted(d["name"] for d in droplets["items"]) == [
            "app-01",
            "ci-01",
            "git-01",
            "gpu-train-01",
            "monitor-01",
            "web-01",
        ]
        projects = (await api.get("/projects", headers=admin)).json()["items"]
        pilot = next(p for p in projects if p["name"] == "pilot-tenant")
        async with asyncio.timeout(30):  # until the inventory has consumed tenant.changed
            while True:
                patched = await api.patch(
                    f"/projects/{pilot['id']}", json={"tenant_id": str(TENANT)}, headers=admin
                )
                if patched.status_code != 422:
                    break
                await asyncio.sleep(0.2)
        assert patched.status_code == 200, patched.text

        tenant = bearer(Principal.tenant(TENANT))
        mine = (await api.get("/inventory", params={"limit": 500}, headers=tenant)).json()["items"]
        assert mine and {r["tenant_id"] for r in mine} == {str(TENANT)}
        assert "web-01" in {r["name"] for r in mine}
        foreign = next(d for d in droplets["items"] if d["name"] == "app-01")
        assert (await api.get(f"/inventory/{foreign['id']}", headers=tenant)).status_code == 404
        assert (await api.get("/inventory")).status_code == 401
        spec = (await api.get(f"http://127.0.0.1:{gateway_port}/openapi.json")).json()
        assert "/api/v1/inventory" in spec["paths"]
