"""`GET /api/v1/exports/focus`: who may ask, what a bad question gets, the CSV it answers, and
what it does when a source is down or the sources disagree. The sources are held in memory."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from decimal import Decimal
from uuid import uuid4

import httpx
import pytest
from fastapi import Request

from arcadia_core.auth import Principal, mint_token
from arcadia_core.http import service_app
from arcadia_core.settings import ArcadiaSettings
from gateway.reports.adapters.memory import MemorySources
from gateway.reports.domain.focus_checks import check
from gateway.reports.domain.months import parse_month
from gateway.reports.exports_api import exports_router
from gateway.reports.ports import ReportSources

from .test_focus import APRIL, DO_INVOICE, DO_LINES, SOURCES

SECRET = "focus-tests-secret-that-is-at-least-32-bytes"
URL = "/api/v1/exports/focus"


def headers(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal, secret=SECRET, audience='arcadia')}"}


ADMIN = headers(Principal.platform_admin())
TENANT = headers(Principal.tenant(uuid4()))


def client_for(sources: ReportSources) -> httpx.AsyncClient:
    settings = ArcadiaSettings(jwt_secret=SECRET)

    def sources_for(_: Request) -> ReportSources:
        return sources

    app = service_app(
        title="test",
        description="",
        settings=settings,
        routers=[exports_router(sources_for)],
        ready_checks={},
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw")


@pytest.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(MemorySources([SOURCES])) as client:
        yield client


@pytest.mark.parametrize("side", ["provider", "tenant"])
async def test_an_admin_gets_the_month_as_a_focus_csv(api: httpx.AsyncClient, side: str) -> None:
    response = await api.get(URL, params={"period": "2026-04", "side": side}, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == f'attachment; filename="focus-{side}-2026-04.csv"'
    )
    reader = csv.DictReader(io.StringIO(response.text, newline=""))
    rows = list(reader)
    payable = (
        {"500485656": Decimal("36.50")}
        if side == "provider"
        else {"INV-2026-04-0001": Decimal("50.99"), "INV-2026-04-0002": Decimal("8.25")}
    )
    assert rows and check(tuple(reader.fieldnames or ()), rows, payable) == []


async def test_a_tenant_is_refused_and_a_stranger_is_not_known(api: httpx.AsyncClient) -> None:
    params = {"period": "2026-04", "side": "tenant"}
    refused = await api.get(URL, params=params, headers=TENANT)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    anonymous = await api.get(URL, params=params)
    assert anonymous.status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"period": "2026-13", "side": "provider"},
        {"period": "2026-4", "side": "provider"},
        {"period": "0000-04", "side": "provider"},
        {"period": "april", "side": "tenant"},
        {"period": "2026-04", "side": "both"},
        {"period": "2026-04"},
        {"side": "tenant"},
    ],
)
async def test_bad_input_is_a_422_problem(api: httpx.AsyncClient, params: dict[str, str]) -> None:
    response = await api.get(URL, params=params, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"]


async def test_a_source_that_cannot_answer_is_a_503_with_retry_after() -> None:
    async with client_for(MemorySources(unavailable="invoicing answered 502")) as api:
        response = await api.get(URL, params={"period": "2026-04", "side": "tenant"}, headers=ADMIN)
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert "invoicing answered 502" in response.json()["detail"]


async def test_sources_that_disagree_are_not_exported() -> None:
    unreconciled = replace(DO_INVOICE, lines=DO_LINES[:-1])  # its tax line is missing
    sources = MemorySources([replace(SOURCES, provider_invoices=(unreconciled,))])
    async with client_for(sources) as api:
        response = await api.get(
            URL, params={"period": "2026-04", "side": "provider"}, headers=ADMIN
        )
        tenant_side = await api.get(
            URL, params={"period": "2026-04", "side": "tenant"}, headers=ADMIN
        )
    assert response.status_code == 409
    problem = response.json()
    assert problem["errors"] == [
        {
            "loc": ["dataset"],
            "msg": "BilledCost of invoice 500485656 sums to 33.18, its payable amount is 36.50",
            "type": "invoice-total",
        }
    ]
    assert tenant_side.status_code == 200  # the other side does not read DigitalOcean's bills


async def test_a_month_with_nothing_invoiced_is_a_header_only() -> None:
    async with client_for(MemorySources([SOURCES])) as api:
        response = await api.get(URL, params={"period": "2026-05", "side": "tenant"}, headers=ADMIN)
    assert response.status_code == 200
    assert response.text.count("\r\n") == 1 and response.text.startswith("BilledCost,")


def test_periods_are_months() -> None:
    assert parse_month("2026-04") == APRIL
