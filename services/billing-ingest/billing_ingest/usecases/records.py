"""The balance (hourly) and the billing history with the invoice list (daily)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from billing_ingest.ports import BillingProvider, Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)

INGEST_JOB = "billing.ingest"
PUSH_JOB = "billing.finance_push"


async def record_balance(
    *, provider: BillingProvider, uow: UnitOfWorkFactory, clock: Clock
) -> bool:
    """Store a balance snapshot; False when DigitalOcean's figure has not moved since."""
    snapshot = await provider.balance()
    async with uow() as work:
        added = await work.records.add_balance(snapshot, clock())
        await work.commit()
    return added


@dataclass
class HistoryResult:
    history_entries: int = 0
    new_history_entries: int = 0
    invoices: int = 0
    changed_invoices: int = 0
    preview: str | None = None
    to_ingest: list[str] = field(default_factory=list)
    to_push: list[tuple[str, int]] = field(default_factory=list)


async def refresh_history(
    *,
    provider: BillingProvider,
    uow: UnitOfWorkFactory,
    clock: Clock,
    force: bool = False,
    enqueue: bool = True,
    push_configured: bool = True,
) -> HistoryResult:
    """Read the billing history and the invoices; upsert one header per invoice uuid.

    Every entry type is kept. The month-to-date preview is kept apart from issued invoices.
    With `enqueue`, one ingest job is queued per invoice not yet ingested (every invoice with
    `force`), and a push job per ingested invoice finance has not received yet, all in the
    transaction that records the headers.
    """
    history = await provider.billing_history()
    listing = await provider.invoices()
    now = clock()
    result = HistoryResult(history_entries=len(history), invoices=len(listing.issued))
    async with uow() as work:
        result.new_history_entries = await work.records.add_history(history, now)
        result.changed_invoices = await work.invoices.upsert_headers(listing.issued, now)
        if listing.preview is not None:
            await work.invoices.upsert_preview(listing.preview, now)
            result.preview = listing.preview.invoice_uuid
        result.to_ingest = await work.invoices.uuids(not_ingested=not force)
        result.to_push = await work.invoices.unpushed() if push_configured else []
        if enqueue:
            for invoice_uuid in result.to_ingest:
                await work.enqueue(
                    INGEST_JOB,
                    {"invoice_uuid": invoice_uuid, "force": force},
                    dedupe_key=invoice_uuid,
                )
            for invoice_uuid, version in result.to_push:
                await work.enqueue(
                    PUSH_JOB,
                    {"invoice_uuid": invoice_uuid, "version": version},
                    dedupe_key=invoice_uuid,
                )
        await work.commit()
    log.info(
        "billing history: %d entries (%d new), %d invoices (%d changed), %d to ingest",
        result.history_entries,
        result.new_history_entries,
        result.invoices,
        result.changed_invoices,
        len(result.to_ingest),
    )
    return result
