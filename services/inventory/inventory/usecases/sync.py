"""Sync resource kinds from the provider into inventory: fetch a complete listing, then apply it.

Fetching only reads the provider; applying only writes the database, in one transaction. A
listing that fails raises before anything is applied, so it writes nothing and strikes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from arcadia_core.gc_pause import collector_paused
from arcadia_core.metrics import record_sync, timed_sync
from inventory.domain import kinds, normalize
from inventory.domain.attribution import Key, parent_kinds, target_attribution
from inventory.domain.fingerprint import of_observation
from inventory.domain.model import Attribution, Observation, Resource
from inventory.domain.sync_plan import needs_full_rows, plan_sync
from inventory.ports import (
    Clock,
    CloudProvider,
    CredentialsRefused,
    UnitOfWork,
    UnitOfWorkFactory,
)
from inventory.usecases.apply import apply_sync_plan
from inventory.usecases.guard import report_mass_delete
from inventory.usecases.projects import ProjectsListing, apply_projects, list_projects
from inventory.usecases.writes import write

log = logging.getLogger(__name__)

BACKUP_LISTING_CONCURRENCY = 8
TAIL_WRITERS = 2  # kinds written at once when every listing is in (see sync_all)

Summary = dict[str, int]
Listing = list[Observation] | ProjectsListing


@dataclass(frozen=True, slots=True)
class Syncer:
    """The ports a sync needs, bound once."""

    provider: CloudProvider
    uow: UnitOfWorkFactory
    clock: Clock
    internal_project: str | None = None
    allow_mass_delete: bool = False

    async def fetch(self, kind: str) -> Listing:
        if kind == kinds.PROJECTS:
            return await list_projects(self.provider, self.internal_project)
        if kind == kinds.DROPLET_BACKUP:
            return _digested(await _list_backups(self.provider, self.uow))
        if kind in normalize.NORMALIZERS:
            normalizer = normalize.NORMALIZERS[kind]
            return _digested([normalizer(item) for item in await self.provider.list_kind(kind)])
        raise ValueError(f"unknown resource kind {kind!r}; known: {', '.join(kinds.SYNCS)}")

    async def apply(self, kind: str, listing: Listing) -> Summary:
        if isinstance(listing, ProjectsListing):
            return await apply_projects(
                listing,
                uow=self.uow,
                clock=self.clock,
                allow_mass_delete=self.allow_mass_delete,
            )
        return await reconcile(
            kind,
            listing,
            uow=self.uow,
            clock=self.clock,
            allow_mass_delete=self.allow_mass_delete,
        )


def _digested(observations: list[Observation]) -> list[Observation]:
    """Each observation with its digest made while listing, not in the write that follows (so
    that this work overlaps the database's part of the previous kind's write)."""
    for observation in observations:
        of_observation(observation)
    return observations


async def sync_kind(
    kind: str,
    *,
    provider: CloudProvider,
    uow: UnitOfWorkFactory,
    clock: Clock,
    internal_project: str | None = None,
    allow_mass_delete: bool = False,
) -> Summary:
    """List every resource of `kind` and reconcile. A failed listing raises and writes nothing."""
    syncer = Syncer(provider, uow, clock, internal_project, allow_mass_delete)
    with collector_paused(), timed_sync(kind):  # sync metrics (arcadia_core.metrics)
        try:
            summary = await syncer.apply(kind, await syncer.fetch(kind))
        except Exception as exc:
            await record_run(uow, clock, kind, exc)
            raise
    return summary


async def record_run(
    uow: UnitOfWorkFactory, clock: Clock, kind: str, outcome: Summary | BaseException
) -> None:
    """Remember how the last sync of `kind` ended (for `arcadia status`); never fails a sync.

    A sync that applied records its outcome in its own transaction; this is for the others."""
    try:
        async with uow() as work:
            if isinstance(outcome, BaseException):
                error = f"{type(outcome).__name__}: {outcome}"
                await work.resources.record_run(kind, clock(), ok=False, summary={}, error=error)
            else:
                await work.resources.record_run(kind, clock(), ok=True, summary=outcome, error=None)
            await work.commit()
    except Exception:
        log.exception("could not record the outcome of the %s sync", kind)


async def reconcile(
    kind: str,
    observations: list[Observation],
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    allow_mass_delete: bool = False,
) -> Summary:
    async def body(work: UnitOfWork) -> Summary:
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
            allow_mass_delete=allow_mass_delete,
        )
        await apply_sync_plan(work, plan, now)
        report_mass_delete(kind, plan.held_back, plan.live)
        summary = plan.summary()
        await work.resources.record_run(kind, now, ok=True, summary=summary, error=None)
        return summary

    summary = await write(uow, body, kind=kind)
    log.info("synced %s: %s", kind, summary)
    return summary


async def _memberships_if_new(
    work: UnitOfWork, kind: str, held: dict[str, Resource], observations: list[Observation]
) -> dict[Key, Attribution]:
    """Who lists what, needed only to attribute resources this listing discovers or restores."""
    if all(o.provider_id in held and not held[o.provider_id].is_deleted for o in observations):
        return {}
    return await work.projects.listed_attributions({kind, *parent_kinds(kind)})


async def _list_backups(provider: CloudProvider, uow: UnitOfWorkFactory) -> list[Observation]:
    async with uow() as work:
        droplets = await work.resources.live_attrs(kinds.DROPLET, kinds.BACKUPS_LISTING_ATTRS)
    wanted = [
        droplet_id for droplet_id, attrs in droplets.items() if kinds.wants_backups_listing(attrs)
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
    allow_mass_delete: bool = False,
) -> dict[str, Summary | BaseException]:
    """Sync every kind (projects first). One kind failing does not stop the others.

    Listings are fetched one after another, as far ahead as they can go, while the kinds
    already listed are written in order: a write's waits on the database are spent fetching.
    A kind whose listing reads what another kind writes (backups are listed for the droplets
    inventory holds) is fetched once that kind is written. Once every listing is in, nothing is
    left to overlap a write's waits but another write: `TAIL_WRITERS` kinds are then written at
    once, each in its own transaction (different kinds' syncs do not exclude each other; see
    `lock_writes`). `on_done` hears of each kind in `order`, whatever order they end in.
    """
    syncer = Syncer(provider, uow, clock, internal_project, allow_mass_delete)
    order = only or list(kinds.FULL_SYNC_ORDER)
    results: dict[str, Summary | BaseException] = {}
    loop = asyncio.get_running_loop()
    listings: dict[str, asyncio.Future[Listing | Exception]] = {
        kind: loop.create_future() for kind in order
    }
    applied = {kind: asyncio.Event() for kind in order}
    told = 0  # how many of `order` on_done has heard of

    async def write_one(kind: str, listing: Listing | Exception) -> None:
        nonlocal told
        started = time.perf_counter()
        outcome = await _apply(syncer, kind, listing)
        applied[kind].set()
        if isinstance(outcome, BaseException):
            await record_run(uow, clock, kind, outcome)
        record_sync(
            kind, seconds=time.perf_counter() - started, ok=not isinstance(outcome, BaseException)
        )
        results[kind] = outcome
        while told < len(order) and order[told] in results:
            on_done(order[told], results[order[told]])
            told += 1

    writing: set[asyncio.Task[None]] = set()

    async def settle(room: Callable[[], int]) -> None:
        """Until at most `room()` writes are in flight; a write that raised raises here."""
        nonlocal writing
        while len(writing) > room():
            done, writing = await asyncio.wait(writing, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()

    with collector_paused():
        fetching = asyncio.create_task(_fetch_ahead(syncer, order, listings, applied))
        try:
            for kind in order:
                listing = await listings[kind]
                del listings[kind]  # a listing written is garbage before the collector runs again
                if kind == kinds.PROJECTS or isinstance(listing, CredentialsRefused):
                    # written alone: every kind is attributed from the projects' write, and a
                    # refused token would refuse every other listing the same way
                    await settle(lambda: 0)
                    await write_one(kind, listing)
                    if isinstance(listing, CredentialsRefused):
                        raise listing
                    continue
                await settle(lambda: (TAIL_WRITERS if fetching.done() else 1) - 1)
                writing.add(asyncio.create_task(write_one(kind, listing)))
            await settle(lambda: 0)
        finally:
            for task in (fetching, *writing):
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
    return {kind: results[kind] for kind in order if kind in results}


async def _fetch_ahead(
    syncer: Syncer,
    order: list[str],
    listings: dict[str, asyncio.Future[Listing | Exception]],
    applied: dict[str, asyncio.Event],
) -> None:
    """Fetch every listing in `order`, each into its future (a failure as its outcome)."""
    for position, kind in enumerate(order):
        reads = kinds.LISTING_READS.get(kind)
        if reads is not None and reads in order[:position]:
            await applied[reads].wait()
        try:
            listing: Listing | Exception = await syncer.fetch(kind)
        except Exception as exc:
            listing = exc
        listings[kind].set_result(listing)
        if isinstance(listing, CredentialsRefused):
            # every other listing would be refused the same way: the writer stops at this one
            return


async def _apply(syncer: Syncer, kind: str, listing: Listing | Exception) -> Summary | Exception:
    if isinstance(listing, Exception):
        outcome: Summary | Exception = listing
    else:
        try:
            outcome = await syncer.apply(kind, listing)
        except Exception as exc:
            outcome = exc
    if isinstance(outcome, Exception):
        log.warning("sync of %s failed, nothing written for it: %s", kind, outcome)
    return outcome
