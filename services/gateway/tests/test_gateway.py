"""The gateway: routing, authentication before forwarding, and the merged OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from arcadia_core.auth import Principal, mint_token
from arcadia_core.settings import ArcadiaSettings
from gateway.app import create_app
from gateway.routes import service_for

SECRET = "gateway-tests-secret-at-least-32-bytes"


def test_routes_pick_the_owning_service() -> None:
    assert service_for("/api/v1/inventory") == "inventory"
    assert service_for("/api/v1/inventory/abc") == "inventory"
    assert service_for("/api/v1/projects/abc") == "inventory"
    assert service_for("/api/v1/inventoryx") is None
    assert service_for("/api/v1/nothing") is None


@pytest.fixture
def upstream() -> FastAPI:
    """A stand-in service that echoes what reached it."""
    app = FastAPI()

    @app.api_route("/api/v1/{path:path}", methods=["GET", "PATCH"])
    async def echo(request: Request, path: str) -> dict[str, Any]:
        return {
            "path": request.url.path,
            "query": request.url.query,
            "authorization": request.headers.get("authorization"),
            "body": (await request.body()).decode(),
        }

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    return app


@pytest.fixture
async def gateway(upstream: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    settings = ArcadiaSettings(ARCADIA_JWT_SECRET=SECRET)
    upstreams = {
        "inventory": httpx.AsyncClient(
            transport=httpx.ASGITransport(app=upstream), base_url="http://inventory"
        )
    }
    app = create_app(settings, upstreams)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway"
    ) as client:
        yield client


def admin_header() -> dict[str, str]:
    token = mint_token(Principal.platform_admin(), secret=SECRET, audience="arcadia")
    return {"Authorization": f"Bearer {token}"}


async def test_forwards_path_query_body_and_token(gateway: httpx.AsyncClient) -> None:
    response = await gateway.patch(
        "/api/v1/projects/p1?x=1&x=2", content=b'{"purpose":"tenant"}', headers=admin_header()
    )
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == "/api/v1/projects/p1"
    assert echoed["query"] == "x=1&x=2"
    assert echoed["authorization"] == admin_header()["Authorization"]
    assert echoed["body"] == '{"purpose":"tenant"}'


async def test_unauthenticated_requests_never_reach_a_service(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/api/v1/inventory")).status_code == 401
    expired = mint_token(
        Principal.platform_admin(),
        secret=SECRET,
        audience="arcadia",
        ttl=timedelta(seconds=-1),
    )
    response = await gateway.get(
        "/api/v1/inventory", headers={"Authorization": f"Bearer {expired}"}
    )
    assert response.status_code == 401
    wrong_audience = mint_token(Principal.platform_admin(), secret=SECRET, audience="elsewhere")
    response = await gateway.get(
        "/api/v1/inventory", headers={"Authorization": f"Bearer {wrong_audience}"}
    )
    assert response.status_code == 401


async def test_unknown_route_is_404(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/api/v1/teapots", headers=admin_header())).status_code == 404


async def test_readiness_follows_upstreams(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/readyz")).json()["status"] == "ready"
    assert (await gateway.get("/healthz")).json() == {"status": "ok"}
