"""The gateway: routing from the registry's table, authentication before forwarding, path and
header hygiene, upstream failures, request ids, redirects, and the merged documents."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any
from urllib.parse import unquote_to_bytes

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse

from arcadia_core.auth import Principal, mint_token
from arcadia_core.settings import ArcadiaSettings
from gateway.app import create_app, upstream_clients
from gateway.routes import UnsafePath, normalized_path, service_for

SECRET = "gateway-tests-secret-at-least-32-bytes"
ROUTES = {"/api/v1/inventory": "inventory", "/api/v1/projects": "inventory"}


def test_routes_pick_the_owning_service() -> None:
    assert service_for(ROUTES, "/api/v1/inventory") == "inventory"
    assert service_for(ROUTES, "/api/v1/inventory/abc") == "inventory"
    assert service_for(ROUTES, "/api/v1/projects/abc") == "inventory"
    assert service_for(ROUTES, "/api/v1/inventoryx") is None
    assert service_for(ROUTES, "/api/v1/nothing") is None
    longest = ROUTES | {"/api/v1/inventory/special": "other"}
    assert service_for(longest, "/api/v1/inventory/special/1") == "other"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/inventory/../../readyz",
        "/api/v1/inventory/./x",
        "/api/v1/inventory/..",
        "/api/v1/inventory/a\x00b",
        "/api/v1/inventory/a\x7fb",
        "/api/v1/inventory/%2e%2e",
        "/api/v1/inventory\\..\\x",
    ],
)
def test_unsafe_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafePath):
        normalized_path(path)


def test_paths_are_normalized() -> None:
    assert normalized_path("/api//v1/inventory/") == "/api/v1/inventory"
    assert normalized_path("/api/v1/inventory/a b") == "/api/v1/inventory/a b"
    with pytest.raises(UnsafePath):
        normalized_path("/api/v1/inventory/x/y", b"/api/v1/inventory/x%2Fy")


@pytest.fixture
def upstream() -> FastAPI:
    """A stand-in service that echoes what reached it."""
    app = FastAPI(openapi_url=None)

    @app.api_route("/api/v1/inventory/redirect", methods=["GET"])
    async def redirect() -> RedirectResponse:
        return RedirectResponse("http://inventory/api/v1/inventory?page=2", status_code=307)

    @app.api_route("/api/v1/{path:path}", methods=["GET", "PATCH", "POST"])
    async def echo(request: Request, path: str) -> dict[str, Any]:
        return {
            "path": request.url.path,
            "query": request.url.query,
            "authorization": request.headers.get("authorization"),
            "request_id": request.headers.get("x-request-id"),
            "body": (await request.body()).decode(),
        }

    @app.get("/readyz")
    async def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.get("/openapi.json")
    async def openapi() -> dict[str, Any]:
        return {
            "openapi": "3.1.0",
            "paths": {
                "/api/v1/inventory": {"get": {"responses": {"200": {"description": "ok"}}}},
                "/readyz": {"get": {"responses": {"200": {"description": "ok"}}}},
            },
        }

    @app.get("/asyncapi.json")
    async def asyncapi() -> dict[str, Any]:
        return {"asyncapi": "3.0.0", "channels": {"resource.synced": {}}}

    return app


def _settings() -> ArcadiaSettings:
    return ArcadiaSettings(ARCADIA_JWT_SECRET=SECRET)


def _client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


@pytest.fixture
def gateway_app(upstream: FastAPI) -> FastAPI:
    upstreams = upstream_clients(
        _settings(), ["inventory"], {"inventory": httpx.ASGITransport(app=upstream)}
    )
    return create_app(_settings(), upstreams, ROUTES)


@pytest.fixture
async def gateway(gateway_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(gateway_app) as client:
        yield client


def token(principal: Principal | None = None) -> str:
    return mint_token(principal or Principal.platform_admin(), secret=SECRET, audience="arcadia")


def admin_header() -> dict[str, str]:
    return {"Authorization": f"Bearer {token()}"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    return body


async def test_forwards_path_query_body_token_and_request_id(gateway: httpx.AsyncClient) -> None:
    response = await gateway.patch(
        "/api/v1/projects/p1?x=1&x=2",
        content=b'{"purpose":"tenant"}',
        headers=admin_header() | {"X-Request-Id": "abc-123"},
    )
    assert response.status_code == 200
    echoed = response.json()
    assert echoed["path"] == "/api/v1/projects/p1"
    assert echoed["query"] == "x=1&x=2"
    assert echoed["authorization"] == admin_header()["Authorization"]
    assert echoed["body"] == '{"purpose":"tenant"}'
    assert echoed["request_id"] == "abc-123"
    assert response.headers["x-request-id"] == "abc-123"


async def test_a_request_id_is_generated_when_missing_or_unusable(
    gateway: httpx.AsyncClient,
) -> None:
    for sent in ({}, {"X-Request-Id": "x" * 500}, {"X-Request-Id": "a b<script>"}):
        response = await gateway.get("/api/v1/inventory", headers=admin_header() | sent)
        generated = response.headers["x-request-id"]
        assert len(generated) == 32 and generated == response.json()["request_id"]
    twice = [("X-Request-Id", "a"), ("X-Request-Id", "b")]
    response = await gateway.get("/api/v1/inventory", headers=[*admin_header().items(), *twice])
    assert response.json()["request_id"] == response.headers["x-request-id"]
    assert len(response.headers["x-request-id"]) == 32
    refused = await gateway.get("/api/v1/inventory")
    assert len(refused.headers["x-request-id"]) == 32


async def test_unauthenticated_requests_never_reach_a_service(gateway: httpx.AsyncClient) -> None:
    assert_problem(await gateway.get("/api/v1/inventory"), 401)
    expired = mint_token(
        Principal.platform_admin(),
        secret=SECRET,
        audience="arcadia",
        ttl=timedelta(seconds=-1),
    )
    response = await gateway.get(
        "/api/v1/inventory", headers={"Authorization": f"Bearer {expired}"}
    )
    assert_problem(response, 401)
    wrong_audience = mint_token(Principal.platform_admin(), secret=SECRET, audience="elsewhere")
    response = await gateway.get(
        "/api/v1/inventory", headers={"Authorization": f"Bearer {wrong_audience}"}
    )
    assert_problem(response, 401)


async def test_a_duplicated_authorization_header_is_refused(gateway: httpx.AsyncClient) -> None:
    tenant = token(Principal.tenant(uuid.uuid4()))
    headers = [("Authorization", f"Bearer {tenant}"), ("Authorization", f"Bearer {token()}")]
    body = assert_problem(await gateway.get("/api/v1/inventory", headers=headers), 400)
    assert "Authorization" in body["detail"]


async def test_unknown_route_is_404(gateway: httpx.AsyncClient) -> None:
    assert_problem(await gateway.get("/api/v1/teapots", headers=admin_header()), 404)


async def _raw_get(app: FastAPI, raw_path: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """A request whose path no client library would leave alone (dot segments kept)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote_to_bytes(raw_path).decode("utf-8", "replace"),
        "raw_path": raw_path,
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "server": ("gateway", 80),
        "client": ("127.0.0.1", 1234),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


@pytest.mark.parametrize(
    "raw_path",
    [
        b"/api/v1/inventory/../../readyz",
        b"/api/v1/inventory/%2e%2e/%2e%2e/readyz",
        b"/api/v1/inventory/..%2f..%2freadyz",
        b"/api/v1/inventory/%2E%2E",
        b"/api/v1/inventory/%252e%252e/x",
        b"/api/v1/inventory/%01",
        b"/api/v1/inventory/a%00",
    ],
)
async def test_dot_segments_and_control_characters_are_refused_before_routing(
    gateway_app: FastAPI, raw_path: bytes
) -> None:
    status, body = await _raw_get(gateway_app, raw_path, admin_header())
    assert status == 400, body
    assert json.loads(body)["status"] == 400


async def test_paths_are_normalized_before_forwarding(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1//inventory/abc/", headers=admin_header())
    assert response.status_code == 200
    assert response.json()["path"] == "/api/v1/inventory/abc"


async def test_redirects_never_show_the_internal_address(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/api/v1/inventory/redirect", headers=admin_header())
    assert response.status_code == 307
    assert response.headers["location"] == "/api/v1/inventory?page=2"


async def test_readiness_names_the_dependency_that_is_down_without_its_error(
    upstream: FastAPI,
) -> None:
    async with _client(create_app(_settings(), _upstreams(upstream), ROUTES)) as gateway:
        assert (await gateway.get("/readyz")).json()["status"] == "ready"
        assert (await gateway.get("/healthz")).json() == {"status": "ok"}

    down = FastAPI()

    @down.get("/readyz")
    async def not_ready() -> JSONResponse:
        return JSONResponse({"error": "password authentication failed for db01"}, 503)

    async with _client(create_app(_settings(), _upstreams(down), ROUTES)) as gateway:
        response = await gateway.get("/readyz")
    assert response.status_code == 503
    assert response.json()["down"] == ["inventory"]
    assert "password" not in response.text and "db01" not in response.text


def _upstreams(app: FastAPI) -> dict[str, httpx.AsyncClient]:
    return {
        "inventory": httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://inventory"
        )
    }


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_an_upstream_that_is_down_answers_503_with_retry_after() -> None:
    settings = ArcadiaSettings(ARCADIA_JWT_SECRET=SECRET)
    upstreams = {"inventory": httpx.AsyncClient(base_url=f"http://127.0.0.1:{_closed_port()}")}
    async with _client(create_app(settings, upstreams, ROUTES)) as gateway:
        response = await gateway.get("/api/v1/inventory", headers=admin_header())
        body = assert_problem(response, 503)
        assert response.headers["retry-after"].isdigit()
        assert "127.0.0.1" not in body.get("detail", "")
        ready = await gateway.get("/readyz")
    assert ready.status_code == 503 and ready.json()["down"] == ["inventory"]


class _StaleOnce(httpx.AsyncBaseTransport):
    """The first request finds its pooled connection closed by the upstream; then it answers."""

    def __init__(self, error: type[httpx.TransportError]) -> None:
        self.error = error
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls == 1:
            raise self.error("Server disconnected without sending a response.", request=request)
        return httpx.Response(200, json={"ok": True})


@pytest.mark.parametrize("error", [httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError])
async def test_a_connection_the_upstream_closed_is_retried_once(
    error: type[httpx.TransportError],
) -> None:
    transport = _StaleOnce(error)
    upstreams = upstream_clients(_settings(), ["inventory"], {"inventory": transport})
    async with _client(create_app(_settings(), upstreams, ROUTES)) as gateway:
        response = await gateway.get("/api/v1/inventory", headers=admin_header())
    assert response.status_code == 200 and transport.calls == 2


async def test_a_non_idempotent_request_is_not_sent_twice_after_a_read_failure() -> None:
    transport = _StaleOnce(httpx.ReadError)
    upstreams = upstream_clients(_settings(), ["inventory"], {"inventory": transport})
    async with _client(create_app(_settings(), upstreams, ROUTES)) as gateway:
        response = await gateway.post("/api/v1/inventory", headers=admin_header(), json={})
        assert_problem(response, 502)
        assert transport.calls == 1
        # and the next request is not poisoned
        assert (await gateway.get("/api/v1/inventory", headers=admin_header())).status_code == 200


async def test_a_failing_upstream_over_tcp_never_poisons_the_next_request() -> None:
    """A real upstream under uvicorn whose handler raises: uvicorn closes the connection after
    its 500. Good requests interleaved with failing ones, concurrently, all succeed."""
    app = FastAPI()

    @app.api_route("/api/v1/inventory/boom", methods=["GET", "PATCH"])
    async def boom() -> None:
        raise RuntimeError("boom")

    @app.get("/api/v1/inventory/ok")
    async def ok() -> dict[str, bool]:
        return {"ok": True}

    port = _closed_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="critical"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        upstreams = {"inventory": httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}")}
        async with _client(create_app(_settings(), upstreams, ROUTES)) as gateway:
            for _ in range(5):
                answers = await asyncio.gather(
                    *(
                        gateway.get(
                            f"/api/v1/inventory/{'boom' if i % 2 else 'ok'}", headers=admin_header()
                        )
                        for i in range(6)
                    )
                )
                statuses = [a.status_code for a in answers]
                assert statuses == [200, 500] * 3, statuses
    finally:
        server.should_exit = True
        await serving


async def test_asyncapi_of_every_service_through_the_gateway(gateway: httpx.AsyncClient) -> None:
    index = (await gateway.get("/asyncapi.json")).json()
    assert index["services"]["inventory"]["url"] == "/asyncapi/inventory.json"
    assert index["services"]["inventory"]["channels"] == ["resource.synced"]
    document = await gateway.get("/asyncapi/inventory.json")
    assert document.status_code == 200 and document.json()["asyncapi"] == "3.0.0"
    assert_problem(await gateway.get("/asyncapi/nothing.json"), 404)


async def test_merged_openapi_documents_problems(gateway: httpx.AsyncClient) -> None:
    document = (await gateway.get("/openapi.json")).json()
    # the gateway's own operations first, then every service's
    assert list(document["paths"]) == [
        "/api/v1/reports/margin",
        "/api/v1/exports/focus",
        "/api/v1/inventory",
    ]
    responses = document["paths"]["/api/v1/inventory"]["get"]["responses"]
    for status in ("400", "401", "502", "503", "504"):
        assert "application/problem+json" in responses[status]["content"]
    assert "Problem" in document["components"]["schemas"]


async def test_docs_render_from_local_assets(gateway: httpx.AsyncClient) -> None:
    page = await gateway.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        fetched = await gateway.get(asset)
        assert fetched.status_code == 200 and len(fetched.content) > 100, asset


async def test_routes_must_name_known_upstreams(upstream: FastAPI) -> None:
    with pytest.raises(ValueError, match="billing"):
        create_app(_settings(), _upstreams(upstream), ROUTES | {"/api/v1/billing": "billing"})
