"""Invoice documents: the PDF kept from issue, and the live HTML a dashboard embeds."""

from __future__ import annotations

import asyncio
from datetime import datetime
from uuid import UUID

from invoicing.domain.documents import InvoiceDocument, as_issued, document_of
from invoicing.domain.model import Deployment, Invoice, NotFound, Tenant
from invoicing.ports import Clock, InvoiceRenderer, UnitOfWork, UnitOfWorkFactory


async def _parties(work: UnitOfWork, invoice: Invoice) -> tuple[Tenant, dict[UUID, Deployment]]:
    """The tenant and the deployments the invoice's lines name."""
    tenant = await work.registry.tenant(invoice.tenant_id)
    if tenant is None:  # the foreign key makes this impossible short of a broken database
        raise NotFound(f"tenant {invoice.tenant_id} not found")
    deployments: dict[UUID, Deployment] = {}
    for deployment_id in {line.deployment_id for line in invoice.lines}:
        if deployment_id is None:
            continue
        found = await work.registry.deployment(deployment_id)
        if found is not None:
            deployments[deployment_id] = found
    return tenant, deployments


async def _render(
    renderer: InvoiceRenderer,
    invoice: Invoice,
    tenant: Tenant,
    deployments: dict[UUID, Deployment],
    at: datetime,
) -> InvoiceDocument:
    # WeasyPrint is CPU-bound for a few hundred milliseconds: keep the event loop free
    pdf = await asyncio.to_thread(renderer.render_pdf, invoice, tenant, deployments)
    return document_of(invoice.id, pdf, renderer.template_version, at)


async def render_issued(
    work: UnitOfWork, invoice: Invoice, renderer: InvoiceRenderer, at: datetime
) -> InvoiceDocument:
    """Render the PDF of an issued invoice, inside the caller's unit of work."""
    shown = as_issued(invoice)
    tenant, deployments = await _parties(work, shown)
    return await _render(renderer, shown, tenant, deployments, at)


async def invoice_pdf(
    invoice_id: UUID, *, uow: UnitOfWorkFactory, renderer: InvoiceRenderer, clock: Clock
) -> tuple[Invoice, InvoiceDocument]:
    """The invoice and its stored PDF.

    An invoice issued before documents existed has none yet: it is rendered now, stored, and
    served unchanged from then on. Rendering runs outside any transaction; if two first
    requests race, the first stored wins and both answer with it. `NotIssued` for a draft or
    an invoice voided before issue.
    """
    async with uow() as work:
        invoice = await work.invoices.get(invoice_id)
        if invoice is None:
            raise NotFound(f"invoice {invoice_id} not found")
        stored = await work.documents.get(invoice_id)
        if stored is not None:
            return invoice, stored
        shown = as_issued(invoice)
        tenant, deployments = await _parties(work, shown)
    document = await _render(renderer, shown, tenant, deployments, clock())
    async with uow() as work:
        stored = await work.documents.add(document)
        await work.commit()
    return invoice, stored


async def invoice_html(
    invoice_id: UUID, *, uow: UnitOfWorkFactory, renderer: InvoiceRenderer
) -> tuple[Invoice, str]:
    """The invoice as an HTML fragment of the document template, from its current data (any
    status: a draft is marked DRAFT, a void one VOID)."""
    async with uow() as work:
        invoice = await work.invoices.get(invoice_id)
        if invoice is None:
            raise NotFound(f"invoice {invoice_id} not found")
        tenant, deployments = await _parties(work, invoice)
    return invoice, renderer.render_html(invoice, tenant, deployments)
