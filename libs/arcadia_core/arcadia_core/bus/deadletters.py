"""Dead letters kept in a service's own schema (`dead_letters`): the in-process bus's DLQ.

With RabbitMQ the DLQ is a queue (`<queue>.dlq`); in process, the messages a consumer could not
apply are written here, so they survive a restart and `arcadia dlq` can list, replay or purge
them. One table per service schema; `queue` says which consumer failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    MetaData,
    Table,
    Text,
    Uuid,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine

from arcadia_core.bus.metrics import DLQ_DEPTH
from arcadia_core.events import Envelope


def dead_letters_table(metadata: MetaData) -> Table:
    return Table(
        "dead_letters",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("queue", Text, nullable=False),
        Column("event_id", Uuid),
        Column("event_type", Text),
        Column("envelope", JSONB, nullable=False),
        Column("error", Text, nullable=False),
        Column("failed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index("ix_dead_letters_queue", "queue", "id"),
    )


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message a consumer gave up on: the envelope (or the raw body) and why."""

    queue: str
    envelope: Envelope | None
    error: str
    id: str = ""
    failed_at: datetime | None = None
    body: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "queue": self.queue,
            "event_id": str(self.envelope.id) if self.envelope else None,
            "event_type": self.envelope.type if self.envelope else None,
            "error": self.error,
            "failed_at": self.failed_at.isoformat() if self.failed_at else None,
            "envelope": self.envelope.model_dump(mode="json") if self.envelope else self.body,
        }


class SqlDeadLetterStore:
    """The `dead_letters` table of one service schema."""

    def __init__(self, engine: AsyncEngine, table: Table) -> None:
        self._engine = engine
        self._table = table
        self._owns_engine = False

    @classmethod
    def connect(cls, database_url: str, schema: str) -> SqlDeadLetterStore:
        """A store with a small engine of its own on `schema`'s `dead_letters` (for wiring an
        `InProcessBus`: `bus.store_dead_letters(name, SqlDeadLetterStore.connect(url, schema))`;
        `close()` it at shutdown)."""
        from arcadia_core.db import create_engine, service_metadata

        store = cls(
            create_engine(database_url, schema=schema, pool_size=1),
            dead_letters_table(service_metadata(schema)),
        )
        store._owns_engine = True
        return store

    async def close(self) -> None:
        if self._owns_engine:
            await self._engine.dispose()

    async def add(self, queue: str, envelope: Envelope, error: str) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(self._table).values(
                    queue=queue,
                    event_id=envelope.id,
                    event_type=envelope.type,
                    envelope=envelope.model_dump(mode="json"),
                    error=error,
                )
            )
        DLQ_DEPTH.labels(queue).inc()

    async def read(self, queue: str, *, limit: int = 100) -> list[DeadLetter]:
        table = self._table
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(table).where(table.c.queue == queue).order_by(table.c.id).limit(limit)
                )
            ).all()
        return [_dead_letter(row) for row in rows]

    async def get(self, queue: str, ident: str) -> DeadLetter | None:
        """By row id or by event id."""
        table = self._table
        condition = table.c.id == int(ident) if ident.isdigit() else table.c.event_id == UUID(ident)
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(select(table).where(table.c.queue == queue, condition))
            ).first()
        return _dead_letter(row) if row is not None else None

    async def delete(self, queue: str, ids: list[str] | None = None) -> int:
        """Delete the given row ids, or every dead letter of `queue`; return how many."""
        table = self._table
        query = delete(table).where(table.c.queue == queue)
        if ids is not None:  # row ids or event ids
            rows = [int(i) for i in ids if i.isdigit()]
            events = [UUID(i) for i in ids if not i.isdigit()]
            query = query.where(table.c.id.in_(rows) | table.c.event_id.in_(events))
        async with self._engine.begin() as connection:
            result = await connection.execute(query)
        await self.count(queue)
        return result.rowcount

    async def count(self, queue: str) -> int:
        table = self._table
        async with self._engine.connect() as connection:
            found = await connection.scalar(
                select(func.count()).select_from(table).where(table.c.queue == queue)
            )
        depth = int(found or 0)
        DLQ_DEPTH.labels(queue).set(depth)
        return depth


def _dead_letter(row: Any) -> DeadLetter:
    try:
        envelope: Envelope | None = Envelope.model_validate(row.envelope)
    except ValueError:
        envelope = None
    return DeadLetter(
        queue=row.queue,
        envelope=envelope,
        error=row.error,
        id=str(row.id),
        failed_at=row.failed_at,
        body=None if envelope else row.envelope,
    )
