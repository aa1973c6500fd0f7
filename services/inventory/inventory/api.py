"""The inventory's HTTP API (reached through the gateway under /api/v1)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.auth import CurrentPrincipal, PlatformAdmin, Principal
from arcadia_core.http import problem
from inventory.adapters import queries
from inventory.domain.history import tenant_era
from inventory.domain.model import Actor
from inventory.domain.projects import Classification
from inventory.domain.registry import UnknownToRegistry
from inventory.schemas import (
    CleanText,
    Cursor,
    Kind,
    ProjectClassification,
    ProjectOut,
    ProjectPage,
    ResourceClassification,
    ResourceDetail,
    ResourceEventOut,
    ResourceOut,
    ResourcePage,
    Status,
)
from inventory.usecases.projects import (
    ResourceInClassifiedProject,
    classify_project,
    classify_resource,
)

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
    if not principal.is_platform_admin and principal.tenant_id is not None:
        events = tenant_era(events, principal.tenant_id)  # a tenant sees only its own era
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
    responses={422: {"description": "A tenant or deployment the customer registry does not know"}},
)
async def patch_project(
    request: Request, admin: PlatformAdmin, project_id: UUID, body: ProjectClassification
) -> ProjectOut:
    sent = body.model_fields_set
    classification = Classification(
        tenant_id=body.tenant_id,
        deployment_id=body.deployment_id,
        purpose=body.purpose,
        clear=frozenset(name for name in sent if getattr(body, name) is None),
    )
    container = request.app.state.container
    try:
        project = await classify_project(
            project_id,
            classification,
            uow=container.uow,
            clock=container.clock,
            actor=actor_of(request, admin),
        )
    except UnknownToRegistry as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    if project is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "project not found")
    return ProjectOut.model_validate(project, from_attributes=True)


def actor_of(request: Request, principal: Principal) -> Actor:
    """Who makes this API call, for the audit events it writes."""
    request_id = request.headers.get("x-request-id") or getattr(request.state, "request_id", None)
    return Actor(principal.subject, principal.role, request_id)


@router.patch(
    "/inventory/{resource_id}",
    response_model=ResourceOut,
    summary="Classify a resource in no classified project (admin), e.g. a stray DNS zone",
    responses={
        409: {"description": "The resource's project is classified: classify that"},
        422: {"description": "A tenant or deployment the customer registry does not know"},
    },
)
async def patch_inventory_item(
    request: Request, admin: PlatformAdmin, resource_id: UUID, body: ResourceClassification
) -> ResourceOut:
    sent = body.model_fields_set
    classification = Classification(
        tenant_id=body.tenant_id,
        deployment_id=body.deployment_id,
        clear=frozenset(name for name in sent if getattr(body, name) is None),
    )
    container = request.app.state.container
    try:
        resource = await classify_resource(
            resource_id,
            classification,
            uow=container.uow,
            clock=container.clock,
            actor=actor_of(request, admin),
        )
    except ResourceInClassifiedProject as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    except UnknownToRegistry as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    if resource is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "resource not found")
    row = {
        name: getattr(resource, name) for name in ResourceOut.model_fields if name != "attributed"
    }
    return ResourceOut.from_row(row)
