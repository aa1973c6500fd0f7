"""Shared by the outbox, inbox and bus tests: a service schema with `outbox`, `inbox` and an
`applied` table in which consumers record side effects (one row per application, no unique key,
so an event applied twice shows up twice)."""

from __future__ import annotations

import asyncio
import contextlib
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


# A small TCP proxy on 127.0.0.1 for fault injection: `pass` lets bytes flow; `swallow` keeps
# connections open and drops every byte (a broker blocking publishers, a half-open connection);
# `cut` closes every connection and refuses new ones (a database down).
class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.mode = "pass"
        self.port = 0

    async def start(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task

    def swallow(self) -> None:
        self.mode = "swallow"

    def restore(self) -> None:
        self.mode = "pass"

    def cut(self) -> None:
        self.mode = "cut"
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "cut":
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, up_writer}
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink, (writer, up_writer)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
    ) -> None:
        try:
            while data := await source.read(65536):
                if self.mode == "pass":
                    sink.write(data)
                    await sink.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            for writer in pair:
                writer.transport.abort()
                self._writers.discard(writer)


@pytest.fixture
async def tcp_proxy() -> AsyncIterator[Callable[[str, int], Awaitable[TcpProxy]]]:
    made: list[TcpProxy] = []

    async def make(host: str, port: int) -> TcpProxy:
        proxy = await TcpProxy(host, port).start()
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        await proxy.close()
