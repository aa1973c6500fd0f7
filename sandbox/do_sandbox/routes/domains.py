"""``/v2/domains``: keyed by name, with no ``id`` and no ``created_at``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from do_sandbox.deps import CurrentAccount, get_or_404
from do_sandbox.paging import Paging, envelope

router = APIRouter(prefix="/v2/domains")


@router.get("")
async def list_domains(request: Request, account: CurrentAccount, paging: Paging) -> JSONResponse:
    return JSONResponse(envelope(request, "domains", account.items("domains"), paging))


@router.get("/{name}")
async def get_domain(name: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"domain": get_or_404(account, "domains", name)})
