"""The producer half of at-least-once delivery: a transactional outbox and its relay.

A service inserts its events into `outbox` in the transaction that changes its state, so both
commit or neither does. `OutboxRelay` publishes committed rows and marks them sent. It claims a
batch with `FOR UPDATE SKIP LOCKED` and keeps the lock until the rows are marked, so concurrent
relays never send one row twice; a relay killed after publishing but before its commit leaves
the rows unsent, so they are sent again, and the consumer's inbox drops the repeat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any

from alembic.operations import Operations
from alembic.operations.ops import CreateIndexOp, CreateTableOp, DropTableOp
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    Interval,
    MetaData,
    Table,
    Text,
    Uuid,
    bindparam,
    delete,
    event,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from arcadia_core.bulk import JsonText, copy_insert
from arcadia_core.bus.ports import EventPublisher
from arcadia_core.bus.retry import describe_error
from arcadia_core.db import service_metadata
from arcadia_core.events import Envelope
from arcadia_core.inbox import inbox_table

logger = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("id", BigInteger, Identity(), primary_key=True),
        Column("event_id", Uuid, nullable=False, unique=True),
        Column("event_type", Text, nullable=False),
        Column("envelope", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("sent_at", DateTime(timezone=True)),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column(
            "next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()
        ),
        Column("last_error", Text),
        Index("ix_outbox_unsent", "id", postgresql_where=text("sent_at IS NULL")),
    )


def _messaging_tables(schema: str) -> tuple[Table, Table]:
    metadata = service_metadata(schema)
    return outbox_table(metadata), inbox_table(metadata)


def create_outbox_tables(op: Operations, schema: str) -> None:
    """Create `outbox` and `inbox` in `schema`: one line in a service's first Alembic migration."""
    for table in _messaging_tables(schema):
        op.invoke(CreateTableOp.from_table(table))
        for index in table.indexes:
            op.invoke(CreateIndexOp.from_index(index))


def drop_outbox_tables(op: Operations, schema: str) -> None:
    for table in _messaging_tables(schema):
        op.invoke(DropTableOp.from_table(table))


async def add_to_outbox(session: AsyncSession, table: Table, *envelopes: Envelope) -> None:
    """Insert `envelopes` in the caller's transaction; the caller commits or rolls back."""
    await copy_insert(
        session,
        table,
        [
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "envelope": JsonText(envelope.model_dump_json()),
            }
            for envelope in envelopes
        ],
    )


class OutboxWriter:
    """`add_to_outbox` bound to a table; `on_commit` (a relay's `wake`) runs after the commit."""

    def __init__(self, table: Table, *, on_commit: Callable[[], None] | None = None) -> None:
        self._table = table
        self._on_commit = on_commit

    async def add(self, session: AsyncSession, *envelopes: Envelope) -> None:
        await add_to_outbox(session, self._table, *envelopes)
        if self._on_commit is not None and envelopes:
            self._arm(session.sync_session, self._on_commit)

    def _arm(self, session: Session, on_commit: Callable[[], None]) -> None:
        if session.info.get(self):
            return
        session.info[self] = True

        def after_commit(_: Session) -> None:
            session.info.pop(self, None)
            on_commit()

        # after a rollback the hook stays armed for the session's next commit: one spare wake
        event.listen(session, "after_commit", after_commit, once=True)


class OutboxRelay:
    """Publishes committed outbox rows through `publisher` and marks them sent.

    A row whose publish fails is retried after `min(max_backoff, 2 ** attempts)` seconds,
    and does not hold up the other rows.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        table: Table,
        publisher: EventPublisher,
        *,
        batch_size: int = 200,
        poll_interval: float = 0.5,
        max_backoff: float = 60.0,
    ) -> None:
        self._engine = engine
        self._table = table
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Start the next pass now instead of after the poll interval."""
        self._wake.set()

    def stop(self) -> None:
        """Make `run()` return once the pass in progress, if any, has committed."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                sent = await self.relay_once()
            except Exception:
                logger.exception("outbox relay pass failed")
                sent = 0
            if sent or self._stopping:
                continue  # rows were waiting, so more may be
            with suppress(TimeoutError):
                async with asyncio.timeout(self._poll_interval):
                    await self._wake.wait()

    async def relay_once(self) -> int:
        """Publish up to `batch_size` due rows; return how many were sent."""
        table = self._table
        async with self._engine.connect() as connection, connection.begin():
            rows = (
                await connection.execute(
                    select(table.c.id, table.c.attempts, table.c.envelope)
                    .where(table.c.sent_at.is_(None), table.c.next_attempt_at <= func.now())
                    .order_by(table.c.id)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            sent: list[int] = []
            failed: list[dict[str, Any]] = []
            for row in rows:
                try:
                    await self._publisher.publish(Envelope.model_validate(row.envelope))
                except Exception as exc:
                    error = describe_error(exc)
                    delay = timedelta(seconds=min(self._max_backoff, 2.0**row.attempts))
                    logger.warning(
                        "outbox row %d: publish failed (%s); next attempt in %s",
                        row.id,
                        error,
                        delay,
                    )
                    failed.append({"row_id": row.id, "error": error, "delay": delay})
                else:
                    sent.append(row.id)
            if sent:
                await connection.execute(
                    update(table).where(table.c.id.in_(sent)).values(sent_at=func.now())
                )
            if failed:
                await connection.execute(
                    update(table)
                    .where(table.c.id == bindparam("row_id"))
                    .values(
                        attempts=table.c.attempts + 1,
                        last_error=bindparam("error"),
                        next_attempt_at=func.now() + bindparam("delay", type_=Interval),
                    ),
                    failed,
                )
        if sent:
            logger.debug("outbox: sent %d event(s)", len(sent))
        return len(sent)

    async def pending_count(self) -> int:
        """Unsent rows, due or backing off."""
        async with self._engine.connect() as connection:
            count = await connection.scalar(
                select(func.count()).select_from(self._table).where(self._table.c.sent_at.is_(None))
            )
        return int(count or 0)

    async def purge_sent(self, older_than: timedelta) -> int:
        """Delete rows sent more than `older_than` ago; return how many."""
        async with self._engine.begin() as connection:
            result = await connection.execute(
                delete(self._table).where(self._table.c.sent_at < func.now() - older_than)
            )
        return result.rowcount
