"""Schemathesis over every operation of the gateway's merged OpenAPI document.

Every registered service runs in this process (as in `arcadia up`) against real PostgreSQL,
the inventory synced from the sandbox's `seeds` scenario and one project classified to a
tenant; the gateway is served by uvicorn on a free port. Each operation gets a handful of
generated requests (valid and invalid), as a platform admin and as that tenant: none may answer
5xx, and every status and content type must be one the document declares. Bounded by
`EXAMPLES` so the whole run stays well under a minute.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import jwt
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from arcadia_core.auth import Principal, mint_token

SECRET = "schemathesis-secret-that-is-at-least-32-bytes"
TENANT = UUID("00000000-0000-0000-0000-00000000f00d")
EXAMPLES = 4
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal, secret=SECRET, audience='arcadia')}"}


def _check(strategy: Any, base_url: str, headers: dict[str, str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        case.validate_response(response, checks=CHECKS)

    run()


def _fuzz(base_url: str) -> list[str]:
    """Runs in a worker thread (schemathesis calls over blocking HTTP); returns the failures."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5, [op.label for op in operations]
    for operation in operations:
        for who, headers in (
            ("admin", _bearer(Principal.platform_admin())),
            ("tenant", _bearer(Principal.tenant(TENANT))),
        ):
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    _check(operation.as_strategy(generation_mode=mode), base_url, headers)
                except (Exception, BaseExceptionGroup) as exc:  # schemathesis' FailureGroup
                    failures.append(f"{operation.label} as {who} ({mode.value}): {exc}")
    return failures


@contextlib.asynccontextmanager
async def platform(
    migrated_database: Callable[..., Awaitable[str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> AsyncIterator[str]:
    """Every service and the gateway in this process, synced and with one tenant project;
    yields the gateway's base URL."""
    from arcadia.allinone import gateway_app, prepare, started
    from arcadia_core.bus.inprocess import InProcessBus
    from inventory.usecases.sync import sync_all

    monkeypatch.chdir(tmp_path)  # no developer .env file
    for name in ("DO_API_TOKEN", "DO_API_URL", "ARCADIA_AMQP_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ARCADIA_DATABASE_URL", await migrated_database())
    monkeypatch.setenv("ARCADIA_JWT_SECRET", SECRET)

    services = await prepare(bus=InProcessBus(), scenario="seeds")
    async with started(services, run_jobs=False):
        inventory: Any = services["inventory"]
        await sync_all(
            provider=inventory.provider,
            uow=inventory.uow,
            clock=inventory.clock,
            internal_project=inventory.settings.internal_project_name,
        )
        # the customer registry announces the tenant, as invoicing's tenant.changed does
        from arcadia_core.events import TenantChanged

        (registry,) = [s for s in inventory.subscriptions() if s.event_type == "tenant.changed"]
        announced = TenantChanged(tenant_id=TENANT, name="schemathesis", active=True, version=1)
        await registry.handler(announced.envelope(producer="invoicing"))
        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(gateway_app(services), host="127.0.0.1", port=port, log_level="warning")
        )
        serving = asyncio.create_task(server.serve())
        try:
            while not server.started:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            base_url = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base_url) as client:
                admin = _bearer(Principal.platform_admin())
                projects = (await client.get("/api/v1/projects", headers=admin)).json()["items"]
                pilot = next(p for p in projects if p["name"] == "pilot-tenant")
                classified = await client.patch(
                    f"/api/v1/projects/{pilot['id']}",
                    json={"tenant_id": str(TENANT), "purpose": "tenant"},
                    headers=admin,
                )
                assert classified.status_code == 200, classified.text
            yield base_url
        finally:
            server.should_exit = True
            with contextlib.suppress(Exception):
                await serving


async def test_no_server_errors_and_no_undocumented_status(
    migrated_database: Callable[..., Awaitable[str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    async with platform(migrated_database, monkeypatch, tmp_path) as base_url:
        failures = await asyncio.to_thread(_fuzz, base_url)
    assert not failures, "\n\n".join(failures)


def _cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _signed(claims: dict[str, Any]) -> dict[str, str]:
    now = datetime.now(UTC)
    payload = {"sub": "x", "aud": "arcadia", "iat": now, "exp": now + timedelta(hours=1)}
    return {"Authorization": f"Bearer {jwt.encode(payload | claims, SECRET, algorithm='HS256')}"}


async def test_the_measured_causes_of_500_answer_4xx_and_poison_nothing(
    migrated_database: Callable[..., Awaitable[str]],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The issue's battery: each cause that gave 500, through the real gateway over HTTP, each
    followed by a good request on the same keep-alive client."""
    admin = _bearer(Principal.platform_admin())
    deep = base64.urlsafe_b64encode(b"[" * 380 + b'"x"' + b"]" * 380).decode()  # nested
    bad: list[tuple[str, str, dict[str, Any], dict[str, str], set[int]]] = [
        ("GET", "/api/v1/inventory", {"q": "a\x00b"}, admin, {422}),
        ("GET", "/api/v1/inventory", {"kind": "droplet\x00"}, admin, {422}),
        ("GET", "/api/v1/inventory", {"status": "\x00"}, admin, {422}),
        ("GET", "/api/v1/inventory", {"kind": "bogus"}, admin, {422}),
        ("GET", "/api/v1/inventory", {"status": "bogus"}, admin, {422}),
        ("GET", "/api/v1/inventory", {"cursor": _cursor([1, 2])}, admin, {400}),
        ("GET", "/api/v1/inventory", {"cursor": _cursor({"a": 1})}, admin, {400}),
        ("GET", "/api/v1/inventory", {"cursor": _cursor([["a"], ["b"]])}, admin, {400}),
        ("GET", "/api/v1/inventory", {"cursor": _cursor(["a\x00", "b"])}, admin, {400}),
        ("GET", "/api/v1/inventory", {"cursor": _cursor([None, True])}, admin, {400}),
        ("GET", "/api/v1/inventory", {"cursor": "not base64!"}, admin, {400, 422}),
        ("GET", "/api/v1/projects", {"cursor": _cursor(["web", "not-a-uuid"])}, admin, {400}),
        ("GET", "/api/v1/projects", {"cursor": _cursor(["web", 7])}, admin, {400}),
        ("GET", "/api/v1/projects", {"cursor": deep}, admin, {400}),
        ("GET", "/api/v1/inventory", {}, _signed({"role": "tenant", "tenant_id": 7}), {401}),
        ("GET", "/api/v1/inventory", {}, _signed({"role": "tenant", "tenant_id": None}), {401}),
        ("GET", "/api/v1/inventory", {}, _signed({"role": "tenant", "tenant_id": [1]}), {401}),
    ]
    async with (
        platform(migrated_database, monkeypatch, tmp_path) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
    ):
        pilot = next(
            p
            for p in (await client.get("/api/v1/projects", headers=admin)).json()["items"]
            if p["name"] == "pilot-tenant"
        )
        for body in ({"purpose": "\x00"}, {"purpose": "a\ud800"}, {"purpose": "bogus"}):
            raw = json.dumps(body).encode()  # ensure_ascii: the surrogate travels as \ud800
            bad.append(("PATCH", f"/api/v1/projects/{pilot['id']}", {"__body": raw}, admin, {422}))
        for method, path, params, headers, expected in bad:
            content = params.pop("__body", None)
            response = await client.request(
                method,
                path,
                params=params,
                content=content,
                headers=headers | ({"content-type": "application/json"} if content else {}),
            )
            assert response.status_code in expected, (method, path, params, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            good = await client.get("/api/v1/inventory", params={"limit": 1}, headers=admin)
            assert good.status_code == 200, (path, params, good.text)
        control = await client.get("/api/v1/inventory/%01", headers=admin)
        assert control.status_code == 400

        # every kind and status the inventory holds is one its filters accept
        held = (
            await client.get(
                "/api/v1/inventory", params={"limit": 500, "include_deleted": True}, headers=admin
            )
        ).json()["items"]
        for field, param in (("kind", "kind"), ("status", "status")):
            for value in sorted({r[field] for r in held if r[field] is not None}):
                found = await client.get(
                    "/api/v1/inventory",
                    params={param: value, "include_deleted": True, "limit": 1},
                    headers=admin,
                )
                assert found.status_code == 200 and found.json()["items"], (param, value)
