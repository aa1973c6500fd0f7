"""Shared by the outbox, inbox and bus tests: a service schema with `outbox`, `inbox` and an
`applied` table in which consumers record side effects (one row per application, no unique key,
so an event applied twice shows up twice)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import BigInteger, Column, Identity, Table, Uuid, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from arcadia_core.bus.deadletters import dead_letters_table
from arcadia_core.db import create_engine, service_metadata, session_factory
from arcadia_core.events import Envelope
from arcadia_core.inbox import inbox_table
from arcadia_core.outbox import create_outbox_tables, outbox_table, upgrade_messaging_tables

SCHEMA = "messaging_test"
METADATA = service_metadata(SCHEMA)
OUTBOX = outbox_table(METADATA)
INBOX = inbox_table(METADATA)
DEAD_LETTERS = dead_letters_table(METADATA)
APPLIED = Table(
    "applied",
    METADATA,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("event_id", Uuid, nullable=False),
)


def _migrate(connection: Any) -> None:
    """The messaging tables as a service's migrations build them: first shape, then upgrade."""
    operations = Operations(MigrationContext.configure(connection))
    create_outbox_tables(operations, SCHEMA)
    upgrade_messaging_tables(operations, SCHEMA)
    APPLIED.create(connection)


async def create_messaging_schema(url: str) -> None:
    engine = create_engine(url, schema=SCHEMA)
    async with engine.begin() as connection:
        await connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
        await connection.run_sync(_migrate)
    await engine.dispose()


@dataclass
class MessagingDb:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    outbox: Table = OUTBOX
    inbox: Table = INBOX
    dead_letters: Table = DEAD_LETTERS
    applied: Table = APPLIED

    async def apply(self, session: AsyncSession, envelope: Envelope) -> None:
        """A consumer's side effect, for `idempotent(...)`."""
        await session.execute(insert(self.applied).values(event_id=envelope.id))

    async def applied_count(self, event_id: UUID | None = None) -> int:
        query = select(func.count()).select_from(self.applied)
        if event_id is not None:
            query = query.where(self.applied.c.event_id == event_id)
        return await self._scalar(query)

    async def inbox_count(self) -> int:
        return await self._scalar(select(func.count()).select_from(self.inbox))

    async def outbox_rows(self) -> list[Any]:
        async with self.engine.connect() as connection:
            result = await connection.execute(select(self.outbox).order_by(self.outbox.c.id))
            return list(result.all())

    async def _scalar(self, query: Any) -> int:
        async with self.engine.connect() as connection:
            return int(await connection.scalar(query) or 0)


@pytest.fixture
async def messaging_url(migrated_database: Callable[..., Awaitable[str]]) -> str:
    return await migrated_database(create_messaging_schema)


@pytest.fixture
async def messaging_db(messaging_url: str) -> AsyncIterator[MessagingDb]:
    engine = create_engine(messaging_url, schema=SCHEMA)
    yield MessagingDb(engine, session_factory(engine))
    await engine.dispose()


@pytest.fixture
def new_envelope() -> Callable[..., Envelope]:
    def make(event_type: str = "thing.happened", **payload: Any) -> Envelope:
        return Envelope(
            type=event_type,
            schema_version=1,
            occurred_at=datetime.now(UTC),
            producer="test",
            payload=payload,
        )

    return make
