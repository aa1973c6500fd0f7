"""Events emitted as text are written lazily, by commit: one that fails validation then fails
the whole transaction, and the connection it used serves the next one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from arcadia_core.events import Envelope, ResourceSynced
from inventory.adapters.tables import outbox
from inventory.bootstrap import Inventory
from inventory.domain.model import Resource
from inventory.usecases.events import VALIDATION_CHUNK, resource_synced_json

Counts = Callable[[], Awaitable[dict[str, int]]]
NOW = datetime(2026, 4, 1, tzinfo=UTC)


def _droplet(number: int) -> Resource:
    return Resource(
        id=uuid4(),
        kind="droplet",
        provider_id=str(number),
        name=f"web-{number}",
        status="active",
        region="syd1",
        size_slug="s-1vcpu-1gb",
        attrs={"tags": ["web"]},
        first_seen_at=NOW,
        last_seen_at=NOW,
    )


async def _resources(inventory: Inventory) -> int:
    async with inventory.uow() as work:
        return len(await work.resources.by_kind("droplet"))


async def test_a_payload_failing_validation_at_commit_writes_nothing(
    inventory: Inventory, counts: Counts
) -> None:
    # more than one chunk: the first chunks are valid and already on their way to the outbox
    droplets = [_droplet(n) for n in range(VALIDATION_CHUNK + 10)]
    invalid = replace(droplets[-1], name=42)  # type: ignore[arg-type]
    async with inventory.uow() as work:
        await work.resources.insert(droplets)
        work.emit_json(
            ResourceSynced,
            resource_synced_json([*droplets[:-1], invalid], ["discovered"] * len(droplets)),
        )
        with pytest.raises(ValidationError):
            await work.commit()
    assert await _resources(inventory) == 0
    assert await counts() == {"events": 0, "outbox": 0}

    async with inventory.uow() as work:  # the pool's connections still work
        await work.resources.insert(droplets[:2])
        work.emit_json(ResourceSynced, resource_synced_json(droplets[:2], ["discovered"] * 2))
        await work.commit()
    assert await _resources(inventory) == 2
    assert (await counts())["outbox"] == 2


async def test_events_emitted_as_text_and_as_models_share_the_outbox(
    inventory: Inventory,
) -> None:
    droplet = _droplet(1)
    async with inventory.uow() as work:
        await work.resources.insert([droplet])
        work.emit_json(ResourceSynced, resource_synced_json([droplet], ["discovered"]))
        work.emit()  # nothing to emit: nothing written for it
        await work.commit()
    async with inventory.sessions() as session:
        rows = (await session.execute(select(outbox.c.envelope))).scalars().all()
    [envelope] = [Envelope.model_validate(row) for row in rows]
    assert (envelope.type, envelope.producer) == ("resource.synced", "inventory")
    assert ResourceSynced.model_validate(envelope.payload).resource_id == droplet.id
