"""The margin report's route (admin only, period checked, 503 when a source cannot answer) and
the API sources' failure handling: any answer but 200, a transport error or a page repeated
makes the report unavailable, never half read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from arcadia_core.auth import Principal, mint_token
from arcadia_core.http import service_app
from arcadia_core.settings import ArcadiaSettings
from gateway.app import create_app
from gateway.reports.adapters.api_sources import ApiSources
from gateway.reports.adapters.memory import MemorySources
from gateway.reports.api import reports_router
from gateway.reports.domain.months import month_after
from gateway.reports.domain.sources import (
    CostLine,
    Deployment,
    PeriodSources,
    ProviderInvoice,
    Tenant,
    TenantInvoice,
    TenantLine,
)
from gateway.reports.ports import SourcesUnavailable

SECRET = "gateway-reports-tests-secret-at-least-32-bytes"
APRIL = date(2026, 4, 1)


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_token(principal, secret=SECRET, audience="arcadia")}


ADMIN = bearer(Principal.platform_admin())
TENANT = Tenant(uuid4(), "pilot", "USD", Decimal("0.10"))
DEP = Deployment(uuid4(), TENANT.id, "pilot", "pilot-tenant")


def april() -> PeriodSources:
    droplet = CostLine(
        1, "inv", 1, "Droplets", "", "web-01 (s-2vcpu-4gb)", "droplet", 2400, Decimal(720),
        None, None, "pilot-tenant", None, uuid4(), "id", None, TENANT.id, DEP.id,
    )  # fmt: skip
    tax = CostLine(
        2, "inv", 2, "Taxes", "", "GST (10%)", "tax", 240, None,
        None, None, None, None, None, "none", "tax", None, None,
    )  # fmt: skip
    provider = ProviderInvoice("inv", "1", APRIL, 2640, 2400, 240, "ingested", (droplet, tax))
    lines = (
        TenantLine("plan_base", "Plan: Studio", DEP.id, None, Decimal(1), Decimal(5000), 5000),
        TenantLine("tax", "GST 10%", None, None, Decimal("0.1"), Decimal(5000), 500),
    )
    invoice = TenantInvoice(
        uuid4(),
        TENANT.id,
        None,
        "draft",
        APRIL,
        "USD",
        Decimal("0.1"),
        5000,
        500,
        5500,
        None,
        lines,
    )
    return PeriodSources(APRIL, (provider,), (invoice,), (TENANT,), (DEP,))


def reports_app(sources: MemorySources) -> FastAPI:
    return service_app(
        title="reports",
        description="",
        settings=ArcadiaSettings(ARCADIA_JWT_SECRET=SECRET),
        routers=[reports_router(lambda _: sources)],
        ready_checks={},
    )


@pytest.fixture
async def memory() -> MemorySources:
    return MemorySources([april()])


@pytest.fixture
async def api(memory: MemorySources) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=reports_app(memory))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        yield client


async def test_an_admin_gets_the_month_s_report(
    api: httpx.AsyncClient, memory: MemorySources
) -> None:
    answer = await api.get("/api/v1/reports/margin", params={"period": "2026-04"}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert memory.asked == [APRIL]
    assert body["period"] == "2026-04"
    assert body["rows"] == [
        {
            "tenant_id": str(TENANT.id),
            "tenant_name": "pilot",
            "deployment_id": str(DEP.id),
            "deployment_name": "pilot",
            "kind": "droplet_hours",
            "billing_kind": "droplet_hours",
            "provider_kind": "droplet",
            "revenue_cents": 0,
            "cost_cents": 2400,
            "margin_cents": -2400,
            "margin_pct": None,
        },
        {
            "tenant_id": str(TENANT.id),
            "tenant_name": "pilot",
            "deployment_id": str(DEP.id),
            "deployment_name": "pilot",
            "kind": "plan",
            "billing_kind": None,
            "provider_kind": None,
            "revenue_cents": 5000,
            "cost_cents": 0,
            "margin_cents": 5000,
            "margin_pct": "100.00",
        },
    ]
    assert body["deployments"][0]["margin_pct"] == "52.00"
    assert body["reconciliation"] == {
        "provider_amount_cents": 2640,
        "provider_tax_cents": 240,
        "provider_net_cents": 2400,
        "report_cost_cents": 2400,
        "difference_cents": 0,
        "ok": True,
    }
    assert body["revenue_check"]["ok"] is True
    assert body["totals"]["margin_cents"] == 2600
    assert set(body["leakage"]) == {"billed_not_metered", "metered_not_billed", "hours_variance"}


async def test_a_month_with_nothing_is_an_empty_report(api: httpx.AsyncClient) -> None:
    answer = await api.get("/api/v1/reports/margin", params={"period": "2025-12"}, headers=ADMIN)
    assert answer.status_code == 200
    assert answer.json()["rows"] == [] and answer.json()["reconciliation"]["ok"] is True


async def test_a_tenant_is_refused_and_a_stranger_unauthenticated(
    api: httpx.AsyncClient, memory: MemorySources
) -> None:
    tenant = bearer(Principal.tenant(TENANT.id))
    answer = await api.get("/api/v1/reports/margin", params={"period": "2026-04"}, headers=tenant)
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("application/problem+json")
    nobody = await api.get("/api/v1/reports/margin", params={"period": "2026-04"})
    assert nobody.status_code == 401
    assert memory.asked == []


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-00", "2026-4", "April", "2026-04-01", "", "0000-01", "9999-12"]
)
async def test_a_period_that_is_not_a_month_is_a_422_problem(
    api: httpx.AsyncClient, period: str
) -> None:
    answer = await api.get("/api/v1/reports/margin", params={"period": period}, headers=ADMIN)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    missing = await api.get("/api/v1/reports/margin", headers=ADMIN)
    assert missing.status_code == 422


async def test_sources_that_cannot_answer_make_a_503_problem() -> None:
    app = reports_app(MemorySources(unavailable="invoicing answered 500"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        answer = await client.get(
            "/api/v1/reports/margin", params={"period": "2026-04"}, headers=ADMIN
        )
    assert answer.status_code == 503
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.headers["retry-after"]
    assert "invoicing answered 500" in answer.json()["detail"]


# --- the API sources over upstream clients ------------------------------------------------------

EMPTY_PAGE = {"items": [], "next_cursor": None}


def upstream(answer: Any) -> httpx.AsyncClient:
    """An upstream whose every GET gets `answer(request)` (a response or an exception)."""

    def handle(request: httpx.Request) -> httpx.Response:
        result = answer(request)
        if isinstance(result, Exception):
            raise result
        assert isinstance(result, httpx.Response)
        return result

    return httpx.AsyncClient(transport=httpx.MockTransport(handle), base_url="http://svc")


def healthy(seen: list[httpx.Request]) -> httpx.AsyncClient:
    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=EMPTY_PAGE)

    return upstream(answer)


async def test_api_sources_forward_the_token_and_ask_for_the_month() -> None:
    seen: list[httpx.Request] = []
    clients = {
        name: healthy(seen) for name in ("inventory", "billing-ingest", "metering", "invoicing")
    }
    got = await ApiSources(clients, "Bearer abc", request_id="rid-1").for_period(APRIL)
    assert got.period == APRIL and got.provider_invoices == () and got.usage == ()
    assert {r.headers["authorization"] for r in seen} == {"Bearer abc"}
    assert {r.headers["x-request-id"] for r in seen} == {"rid-1"}
    by_path = {r.url.path: dict(r.url.params) for r in seen}
    assert by_path["/api/v1/billing/cost-lines"]["period"] == "2026-04-01"
    assert by_path["/api/v1/invoices"]["period"] == "2026-04"
    assert by_path["/api/v1/usage/by-resource"] == {
        "from": "2026-04-01",
        "to": "2026-05-01",
        "limit": "5000",
    }
    assert by_path["/api/v1/inventory"]["include_deleted"] == "true"
    assert by_path["/api/v1/deployments"]["include_removed"] == "true"
    assert month_after(date(2026, 12, 1)) == date(2027, 1, 1)


@pytest.mark.parametrize(
    "failure",
    [
        lambda _: httpx.Response(500, json={"detail": "boom"}),
        lambda _: httpx.Response(403, json={"detail": "forbidden"}),
        lambda _: httpx.ConnectError("refused"),
        lambda _: httpx.ReadTimeout("slow"),
        lambda _: httpx.Response(200, text="not json"),
        lambda _: httpx.Response(200, json={"items": [{"id": "not-a-uuid"}], "next_cursor": None}),
        lambda _: httpx.Response(200, json={"items": [], "next_cursor": "same"}),
    ],
)
async def test_any_upstream_failure_makes_the_sources_unavailable(failure: Any) -> None:
    clients = {name: healthy([]) for name in ("inventory", "billing-ingest", "metering")}
    clients["invoicing"] = upstream(failure)
    with pytest.raises(SourcesUnavailable):
        await ApiSources(clients, "Bearer abc").for_period(APRIL)


async def test_a_missing_upstream_makes_the_sources_unavailable() -> None:
    clients = {name: healthy([]) for name in ("inventory", "billing-ingest", "invoicing")}
    with pytest.raises(SourcesUnavailable, match="metering"):
        await ApiSources(clients, "Bearer abc").for_period(APRIL)


async def test_the_gateway_answers_503_when_a_service_is_down() -> None:
    clients = {name: healthy([]) for name in ("inventory", "billing-ingest", "invoicing")}
    clients["metering"] = upstream(lambda _: httpx.ConnectError("refused"))
    app = create_app(
        ArcadiaSettings(ARCADIA_JWT_SECRET=SECRET),
        clients,
        {"/api/v1/usage": "metering", "/api/v1/inventory": "inventory"},
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        answer = await client.get(
            "/api/v1/reports/margin", params={"period": "2026-04"}, headers=ADMIN
        )
        tenant = await client.get(
            "/api/v1/reports/margin",
            params={"period": "2026-04"},
            headers=bearer(Principal.tenant(TENANT.id)),
        )
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert tenant.status_code == 403
