"""``/v2/reserved_ips`` and its legacy twin ``/v2/floating_ips``: the same objects.

``droplet`` is the current full droplet object (null when unassigned or destroyed) and
``project_id`` is the project the IP's ``do:floatingip:`` URN belongs to.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from do_sandbox.account import Account, Json
from do_sandbox.deps import CurrentAccount, get_or_404
from do_sandbox.paging import Paging, envelope

router = APIRouter()


def render(account: Account, reserved_ip: Json) -> Json:
    attached = reserved_ip.get("droplet")
    droplet = account.get("droplets", attached["id"]) if attached else None
    project_id = account.project_of(f"do:floatingip:{reserved_ip['ip']}")
    return {
        **reserved_ip,
        "droplet": droplet,
        "project_id": project_id or reserved_ip.get("project_id", ""),
    }


def _list(request: Request, account: Account, paging: Paging, key: str) -> JSONResponse:
    items = [render(account, ip) for ip in account.items("reserved_ips")]
    return JSONResponse(envelope(request, key, items, paging))


@router.get("/v2/reserved_ips")
async def list_reserved_ips(
    request: Request, account: CurrentAccount, paging: Paging
) -> JSONResponse:
    return _list(request, account, paging, "reserved_ips")


@router.get("/v2/floating_ips")
async def list_floating_ips(
    request: Request, account: CurrentAccount, paging: Paging
) -> JSONResponse:
    return _list(request, account, paging, "floating_ips")


@router.get("/v2/reserved_ips/{ip}")
async def get_reserved_ip(ip: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"reserved_ip": render(account, get_or_404(account, "reserved_ips", ip))})


@router.get("/v2/floating_ips/{ip}")
async def get_floating_ip(ip: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"floating_ip": render(account, get_or_404(account, "reserved_ips", ip))})
