"""The projection of the inventory that lines are matched against, and late matching.

Deleted resources are kept (historic lines stay explained). When a resource first reaches the
projection (or is renamed), the lines waiting for it are matched then and their invoices'
match rates and events updated, so the order of syncs and ingests does not matter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from arcadia_core.events import ResourceDeleted, ResourceSynced
from billing_ingest.domain.model import INGESTED, ResourceRef
from billing_ingest.ports import UnitOfWork
from billing_ingest.usecases.events import ingested_event


def _row(
    payload: ResourceSynced | ResourceDeleted, now: datetime, deleted_at: datetime | None
) -> dict[str, Any]:
    return {
        "resource_id": payload.resource_id,
        "version": payload.version,
        "kind": payload.kind,
        "provider_id": payload.provider_id,
        "name": payload.name,
        "name_key": payload.name.lower() if payload.name else None,
        "tenant_id": payload.tenant_id,
        "deployment_id": payload.deployment_id,
        "deleted_at": deleted_at,
        "updated_at": now,
    }


def _ref(payload: ResourceSynced | ResourceDeleted, deleted: bool) -> ResourceRef:
    return ResourceRef(
        id=payload.resource_id,
        kind=payload.kind,
        provider_id=payload.provider_id,
        name=payload.name,
        tenant_id=payload.tenant_id,
        deployment_id=payload.deployment_id,
        deleted=deleted,
    )


async def on_resource_synced(work: UnitOfWork, payload: ResourceSynced, now: datetime) -> set[str]:
    row = _row(payload, now, None) | {"first_seen_at": payload.first_seen_at}
    return await _apply(work, row, _ref(payload, False), payload.first_seen_at, now)


async def on_resource_deleted(
    work: UnitOfWork, payload: ResourceDeleted, now: datetime
) -> set[str]:
    row = _row(payload, now, payload.deleted_at)
    return await _apply(work, row, _ref(payload, True), None, now)


async def _apply(
    work: UnitOfWork,
    row: dict[str, Any],
    resource: ResourceRef,
    first_seen_at: datetime | None,
    now: datetime,
) -> set[str]:
    """Apply one resource state; returns the invoices whose matches changed."""
    await work.lock_matching()
    began = await work.projection.mirror_began()
    if not await work.projection.upsert(row):
        return set()  # a repeat or an older state
    touched = await work.lines.match_waiting(resource)
    touched |= await work.lines.fill_attribution(resource)
    if first_seen_at is not None and (began is None or first_seen_at < began):
        await work.lines.explain_unmatched(first_seen_at)
    for invoice_uuid in sorted(touched):
        await refresh_invoice(work, invoice_uuid, now)
    return touched


async def refresh_invoice(work: UnitOfWork, invoice_uuid: str, now: datetime) -> None:
    """Recount an ingested invoice's matches and tell the others (a new event version)."""
    header = await work.invoices.get(invoice_uuid, lock=True)
    if header is None or header["status"] != INGESTED:
        return
    stats = await work.lines.stats(invoice_uuid)
    version = await work.invoices.record_rematch(invoice_uuid, stats, now)
    work.emit(
        ingested_event(
            invoice_uuid=invoice_uuid,
            invoice_id=header["invoice_id"],
            period=header["invoice_period"],
            version=version,
            stats=stats,
            reconciled=bool(header["reconciled"]),
        )
    )


__all__ = ["UUID", "on_resource_deleted", "on_resource_synced", "refresh_invoice"]
