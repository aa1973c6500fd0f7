"""Push an ingested invoice to finance; record what finance answered.

Without `SKYAI_FINANCE_JWT_SECRET` the push is a logged skip. A failure raises, so the push
job retries with backoff; the daily history run queues again any invoice whose latest version
finance has not received, so a push is never lost.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from billing_ingest.domain.model import INGESTED
from billing_ingest.domain.plan import finance_payload
from billing_ingest.ports import Clock, FinanceClient, UnitOfWorkFactory

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushOutcome:
    invoice_uuid: str
    action: str  # created, updated, skipped, up to date, not ingested, not reconciled
    finance_id: str | None = None


async def push_invoice(
    invoice_uuid: str, *, uow: UnitOfWorkFactory, finance: FinanceClient, clock: Clock
) -> PushOutcome:
    if not finance.configured:
        log.info("invoice %s: no SKYAI_FINANCE_JWT_SECRET, finance push skipped", invoice_uuid)
        return PushOutcome(invoice_uuid, "skipped")
    async with uow() as work:
        header = await work.invoices.get(invoice_uuid)
        if header is None or header["status"] != INGESTED:
            return PushOutcome(invoice_uuid, "not ingested")
        if not header["reconciled"]:
            return PushOutcome(invoice_uuid, "not reconciled")
        version = int(header["version"])
        if (header["finance_pushed_version"] or 0) >= version:
            return PushOutcome(invoice_uuid, "up to date", header["finance_invoice_id"])
        lines = await work.lines.of_invoice(invoice_uuid)
    payload = finance_payload(
        invoice_uuid=invoice_uuid,
        invoice_id=header["invoice_id"],
        period=header["invoice_period"],
        lines=lines,
    )
    action, finance_id = await finance.import_invoice(payload)
    async with uow() as work:
        await work.invoices.mark_pushed(invoice_uuid, version, finance_id, action, clock())
        await work.commit()
    log.info("invoice %s pushed to finance: %s (%s)", invoice_uuid, action, finance_id)
    return PushOutcome(invoice_uuid, action, finance_id)
