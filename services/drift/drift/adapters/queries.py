"""The read side of the drift API: the drift inbox and its history, filtered and paginated."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from drift.adapters.tables import cloud_drift, cloud_provisioned, live_resources

ALL = "all"


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class DriftFilter:
    # "open" (the inbox) by default; a status, or "all" for the history too
    status: str = "open"
    kind: str | None = None
    resource_id: UUID | None = None


def encode_cursor(opened_at: datetime, drift_id: UUID) -> str:
    key = json.dumps([opened_at.isoformat(), str(drift_id)])
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        opened_at, drift_id = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        at, key = datetime.fromisoformat(opened_at), UUID(drift_id)
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise InvalidCursor("cursor is not one this API returned") from exc
    if at.tzinfo is None:
        raise InvalidCursor("cursor is not one this API returned")
    return at, key


def _columns() -> list[Any]:
    return [
        *cloud_drift.c,
        live_resources.c.kind,
        live_resources.c.provider_id,
        live_resources.c.name,
        live_resources.c.deleted_at.label("resource_deleted_at"),
        cloud_provisioned.c.kind.label("spec_kind"),
    ]


def _joined() -> Any:
    return cloud_drift.outerjoin(
        live_resources, live_resources.c.resource_id == cloud_drift.c.resource_id
    ).outerjoin(cloud_provisioned, cloud_provisioned.c.resource_id == cloud_drift.c.resource_id)


def _row(row: Any) -> dict[str, Any]:
    item = dict(row._mapping)
    item["kind"] = item.pop("kind") or item.get("spec_kind")
    item.pop("spec_kind", None)
    return item


async def list_drifts(
    session: AsyncSession, f: DriftFilter, *, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; `next_cursor` is None on the last page."""
    c = cloud_drift.c
    statement = select(*_columns()).select_from(_joined())
    if f.status != ALL:
        statement = statement.where(c.status == f.status)
    if f.kind:
        statement = statement.where(
            or_(
                live_resources.c.kind == f.kind,
                and_(live_resources.c.kind.is_(None), cloud_provisioned.c.kind == f.kind),
            )
        )
    if f.resource_id:
        statement = statement.where(c.resource_id == f.resource_id)
    if cursor:
        opened_at, drift_id = decode_cursor(cursor)
        statement = statement.where(
            or_(c.opened_at < opened_at, and_(c.opened_at == opened_at, c.id < drift_id))
        )
    statement = statement.order_by(c.opened_at.desc(), c.id.desc()).limit(limit + 1)
    rows = [_row(r) for r in (await session.execute(statement)).all()]
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1]["opened_at"], rows[-1]["id"]) if more else None
    return rows, next_cursor


async def get_drift(session: AsyncSession, drift_id: UUID) -> dict[str, Any] | None:
    row = (
        await session.execute(
            select(*_columns()).select_from(_joined()).where(cloud_drift.c.id == drift_id)
        )
    ).first()
    return None if row is None else _row(row)
