"""The inventory's consumers: drift lands in the audit log once, a deployment classifies its
project, a catch-up request republishes; what cannot be applied is refused, never acked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from arcadia_core.bus.errors import Unprocessable
from arcadia_core.bus.ports import Subscription
from arcadia_core.events import (
    CatchUpRequested,
    DeploymentChanged,
    DriftDetected,
    Envelope,
    ResourceSynced,
    TenantChanged,
)
from inventory.adapters.tables import cloud_resource_events, outbox
from inventory.bootstrap import Inventory
from inventory.usecases.sync import Summary


def handler(inventory: Inventory, event_type: str) -> Subscription:
    (subscription,) = [s for s in inventory.subscriptions() if s.event_type == event_type]
    return subscription


def drift(resource_id: object) -> Envelope:
    return DriftDetected(
        drift_id=uuid4(),
        resource_id=resource_id,  # type: ignore[arg-type]
        field="size_slug",
        desired="s-1vcpu-2gb",
        actual="s-2vcpu-4gb",
        detected_at=datetime(2026, 4, 20, 10, 20, tzinfo=UTC),
    ).envelope(producer="drift")


async def test_drift_detected_is_appended_once(
    inventory: Inventory, sync: Callable[[str], Awaitable[Summary]]
) -> None:
    await sync("droplet")
    async with inventory.uow() as work:
        droplet = (await work.resources.by_kind("droplet"))["512340101"]
    envelope = drift(droplet.id)
    consume = handler(inventory, "drift.detected").handler

    for _ in range(3):  # at-least-once delivery: repeats must not duplicate the entry
        await consume(envelope)

    async with inventory.sessions() as session:
        rows = (
            (
                await session.execute(
                    select(cloud_resource_events.c.data).where(
                        cloud_resource_events.c.resource_id == droplet.id,
                        cloud_resource_events.c.type == "drift_detected",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert rows == [
        {
            "drift_id": envelope.payload["drift_id"],
            "field": "size_slug",
            "desired": "s-1vcpu-2gb",
            "actual": "s-2vcpu-4gb",
        }
    ]


async def test_drift_for_an_unknown_resource_is_refused_not_acked(inventory: Inventory) -> None:
    with pytest.raises(Unprocessable, match="never held"):
        await handler(inventory, "drift.detected").handler(drift(uuid4()))
    async with inventory.sessions() as session:
        assert (await session.execute(select(cloud_resource_events))).first() is None


@pytest.mark.parametrize("version", [2, 99])
async def test_a_newer_schema_version_is_refused(inventory: Inventory, version: int) -> None:
    envelope = drift(uuid4()).model_copy(update={"schema_version": version})
    with pytest.raises(Unprocessable, match="newer"):
        await handler(inventory, "drift.detected").handler(envelope)


async def test_an_invalid_payload_is_refused(inventory: Inventory) -> None:
    envelope = drift(uuid4()).model_copy(update={"payload": {"resource_id": "not-a-uuid"}})
    with pytest.raises(Unprocessable, match="invalid"):
        await handler(inventory, "drift.detected").handler(envelope)


async def test_deployment_changed_classifies_its_project_and_releases_the_old_one(
    inventory: Inventory, sync: Callable[[str], Awaitable[Summary]]
) -> None:
    await sync("projects")
    await sync("droplet")
    tenant, deployment = uuid4(), uuid4()
    consume = handler(inventory, "deployment.changed").handler

    def change(project: str | None, version: int, active: bool = True) -> Envelope:
        return DeploymentChanged(
            deployment_id=deployment,
            tenant_id=tenant,
            name="pilot",
            do_project=project,
            active=active,
            version=version,
        ).envelope(producer="invoicing")

    await consume(change("pilot-tenant", 1))
    async with inventory.uow() as work:
        projects = {p.name: p for p in (await work.projects.all()).values()}
        droplets = (await work.resources.by_kind("droplet")).values()
    assert (projects["pilot-tenant"].tenant_id, projects["pilot-tenant"].deployment_id) == (
        tenant,
        deployment,
    )
    pilot = [d for d in droplets if d.project_id == projects["pilot-tenant"].id]
    assert pilot and all(d.deployment_id == deployment for d in pilot)

    await consume(change("acme-prod", 2))
    async with inventory.uow() as work:
        projects = {p.name: p for p in (await work.projects.all()).values()}
    assert projects["pilot-tenant"].deployment_id is None
    assert projects["acme-prod"].deployment_id == deployment

    await consume(change(None, 3, active=False))
    async with inventory.uow() as work:
        projects = {p.name: p for p in (await work.projects.all()).values()}
    assert projects["acme-prod"].deployment_id is None


async def test_deployment_in_a_project_not_mirrored_waits_for_the_next_sweep(
    inventory: Inventory, sync: Callable[[str], Awaitable[Summary]]
) -> None:
    # the registry replay reaches a fresh inventory before any sync: nothing is dead-lettered
    tenant, deployment = uuid4(), uuid4()
    envelope = DeploymentChanged(
        deployment_id=deployment,
        tenant_id=tenant,
        name="pilot",
        do_project="pilot-tenant",
        active=True,
        version=1,
    ).envelope(producer="invoicing")
    await handler(inventory, "deployment.changed").handler(envelope)
    async with inventory.uow() as work:
        (pending,) = await work.registry.pending_links()
    assert (pending.deployment_id, pending.do_project) == (deployment, "pilot-tenant")

    summary = await sync("projects")
    assert summary["linked"] == 1
    await sync("droplet")
    async with inventory.uow() as work:
        projects = {p.name: p for p in (await work.projects.all()).values()}
        droplets = (await work.resources.by_kind("droplet")).values()
        assert await work.registry.pending_links() == []
    pilot = projects["pilot-tenant"]
    assert (pilot.tenant_id, pilot.deployment_id) == (tenant, deployment)
    assert all(d.deployment_id == deployment for d in droplets if d.project_id == pilot.id)


async def test_a_replayed_deployment_changes_nothing(
    inventory: Inventory, sync: Callable[[str], Awaitable[Summary]]
) -> None:
    await sync("projects")
    tenant, deployment = uuid4(), uuid4()

    def change(project: str, version: int) -> Envelope:
        return DeploymentChanged(
            deployment_id=deployment,
            tenant_id=tenant,
            name="pilot",
            do_project=project,
            active=True,
            version=version,
        ).envelope(producer="invoicing")

    consume = handler(inventory, "deployment.changed").handler
    await consume(change("pilot-tenant", 2))
    async with inventory.sessions() as session:
        before = int(await session.scalar(select(func.max(outbox.c.id))) or 0)
    await consume(change("pilot-tenant", 2))  # the catch-up replay: same version, new event id
    await consume(change("acme-prod", 1))  # late and older: ignored
    async with inventory.sessions() as session:
        after = int(await session.scalar(select(func.max(outbox.c.id))) or 0)
    async with inventory.uow() as work:
        projects = {p.name: p for p in (await work.projects.all()).values()}
        (held,) = (await work.registry.deployments({deployment})).values()
    assert after == before
    assert projects["pilot-tenant"].deployment_id == deployment
    assert projects["acme-prod"].deployment_id is None
    assert (held.version, held.do_project) == (2, "pilot-tenant")


async def test_tenant_changed_is_version_gated(inventory: Inventory) -> None:
    tenant = uuid4()
    consume = handler(inventory, "tenant.changed").handler

    async def announce(name: str, active: bool, version: int) -> None:
        payload = TenantChanged(tenant_id=tenant, name=name, active=active, version=version)
        await consume(payload.envelope(producer="invoicing"))

    await announce("pilot", True, 1)
    await announce("pilot-renamed", False, 3)
    await announce("pilot-late", True, 2)  # older than what is held: ignored
    await announce("pilot-again", True, 3)  # same version: ignored
    async with inventory.uow() as work:
        held = (await work.registry.tenants({tenant}))[tenant]
    assert (held.name, held.active, held.version) == ("pilot-renamed", False, 3)


async def test_the_inventory_asks_once_for_the_registry(inventory: Inventory) -> None:
    await inventory.start(run_jobs=False)  # the fixture stops it
    async with inventory.sessions() as session:
        rows = (
            (
                await session.execute(
                    select(outbox.c.envelope).where(outbox.c.event_type == "catchup.requested")
                )
            )
            .scalars()
            .all()
        )
    (request,) = [CatchUpRequested.model_validate(Envelope.model_validate(r).payload) for r in rows]
    assert set(request.topics) == {"tenant.changed", "deployment.changed"}


async def test_catch_up_request_republishes_every_resource_at_its_version(
    inventory: Inventory, sync: Callable[[str], Awaitable[Summary]]
) -> None:
    await sync("droplet")
    async with inventory.uow() as work:
        held = {r.id: r.version for r in (await work.resources.by_kind("droplet")).values()}
    async with inventory.sessions() as session:
        before = int(await session.scalar(select(func.max(outbox.c.id))) or 0)

    request = CatchUpRequested(service="metering", requested_at=datetime.now(UTC))
    await handler(inventory, "catchup.requested").handler(request.envelope(producer="metering"))

    async with inventory.sessions() as session:
        rows = (
            (await session.execute(select(outbox.c.envelope).where(outbox.c.id > before)))
            .scalars()
            .all()
        )
    republished = {
        payload.resource_id: payload.version
        for payload in (
            ResourceSynced.model_validate(Envelope.model_validate(row).payload) for row in rows
        )
    }
    assert republished == held
