"""``/v2/droplets``: GPU droplets are listed only with ``type=gpus``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from do_sandbox.account import Json, is_gpu_droplet
from do_sandbox.deps import CurrentAccount, get_or_404
from do_sandbox.paging import Paging, envelope

router = APIRouter(prefix="/v2/droplets")


@router.get("")
async def list_droplets(
    request: Request,
    account: CurrentAccount,
    paging: Paging,
    kind: Annotated[Literal["droplets", "gpus"], Query(alias="type")] = "droplets",
    tag_name: str | None = None,
    name: str | None = None,
) -> JSONResponse:
    want_gpus = kind == "gpus"
    droplets = [
        d
        for d in account.items("droplets")
        if is_gpu_droplet(d) == want_gpus
        and (tag_name is None or tag_name in d["tags"])
        and (name is None or d["name"] == name)
    ]
    return JSONResponse(envelope(request, "droplets", droplets, paging))


@router.get("/{droplet_id}")
async def get_droplet(droplet_id: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"droplet": get_or_404(account, "droplets", droplet_id)})


@router.get("/{droplet_id}/backups")
async def list_backups(
    request: Request, droplet_id: str, account: CurrentAccount, paging: Paging
) -> JSONResponse:
    droplet = get_or_404(account, "droplets", droplet_id)
    backups = [b for b in (account.get("backups", i) for i in droplet["backup_ids"]) if b]
    return JSONResponse(envelope(request, "backups", backups, paging))


@router.get("/{droplet_id}/snapshots")
async def list_droplet_snapshots(
    request: Request, droplet_id: str, account: CurrentAccount, paging: Paging
) -> JSONResponse:
    droplet = get_or_404(account, "droplets", droplet_id)
    snapshots = [
        _as_image(snapshot, droplet)
        for snapshot in (account.get("snapshots", str(i)) for i in droplet["snapshot_ids"])
        if snapshot
    ]
    return JSONResponse(envelope(request, "snapshots", snapshots, paging))


def _as_image(snapshot: Json, droplet: Json) -> Json:
    """A ``/v2/snapshots`` item in the image shape the per-droplet listing uses."""
    return {
        "id": int(snapshot["id"]),
        "name": snapshot["name"],
        "distribution": droplet["image"]["distribution"],
        "slug": None,
        "public": False,
        "regions": snapshot["regions"],
        "created_at": snapshot["created_at"],
        "min_disk_size": snapshot["min_disk_size"],
        "size_gigabytes": snapshot["size_gigabytes"],
        "type": "snapshot",
    }
