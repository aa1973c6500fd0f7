"""Tenant invoices: the list (admin: every tenant's, with the lifecycle buttons and the month's
rollup; a tenant: its own), one invoice with its document and PDF, and the admin actions."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from fastapi import Response
from markupsafe import Markup

from gateway.ui import periods
from gateway.ui.framework import (
    AdminViewer,
    AnyViewer,
    BadInput,
    PageNotFound,
    Viewer,
    page_router,
    url_with,
)

router = page_router()

STATUSES = ("", "draft", "issued", "paid", "void")
# what an admin may do from each status (invoicing's lifecycle: draft → issued → paid;
# draft or issued → void); the API refuses anything else with 409 anyway
ACTIONS: dict[str, tuple[str, ...]] = {"draft": ("issue", "void"), "issued": ("pay", "void")}
ACTION_DONE = {"issue": "issued", "pay": "marked paid", "void": "voided"}
UUID_SHAPE = re.compile(r"^[0-9a-fA-F-]{32,36}$")
# the document fragment's own <style> (and any script) cannot run under this page's CSP; the
# dashboard's stylesheet styles the fragment's classes instead
_UNRUNNABLE = re.compile(r"<(style|script)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def invoice_api_path(invoice_id: str, tail: str = "") -> str:
    """The API path of an invoice; an id that is not a UUID is a 404 page, as the API says."""
    if not UUID_SHAPE.match(invoice_id):
        raise PageNotFound("That invoice was not found.")
    return f"/api/v1/invoices/{quote(invoice_id, safe='')}{tail}"


def embeddable(fragment: str) -> Markup:
    """The invoice document fragment (invoicing's own autoescaped template) as page markup."""
    return Markup(_UNRUNNABLE.sub("", fragment))


async def _tenant_names(viewer: Viewer) -> dict[str, str]:
    tenants = await viewer.api.all_items("/api/v1/tenants")
    return {str(t.get("id")): str(t.get("name")) for t in tenants.items}


@router.get("/ui/invoices")
async def invoices(
    viewer: AnyViewer, status: str = "", period: str = "", tenant: str = "", cursor: str = ""
) -> Response:
    if status not in STATUSES:
        raise BadInput("Unknown invoice status.")
    if period:
        periods.parse_period(period)
    result = viewer.require(
        await viewer.api.get(
            "/api/v1/invoices",
            {
                "status": status,
                "period": period,
                "tenant": tenant if viewer.is_admin else None,
                "cursor": cursor,
                "limit": 100,
            },
        )
    )
    names = await _tenant_names(viewer) if viewer.is_admin else {}
    next_url = (
        url_with(
            "/ui/invoices", status=status, period=period, tenant=tenant, cursor=result.next_cursor
        )
        if result.next_cursor
        else None
    )
    return viewer.render(
        "invoices.html",
        invoices=result.items,
        names=names,
        actions=ACTIONS,
        status=status,
        statuses=STATUSES,
        period=period,
        tenant=tenant,
        next_url=next_url,
        rollup_period=periods.label(periods.month_before(periods.this_month())),
    )


@router.get("/ui/invoices/{invoice_id}")
async def invoice(viewer: AnyViewer, invoice_id: str) -> Response:
    detail = viewer.require(await viewer.api.get(invoice_api_path(invoice_id)), "That invoice").data
    document = await viewer.api.get(invoice_api_path(invoice_id, "/document"))
    fragment = None
    if document.ok and "html" in document.headers.get("content-type", ""):
        fragment = embeddable(document.content.decode("utf-8", "replace"))
    names = await _tenant_names(viewer) if viewer.is_admin else {}
    return viewer.render(
        "invoice.html",
        invoice=detail,
        lines=[line for line in detail.get("lines", []) if isinstance(line, dict)],
        document=fragment,
        tenant_name=names.get(str(detail.get("tenant_id"))),
        actions=ACTIONS.get(str(detail.get("status")), ()) if viewer.is_admin else (),
        has_pdf=bool(detail.get("number")),
    )


@router.get("/ui/invoices/{invoice_id}/pdf")
async def invoice_pdf(viewer: AnyViewer, invoice_id: str) -> Response:
    result, content = await viewer.api.stream(invoice_api_path(invoice_id, "/pdf"))
    if result.status == 409:
        raise BadInput("This invoice has no PDF: it has not been issued.")
    viewer.require(result, "That invoice")
    headers = {"Cache-Control": "private, no-store"}
    for name in ("content-disposition", "etag", "x-content-sha256"):
        if name in result.headers:
            headers[name] = result.headers[name]
    return Response(content, media_type="application/pdf", headers=headers)


@router.post("/ui/invoices/rollup")
async def rollup(viewer: AdminViewer) -> Response:
    form = await viewer.form()
    period = str(form.get("period") or "")
    periods.parse_period(period)
    force = form.get("force") in ("1", "on", "true")
    result = await viewer.api.post(
        "/api/v1/invoices/rollup", json={"period": period, "force": force}
    )
    if not result.ok:
        return viewer.redirect("/ui/invoices", flash=f"Rollup of {period} failed: {result.detail}")
    summary: dict[str, Any] = result.data
    counts = ", ".join(
        f"{len(summary.get(key) or [])} {key}"
        for key in ("created", "regenerated", "skipped", "locked")
    )
    return viewer.redirect(
        url_with("/ui/invoices", period=period),
        flash=f"Rolled up {period} for {summary.get('tenants', 0)} tenant(s): {counts}.",
    )


@router.post("/ui/invoices/{invoice_id}/{action}")
async def act(viewer: AdminViewer, invoice_id: str, action: str) -> Response:
    form = await viewer.form()
    if action not in ACTION_DONE:
        raise BadInput("Invoices are issued, paid or voided.")
    back = str(form.get("back") or "")
    if not back.startswith("/ui/invoices"):
        back = f"/ui/invoices/{quote(invoice_id, safe='')}"
    result = await viewer.api.post(invoice_api_path(invoice_id, f"/{action}"))
    if result.status == 404:
        viewer.require(result, "That invoice")
    if not result.ok:
        return viewer.redirect(back, flash=f"Not {ACTION_DONE[action]}: {result.detail}")
    number = result.data.get("number") if isinstance(result.data, dict) else None
    return viewer.redirect(back, flash=f"Invoice {number or invoice_id} {ACTION_DONE[action]}.")
