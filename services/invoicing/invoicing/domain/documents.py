"""An issued invoice's document: the PDF rendered once, kept with its digest, never re-rendered."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from invoicing.domain.lifecycle import ISSUED
from invoicing.domain.model import Conflict, Invoice


class NotIssued(Conflict):
    """The invoice has never been issued, so it has no document (HTTP 409)."""


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    invoice_id: UUID
    pdf: bytes
    sha256: str  # hex digest of `pdf`
    template_version: str
    rendered_at: datetime


def document_of(
    invoice_id: UUID, pdf: bytes, template_version: str, rendered_at: datetime
) -> InvoiceDocument:
    return InvoiceDocument(
        invoice_id=invoice_id,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        template_version=template_version,
        rendered_at=rendered_at,
    )


def was_issued(invoice: Invoice) -> bool:
    """Issued, paid, or voided after issue: it has a number, so it has (or is owed) a document."""
    return invoice.number is not None and invoice.issued_at is not None


def as_issued(invoice: Invoice) -> Invoice:
    """The invoice as it stood when it was issued: what its PDF shows, whenever rendered.

    An invoice issued before documents existed gets its PDF on first request; it shows the
    invoice as issued (not "paid" or "void", which happened later) so that the document is
    the same whenever it is first asked for.
    """
    if not was_issued(invoice):
        raise NotIssued(f"invoice {invoice.id} is not issued")
    return replace(invoice, status=ISSUED, paid_at=None, voided_at=None)
