"""``/v2/volumes``: ``droplet_ids`` and ``tags`` may be null."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from do_sandbox.deps import CurrentAccount, get_or_404
from do_sandbox.paging import Paging, envelope

router = APIRouter(prefix="/v2/volumes")


@router.get("")
async def list_volumes(
    request: Request,
    account: CurrentAccount,
    paging: Paging,
    name: str | None = None,
    region: str | None = None,
) -> JSONResponse:
    volumes = [
        v
        for v in account.items("volumes")
        if (name is None or v["name"] == name) and (region is None or v["region"]["slug"] == region)
    ]
    return JSONResponse(envelope(request, "volumes", volumes, paging))


@router.get("/{volume_id}")
async def get_volume(volume_id: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"volume": get_or_404(account, "volumes", volume_id)})
