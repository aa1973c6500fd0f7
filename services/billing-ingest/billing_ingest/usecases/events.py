"""How billing-ingest tells other services what it did (`invoice.ingested`)."""

from __future__ import annotations

from datetime import date

from arcadia_core.events import InvoiceIngested
from billing_ingest.domain.model import InvoiceStats


def ingested_event(
    *,
    invoice_uuid: str,
    invoice_id: str | None,
    period: date,
    version: int,
    stats: InvoiceStats,
    reconciled: bool,
) -> InvoiceIngested:
    return InvoiceIngested(
        invoice_uuid=invoice_uuid,
        invoice_id=invoice_id,
        period=period,
        version=version,
        currency="USD",
        amount_cents=stats.amount_cents,
        net_cents=stats.net_cents,
        tax_cents=stats.tax_cents,
        line_count=stats.line_count,
        match_rate=stats.match_rate,
        reconciled=reconciled,
        cost_by_deployment=stats.cost_by_deployment,
        cost_by_kind=stats.cost_by_kind,
    )
