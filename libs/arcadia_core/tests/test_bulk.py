"""COPY-based bulk writes join the session's transaction and keep JSON intact."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from uuid import UUID, uuid4

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.ext.asyncio import AsyncEngine

from arcadia_core.bulk import SMALL, JsonText, copy_insert, copy_update
from arcadia_core.db import create_engine, session_factory

metadata = MetaData(schema="bulk_test")
things = Table(
    "things",
    metadata,
    Column("id", PG_UUID(as_uuid=True), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("doc", JSONB, nullable=False),
)


async def create_schema(url: str) -> None:
    engine = create_engine(url, schema="bulk_test")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE SCHEMA bulk_test"))
        await connection.run_sync(metadata.create_all)
    await engine.dispose()


@pytest.fixture
async def engine(migrated_database: Callable[..., Awaitable[str]]) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await migrated_database(create_schema), schema="bulk_test")
    yield engine
    await engine.dispose()


def rows(count: int) -> list[dict[str, object]]:
    return [{"id": uuid4(), "n": i, "doc": {"i": i, "tags": ["a"]}} for i in range(count)]


async def read(engine: AsyncEngine) -> dict[UUID, tuple[int, object]]:
    async with engine.connect() as connection:
        result = await connection.execute(select(things))
        return {r.id: (r.n, r.doc) for r in result}


@pytest.mark.parametrize("count", [1, SMALL + 10])
async def test_rolled_back_copy_writes_nothing(engine: AsyncEngine, count: int) -> None:
    sessions = session_factory(engine)
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await copy_insert(session, things, rows(count))
            raise RuntimeError("the state change failed")
    assert await read(engine) == {}


async def test_copy_insert_and_update_round_trip(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    written = rows(SMALL * 2)
    async with sessions() as session, session.begin():
        await copy_insert(session, things, written)
    async with sessions() as session, session.begin():
        await copy_update(
            session, things, [{"id": r["id"], "n": -1, "doc": {"updated": True}} for r in written]
        )
        await copy_update(session, things, [{"id": written[0]["id"], "n": 7, "doc": {"raw": 1}}])
    stored = await read(engine)
    assert len(stored) == len(written)
    assert stored[written[0]["id"]] == (7, {"raw": 1})  # type: ignore[index]
    assert all(stored[r["id"]] == (-1, {"updated": True}) for r in written[1:])  # type: ignore[index]


async def test_json_text_is_stored_as_json_not_as_a_string(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await copy_insert(
            session, things, [{"id": uuid4(), "n": 1, "doc": JsonText('{"a": [1, 2]}')}]
        )
    assert list((await read(engine)).values()) == [(1, {"a": [1, 2]})]
