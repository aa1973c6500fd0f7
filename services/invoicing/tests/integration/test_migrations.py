"""The migrations build exactly the schema the tables module describes."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from arcadia_core.db import async_url
from invoicing.adapters.tables import SCHEMA, metadata

# outbox and inbox are arcadia_core's (created by its helper), compared there; PgQueuer's
# tables are not in the metadata at all
OWNED = {table.name for table in metadata.tables.values()} - {"outbox", "inbox"}


def _owned(obj: Any, name: str | None, type_: str) -> bool:
    if type_ == "table":
        return name in OWNED
    table = getattr(obj, "table", None)
    return table is None or table.name in OWNED


async def test_migrations_match_the_tables(invoicing_db: str) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_name": lambda name, type_, parent: type_ != "schema" or name == SCHEMA,
                "include_object": lambda obj, name, type_, reflected, compare_to: _owned(
                    obj, name, type_
                ),
            },
        )
        return list(compare_metadata(context, metadata))

    engine = create_async_engine(async_url(invoicing_db))  # default schema: public
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == []
