"""Invoice lifecycle: issue (numbered, announced, its PDF kept), pay, void."""

from __future__ import annotations

from dataclasses import replace
from uuid import UUID

from arcadia_core.events import TenantInvoiceIssued
from invoicing.domain.lifecycle import ISSUE, ISSUED, PAID, VOID, invoice_number, next_status
from invoicing.domain.model import Invoice, NotFound
from invoicing.ports import Clock, InvoiceRenderer, UnitOfWorkFactory
from invoicing.usecases.documents import render_issued


async def transition(
    invoice_id: UUID,
    action: str,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    renderer: InvoiceRenderer | None = None,
) -> Invoice:
    """Apply `action` (issue, pay, void); `IllegalTransition` when the status forbids it.

    Issuing with a `renderer` renders the invoice's PDF and stores it in the same unit of
    work as the new status, number and event: a failed render issues nothing. Without one the
    PDF is rendered on its first request instead (`documents.invoice_pdf`).
    """
    async with uow() as work:
        invoice = await work.invoices.get(invoice_id, lock=True)
        if invoice is None:
            raise NotFound(f"invoice {invoice_id} not found")
        status = next_status(invoice.status, action)
        now = clock()
        changed = replace(invoice, status=status, updated_at=now)
        if status == ISSUED:
            sequence = await work.invoices.next_number(now.year)
            changed = replace(changed, number=invoice_number(now.year, sequence), issued_at=now)
        elif status == PAID:
            changed = replace(changed, paid_at=now)
        elif status == VOID:
            changed = replace(changed, voided_at=now)
        await work.invoices.set_status(changed)
        if action == ISSUE:
            assert changed.number is not None and changed.issued_at is not None
            if renderer is not None:
                await work.documents.add(await render_issued(work, changed, renderer, now))
            work.emit(
                TenantInvoiceIssued(
                    invoice_id=changed.id,
                    tenant_id=changed.tenant_id,
                    number=changed.number,
                    period_start=changed.period_start,
                    currency=changed.currency,
                    subtotal_cents=changed.subtotal_cents,
                    tax_cents=changed.tax_cents,
                    total_cents=changed.total_cents,
                    issued_at=changed.issued_at,
                )
            )
        await work.commit()
    return changed
