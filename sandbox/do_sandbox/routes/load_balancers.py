"""``/v2/load_balancers``: ``project_id`` follows the LB's project membership."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from do_sandbox.account import Account, Json
from do_sandbox.deps import CurrentAccount, get_or_404
from do_sandbox.paging import Paging, envelope

router = APIRouter(prefix="/v2/load_balancers")


def render(account: Account, load_balancer: Json) -> Json:
    project_id = account.project_of(f"do:loadbalancer:{load_balancer['id']}")
    return {**load_balancer, "project_id": project_id or load_balancer.get("project_id", "")}


@router.get("")
async def list_load_balancers(
    request: Request, account: CurrentAccount, paging: Paging
) -> JSONResponse:
    items = [render(account, lb) for lb in account.items("load_balancers")]
    return JSONResponse(envelope(request, "load_balancers", items, paging))


@router.get("/{lb_id}")
async def get_load_balancer(lb_id: str, account: CurrentAccount) -> JSONResponse:
    lb = get_or_404(account, "load_balancers", lb_id)
    return JSONResponse({"load_balancer": render(account, lb)})
