"""The inventory's HTTP API (reached through the gateway under /api/v1)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.auth import CurrentPrincipal, PlatformAdmin
from arcadia_core.http import problem
from inventory.adapters import queries
from inventory.domain.projects import Classification
from inventory.schemas import (
    CleanText,
    Cursor,
    Kind,
    ProjectClassification,
    ProjectOut,
    ProjectPage,
    ResourceDetail,
    ResourceEventOut,
    ResourceOut,
    ResourcePage,
    Status,
)
from inventory.usecases.projects import classify_project

router = APIRouter(prefix="/api/v1", tags=["inventory"])

Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]


async def invalid_cursor(_: Request, exc: Exception) -> JSONResponse:
    """Registered on the app for `queries.InvalidCursor`: a cursor this API did not hand out."""
    return problem(status.HTTP_400_BAD_REQUEST, str(exc))


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.container.sessions
    return sessions


@router.get("/inventory", response_model=ResourcePage, summary="List mirrored resources")
async def list_inventory(
    request: Request,
    principal: CurrentPrincipal,
    kind: Kind | None = None,
    tenant: UUID | None = None,
    deployment: UUID | None = None,
    project: UUID | None = None,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    include_deleted: bool = False,
    unattributed: bool | None = None,
    q: Annotated[
        CleanText | None, Query(max_length=200, description="Search in name and provider id")
    ] = None,
    limit: Limit = 100,
    cursor: Cursor | None = None,
) -> ResourcePage:
    f = queries.ResourceFilter(
        kind=kind,
        tenant_id=tenant,
        deployment_id=deployment,
        project_id=project,
        status=status_,
        include_deleted=include_deleted,
        unattributed=unattributed,
        search=q,
    )
    async with _sessions(request)() as session:
        rows, next_cursor = await queries.list_resources(
            session, principal, f, limit=limit, cursor=cursor
        )
    return ResourcePage(items=[ResourceOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/inventory/{resource_id}",
    response_model=ResourceDetail,
    summary="One resource and its event log",
)
async def get_inventory_item(
    request: Request, principal: CurrentPrincipal, resource_id: UUID
) -> ResourceDetail:
    async with _sessions(request)() as session:
        found = await queries.get_resource(session, principal, resource_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "resource not found")
    row, events = found
    return ResourceDetail(
        **ResourceOut.from_row(row).model_dump(),
        events=[ResourceEventOut.model_validate(e) for e in events],
    )


@router.get("/projects", response_model=ProjectPage, summary="List mirrored DigitalOcean projects")
async def list_projects(
    request: Request, principal: CurrentPrincipal, limit: Limit = 100, cursor: Cursor | None = None
) -> ProjectPage:
    async with _sessions(request)() as session:
        rows, next_cursor = await queries.list_projects(
            session, principal, limit=limit, cursor=cursor
        )
    return ProjectPage(items=[ProjectOut.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.patch(
    "/projects/{project_id}",
    response_model=ProjectOut,
    summary="Classify a project (admin); its resources inherit tenant and deployment",
)
async def patch_project(
    request: Request, _: PlatformAdmin, project_id: UUID, body: ProjectClassification
) -> ProjectOut:
    sent = body.model_fields_set
    classification = Classification(
        tenant_id=body.tenant_id,
        deployment_id=body.deployment_id,
        purpose=body.purpose,
        clear=frozenset(name for name in sent if getattr(body, name) is None),
    )
    container = request.app.state.container
    project = await classify_project(
        project_id, classification, uow=container.uow, clock=container.clock
    )
    if project is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "project not found")
    return ProjectOut.model_validate(project, from_attributes=True)
