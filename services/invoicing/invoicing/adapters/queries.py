"""The read side of the invoicing API: scoped, filtered, cursor-paginated listings."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.auth import Principal, scoped
from invoicing.adapters.repository import SqlRegistry
from invoicing.adapters.tables import (
    deployments,
    subscriptions,
    tenant_invoices,
    tenants,
)
from invoicing.domain.model import Subscription


class InvalidCursor(ValueError):
    pass


def _after(statement: Select[Any], table: Table, cursor: str | None) -> Select[Any]:
    if cursor is None:
        return statement
    try:
        last = UUID(cursor)
    except ValueError as exc:
        raise InvalidCursor("cursor is not one this API returned") from exc
    return statement.where(table.c.id > last)


async def _page(
    session: AsyncSession,
    table: Table,
    principal: Principal,
    tenant_column: ColumnElement[Any],
    conditions: list[ColumnElement[bool]],
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    statement = scoped(select(table), principal, tenant_column)
    for condition in conditions:
        statement = statement.where(condition)
    statement = _after(statement, table, cursor).order_by(table.c.id).limit(limit + 1)
    rows = [dict(r) for r in (await session.execute(statement)).mappings().all()]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1]["id"]) if more and rows else None)


async def list_tenants(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    return await _page(session, tenants, principal, tenants.c.id, [], limit=limit, cursor=cursor)


async def get_tenant(
    session: AsyncSession, principal: Principal, tenant_id: UUID
) -> dict[str, Any] | None:
    statement = scoped(select(tenants), principal, tenants.c.id).where(tenants.c.id == tenant_id)
    row = (await session.execute(statement)).mappings().first()
    return None if row is None else dict(row)


async def list_deployments(
    session: AsyncSession,
    principal: Principal,
    *,
    tenant_id: UUID | None,
    include_removed: bool,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    conditions: list[ColumnElement[bool]] = []
    if tenant_id is not None:
        conditions.append(deployments.c.tenant_id == tenant_id)
    if not include_removed:
        conditions.append(deployments.c.active.is_(True))
    return await _page(
        session,
        deployments,
        principal,
        deployments.c.tenant_id,
        conditions,
        limit=limit,
        cursor=cursor,
    )


async def get_deployment(
    session: AsyncSession, principal: Principal, deployment_id: UUID
) -> dict[str, Any] | None:
    statement = scoped(select(deployments), principal, deployments.c.tenant_id).where(
        deployments.c.id == deployment_id
    )
    row = (await session.execute(statement)).mappings().first()
    return None if row is None else dict(row)


async def list_subscriptions(
    session: AsyncSession,
    principal: Principal,
    *,
    tenant_id: UUID | None,
    deployment_id: UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Subscription], str | None]:
    statement = scoped(select(subscriptions.c.id), principal, subscriptions.c.tenant_id)
    if tenant_id is not None:
        statement = statement.where(subscriptions.c.tenant_id == tenant_id)
    if deployment_id is not None:
        statement = statement.where(subscriptions.c.deployment_id == deployment_id)
    statement = _after(statement, subscriptions, cursor).order_by(subscriptions.c.id)
    ids = list((await session.scalars(statement.limit(limit + 1))).all())
    more = len(ids) > limit
    ids = ids[:limit]
    found = await SqlRegistry(session)._subscriptions(subscriptions.c.id.in_(ids))
    found.sort(key=lambda s: s.id)
    return found, (str(ids[-1]) if more and ids else None)


async def get_subscription(
    session: AsyncSession, principal: Principal, subscription_id: UUID
) -> Subscription | None:
    found = await SqlRegistry(session).subscription(subscription_id)
    if found is None or not (principal.is_platform_admin or found.tenant_id == principal.tenant_id):
        return None
    return found


async def list_invoices(
    session: AsyncSession,
    principal: Principal,
    *,
    tenant_id: UUID | None,
    period_start: date | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    conditions: list[ColumnElement[bool]] = []
    if tenant_id is not None:
        conditions.append(tenant_invoices.c.tenant_id == tenant_id)
    if period_start is not None:
        conditions.append(tenant_invoices.c.period_start == period_start)
    if status is not None:
        conditions.append(tenant_invoices.c.status == status)
    return await _page(
        session,
        tenant_invoices,
        principal,
        tenant_invoices.c.tenant_id,
        conditions,
        limit=limit,
        cursor=cursor,
    )


async def invoice_visible(session: AsyncSession, principal: Principal, invoice_id: UUID) -> bool:
    statement = scoped(select(tenant_invoices.c.id), principal, tenant_invoices.c.tenant_id).where(
        tenant_invoices.c.id == invoice_id
    )
    return (await session.scalar(statement)) is not None
