"""The billing HTTP API (reached through the gateway under /api/v1/billing): admins only."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.auth import PlatformAdmin
from billing_ingest.adapters import queries
from billing_ingest.schemas import (
    BalanceOut,
    BalanceView,
    CostLineOut,
    CostLinePage,
    InvoiceDetail,
    InvoiceOut,
    InvoicePage,
    PreviewOut,
)

router = APIRouter(prefix="/api/v1/billing", tags=["billing"])

Limit = Annotated[int, Query(ge=1, le=1000, description="Page size")]

Kind = Annotated[str | None, Query(max_length=64, pattern="^[a-z_]+$")]


async def invalid_cursor(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_400_BAD_REQUEST)


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.container.sessions
    return sessions


@router.get("/balance", response_model=BalanceView, summary="Latest balance and month to date")
async def balance(request: Request, _: PlatformAdmin) -> BalanceView:
    async with _sessions(request)() as session:
        snapshot = await queries.latest_balance(session)
        preview = await queries.latest_preview(session)
    return BalanceView(
        balance=BalanceOut.model_validate(snapshot) if snapshot else None,
        month_to_date=PreviewOut.model_validate(preview) if preview else None,
    )


@router.get("/invoices", response_model=InvoicePage, summary="DigitalOcean invoices")
async def list_invoices(
    request: Request,
    _: PlatformAdmin,
    status_: Annotated[
        str | None, Query(alias="status", pattern="^(pending|ingested|failed)$")
    ] = None,
    limit: Limit = 100,
    cursor: str | None = None,
) -> InvoicePage:
    async with _sessions(request)() as session:
        rows, following = await queries.list_invoices(
            session, status=status_, limit=limit, cursor=cursor
        )
    return InvoicePage(items=[InvoiceOut.model_validate(r) for r in rows], next_cursor=following)


@router.get(
    "/invoices/{invoice_uuid}",
    response_model=InvoiceDetail,
    summary="One invoice: its lines, match rate and reconciliation",
)
async def get_invoice(request: Request, _: PlatformAdmin, invoice_uuid: str) -> InvoiceDetail:
    async with _sessions(request)() as session:
        header = await queries.get_invoice(session, invoice_uuid)
        if header is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "invoice not found")
        lines = await queries.invoice_lines(session, invoice_uuid)
        reasons = await queries.unmatched_by_reason(session, invoice_uuid)
    return InvoiceDetail(
        **InvoiceOut.model_validate(header).model_dump(),
        reconciliation=header["reconciliation"],
        unmatched_by_reason=reasons,
        lines=[CostLineOut.model_validate(line) for line in lines],
    )


@router.get("/cost-lines", response_model=CostLinePage, summary="Cost lines of a billing period")
async def cost_lines(
    request: Request,
    _: PlatformAdmin,
    period: Annotated[date, Query(description="A day of the billed month (YYYY-MM-DD)")],
    kind: Kind = None,
    limit: Limit = 500,
    cursor: str | None = None,
) -> CostLinePage:
    async with _sessions(request)() as session:
        rows, following = await queries.cost_lines(
            session, day=period, kind=kind, limit=limit, cursor=cursor
        )
    return CostLinePage(items=[CostLineOut.model_validate(r) for r in rows], next_cursor=following)
