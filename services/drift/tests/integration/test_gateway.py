"""The drift story through the gateway, with every route wired from the service registry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from asgi_lifespan import LifespanManager

from arcadia_core.auth import Principal
from arcadia_core.bus.inprocess import InProcessBus

WEB_01 = "512340101"


async def test_drift_through_the_gateway(
    migrated_database: Callable[..., Awaitable[str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    jwt_secret: str,
    bearer: Callable[[Principal], dict[str, str]],
) -> None:
    from arcadia import registry
    from arcadia.allinone import prepare, started
    from gateway.app import create_app, upstream_clients
    from inventory.jobs import job_name

    monkeypatch.chdir(tmp_path)  # no developer .env file
    for name in ("DO_API_TOKEN", "DO_API_URL", "ARCADIA_AMQP_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARCADIA_DATABASE_URL", await migrated_database())
    monkeypatch.setenv("ARCADIA_JWT_SECRET", jwt_secret)
    admin = bearer(Principal.platform_admin("ops@example.com"))
    tenant = bearer(Principal.tenant(uuid4()))

    services = await prepare(names=["inventory", "drift"], bus=InProcessBus(), scenario="seeds")
    async with started(services, run_jobs=False):
        inventory: Any = services["inventory"]
        await inventory.jobs.run_now(job_name("droplet"))
        names = list(services.running)
        app = create_app(
            services.settings,
            upstream_clients(
                services.settings,
                names,
                {n: httpx.ASGITransport(app=s.app()) for n, s in services.running.items()},
            ),
            {p: n for p, n in registry.gateway_routes().items() if n in names},
        )
        async with (
            LifespanManager(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://gateway"
            ) as gateway,
        ):
            droplets = (await gateway.get("/api/v1/inventory?kind=droplet", headers=admin)).json()
            web_01 = next(r for r in droplets["items"] if r["provider_id"] == WEB_01)

            spec = {"resource_id": web_01["id"], "spec": {"size": "s-1vcpu-2gb", "region": "syd1"}}
            assert (
                await gateway.post("/api/v1/provisioned", json=spec, headers=tenant)
            ).status_code == 403
            recorded = await gateway.post("/api/v1/provisioned", json=spec, headers=admin)
            assert recorded.status_code == 200, recorded.text

            detected = (await gateway.post("/api/v1/drift/detect", headers=admin)).json()
            assert [r["drifted"] for r in detected["results"]] == [["size"]]
            assert (await gateway.get("/api/v1/drift", headers=tenant)).status_code == 403
            [drift] = (await gateway.get("/api/v1/drift", headers=admin)).json()["items"]
            assert (drift["expected"], drift["actual"]) == ("s-1vcpu-2gb", "s-2vcpu-4gb")

            accepted = await gateway.post(
                f"/api/v1/drift/{drift['id']}/accept", json={"reason": "right-sized"}, headers=admin
            )
            assert accepted.status_code == 200, accepted.text
            after = (await gateway.get(f"/api/v1/provisioned/{web_01['id']}", headers=admin)).json()
            assert (after["spec"]["size"], after["spec_version"]) == ("s-2vcpu-4gb", 2)
            final = (await gateway.post("/api/v1/drift/detect", headers=admin)).json()
            assert final["drifted_fields"] == 0
