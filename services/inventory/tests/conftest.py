"""Inventory test fixtures: a migrated database, the sandbox in-process, a wired inventory."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from arcadia_core.auth import Principal, mint_token
from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.events import DeploymentChanged, Envelope, TenantChanged
from do_sandbox import create_app
from do_sandbox.account import Account
from inventory import bootstrap
from inventory.adapters.tables import cloud_resource_events, outbox
from inventory.config import InventorySettings
from inventory.usecases.sync import Summary, sync_kind

JWT_SECRET = "inventory-tests-secret-at-least-32-bytes"


@pytest.fixture
async def inventory_db(migrated_database: Callable[..., Awaitable[str]]) -> str:
    return await migrated_database(bootstrap.migrate)


@pytest.fixture
def sandbox() -> FastAPI:
    return create_app("seeds", rate_limit=None)


@pytest.fixture
def account(sandbox: FastAPI) -> Account:
    account: Account = sandbox.state.account
    return account


@pytest.fixture
async def inventory(inventory_db: str, sandbox: FastAPI) -> AsyncIterator[bootstrap.Inventory]:
    # a token per test: rate budgets are per token and process-wide
    settings = InventorySettings(
        DO_API_TOKEN=f"test-{uuid.uuid4().hex}", ARCADIA_JWT_SECRET=JWT_SECRET
    )
    built = bootstrap.build(
        settings,
        InProcessBus(),
        database_url=inventory_db,
        do_transport=httpx.ASGITransport(app=sandbox),
    )
    yield built
    await built.stop()


@pytest.fixture
def sync(inventory: bootstrap.Inventory) -> Callable[[str], Awaitable[Summary]]:
    async def run(kind: str) -> Summary:
        return await sync_kind(
            kind,
            provider=inventory.provider,
            uow=inventory.uow,
            clock=inventory.clock,
            internal_project=inventory.settings.internal_project_name,
        )

    return run


@pytest.fixture
def counts(inventory: bootstrap.Inventory) -> Callable[[], Awaitable[dict[str, int]]]:
    """Rows in the audit log and the outbox, to prove what a sync wrote."""

    async def read() -> dict[str, int]:
        async with inventory.sessions() as session:
            events = await session.scalar(select(func.count()).select_from(cloud_resource_events))
            pending = await session.scalar(select(func.count()).select_from(outbox))
        return {"events": int(events or 0), "outbox": int(pending or 0)}

    return read


def _bearer(principal: Principal) -> dict[str, str]:
    token = mint_token(principal, secret=JWT_SECRET, audience="arcadia")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def bearer() -> Callable[[Principal], dict[str, str]]:
    return _bearer


@pytest.fixture
async def api(inventory: bootstrap.Inventory) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=inventory.app())
    async with httpx.AsyncClient(transport=transport, base_url="http://inventory") as client:
        yield client


def _items(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body: list[dict[str, Any]] = response.json()["items"]
    return body


@pytest.fixture
def items() -> Callable[[httpx.Response], list[dict[str, Any]]]:
    return _items


Register = Callable[..., Awaitable[None]]


@pytest.fixture
def register(inventory: bootstrap.Inventory) -> Register:
    """Announce a tenant (and its deployments, unlinked) to the inventory as invoicing would,
    through the inventory's own consumers: `await register(tenant_id, deployment_id, ...)`."""
    handlers = {s.event_type: s.handler for s in inventory.subscriptions()}

    async def run(
        tenant_id: uuid.UUID, *deployment_ids: uuid.UUID, active: bool = True, version: int = 1
    ) -> None:
        events: list[Envelope] = [
            TenantChanged(
                tenant_id=tenant_id, name=f"tenant-{tenant_id}", active=active, version=version
            ).envelope(producer="invoicing")
        ]
        events += [
            DeploymentChanged(
                deployment_id=deployment_id,
                tenant_id=tenant_id,
                name=f"deployment-{deployment_id}",
                do_project=None,
                active=True,
                version=1,
            ).envelope(producer="invoicing")
            for deployment_id in deployment_ids
        ]
        for envelope in events:
            await handlers[envelope.type](envelope)

    return run
