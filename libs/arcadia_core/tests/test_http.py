"""The shared HTTP shell: problem details for every error, a connection that survives a 500,
typed token claims, readiness without error text, the errors documented, docs served locally."""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import jwt
import pytest
import uvicorn
from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc

from arcadia_core.auth import CurrentPrincipal, PlatformAdmin, Principal, mint_token
from arcadia_core.http import SWAGGER_UI, service_app
from arcadia_core.settings import ArcadiaSettings

SECRET = "http-tests-secret-that-is-at-least-32-bytes"
TENANT = UUID("00000000-0000-0000-0000-00000000c0de")


class Body(BaseModel):
    name: str


def build_app(*, ready: dict[str, Any] | None = None) -> FastAPI:
    router = APIRouter(prefix="/api/v1")

    @router.get("/things/{thing_id}")
    async def get_thing(principal: CurrentPrincipal, thing_id: UUID) -> dict[str, str]:
        if thing_id != TENANT:
            raise HTTPException(404, "thing not found")
        return {"tenant": str(principal.tenant_id)}

    @router.post("/things")
    async def post_thing(_: PlatformAdmin, body: Body) -> dict[str, str]:
        return {"name": body.name}

    @router.get("/legacy")
    async def legacy() -> JSONResponse:
        return JSONResponse({"detail": "cursor is not one this API returned"}, status_code=400)

    @router.get("/legacy-other")
    async def legacy_other() -> JSONResponse:
        return JSONResponse({"reason": "kept as is"}, status_code=409)

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @router.get("/db-down")
    async def db_down() -> None:
        raise sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("db01:5432"))

    @router.get("/db-refused-value")
    async def db_refused() -> None:
        raise sa_exc.DataError("INSERT", {}, ValueError("invalid byte sequence 0x00"))

    return service_app(
        title="test",
        description="the shell under test",
        settings=ArcadiaSettings(ARCADIA_JWT_SECRET=SECRET),
        routers=[router],
        ready_checks=ready or {},
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield client


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal, secret=SECRET, audience='arcadia')}"}


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["title"]
    return body


async def test_http_errors_are_problems(client: httpx.AsyncClient) -> None:
    body = assert_problem(
        await client.get(f"/api/v1/things/{uuid4()}", headers=bearer(Principal.tenant(TENANT))), 404
    )
    assert body == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "thing not found",
    }
    missing = assert_problem(await client.get(f"/api/v1/things/{TENANT}"), 401)
    assert missing["detail"] == "missing bearer token"
    forbidden = await client.post(
        "/api/v1/things", json={"name": "x"}, headers=bearer(Principal.tenant(TENANT))
    )
    assert_problem(forbidden, 403)
    assert_problem(await client.get("/nowhere"), 404)
    assert_problem(await client.delete("/healthz"), 405)


async def test_validation_errors_say_where_without_echoing_input(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/things",
        content=b'{"name": ["\\u0000\\ud800"], "extra": 1}',
        headers=bearer(Principal.platform_admin()) | {"content-type": "application/json"},
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["loc"] == ["body", "name"]
    assert body["errors"][0]["msg"] and body["errors"][0]["type"] == "string_type"
    assert "input" not in body["errors"][0] and "\\u0000" not in response.text
    not_json = await client.post(
        "/api/v1/things",
        content=b"{",
        headers=bearer(Principal.platform_admin()) | {"content-type": "application/json"},
    )
    assert_problem(not_json, 422)
    bad_id = await client.get("/api/v1/things/%00", headers=bearer(Principal.platform_admin()))
    assert assert_problem(bad_id, 422)["errors"][0]["loc"] == ["path", "thing_id"]


async def test_an_error_answered_the_old_way_is_sent_as_a_problem(
    client: httpx.AsyncClient,
) -> None:
    body = assert_problem(await client.get("/api/v1/legacy"), 400)
    assert body["detail"] == "cursor is not one this API returned"
    other = await client.get("/api/v1/legacy-other")
    assert other.status_code == 409 and other.json() == {"reason": "kept as is"}


async def test_unexpected_errors_are_500_problems_without_internals(
    client: httpx.AsyncClient,
) -> None:
    body = assert_problem(await client.get("/api/v1/boom"), 500)
    assert "secret internals" not in str(body)


async def test_an_unreachable_database_is_503_with_retry_after(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/db-down")
    body = assert_problem(response, 503)
    assert response.headers["retry-after"] == "5" and "db01" not in str(body)
    assert_problem(await client.get("/api/v1/db-refused-value"), 400)


@pytest.mark.parametrize(
    "claims",
    [
        {"role": "tenant", "tenant_id": 42},
        {"role": "tenant", "tenant_id": None},
        {"role": "tenant", "tenant_id": ["00000000-0000-0000-0000-00000000c0de"]},
        {"role": "tenant", "tenant_id": {"id": 1}},
        {"role": "tenant", "tenant_id": "not-a-uuid"},
        {"role": "tenant"},
        {"role": ["platform_admin"]},
        {"role": {"x": 1}},
        {"role": "platform_admin", "sub": 7},
        {"role": "platform_admin", "sub": ["a"]},
        {"role": "platform_admin", "sub": "a\x00b"},
    ],
)
async def test_a_correctly_signed_token_with_claims_of_wrong_types_is_401(
    client: httpx.AsyncClient, claims: dict[str, Any]
) -> None:
    now = datetime.now(UTC)
    payload = {"sub": "someone", "aud": "arcadia", "iat": now, "exp": now + timedelta(hours=1)}
    token = jwt.encode(payload | claims, SECRET, algorithm="HS256")
    response = await client.get(
        f"/api/v1/things/{TENANT}", headers={"Authorization": f"Bearer {token}"}
    )
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_duplicated_authorization_header_is_400(client: httpx.AsyncClient) -> None:
    admin = bearer(Principal.platform_admin())["Authorization"]
    tenant = bearer(Principal.tenant(TENANT))["Authorization"]
    response = await client.get(
        f"/api/v1/things/{TENANT}", headers=[("Authorization", tenant), ("Authorization", admin)]
    )
    assert_problem(response, 400)


async def test_readiness_names_what_is_down_but_not_why() -> None:
    async def database() -> None:
        raise ConnectionRefusedError("password authentication failed for user arcadia at db01")

    async def broker() -> None:
        return None

    app = build_app(ready={"database": database, "broker": broker})
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://svc"
    ) as client:
        response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "down": ["database"],
        "checks": {"broker": "ok", "database": "down"},
    }
    assert "Retry-After" in response.headers


async def test_openapi_documents_problem_responses(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    get_thing = document["paths"]["/api/v1/things/{thing_id}"]["get"]["responses"]
    post_thing = document["paths"]["/api/v1/things"]["post"]["responses"]
    assert {"400", "401", "404", "422", "503"} <= set(get_thing) and "403" not in get_thing
    assert {"400", "401", "403", "404", "422", "503"} <= set(post_thing)
    for response in (get_thing["422"], post_thing["403"]):
        schema = response["content"]["application/problem+json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "503" in document["paths"]["/readyz"]["get"]["responses"]


async def test_docs_render_offline_from_the_package(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "cdn.jsdelivr" not in page.text and "https://" not in page.text
    assets = re.findall(r'(?:src|href)="(/static/swagger-ui/[^"]+)"', page.text)
    assert len(assets) >= 2
    for asset in assets:
        fetched = await client.get(asset)
        assert fetched.status_code == 200 and len(fetched.content) > 100, asset


def test_the_vendored_swagger_ui_is_the_recorded_release_and_reads_openapi_3_1() -> None:
    recorded = dict(
        re.findall(r"\| `([^`]+)` \| `([0-9a-f]{64})` \|", (SWAGGER_UI / "VENDORED.md").read_text())
    )
    assert set(recorded) == {p.name for p in SWAGGER_UI.iterdir()} - {"VENDORED.md"}
    for name, digest in recorded.items():
        assert hashlib.sha256((SWAGGER_UI / name).read_bytes()).hexdigest() == digest, name
    # FastAPI writes OpenAPI 3.1, which Swagger UI reads from release 5 on
    assert b"isOAS31" in (SWAGGER_UI / "swagger-ui-bundle.js").read_bytes()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: svc\r\n\r\n".encode())
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    status = int(head.split(b" ", 2)[1])
    length = int(re.search(rb"content-length: (\d+)", head.lower()).group(1))  # type: ignore[union-attr]
    await reader.readexactly(length)
    return status


async def test_a_500_keeps_the_connection_open_for_the_next_request() -> None:
    """uvicorn closes a connection whose app raised; a pooled client (the gateway) then loses
    the next request sent on it. The shell answers the 500 itself, so the connection lives."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(), port=port, log_level="critical"))
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        statuses = [await _exchange(reader, writer, "/api/v1/boom") for _ in range(3)]
        statuses.append(await _exchange(reader, writer, "/healthz"))
        writer.close()
        assert statuses == [500, 500, 500, 200]
    finally:
        server.should_exit = True
        await serving


async def test_a_value_postgresql_refuses_is_400_not_500(database_url: str) -> None:
    """The shell's safety net for bad input that got past validation: NUL in text or JSON and
    lone surrogates are refused by PostgreSQL (SQLSTATE class 22) or by the driver."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url.replace("postgresql://", "postgresql+asyncpg://"))
    router = APIRouter(prefix="/api/v1")

    @router.get("/echo")
    async def echo(value: str, as_json: bool = False) -> dict[str, str]:
        statement = "SELECT CAST(:v AS jsonb)::text" if as_json else "SELECT CAST(:v AS text)"
        async with engine.connect() as connection:
            return {"value": str(await connection.scalar(text(statement), {"v": value}))}

    app = service_app(
        title="t",
        description="d",
        settings=ArcadiaSettings(ARCADIA_JWT_SECRET=SECRET),
        routers=[router],
        ready_checks={},
    )
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://svc",
        ) as client:
            assert (await client.get("/api/v1/echo", params={"value": "fine"})).status_code == 200
            for params in (
                {"value": "a\x00b"},
                {"value": '{"a": "\\u0000"}', "as_json": "true"},
                {"value": '{"a": "\\ud800"}', "as_json": "true"},
            ):
                assert_problem(await client.get("/api/v1/echo", params=params), 400)
    finally:
        await engine.dispose()
