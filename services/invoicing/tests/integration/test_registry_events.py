"""The registry told to the inventory: `tenant.changed` on every tenant change, and the whole
registry re-sent at its current versions when a new projection asks for it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import select

from arcadia_core.auth import Principal
from arcadia_core.events import CatchUpRequested, DeploymentChanged, Envelope, TenantChanged
from invoicing import bootstrap
from invoicing.adapters.tables import outbox

ADMIN = Principal.platform_admin()
Bearer = Callable[[Principal], dict[str, str]]
Pilot = Callable[..., Awaitable[tuple[UUID, UUID]]]


async def emitted(service: bootstrap.Invoicing, after: int = 0) -> list[tuple[int, Envelope]]:
    async with service.sessions() as session:
        rows = await session.execute(
            select(outbox.c.id, outbox.c.envelope).where(outbox.c.id > after).order_by(outbox.c.id)
        )
        return [(row.id, Envelope.model_validate(row.envelope)) for row in rows]


def payloads(events: list[tuple[int, Envelope]], kind: str) -> list[dict[str, Any]]:
    return [e.payload for _, e in events if e.type == kind]


async def test_every_tenant_change_is_announced_with_its_version(
    service: bootstrap.Invoicing, api: httpx.AsyncClient, auth: Bearer
) -> None:
    bearer = auth
    created = await api.post("/api/v1/tenants", json={"name": "acme"}, headers=bearer(ADMIN))
    assert created.status_code == 201, created.text
    tenant_id = created.json()["id"]
    path = f"/api/v1/tenants/{tenant_id}"
    renamed = await api.patch(path, json={"name": "acme-co"}, headers=bearer(ADMIN))
    assert renamed.status_code == 200, renamed.text
    same = await api.patch(path, json={"name": "acme-co"}, headers=bearer(ADMIN))
    assert same.status_code == 200  # no change: nothing announced

    announced = [
        TenantChanged.model_validate(p) for p in payloads(await emitted(service), "tenant.changed")
    ]
    assert [(str(t.tenant_id), t.name, t.active, t.version) for t in announced] == [
        (tenant_id, "acme", True, 1),
        (tenant_id, "acme-co", True, 2),
    ]


async def test_a_registry_catch_up_resends_every_tenant_and_deployment(
    service: bootstrap.Invoicing, api: httpx.AsyncClient, pilot: Pilot, auth: Bearer
) -> None:
    bearer = auth
    tenant_id, deployment_id = await pilot()
    moved = await api.patch(
        f"/api/v1/deployments/{deployment_id}",
        json={"do_project": "pilot-tenant-2"},
        headers=bearer(ADMIN),
    )
    assert moved.status_code == 200, moved.text
    before = max(i for i, _ in await emitted(service))
    (catch_up,) = [s for s in service.subscriptions() if s.event_type == "catchup.requested"]

    # a request for other topics (metering's usage) is not answered here
    usage = CatchUpRequested(
        service="invoicing", requested_at=datetime.now(UTC), topics=("usage.metered",)
    )
    await catch_up.handler(usage.envelope(producer="invoicing"))
    assert await emitted(service, before) == []

    request = CatchUpRequested(
        service="inventory",
        requested_at=datetime.now(UTC),
        topics=("tenant.changed", "deployment.changed"),
    )
    envelope = request.envelope(producer="inventory")
    await catch_up.handler(envelope)
    replay = await emitted(service, before)
    tenants = [TenantChanged.model_validate(p) for p in payloads(replay, "tenant.changed")]
    deployments = [
        DeploymentChanged.model_validate(p) for p in payloads(replay, "deployment.changed")
    ]
    assert [(t.tenant_id, t.version) for t in tenants] == [(tenant_id, 1)]
    assert [(d.deployment_id, d.do_project, d.version) for d in deployments] == [
        (deployment_id, "pilot-tenant-2", 2)
    ]
    # tenants first, so a projection learns the tenant before its deployments
    assert replay[0][1].type == "tenant.changed"

    # the same request delivered again (same event id) is answered once
    await catch_up.handler(envelope)
    assert len(await emitted(service, before)) == 2
