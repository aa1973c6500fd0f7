"""`GET /api/v1/runs/<service>`: platform admins read the run log, a tenant is refused (403),
no token is 401, bad paging is a 4xx; the items are the latest run per name first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text

from arcadia_core.auth import Principal, mint_token
from arcadia_core.db import create_engine
from arcadia_core.http import service_app
from arcadia_core.runs import RunLog, create_runs_table
from arcadia_core.runs_api import runs_path, runs_router
from arcadia_core.settings import ArcadiaSettings

SCHEMA = "runs_api_test"
SERVICE = "billing-ingest"
SECRET = "runs-api-tests-secret-that-is-at-least-32-bytes"
TENANT = UUID("00000000-0000-0000-0000-00000000c0de")


def _auth(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal, secret=SECRET, audience='arcadia')}"}


ADMIN = _auth(Principal.platform_admin())


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(database_url, schema=SCHEMA)
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))

        def build(sync_connection: Any) -> None:
            create_runs_table(Operations(MigrationContext.configure(sync_connection)), SCHEMA)

        await connection.run_sync(build)
    run_log = RunLog(engine, SCHEMA)
    for name, summary in (("billing.ingest", "lines=3"), ("billing.balance", None)):
        async with run_log.record(name) as run:
            run.summarize(summary)
    with pytest.raises(RuntimeError):
        async with run_log.record("billing.ingest"):
            raise RuntimeError("the CSV has no header")
    app = service_app(
        title="runs",
        description="runs",
        settings=ArcadiaSettings(ARCADIA_JWT_SECRET=SECRET),
        routers=[runs_router(SERVICE, run_log)],
        ready_checks={},
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://svc") as client:
        yield client
    await engine.dispose()


async def test_an_admin_reads_the_latest_run_of_each_name_first(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(f"/api/v1{runs_path(SERVICE)}", headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["service"] == SERVICE
    items = body["items"]
    assert [(i["name"], i["outcome"], i["latest"]) for i in items] == [
        ("billing.ingest", "failed", True),
        ("billing.balance", "ok", True),
        ("billing.ingest", "ok", False),
    ]
    assert items[0]["error"] == "RuntimeError: the CSV has no header"
    assert items[0]["finished_at"] is not None and items[0]["started_at"]
    assert items[2]["summary"] == "lines=3"
    assert set(items[0]) >= {"name", "started_at", "finished_at", "outcome", "summary", "error"}

    one = await client.get(f"/api/v1/runs/{SERVICE}?limit=1", headers=ADMIN)
    assert [i["name"] for i in one.json()["items"]] == ["billing.ingest"]
    named = await client.get(f"/api/v1/runs/{SERVICE}?name=billing.balance", headers=ADMIN)
    assert [i["name"] for i in named.json()["items"]] == ["billing.balance"]


async def test_a_tenant_is_refused_and_no_token_is_unauthorized(
    client: httpx.AsyncClient,
) -> None:
    tenant = await client.get(f"/api/v1/runs/{SERVICE}", headers=_auth(Principal.tenant(TENANT)))
    assert tenant.status_code == 403
    assert tenant.headers["content-type"].startswith("application/problem+json")
    assert "items" not in tenant.json()
    assert (await client.get(f"/api/v1/runs/{SERVICE}")).status_code == 401


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "name="])
async def test_bad_paging_is_a_client_error(client: httpx.AsyncClient, query: str) -> None:
    response = await client.get(f"/api/v1/runs/{SERVICE}?{query}", headers=ADMIN)
    assert response.status_code == 422


def test_a_service_without_a_run_log_has_no_route() -> None:
    with pytest.raises(ValueError, match="no run log"):
        runs_router(SERVICE, None)
