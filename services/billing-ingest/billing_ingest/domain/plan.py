"""Pure steps of an invoice ingest: attach provider ids, reconcile, summarize, describe.

The CSV is the line set of record. The JSON line items are joined to it only to borrow the
`resource_id`/`resource_uuid` the CSV lacks, on (product, description, amount, start).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import repeat
from operator import attrgetter
from typing import Any

from billing_ingest.domain.model import (
    TAX,
    CostLine,
    CsvLine,
    InvoiceStats,
    InvoiceSummary,
    ProviderItem,
    Reconciliation,
)

JoinKey = tuple[str, str, int, datetime | None]
_JOIN_KEY = attrgetter("product", "description", "amount_cents", "start_at")  # items and lines


def attach_provider_ids(lines: Sequence[CsvLine], items: Sequence[ProviderItem]) -> int:
    """Copy resource ids from the JSON items onto the matching CSV lines; returns how many."""
    with_ids = [item for item in items if item.resource_id or item.resource_uuid]
    if not with_ids:
        return 0
    keys: list[JoinKey] = list(map(_JOIN_KEY, with_ids))
    unique = dict(zip(keys, with_ids, strict=True))
    if len(unique) == len(keys):
        # the usual case, one item per key: each is taken once (popped), by the first line
        found = map(unique.pop, map(_JOIN_KEY, lines), repeat(None))
        attached = 0
        for line, item in zip(lines, found, strict=True):
            if item is not None:
                line.resource_id = item.resource_id or None
                line.resource_uuid = item.resource_uuid or None
                attached += 1
        return attached
    waiting: dict[JoinKey, list[ProviderItem]] = {}
    for key, item in zip(keys, with_ids, strict=True):
        found_list = waiting.get(key)
        if found_list is None:
            waiting[key] = [item]
        else:
            found_list.append(item)
    for candidates in waiting.values():
        candidates.reverse()  # popped from the end, in the items' order
    attached = 0
    take = waiting.get
    for line in lines:
        queue = take((line.product, line.description, line.amount_cents, line.start_at))
        if queue:
            item = queue.pop()
            line.resource_id = item.resource_id or None
            line.resource_uuid = item.resource_uuid or None
            attached += 1
    return attached


def reconcile(
    lines: Sequence[CsvLine], tax_kinds: Sequence[str], invoice_cents: int, summary: InvoiceSummary
) -> Reconciliation:
    """The lines against the summary: the total to the cent, the Taxes lines to `taxes`.

    `tax_kinds` gives each line's kind (same order as `lines`).
    """
    total = sum(line.amount_cents for line in lines)
    taxes = sum(
        line.amount_cents for line, kind in zip(lines, tax_kinds, strict=True) if kind == TAX
    )
    return Reconciliation(
        lines_cents=total,
        invoice_cents=summary.amount_cents if summary is not None else invoice_cents,
        tax_lines_cents=taxes,
        summary_taxes_cents=summary.taxes_cents if summary is not None else None,
    )


def stats_of(lines: Sequence[CostLine]) -> InvoiceStats:
    """The same aggregates the repository computes from stored lines."""
    by_deployment: dict[str, int] = defaultdict(int)
    by_kind: dict[str, int] = defaultdict(int)
    reasons: dict[str, int] = defaultdict(int)
    matched = tax = total = 0
    for line in lines:
        total += line.amount_cents
        if line.kind == TAX:
            tax += line.amount_cents
        by_kind[line.kind] += line.amount_cents
        key = str(line.deployment_id) if line.deployment_id else "unattributed"
        by_deployment[key] += line.amount_cents
        if line.resource_id is not None:
            matched += 1
        elif line.unmatched_reason:
            reasons[line.unmatched_reason] += 1
    return InvoiceStats(
        line_count=len(lines),
        matched_count=matched,
        amount_cents=total,
        tax_cents=tax,
        cost_by_deployment=dict(by_deployment),
        cost_by_kind=dict(by_kind),
        unmatched_by_reason=dict(reasons),
    )


def finance_payload(
    *,
    invoice_uuid: str,
    invoice_id: str | None,
    period: date,
    lines: Sequence[CostLine],
) -> dict[str, Any]:
    """The normalized invoice finance imports: tax lines are the tax, the rest is net."""
    tax = sum(line.amount_cents for line in lines if line.kind == TAX)
    total = sum(line.amount_cents for line in lines)
    return {
        "source": "digitalocean",
        "external_id": invoice_uuid,
        "invoice_number": invoice_id,
        "period": period.strftime("%Y-%m"),
        "currency": "USD",
        "amount_net_minor": total - tax,
        "amount_tax_minor": tax,
        "amount_gross_minor": total,
        "vendor": {"name": "DigitalOcean", "category": "cloud"},
        "lines": [
            {
                "line_no": line.line_no,
                "product": line.product,
                "description": line.description,
                "kind": line.kind,
                "is_tax": line.kind == TAX,
                "amount_minor": line.amount_cents,
                "hours": None if line.hours is None else str(line.hours),
                "start": line.start_at.isoformat() if line.start_at else None,
                "end": line.end_at.isoformat() if line.end_at else None,
                "project_name": line.project_name,
                "resource_id": str(line.resource_id) if line.resource_id else None,
                "tenant_id": str(line.tenant_id) if line.tenant_id else None,
                "deployment_id": str(line.deployment_id) if line.deployment_id else None,
            }
            for line in lines
        ],
    }


def period_of(text: str) -> date:
    """`2026-04` → 2026-04-01."""
    year, _, month = text.partition("-")
    return date(int(year), int(month), 1)


def decimal_rate(matched: int, count: int) -> Decimal:
    if count == 0:
        return Decimal("1.0000")
    return (Decimal(matched) / Decimal(count)).quantize(Decimal("0.0001"))
