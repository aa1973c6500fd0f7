"""``/v2/snapshots``: droplet and volume snapshots with string ids, never droplet backups."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from do_sandbox.deps import CurrentAccount, get_or_404
from do_sandbox.paging import Paging, envelope

router = APIRouter(prefix="/v2/snapshots")


@router.get("")
async def list_snapshots(
    request: Request,
    account: CurrentAccount,
    paging: Paging,
    resource_type: Literal["droplet", "volume"] | None = None,
) -> JSONResponse:
    snapshots = [
        s
        for s in account.items("snapshots")
        if resource_type is None or s["resource_type"] == resource_type
    ]
    return JSONResponse(envelope(request, "snapshots", snapshots, paging))


@router.get("/{snapshot_id}")
async def get_snapshot(snapshot_id: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"snapshot": get_or_404(account, "snapshots", snapshot_id)})
