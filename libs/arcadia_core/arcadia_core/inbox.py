"""The consumer half of at-least-once delivery: record handled event ids, apply each once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from uuid import UUID

from sqlalchemy import Column, DateTime, Index, MetaData, Table, Text, Uuid, delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from arcadia_core.bus.ports import Handler
from arcadia_core.events import Envelope

logger = logging.getLogger(__name__)

Apply = Callable[[AsyncSession, Envelope], Awaitable[None]]


def inbox_table(metadata: MetaData, *, first_shape: bool = False) -> Table:
    """The inbox as consumers use it; `first_shape`: as the first migration created it, before
    the delivery upgrade indexed `handled_at` for the retention purge."""
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        *(() if first_shape else (Index("ix_inbox_handled_at", "handled_at"),)),
    )


async def claim(session: AsyncSession, table: Table, consumer: str, event_id: UUID) -> bool:
    """Record `event_id` as handled by `consumer`; True only the first time.

    A concurrent claim of the same id waits for this transaction: it gets False if this one
    commits and True if it rolls back.
    """
    result = await session.execute(
        insert(table)
        .values(consumer=consumer, event_id=event_id)
        .on_conflict_do_nothing()
        .returning(table.c.event_id)
    )
    return result.first() is not None


def idempotent(
    session_factory: async_sessionmaker[AsyncSession], table: Table, consumer: str, fn: Apply
) -> Handler:
    """A handler that applies `fn(session, envelope)` once per event id, in one transaction.

    The inbox row commits with `fn`'s changes, so a repeat is skipped, and a failing `fn` leaves
    no inbox row behind: the event can be retried or replayed from the dead-letter queue later.
    """

    async def handle(envelope: Envelope) -> None:
        async with session_factory() as session, session.begin():
            if await claim(session, table, consumer, envelope.id):
                await fn(session, envelope)
            else:
                logger.info("%s: %s %s already handled", consumer, envelope.type, envelope.id)

    return handle


async def purge_handled(engine: AsyncEngine, table: Table, older_than: timedelta) -> int:
    """Delete inbox rows handled more than `older_than` ago; return how many.

    The inbox only has to outlive the window in which a duplicate can still arrive (a relay's
    re-send, a replay from a DLQ, a republish): keep it longer than the outbox keeps sent rows
    and than anything stays in a DLQ. A duplicate older than that is applied again, which the
    projections' version gates make harmless. Call it from the service's housekeeping job.
    """
    async with engine.begin() as connection:
        result = await connection.execute(
            delete(table).where(table.c.handled_at < func.now() - older_than)
        )
    return result.rowcount
