"""Metering's HTTP API (reached through the gateway under /api/v1)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request, status
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.auth import CurrentPrincipal, PlatformAdmin
from metering.adapters import queries
from metering.adapters.tables import usage_records
from metering.schemas import (
    ConfigIn,
    ConfigOut,
    KindConfigBody,
    ResourceUsageOut,
    ResourceUsagePage,
    UnmeteredOut,
    UnmeteredPage,
    UsageDay,
    UsageOut,
    shown,
)
from metering.usecases.settings import UnknownBillingKind, read_config, update_config

router = APIRouter(prefix="/api/v1", tags=["metering"])


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = request.app.state.container.sessions
    return sessions


@router.get("/usage", response_model=UsageOut, summary="A deployment's usage over [from, to)")
async def get_usage(
    request: Request,
    principal: CurrentPrincipal,
    deployment_id: UUID,
    from_: Annotated[date, Query(alias="from", description="First UTC day (inclusive)")],
    to: Annotated[date, Query(description="End UTC day (exclusive)")],
    granularity: Annotated[
        Literal["total", "day"], Query(description="`day` adds a per-day breakdown")
    ] = "total",
) -> UsageOut:
    if to <= from_:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "`to` must be after `from`")
    start, end = queries.period_bounds(from_, to)
    tenant = None if principal.is_platform_admin else principal.tenant_id
    async with _sessions(request)() as session:
        if not await queries.visible_deployment(session, principal, deployment_id):
            raise HTTPException(status.HTTP_404_NOT_FOUND, "deployment not found")
        totals = await queries.usage_for_period(
            session, deployment_id, start, end, tenant_id=tenant
        )
        u = usage_records.c
        count_query = select(func.count()).where(
            u.deployment_id == deployment_id, u.period_start >= start, u.period_start < end
        )
        if tenant is not None:
            count_query = count_query.where(u.tenant_id == tenant)
        records = int(await session.scalar(count_query) or 0)
        days = None
        if granularity == "day":
            by_day = await queries.usage_by_day(
                session, deployment_id, start, end, tenant_id=tenant
            )
            days = [UsageDay(day=d, totals=t, shown=shown(t)) for d, t in by_day.items()]
    return UsageOut(
        deployment_id=deployment_id,
        from_=from_,
        to=to,
        records=records,
        totals=totals,
        shown=shown(totals),
        days=days,
    )


@router.get(
    "/usage/unmetered",
    response_model=UnmeteredPage,
    summary="Attributed resources that produce no usage, with the reason (admin)",
)
async def get_unmetered(
    request: Request,
    _: PlatformAdmin,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
) -> UnmeteredPage:
    async with _sessions(request)() as session:
        rows = await queries.unmetered(session, limit=limit)
    return UnmeteredPage(items=[UnmeteredOut(**asdict(r)) for r in rows])


@router.get(
    "/usage/by-resource",
    response_model=ResourceUsagePage,
    summary="Metered quantity per deployment, resource and billing kind over [from, to) (admin)",
)
async def get_usage_by_resource(
    request: Request,
    _: PlatformAdmin,
    from_: Annotated[date, Query(alias="from", description="First UTC day (inclusive)")],
    to: Annotated[date, Query(description="End UTC day (exclusive)")],
    limit: Annotated[int, Query(ge=1, le=5000, description="Page size")] = 1000,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
) -> ResourceUsagePage:
    if to <= from_:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "`to` must be after `from`")
    start, end = queries.period_bounds(from_, to)
    try:
        async with _sessions(request)() as session:
            rows, following = await queries.usage_by_resource(
                session, start, end, limit=limit, cursor=cursor
            )
    except queries.InvalidCursor as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from exc
    return ResourceUsagePage(
        items=[ResourceUsageOut(**asdict(r)) for r in rows], next_cursor=following
    )


@router.get("/metering/config", response_model=ConfigOut, summary="Metering configuration")
async def get_config(request: Request, _: PlatformAdmin) -> ConfigOut:
    config = await read_config(uow=request.app.state.container.uow)
    return ConfigOut(items=[KindConfigBody.of(c) for c in config.values()])


@router.put(
    "/metering/config",
    response_model=ConfigOut,
    summary="Change granularity or retention of billing kinds (admin)",
)
async def put_config(request: Request, _: PlatformAdmin, body: ConfigIn) -> ConfigOut:
    container = request.app.state.container
    try:
        config = await update_config(
            [item.domain() for item in body.items], uow=container.uow, clock=container.clock
        )
    except UnknownBillingKind as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(exc)) from exc
    return ConfigOut(items=[KindConfigBody.of(c) for c in config.values()])
