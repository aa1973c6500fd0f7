"""Sync one resource kind from the provider into inventory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from arcadia_core.gc_pause import collector_paused
from inventory.domain import kinds, normalize
from inventory.domain.attribution import (
    Key,
    direct_attributions,
    parent_kinds,
    target_attribution,
)
from inventory.domain.model import Attribution, Observation, Resource
from inventory.domain.sync_plan import needs_full_rows, plan_sync
from inventory.ports import Clock, CloudProvider, UnitOfWork, UnitOfWorkFactory
from inventory.usecases.apply import apply_sync_plan
from inventory.usecases.projects import sweep_projects

log = logging.getLogger(__name__)

BACKUP_LISTING_CONCURRENCY = 8

Summary = dict[str, int]


async def sync_kind(
    kind: str,
    *,
    provider: CloudProvider,
    uow: UnitOfWorkFactory,
    clock: Clock,
    internal_project: str | None = None,
) -> Summary:
    """List every resource of `kind` and reconcile. A failed listing raises and writes nothing."""
    with collector_paused():
        return await _sync_kind(kind, provider, uow, clock, internal_project)


async def _sync_kind(
    kind: str,
    provider: CloudProvider,
    uow: UnitOfWorkFactory,
    clock: Clock,
    internal_project: str | None,
) -> Summary:
    if kind == kinds.PROJECTS:
        return await sweep_projects(
            provider=provider, uow=uow, clock=clock, internal_project=internal_project
        )
    if kind == kinds.DROPLET_BACKUP:
        observations = await _list_backups(provider, uow)
    elif kind in normalize.NORMALIZERS:
        normalizer = normalize.NORMALIZERS[kind]
        observations = [normalizer(item) for item in await provider.list_kind(kind)]
    else:
        raise ValueError(f"unknown resource kind {kind!r}; known: {', '.join(kinds.SYNCS)}")
    return await reconcile(kind, observations, uow=uow, clock=clock)


async def reconcile(
    kind: str, observations: list[Observation], *, uow: UnitOfWorkFactory, clock: Clock
) -> Summary:
    async with uow() as work:
        now = clock()
        held = await work.resources.by_kind(kind, full=False)
        direct = await _memberships_if_new(work, kind, held, observations)
        for resource in await work.resources.get_many(needs_full_rows(held, observations)):
            held[resource.provider_id] = resource
        plan = plan_sync(
            kind,
            held,
            observations,
            now,
            attribute=lambda resource: target_attribution(resource, direct),
        )
        await apply_sync_plan(work, plan, now)
        await work.commit()
    summary = plan.summary()
    log.info("synced %s: %s", kind, summary)
    return summary


async def _memberships_if_new(
    work: UnitOfWork, kind: str, held: dict[str, Resource], observations: list[Observation]
) -> dict[Key, Attribution]:
    """Who lists what, needed only to attribute resources this listing discovers or restores."""
    if all(o.provider_id in held and not held[o.provider_id].is_deleted for o in observations):
        return {}
    projects = {p.id: p for p in (await work.projects.all()).values() if p.deleted_at is None}
    return direct_attributions(
        projects, await work.projects.memberships({kind, *parent_kinds(kind)})
    )


async def _list_backups(provider: CloudProvider, uow: UnitOfWorkFactory) -> list[Observation]:
    async with uow() as work:
        droplets = await work.resources.by_kind(kinds.DROPLET)
    wanted = [
        d.provider_id
        for d in droplets.values()
        if not d.is_deleted and kinds.wants_backups_listing(d.attrs)
    ]
    gate = asyncio.Semaphore(BACKUP_LISTING_CONCURRENCY)

    async def one(droplet_id: str) -> list[Observation]:
        async with gate:
            items = await provider.list_droplet_backups(droplet_id)
        return [normalize.droplet_backup(item, droplet_id) for item in items]

    listings = await asyncio.gather(*(one(d) for d in wanted))
    return [observation for listing in listings for observation in listing]


async def sync_all(
    *,
    provider: CloudProvider,
    uow: UnitOfWorkFactory,
    clock: Clock,
    only: list[str] | None = None,
    internal_project: str | None = None,
    on_done: Callable[[str, Summary | BaseException], None] = lambda kind, outcome: None,
) -> dict[str, Summary | BaseException]:
    """Sync every kind (projects last). One kind failing does not stop the others."""
    results: dict[str, Summary | BaseException] = {}
    for kind in only or list(kinds.FULL_SYNC_ORDER):
        try:
            outcome: Summary | BaseException = await sync_kind(
                kind,
                provider=provider,
                uow=uow,
                clock=clock,
                internal_project=internal_project,
            )
        except Exception as exc:
            log.warning("sync of %s failed, nothing written for it: %s", kind, exc)
            outcome = exc
        results[kind] = outcome
        on_done(kind, outcome)
    return results
