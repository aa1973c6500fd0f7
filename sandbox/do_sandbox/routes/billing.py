"""``/v2/customers/my``: balance, billing history, invoices, their items, CSV and summary.

The list endpoints page like every other (``links.pages``, ``meta.total``); the invoice list
carries ``invoice_preview`` (the month to date) outside its array; ``preview`` works in place
of an invoice uuid for the items. The CSV answers ``text/csv`` with DigitalOcean's
``content-disposition``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from do_sandbox.account import Account
from do_sandbox.billing import SandboxInvoice
from do_sandbox.deps import CurrentAccount
from do_sandbox.errors import not_found
from do_sandbox.paging import Paging, envelope

router = APIRouter(prefix="/v2/customers/my")


def _invoice(account: Account, invoice_uuid: str, *, issued: bool = False) -> SandboxInvoice:
    invoice = account.billing.invoice(invoice_uuid)
    if invoice is None or (issued and invoice is account.billing.preview):
        raise not_found()
    return invoice


@router.get("/balance")
async def balance(account: CurrentAccount) -> JSONResponse:
    return JSONResponse(account.billing.balance_json())


@router.get("/billing_history")
async def billing_history(
    request: Request, account: CurrentAccount, paging: Paging
) -> JSONResponse:
    return JSONResponse(
        envelope(request, "billing_history", account.billing.history_json(), paging)
    )


@router.get("/invoices")
async def list_invoices(request: Request, account: CurrentAccount, paging: Paging) -> JSONResponse:
    body = envelope(request, "invoices", account.billing.issued_json(), paging)
    preview = account.billing.preview
    # the documented order: invoices, invoice_preview, links, meta
    return JSONResponse(
        {
            "invoices": body["invoices"],
            "invoice_preview": preview.header_json() if preview is not None else None,
            "links": body["links"],
            "meta": body["meta"],
        }
    )


@router.get("/invoices/{invoice_uuid}")
async def invoice_items(
    request: Request, invoice_uuid: str, account: CurrentAccount, paging: Paging
) -> JSONResponse:
    invoice = _invoice(account, invoice_uuid)
    return JSONResponse(envelope(request, "invoice_items", invoice.items_json(), paging))


@router.get("/invoices/{invoice_uuid}/csv")
async def invoice_csv(invoice_uuid: str, account: CurrentAccount) -> Response:
    invoice = _invoice(account, invoice_uuid, issued=True)
    return Response(
        content=invoice.csv_text().encode("utf-8"),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="{invoice.csv_filename()}"'},
    )


@router.get("/invoices/{invoice_uuid}/summary")
async def invoice_summary(invoice_uuid: str, account: CurrentAccount) -> JSONResponse:
    invoice = _invoice(account, invoice_uuid, issued=True)
    return JSONResponse(invoice.summary_json(account.billing.customer))
