"""Read side: usage totals and breakdowns, and attributed resources without usage."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import exists, func, literal_column, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.auth import Principal
from metering.adapters.tables import resources, usage_records
from metering.domain.billing import unmetered_reason
from metering.domain.plan import day_start


async def usage_for_period(
    session: AsyncSession,
    deployment_id: UUID,
    start: datetime,
    end: datetime,
    *,
    tenant_id: UUID | None = None,
) -> dict[str, Decimal]:
    """`SUM(qty)` by billing kind over [start, end): the map the quote engine takes."""
    u = usage_records.c
    statement = (
        select(u.resource_kind, func.sum(u.qty))
        .where(u.deployment_id == deployment_id, u.period_start >= start, u.period_start < end)
        .group_by(u.resource_kind)
        .order_by(u.resource_kind)
    )
    if tenant_id is not None:
        statement = statement.where(u.tenant_id == tenant_id)
    return {kind: Decimal(total) for kind, total in await session.execute(statement)}


async def usage_by_day(
    session: AsyncSession,
    deployment_id: UUID,
    start: datetime,
    end: datetime,
    *,
    tenant_id: UUID | None = None,
) -> dict[date, dict[str, Decimal]]:
    u = usage_records.c
    day = func.date(func.timezone(literal_column("'UTC'"), u.period_start)).label("day")
    statement = (
        select(day, u.resource_kind, func.sum(u.qty))
        .where(u.deployment_id == deployment_id, u.period_start >= start, u.period_start < end)
        .group_by(day, u.resource_kind)
        .order_by(day, u.resource_kind)
    )
    if tenant_id is not None:
        statement = statement.where(u.tenant_id == tenant_id)
    out: dict[date, dict[str, Decimal]] = {}
    for on, kind, total in await session.execute(statement):
        out.setdefault(on, {})[kind] = Decimal(total)
    return out


async def visible_deployment(
    session: AsyncSession, principal: Principal, deployment_id: UUID
) -> bool:
    """A platform admin sees every deployment; a tenant only one it is attributed to."""
    if principal.is_platform_admin:
        return True
    u, r = usage_records.c, resources.c
    found = await session.scalar(
        select(
            exists().where(u.deployment_id == deployment_id, u.tenant_id == principal.tenant_id)
            | exists().where(r.deployment_id == deployment_id, r.tenant_id == principal.tenant_id)
        )
    )
    return bool(found)


@dataclass(frozen=True, slots=True)
class Unmetered:
    resource_id: UUID
    kind: str
    name: str | None
    status: str | None
    tenant_id: UUID | None
    deployment_id: UUID
    reason: str


async def unmetered(session: AsyncSession, *, limit: int = 500) -> list[Unmetered]:
    """Live attributed resources that produce no usage, with the reason."""
    r = resources.c
    rows = await session.execute(
        select(r.id, r.kind, r.name, r.status, r.size_gb, r.tenant_id, r.deployment_id)
        .where(r.deployment_id.is_not(None), r.deleted_at.is_(None))
        .order_by(r.kind, r.name, r.id)
    )
    out: list[Unmetered] = []
    for rid, kind, name, status, size, tenant, deployment in rows:
        reason = unmetered_reason(kind, status, size)
        if reason is not None:
            out.append(Unmetered(rid, kind, name, status, tenant, deployment, reason))
            if len(out) >= limit:
                break
    return out


@dataclass(frozen=True, slots=True)
class ResourceUsage:
    """Metered quantity of one billing kind for one resource of one deployment."""

    deployment_id: UUID
    tenant_id: UUID | None
    resource_id: UUID
    billing_kind: str
    quantity: Decimal


class InvalidCursor(ValueError):
    """A cursor this API did not hand out."""


def _encode_cursor(deployment_id: UUID, resource_id: UUID, billing_kind: str) -> str:
    key = [str(deployment_id), str(resource_id), billing_kind]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode_cursor(cursor: str) -> tuple[UUID, UUID, str]:
    try:
        deployment, resource, kind = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return UUID(deployment), UUID(resource), str(kind)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidCursor("cursor is not one this API returned") from exc


async def usage_by_resource(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    *,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[ResourceUsage], str | None]:
    """`SUM(qty)` per (deployment, resource, billing kind) over [start, end), every granularity,
    in key order; the cursor is the last key of the page."""
    u = usage_records.c
    key = (u.deployment_id, u.resource_id, u.resource_kind)
    # a deployment belongs to one tenant: any non-null tenant of its rows is that tenant
    tenant = (func.array_agg(u.tenant_id).filter(u.tenant_id.is_not(None)))[1]
    statement = (
        select(*key, tenant, func.sum(u.qty))
        .where(u.period_start >= start, u.period_start < end)
        .group_by(*key)
        .order_by(*key)
        .limit(limit + 1)
    )
    if cursor:
        statement = statement.where(tuple_(*key) > _decode_cursor(cursor))
    rows = [
        ResourceUsage(deployment, tenant_id, resource, kind, Decimal(total))
        for deployment, resource, kind, tenant_id, total in await session.execute(statement)
    ]
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        following = _encode_cursor(last.deployment_id, last.resource_id, last.billing_kind)
    return rows, following


def period_bounds(first: date, end: date) -> tuple[datetime, datetime]:
    return day_start(first), day_start(end)
