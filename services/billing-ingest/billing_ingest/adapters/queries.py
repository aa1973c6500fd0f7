"""The read side of the billing API."""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from billing_ingest.adapters.tables import (
    cloud_balance_snapshots,
    cloud_cost_lines,
    cloud_invoice_previews,
    cloud_invoices,
)


class InvalidCursor(ValueError):
    pass


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def decode_cursor(cursor: str, types: tuple[type, ...]) -> list[Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, json.JSONDecodeError) as exc:
        raise InvalidCursor("cursor is not one this API returned") from exc
    if (
        not isinstance(key, list)
        or len(key) != len(types)
        or not all(isinstance(v, t) for v, t in zip(key, types, strict=True))
    ):
        raise InvalidCursor("cursor is not one this API returned")
    return key


async def latest_balance(session: AsyncSession) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(cloud_balance_snapshots)
                .order_by(cloud_balance_snapshots.c.generated_at.desc())
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def latest_preview(session: AsyncSession) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(cloud_invoice_previews)
                .order_by(
                    cloud_invoice_previews.c.invoice_period.desc(),
                    cloud_invoice_previews.c.fetched_at.desc(),
                )
                .limit(1)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def list_invoices(
    session: AsyncSession, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    c = cloud_invoices.c
    statement = select(cloud_invoices).order_by(c.invoice_period.desc(), c.invoice_uuid.desc())
    if status:
        statement = statement.where(c.status == status)
    if cursor:
        period, uuid = decode_cursor(cursor, (str, str))
        try:
            after = date.fromisoformat(period)
        except ValueError as exc:
            raise InvalidCursor("cursor is not one this API returned") from exc
        statement = statement.where(tuple_(c.invoice_period, c.invoice_uuid) < (after, uuid))
    rows = [dict(r) for r in (await session.execute(statement.limit(limit + 1))).mappings()]
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        following = encode_cursor(last["invoice_period"].isoformat(), last["invoice_uuid"])
    return rows, following


async def get_invoice(session: AsyncSession, invoice_uuid: str) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                select(cloud_invoices).where(cloud_invoices.c.invoice_uuid == invoice_uuid)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


async def invoice_lines(session: AsyncSession, invoice_uuid: str) -> list[dict[str, Any]]:
    c = cloud_cost_lines.c
    rows = await session.execute(
        select(cloud_cost_lines).where(c.invoice_uuid == invoice_uuid).order_by(c.line_no)
    )
    return [dict(r) for r in rows.mappings()]


async def unmatched_by_reason(session: AsyncSession, invoice_uuid: str) -> dict[str, int]:
    c = cloud_cost_lines.c
    rows = await session.execute(
        select(c.unmatched_reason, func.count())
        .where(c.invoice_uuid == invoice_uuid, c.resource_id.is_(None))
        .group_by(c.unmatched_reason)
    )
    return {str(reason): int(count) for reason, count in rows}


async def cost_lines(
    session: AsyncSession, *, day: date, kind: str | None, limit: int, cursor: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """Lines of the invoices whose period (a calendar month) contains `day`."""
    c, i = cloud_cost_lines.c, cloud_invoices.c
    statement = (
        select(cloud_cost_lines)
        .join(cloud_invoices, i.invoice_uuid == c.invoice_uuid)
        .where(i.invoice_period == day.replace(day=1))
        .order_by(c.id)
    )
    if kind:
        statement = statement.where(c.kind == kind)
    if cursor:
        (after,) = decode_cursor(cursor, (int,))
        statement = statement.where(c.id > after)
    rows = [dict(r) for r in (await session.execute(statement.limit(limit + 1))).mappings()]
    following = None
    if len(rows) > limit:
        rows = rows[:limit]
        following = encode_cursor(rows[-1]["id"])
    return rows, following
