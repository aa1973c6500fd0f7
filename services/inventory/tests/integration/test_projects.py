"""The two-pass projects sweep: attribution, placeholders, URN cases, the internal project."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import pytest
from sqlalchemy import select

from do_sandbox.account import Account
from inventory.adapters.tables import cloud_resource_events
from inventory.bootstrap import Inventory
from inventory.domain import kinds
from inventory.domain.attribution import direct_attributions
from inventory.domain.projects import Classification
from inventory.usecases.projects import classify_project
from inventory.usecases.sync import Summary

Sync = Callable[[str], Awaitable[Summary]]
TENANT = UUID("00000000-0000-0000-0000-00000000a001")
DEPLOYMENT = UUID("00000000-0000-0000-0000-00000000d001")


@pytest.fixture(autouse=True)
async def registered(register: Callable[..., Awaitable[None]]) -> None:
    await register(TENANT, DEPLOYMENT)


async def sync_everything(sync: Sync) -> None:
    for kind in kinds.FULL_SYNC_ORDER:
        await sync(kind)


async def projects_by_name(inventory: Inventory) -> dict[str, object]:
    async with inventory.uow() as work:
        return {p.name: p for p in (await work.projects.all()).values()}


async def resources(inventory: Inventory, kind: str) -> dict[str, object]:
    async with inventory.uow() as work:
        return dict(await work.resources.by_kind(kind))


async def test_sweep_attributes_members_and_places_placeholders(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync_everything(sync)
    projects = await projects_by_name(inventory)
    assert set(projects) >= {"Default", "skyai-internal", "pilot-tenant", "acme-prod"}
    pilot = projects["pilot-tenant"]
    droplets = await resources(inventory, "droplet")
    assert droplets["512340101"].project_id == pilot.id  # type: ignore[attr-defined]
    zones = await resources(inventory, "dns_zone")
    assert zones["pilot.example"].project_id == pilot.id  # type: ignore[attr-defined]

    buckets = await resources(inventory, "spaces_bucket")
    expected_buckets = {
        urn.split(":", 2)[2]
        for members in account.memberships.values()
        for urn in members
        if urn.startswith("do:space:")
    }
    assert set(buckets) == expected_buckets and len(buckets) == 6
    bucket = buckets["pilot-media"]
    assert bucket.attrs == {"urn": "do:space:pilot-media", "placeholder": True}  # type: ignore[attr-defined]
    assert bucket.project_id == pilot.id  # type: ignore[attr-defined]
    # apps, clusters, databases and VPCs are listed by their own syncs, not placeholders
    for kind, listed in (("managed_db", 1), ("k8s_cluster", 1), ("app", 1), ("vpc", 3)):
        held = await resources(inventory, kind)
        assert len(held) == listed, kind
        assert all(not r.attrs.get("placeholder") for r in held.values()), kind  # type: ignore[attr-defined]
    app = next(iter((await resources(inventory, "app")).values()))
    assert app.project_id == pilot.id  # type: ignore[attr-defined]


async def test_urn_edge_cases(inventory: Inventory, sync: Sync) -> None:
    await sync_everything(sync)
    default = (await projects_by_name(inventory))["Default"]
    assert default.unrecognized_urns == ["do:widget:123"]  # type: ignore[attr-defined]
    async with inventory.uow() as work:
        memberships = await work.projects.memberships()
    ipv6 = [m for m in memberships if m.provider_id.startswith("2a03:")]
    assert [(m.kind, m.provider_id) for m in ipv6] == [("floating_ip", "2a03:b0c0:2:d0::1f:6001")]
    # do:volumesnapshot: and do:image: attribute the snapshots that sync listed
    snapshots = await resources(inventory, "snapshot")
    internal = (await projects_by_name(inventory))["skyai-internal"]
    assert snapshots["198b37b9-e3f2-5239-864c-a3b15922c580"].project_id == internal.id  # type: ignore[attr-defined]
    assert snapshots["190000105"].project_id == internal.id  # type: ignore[attr-defined]
    # dedicated kinds are attributed, never given a placeholder
    assert len(await resources(inventory, "snapshot")) == 12


async def test_backups_follow_their_droplet(inventory: Inventory, sync: Sync) -> None:
    await sync_everything(sync)
    droplets = await resources(inventory, "droplet")
    for backup in (await resources(inventory, "droplet_backup")).values():
        parent = droplets[backup.attrs["droplet_id"]]  # type: ignore[attr-defined]
        assert backup.project_id == parent.project_id is not None  # type: ignore[attr-defined]


async def test_internal_project_is_created_once(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    internal = next(
        key for key, p in account.collections["projects"].items() if p["name"] == "skyai-internal"
    )
    account.remove("projects", internal)
    await sync("projects")
    await sync("projects")
    names = [p["name"] for p in account.collections["projects"].values()]
    assert names.count("skyai-internal") == 1


async def test_classifying_a_project_attributes_its_resources_with_events(
    inventory: Inventory, sync: Sync
) -> None:
    await sync_everything(sync)
    pilot = (await projects_by_name(inventory))["pilot-tenant"]
    updated = await classify_project(
        pilot.id,  # type: ignore[attr-defined]
        Classification(tenant_id=TENANT, deployment_id=DEPLOYMENT, purpose="tenant"),
        uow=inventory.uow,
        clock=inventory.clock,
    )
    assert updated is not None and updated.tenant_id == TENANT
    droplet = (await resources(inventory, "droplet"))["512340101"]
    assert (droplet.tenant_id, droplet.deployment_id) == (TENANT, DEPLOYMENT)  # type: ignore[attr-defined]
    backups = [
        b
        for b in (await resources(inventory, "droplet_backup")).values()
        if b.attrs["droplet_id"] == "512340101"
    ]  # type: ignore[attr-defined]
    assert backups and all(b.tenant_id == TENANT for b in backups)  # type: ignore[attr-defined]
    async with inventory.sessions() as session:
        events = (
            (
                await session.execute(
                    select(cloud_resource_events.c.data).where(
                        cloud_resource_events.c.resource_id == droplet.id,  # type: ignore[attr-defined]
                        cloud_resource_events.c.type == "attributed",
                    )
                )
            )
            .scalars()
            .all()
        )
    assert events[-1]["tenant_id"] == {"old": None, "new": str(TENANT)}

    # re-running the sweep keeps the classification and writes no new attribution
    summary = await sync("projects")
    assert summary["attributed"] == 0


async def test_a_resource_leaving_its_project_is_unattributed(
    inventory: Inventory, account: Account, sync: Sync
) -> None:
    await sync_everything(sync)
    account.unassign("do:droplet:512340102")
    await sync("projects")
    droplet = (await resources(inventory, "droplet"))["512340102"]
    assert droplet.project_id is None  # type: ignore[attr-defined]


async def test_listed_attributions_are_the_live_projects_direct_attributions(
    inventory: Inventory, sync: Sync
) -> None:
    # what each kind's sync reads, joined by the database, must be what the domain joins
    await sync_everything(sync)
    by_name = await projects_by_name(inventory)
    pilot, acme = by_name["pilot-tenant"], by_name["acme-prod"]
    await classify_project(
        pilot.id,  # type: ignore[attr-defined]
        Classification(tenant_id=TENANT, deployment_id=DEPLOYMENT),
        uow=inventory.uow,
        clock=inventory.clock,
    )
    async with inventory.uow() as work:
        acme.deleted_at = inventory.clock()  # type: ignore[attr-defined]
        await work.projects.save([acme])  # type: ignore[list-item]
        await work.commit()
    wanted = {"droplet", "volume", "snapshot", "dns_zone"}
    async with inventory.uow() as work:
        listed = await work.projects.listed_attributions(wanted)
        live = {p.id: p for p in (await work.projects.all()).values() if p.deleted_at is None}
        expected = direct_attributions(live, await work.projects.memberships(wanted))
        acme_members = [
            m
            for m in await work.projects.memberships(wanted)
            if m.project_id == acme.id  # type: ignore[attr-defined]
        ]
    assert listed == expected
    assert {kind for kind, _ in listed} <= wanted
    assert ("droplet", "512340101") in listed
    assert listed[("droplet", "512340101")].tenant_id == TENANT
    assert acme_members and not any((m.kind, m.provider_id) in listed for m in acme_members)
