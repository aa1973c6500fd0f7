"""The drift HTTP API (through the gateway under /api/v1): platform admins only."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.auth import PlatformAdmin
from drift.adapters import queries
from drift.domain.model import DriftNotOpen
from drift.schemas import (
    AcceptIn,
    DetectionOut,
    DriftOut,
    DriftPage,
    FieldResult,
    ProvisionedIn,
    ProvisionedOut,
    Text,
)
from drift.usecases.detect import DetectionSummary, detect_all
from drift.usecases.provisioning import InvalidSpec, record_provisioned
from drift.usecases.resolve import DriftNotFound, accept_drift

router = APIRouter(prefix="/api/v1", tags=["drift"])

Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]
StatusFilter = Literal["open", "accepted", "reverted", "stale", "all"]


async def invalid_cursor(_: Request, exc: Exception) -> JSONResponse:
    """Registered on the app for `queries.InvalidCursor`."""
    return JSONResponse({"detail": str(exc)}, status_code=status.HTTP_400_BAD_REQUEST)


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.container.sessions
    return sessions


@router.post(
    "/provisioned",
    response_model=ProvisionedOut,
    summary="Record the desired spec of a resource (admin); bumps its spec_version",
)
async def post_provisioned(
    request: Request, _: PlatformAdmin, body: ProvisionedIn
) -> ProvisionedOut:
    container = request.app.state.container
    try:
        recorded = await record_provisioned(
            body.resource_id, body.spec, uow=container.uow, clock=container.clock, kind=body.kind
        )
    except InvalidSpec as exc:
        raise HTTPException(422, str(exc)) from exc
    return ProvisionedOut.model_validate(asdict(recorded))


@router.get(
    "/provisioned/{resource_id}",
    response_model=ProvisionedOut,
    summary="The desired spec of a resource (admin)",
)
async def get_provisioned(request: Request, _: PlatformAdmin, resource_id: UUID) -> ProvisionedOut:
    async with request.app.state.container.uow() as work:
        found = await work.provisioned.get(resource_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no desired spec for this resource")
    return ProvisionedOut.model_validate(asdict(found))


@router.get("/drift", response_model=DriftPage, summary="The drift inbox and its history (admin)")
async def list_drift(
    request: Request,
    _: PlatformAdmin,
    status_: Annotated[
        StatusFilter,
        Query(alias="status", description="open (the inbox), a resolved status, or all"),
    ] = "open",
    kind: Annotated[Text | None, Query(max_length=64)] = None,
    resource: UUID | None = None,
    limit: Limit = 100,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> DriftPage:
    f = queries.DriftFilter(status=status_, kind=kind, resource_id=resource)
    async with _sessions(request)() as session:
        rows, next_cursor = await queries.list_drifts(session, f, limit=limit, cursor=cursor)
    return DriftPage(items=[DriftOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/drift/{drift_id}", response_model=DriftOut, summary="One drift record (admin)")
async def get_drift(request: Request, _: PlatformAdmin, drift_id: UUID) -> DriftOut:
    async with _sessions(request)() as session:
        row = await queries.get_drift(session, drift_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "drift not found")
    return DriftOut.model_validate(row)


@router.post(
    "/drift/{drift_id}/accept",
    response_model=DriftOut,
    summary="Adopt the live value as the desired state and close the drift (admin)",
)
async def post_accept(
    request: Request, principal: PlatformAdmin, drift_id: UUID, body: AcceptIn
) -> DriftOut:
    container = request.app.state.container
    try:
        await accept_drift(
            drift_id,
            by=principal.subject,
            reason=body.reason,
            uow=container.uow,
            clock=container.clock,
        )
    except DriftNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "drift not found") from exc
    except DriftNotOpen as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return await get_drift(request, principal, drift_id)


def detection_out(summary: DetectionSummary) -> DetectionOut:
    return DetectionOut(
        resources=summary.resources,
        drifted_fields=summary.drifted_fields,
        opened=summary.opened,
        changed=summary.changed,
        closed=summary.closed,
        unknown=summary.unknown,
        failed=summary.failed,
        results=[
            FieldResult(
                resource_id=r.resource_id,
                drifted=r.drifted,
                unverifiable=r.unverifiable,
                opened=r.opened,
                changed=r.changed,
                closed=r.closed,
                unknown=r.unknown,
            )
            for r in summary.results
        ],
    )


@router.post(
    "/drift/detect",
    response_model=DetectionOut,
    summary="Detect drift for every provisioned resource now (admin)",
)
async def post_detect(request: Request, _: PlatformAdmin) -> DetectionOut:
    container = request.app.state.container
    return detection_out(await detect_all(uow=container.uow, clock=container.clock))
