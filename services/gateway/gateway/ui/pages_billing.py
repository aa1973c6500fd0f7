"""The provider's side (admin): DigitalOcean's invoices, and one invoice's cost lines with how
each was matched to a resource, or why it was not."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Response

from gateway.ui.framework import AdminViewer, BadInput, page_router, url_with

router = page_router()

MATCH_FILTERS = ("", "matched", "unmatched")
STATUSES = ("", "pending", "ingested", "failed")


def match_status(line: dict[str, Any]) -> str:
    return "unmatched" if line.get("match_method", "none") == "none" else "matched"


@router.get("/ui/billing")
async def provider_invoices(viewer: AdminViewer, status: str = "", cursor: str = "") -> Response:
    if status not in STATUSES:
        raise BadInput("Unknown invoice status.")
    result = viewer.require(
        await viewer.api.get(
            "/api/v1/billing/invoices", {"status": status, "cursor": cursor, "limit": 100}
        )
    )
    return viewer.render(
        "billing.html",
        invoices=result.items,
        status=status,
        statuses=STATUSES,
        next_url=url_with("/ui/billing", status=status, cursor=result.next_cursor)
        if result.next_cursor
        else None,
    )


@router.get("/ui/billing/{invoice_uuid}")
async def provider_invoice(viewer: AdminViewer, invoice_uuid: str, match: str = "") -> Response:
    if match not in MATCH_FILTERS:
        raise BadInput("Filter by matched or unmatched.")
    result = viewer.require(
        await viewer.api.get(f"/api/v1/billing/invoices/{quote(invoice_uuid, safe='')}"),
        "That provider invoice",
    )
    invoice: dict[str, Any] = result.data
    lines = [line for line in invoice.get("lines", []) if isinstance(line, dict)]
    for line in lines:
        line["match"] = match_status(line)
    counts = {
        "": len(lines),
        "matched": sum(1 for line in lines if line["match"] == "matched"),
        "unmatched": sum(1 for line in lines if line["match"] == "unmatched"),
    }
    shown = [line for line in lines if not match or line["match"] == match]
    reconciliation = invoice.get("reconciliation")
    return viewer.render(
        "billing_invoice.html",
        invoice=invoice,
        lines=shown,
        match=match,
        counts=counts,
        reconciliation=reconciliation if isinstance(reconciliation, dict) else None,
        reasons=invoice.get("unmatched_by_reason") or {},
        shown_cents=sum(int(line.get("amount_cents") or 0) for line in shown),
    )
