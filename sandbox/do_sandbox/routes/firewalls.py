"""``/v2/firewalls``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from do_sandbox.deps import CurrentAccount, get_or_404
from do_sandbox.paging import Paging, envelope

router = APIRouter(prefix="/v2/firewalls")


@router.get("")
async def list_firewalls(request: Request, account: CurrentAccount, paging: Paging) -> JSONResponse:
    return JSONResponse(envelope(request, "firewalls", account.items("firewalls"), paging))


@router.get("/{firewall_id}")
async def get_firewall(firewall_id: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"firewall": get_or_404(account, "firewalls", firewall_id)})
