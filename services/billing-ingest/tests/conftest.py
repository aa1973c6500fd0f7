"""Billing test fixtures: a migrated database, the sandbox and the finance stand-in in process."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from arcadia_core.auth import Principal, mint_token
from arcadia_core.bus.inprocess import InProcessBus
from billing_ingest import bootstrap
from billing_ingest.config import BillingSettings
from do_sandbox import create_app
from do_sandbox.account import Account
from do_sandbox.finance import FinanceState, create_finance_app

JWT_SECRET = "billing-tests-secret-at-least-32-bytes!"
FINANCE_SECRET = "finance-tests-secret-at-least-32-bytes"


@pytest.fixture
async def billing_db(migrated_database: Callable[..., Awaitable[str]]) -> str:
    return await migrated_database(bootstrap.migrate)


@pytest.fixture
def sandbox() -> FastAPI:
    return create_app("seeds", rate_limit=None)


@pytest.fixture
def account(sandbox: FastAPI) -> Account:
    account: Account = sandbox.state.account
    return account


@pytest.fixture
def finance_app() -> FastAPI:
    return create_finance_app(FINANCE_SECRET)


@pytest.fixture
def finance(finance_app: FastAPI) -> FinanceState:
    state: FinanceState = finance_app.state.finance
    return state


def settings(secret: str | None = FINANCE_SECRET) -> BillingSettings:
    # a token per test: rate budgets are per token and process-wide
    return BillingSettings(
        DO_API_TOKEN=f"test-{uuid.uuid4().hex}",
        ARCADIA_JWT_SECRET=JWT_SECRET,
        SKYAI_FINANCE_JWT_SECRET=secret,
        SKYAI_FINANCE_URL="http://finance.test",
    )


def build_billing(
    database_url: str,
    sandbox: FastAPI,
    finance_app: FastAPI,
    *,
    secret: str | None = FINANCE_SECRET,
    bus: Any = None,
) -> bootstrap.BillingIngest:
    return bootstrap.build(
        settings(secret),
        bus or InProcessBus(),
        database_url=database_url,
        do_transport=httpx.ASGITransport(app=sandbox),
        finance_transport=httpx.ASGITransport(app=finance_app),
    )


@pytest.fixture
async def billing(
    billing_db: str, sandbox: FastAPI, finance_app: FastAPI
) -> AsyncIterator[bootstrap.BillingIngest]:
    service = build_billing(billing_db, sandbox, finance_app)
    yield service
    await service.stop()


def bearer(principal: Principal) -> dict[str, str]:
    token = mint_token(principal, secret=JWT_SECRET, audience="arcadia")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def api(billing: bootstrap.BillingIngest) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=billing.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://billing") as client:
        yield client


@pytest.fixture
def billing_factory() -> Callable[..., bootstrap.BillingIngest]:
    """`billing_factory(database_url, sandbox, finance_app, secret=..., bus=...)`."""
    return build_billing


@pytest.fixture
def headers() -> Callable[[Principal], dict[str, str]]:
    return bearer
