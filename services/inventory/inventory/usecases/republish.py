"""Catching up: re-emit the current state of every resource through the outbox.

A new projection (or one being rebuilt) starts from this. Each event carries the resource's
current `version`, so a projection that already holds that version ignores it: republishing
is harmless to every consumer that was listening all along.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection

from inventory.domain import kinds
from inventory.domain.urns import URN_KINDS
from inventory.ports import UnitOfWork, UnitOfWorkFactory
from inventory.usecases.events import resource_deleted, resource_synced

log = logging.getLogger(__name__)

CHANGE = "republished"


def known_kinds() -> list[str]:
    return sorted(set(URN_KINDS.values()) | kinds.DEDICATED_KINDS)


async def republish_into(work: UnitOfWork, only: Collection[str] | None = None) -> dict[str, int]:
    """Emit `resource.synced` for every live resource and `resource.deleted` for every tombstone
    of the given kinds (all by default) into `work`'s outbox; the caller commits."""
    counts: dict[str, int] = {}
    for kind in only or known_kinds():
        resources = (await work.resources.by_kind(kind)).values()
        for resource in resources:
            if resource.deleted_at is None:
                work.emit(resource_synced(resource, CHANGE))
            else:
                work.emit(resource_deleted(resource))
        if resources:
            counts[kind] = len(resources)
    return counts


async def republish(
    *,
    uow: UnitOfWorkFactory,
    only: Collection[str] | None = None,
    on_kind: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Republish kind by kind, one transaction per kind; returns the count per kind."""
    counts: dict[str, int] = {}
    for kind in only or known_kinds():
        async with uow() as work:
            done = await republish_into(work, [kind])
            await work.commit()
        counts.update(done)
        if on_kind is not None:
            on_kind(kind, done.get(kind, 0))
    log.info("republished %d resource(s): %s", sum(counts.values()), counts)
    return counts
