"""``/_sandbox``: test controls, no authentication.

Faults, request stats, reset to the loaded scenario, export of the account in the
scenario file format, and put/remove of items and project memberships.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from do_sandbox import scenarios
from do_sandbox.deps import CurrentAccount
from do_sandbox.errors import ApiError, not_found
from do_sandbox.ratelimit import RateLimiter

router = APIRouter(prefix="/_sandbox")


class FaultRequest(BaseModel):
    path_prefix: str
    status: int
    times: int = Field(default=1, ge=1)
    retry_after: int | None = Field(default=None, ge=0)
    after: int = Field(default=0, ge=0)


class MembershipRequest(BaseModel):
    project_id: str
    urn: str
    assigned_at: str | None = None


@router.get("/faults")
async def list_faults(account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"faults": [f.as_json() for f in account.faults.pending]})


@router.post("/faults")
async def inject_fault(spec: FaultRequest, account: CurrentAccount) -> JSONResponse:
    try:
        fault = account.faults.inject(**spec.model_dump())
    except ValueError as exc:
        raise ApiError(422, "unprocessable_entity", str(exc)) from exc
    return JSONResponse({"fault": fault.as_json()}, status_code=201)


@router.delete("/faults")
async def clear_faults(account: CurrentAccount) -> Response:
    account.faults.clear()
    return Response(status_code=204)


@router.get("/stats")
async def get_stats(account: CurrentAccount) -> JSONResponse:
    return JSONResponse(account.stats.as_json())


@router.delete("/stats")
async def clear_stats(account: CurrentAccount) -> Response:
    account.stats.clear()
    return Response(status_code=204)


@router.post("/reset")
async def reset(request: Request, account: CurrentAccount) -> JSONResponse:
    """Reload the scenario and forget faults, stats and rate-limit windows."""
    if account.scenario is None:
        raise ApiError(409, "conflict", "this account was not loaded from a scenario")
    account.replace_with(scenarios.load(account.scenario.name, **account.scenario.params))
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is not None:
        limiter.reset()
    return JSONResponse({"scenario": account.scenario.name, "counts": account.counts()})


@router.get("/account")
async def export_account(account: CurrentAccount) -> JSONResponse:
    return JSONResponse(account.to_json())


@router.put("/collections/{collection}")
async def put_item(
    collection: str,
    account: CurrentAccount,
    item: dict[str, Any] = Body(),
    project: str | None = None,
) -> JSONResponse:
    try:
        stored = account.put(collection, item, project=project)
    except KeyError as exc:
        raise not_found() from exc
    except ValueError as exc:
        raise ApiError(422, "unprocessable_entity", str(exc)) from exc
    return JSONResponse({"item": stored})


@router.delete("/collections/{collection}/{key}")
async def remove_item(collection: str, key: str, account: CurrentAccount) -> Response:
    try:
        account.remove(collection, key)
    except KeyError as exc:
        raise not_found() from exc
    return Response(status_code=204)


@router.put("/memberships")
async def assign(membership: MembershipRequest, account: CurrentAccount) -> Response:
    try:
        account.assign(membership.project_id, membership.urn, membership.assigned_at)
    except KeyError as exc:
        raise not_found() from exc
    except ValueError as exc:
        raise ApiError(422, "unprocessable_entity", str(exc)) from exc
    return Response(status_code=204)


@router.delete("/memberships/{urn:path}")
async def unassign(urn: str, account: CurrentAccount) -> Response:
    if account.project_of(urn) is None:
        raise not_found()
    account.unassign(urn)
    return Response(status_code=204)
