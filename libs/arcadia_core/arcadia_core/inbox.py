"""The consumer half of at-least-once delivery: record handled event ids, apply each once."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from uuid import UUID

from sqlalchemy import Column, DateTime, MetaData, Table, Text, Uuid, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.bus.ports import Handler
from arcadia_core.events import Envelope

logger = logging.getLogger(__name__)

Apply = Callable[[AsyncSession, Envelope], Awaitable[None]]


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", Uuid, primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
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
