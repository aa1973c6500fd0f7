"""The read side of the inventory API: filtered, scoped, cursor-paginated listings."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Select, and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.auth import Principal, scoped
from inventory.adapters.tables import cloud_projects, cloud_resource_events, cloud_resources


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ResourceFilter:
    kind: str | None = None
    tenant_id: UUID | None = None
    deployment_id: UUID | None = None
    project_id: UUID | None = None
    status: str | None = None
    include_deleted: bool = False
    unattributed: bool | None = None
    search: str | None = None


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor: str, size: int) -> list[str]:
    """The key a cursor holds: exactly `size` strings PostgreSQL can compare, or InvalidCursor."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, RecursionError) as exc:  # bad base64, bad UTF-8, bad or too deep JSON
        raise InvalidCursor("cursor is not one this API returned") from exc
    if (
        not isinstance(key, list)
        or len(key) != size
        or not all(isinstance(part, str) and _storable(part) for part in key)
    ):
        raise InvalidCursor("cursor is not one this API returned")
    return key


def _storable(text: str) -> bool:
    return len(text) <= 512 and not any(ord(c) == 0 or 0xD800 <= ord(c) <= 0xDFFF for c in text)


def _filtered(statement: Select[Any], f: ResourceFilter) -> Select[Any]:
    c = cloud_resources.c
    conditions = []
    if f.kind:
        conditions.append(c.kind == f.kind)
    if f.tenant_id:
        conditions.append(c.tenant_id == f.tenant_id)
    if f.deployment_id:
        conditions.append(c.deployment_id == f.deployment_id)
    if f.project_id:
        conditions.append(c.project_id == f.project_id)
    if f.status:
        conditions.append(c.status == f.status)
    if not f.include_deleted:
        conditions.append(c.deleted_at.is_(None))
    if f.unattributed is True:
        conditions.append(c.tenant_id.is_(None))
    elif f.unattributed is False:
        conditions.append(c.tenant_id.is_not(None))
    if f.search:
        pattern = f"%{f.search}%"
        conditions.append(or_(c.name.ilike(pattern), c.provider_id.ilike(pattern)))
    return statement.where(and_(*conditions)) if conditions else statement


async def list_resources(
    session: AsyncSession,
    principal: Principal,
    f: ResourceFilter,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    c = cloud_resources.c
    statement = scoped(_filtered(select(cloud_resources), f), principal, c.tenant_id)
    if cursor:
        kind, provider_id = decode_cursor(cursor, 2)
        statement = statement.where(tuple_(c.kind, c.provider_id) > tuple_(kind, provider_id))
    statement = statement.order_by(c.kind, c.provider_id).limit(limit + 1)
    rows = [dict(row) for row in (await session.execute(statement)).mappings()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["kind"], rows[-1]["provider_id"])
    return rows, next_cursor


async def get_resource(
    session: AsyncSession, principal: Principal, resource_id: UUID
) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    c = cloud_resources.c
    statement = scoped(select(cloud_resources).where(c.id == resource_id), principal, c.tenant_id)
    row = (await session.execute(statement)).mappings().first()
    if row is None:
        return None
    events = await session.execute(
        select(cloud_resource_events)
        .where(cloud_resource_events.c.resource_id == resource_id)
        .order_by(cloud_resource_events.c.id)
    )
    return dict(row), [dict(e) for e in events.mappings()]


async def list_projects(
    session: AsyncSession, principal: Principal, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    c = cloud_projects.c
    statement = scoped(select(cloud_projects), principal, c.tenant_id)
    if cursor:
        (name, project_id) = decode_cursor(cursor, 2)
        try:
            after = UUID(project_id)
        except ValueError as exc:
            raise InvalidCursor("cursor is not one this API returned") from exc
        statement = statement.where(tuple_(c.name, c.id) > tuple_(name, after))
    statement = statement.order_by(c.name, c.id).limit(limit + 1)
    rows = [dict(row) for row in (await session.execute(statement)).mappings()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1]["name"], str(rows[-1]["id"]))
    return rows, next_cursor
