"""The repository's light reads say what the full rows say."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from inventory.adapters.tables import cloud_resource_events
from inventory.bootstrap import Inventory
from inventory.domain import kinds
from inventory.domain.model import Resource, ResourceEvent
from inventory.domain.projects import Project
from inventory.domain.sync_plan import discovered_event

NOW = datetime(2026, 4, 1, tzinfo=UTC)


def _droplet(provider_id: str, attrs: dict[str, Any], **fields: Any) -> Resource:
    described = {"name": provider_id, "status": "active", "region": "syd1"}
    return Resource(
        id=uuid4(),
        kind="droplet",
        provider_id=provider_id,
        attrs=attrs,
        first_seen_at=NOW,
        last_seen_at=NOW,
        **{**described, "size_slug": "s-1vcpu-1gb", **fields},
    )


async def test_live_attrs_lists_the_live_resources_with_any_of_the_attrs_set(
    inventory: Inventory,
) -> None:
    droplets = [
        _droplet("enabled", {"backups_enabled": True, "backup_ids": []}),
        _droplet("has-ids", {"backups_enabled": False, "backup_ids": [7]}),
        _droplet("neither", {"backups_enabled": False, "backup_ids": []}),
        _droplet("absent", {"tags": ["web"]}),
        _droplet("nulls", {"backups_enabled": None, "backup_ids": None}),
        _droplet("zero-and-text", {"backups_enabled": 0, "backup_ids": ""}),
        _droplet("gone", {"backups_enabled": True}, deleted_at=NOW),
    ]
    async with inventory.uow() as work:
        await work.resources.insert(droplets)
        await work.commit()
    async with inventory.uow() as work:
        listed = await work.resources.live_attrs("droplet", kinds.BACKUPS_LISTING_ATTRS)
    assert listed == {
        "enabled": {"backups_enabled": True, "backup_ids": []},
        "has-ids": {"backups_enabled": False, "backup_ids": [7]},
    }
    # the rule it serves, over every live droplet, picks the same ones
    assert {
        d.provider_id for d in droplets if not d.is_deleted and kinds.wants_backups_listing(d.attrs)
    } == set(listed)


async def test_a_light_row_is_the_full_row_without_attrs(inventory: Inventory) -> None:
    droplet = _droplet("1", {"tags": ["web"]}, tenant_id=uuid4(), stale_strikes=2, version=3)
    async with inventory.uow() as work:
        await work.resources.insert([droplet])
        await work.commit()
    async with inventory.uow() as work:
        full = (await work.resources.by_kind("droplet"))["1"]
        light = (await work.resources.by_kind("droplet", full=False))["1"]
    assert (light.attrs, light.complete, full.complete) == ({}, False, True)
    for name in ("id", "kind", "name", "tenant_id", "stale_strikes", "version", "loaded_version"):
        assert getattr(light, name) == getattr(full, name), name
    assert light.loaded_version == 3


async def test_resources_read_back_as_inserted_whether_at_the_defaults_or_not(
    inventory: Inventory,
) -> None:
    # a batch all at the table's defaults is copied without those columns; one that is not,
    # with every column
    new = [_droplet("new-1", {"tags": []}), _droplet("new-2", {"tags": ["a"]}, tenant_id=uuid4())]
    mixed = [
        _droplet("mixed-1", {}),
        _droplet(
            "mixed-2",
            {"x": 1},
            version=4,
            stale_strikes=1,
            deleted_at=NOW,
            classified_tenant_id=uuid4(),
            classified_deployment_id=uuid4(),
        ),
    ]
    for batch in (new, mixed):
        async with inventory.uow() as work:
            await work.resources.insert(batch)
            await work.commit()
    async with inventory.uow() as work:
        held = await work.resources.by_kind("droplet")
    for written in (*new, *mixed):
        read = held[written.provider_id]
        for name in (
            "id",
            "provider",
            "name",
            "attrs",
            "tenant_id",
            "deleted_at",
            "stale_strikes",
            "version",
            "classified_tenant_id",
            "classified_deployment_id",
        ):
            assert getattr(read, name) == getattr(written, name), (written.provider_id, name)


async def test_each_inserted_resource_has_its_discovered_event_as_the_domain_makes_it(
    inventory: Inventory,
) -> None:
    # the database writes these entries from the rows; they must say what the domain's would
    project = Project(uuid4(), "p-1", "web", {}, NOW, NOW)
    at_defaults = [
        _droplet("plain", {}),
        _droplet("quoted", {}, name='it\'s "q" \\ \t tab é ✓', region=None, size_slug=None),
        _droplet("nameless", {}, name=None, status=None),
    ]
    attributed = [
        _droplet("owned", {}, project_id=project.id, tenant_id=uuid4(), deployment_id=uuid4()),
        _droplet("tenant-only", {}, tenant_id=uuid4(), version=2, stale_strikes=1),
    ]
    async with inventory.uow() as work:
        await work.projects.save([project])
        await work.resources.insert(at_defaults)  # copied without the columns at defaults
        await work.resources.insert(attributed)  # copied whole
        await work.commit()
    async with inventory.sessions() as session:
        rows = (
            await session.execute(
                select(cloud_resource_events).order_by(cloud_resource_events.c.id)
            )
        ).all()
    written = [ResourceEvent(r.resource_id, r.type, r.data, r.occurred_at) for r in rows]
    assert written == [discovered_event(r) for r in [*at_defaults, *attributed]]
