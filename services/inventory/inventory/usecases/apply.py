"""Write a pure plan through a unit of work: rows, audit events and outgoing events together."""

from __future__ import annotations

from datetime import datetime

from arcadia_core.events import ResourceSynced
from inventory.domain.attribution import AttributionPlan
from inventory.domain.sync_plan import SyncPlan
from inventory.ports import UnitOfWork
from inventory.usecases.events import resource_deleted, resource_synced_json


async def apply_sync_plan(uow: UnitOfWork, plan: SyncPlan, now: datetime) -> None:
    await uow.resources.insert(plan.inserted)  # with each one's `discovered` audit entry
    # attribution is written only where this plan computed it (restored resources)
    await uow.resources.update(
        [*(r for r in plan.changed if r.id not in plan.attributed), *plan.redigested]
    )
    await uow.resources.update(
        [r for r in plan.changed if r.id in plan.attributed], attribution=True
    )
    await uow.resources.update_lifecycle([*plan.struck, *plan.deleted])
    await uow.resources.mark_seen(plan.seen_unchanged, now)
    await uow.resources.append_events(plan.events)
    synced = plan.synced
    if synced:
        uow.emit_json(ResourceSynced, resource_synced_json(synced, plan.changes()))
    uow.emit(*(resource_deleted(r) for r in plan.deleted))


async def apply_attribution_plan(uow: UnitOfWork, plan: AttributionPlan) -> None:
    """Write new attributions; the plan may hold light resources, so events read full rows."""
    if not plan.changed:
        return
    await uow.resources.update_attribution(plan.changed)
    await uow.resources.append_events(plan.events)
    full = await uow.resources.get_many([r.id for r in plan.changed])
    uow.emit_json(ResourceSynced, resource_synced_json(full, ["attributed"] * len(full)))
