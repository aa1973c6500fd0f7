"""Ingest one invoice: fetch its line set, match, replace its cost lines in one transaction.

Fetching (the provider adapter reads and parses the file) touches no database. A file that
cannot be read marks the invoice `failed` with a reason naming the line and the field, writes
no lines, and raises nothing (retrying the same file cannot help; the daily run tries again,
and succeeds once the file is fixed). A network failure raises, so the job retries it.

The apply step takes the matching lock, so a resource reaching the projection at the same
moment either is in the index here or finds these lines waiting when it applies.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from billing_ingest.domain.matching import ResourceIndex, cost_lines
from billing_ingest.domain.model import (
    FAILED,
    INGESTED,
    TAX,
    InvoiceFormatError,
    InvoiceUnavailable,
)
from billing_ingest.domain.plan import attach_provider_ids, reconcile, stats_of
from billing_ingest.ports import BillingProvider, Clock, UnitOfWorkFactory
from billing_ingest.usecases.events import ingested_event
from billing_ingest.usecases.records import PUSH_JOB

log = logging.getLogger(__name__)

SKIPPED = "skipped"


class UnknownInvoice(LookupError):
    pass


@dataclass(frozen=True)
class IngestOutcome:
    invoice_uuid: str
    status: str  # ingested, failed, skipped (already ingested)
    line_count: int = 0
    matched_count: int = 0
    reconciled: bool | None = None
    reason: str | None = None
    version: int = 0
    push_queued: bool = False


async def ingest_invoice(
    invoice_uuid: str,
    *,
    provider: BillingProvider,
    uow: UnitOfWorkFactory,
    clock: Clock,
    force: bool = False,
    push: bool = True,
) -> IngestOutcome:
    async with uow() as work:
        header = await work.invoices.get(invoice_uuid)
    if header is None:
        raise UnknownInvoice(f"no invoice {invoice_uuid}; read the billing history first")
    if header["status"] == INGESTED and not force:
        return IngestOutcome(invoice_uuid, SKIPPED, header["line_count"], header["matched_count"])

    try:
        document = await provider.invoice_document(invoice_uuid)
    except InvoiceUnavailable as exc:
        return await _fail(invoice_uuid, str(exc), uow, clock)
    except InvoiceFormatError as exc:
        return await _fail(invoice_uuid, f"the invoice CSV cannot be read: {exc}", uow, clock)
    parsed, digest = document.lines, document.digest
    items = await provider.invoice_items(invoice_uuid)
    summary = await provider.invoice_summary(invoice_uuid)
    attach_provider_ids(parsed, items)

    async with uow() as work:
        await work.lock_matching()
        header = await work.invoices.get(invoice_uuid, lock=True)
        if header is None:
            raise UnknownInvoice(invoice_uuid)
        index = ResourceIndex.of(await work.projection.all(), await work.projection.mirror_began())
        lines = cost_lines(parsed, index)
        reconciliation = reconcile(
            parsed, [line.kind for line in lines], header["amount_cents"], summary
        )
        stats = stats_of(lines)
        await work.lines.replace(invoice_uuid, lines)
        version = await work.invoices.record_ingest(
            invoice_uuid, stats, reconciliation, digest, clock()
        )
        work.emit(
            ingested_event(
                invoice_uuid=invoice_uuid,
                invoice_id=header["invoice_id"],
                period=header["invoice_period"],
                version=version,
                stats=stats,
                reconciled=reconciliation.ok,
            )
        )
        queue_push = push and reconciliation.ok
        if queue_push:
            await work.enqueue(
                PUSH_JOB,
                {"invoice_uuid": invoice_uuid, "version": version},
                dedupe_key=f"{invoice_uuid}:{version}",
            )
        await work.commit()
    if not reconciliation.ok:
        log.error("invoice %s does not reconcile: %s", invoice_uuid, reconciliation.describe())
    if not push:
        log.info("invoice %s: finance is not configured; push skipped", invoice_uuid)
    return IngestOutcome(
        invoice_uuid,
        INGESTED,
        stats.line_count,
        stats.matched_count,
        reconciled=reconciliation.ok,
        reason=None if reconciliation.ok else reconciliation.describe(),
        version=version,
        push_queued=queue_push,
    )


async def _fail(
    invoice_uuid: str, reason: str, uow: UnitOfWorkFactory, clock: Clock
) -> IngestOutcome:
    log.error("invoice %s failed: %s", invoice_uuid, reason)
    async with uow() as work:
        await work.invoices.mark_failed(invoice_uuid, reason, clock())
        await work.commit()
    return IngestOutcome(invoice_uuid, FAILED, reason=reason)


__all__ = ["TAX", "IngestOutcome", "UnknownInvoice", "ingest_invoice"]
