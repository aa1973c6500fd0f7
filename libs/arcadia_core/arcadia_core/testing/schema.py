"""For a service's migration test: what differs between the schema its migrations built and the
one its tables module describes (Alembic's autogenerate comparison, limited to the service's own
schema and tables)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import create_async_engine

from arcadia_core.db import async_url


async def schema_differences(
    database_url: str, schema: str, metadata: MetaData, owned: Collection[str]
) -> list[Any]:
    """`owned`: the tables the service's migrations create and its tables module describes
    (not the outbox and inbox, which arcadia_core creates and compares itself)."""

    def owns(obj: Any, name: str | None, type_: str) -> bool:
        if type_ == "table":
            return name in owned
        table = getattr(obj, "table", None)
        return table is None or table.name in owned

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_name": lambda name, type_, parent: type_ != "schema" or name == schema,
                "include_object": lambda obj, name, type_, reflected, compare_to: owns(
                    obj, name, type_
                ),
            },
        )
        return list(compare_metadata(context, metadata))

    engine = create_async_engine(async_url(database_url))  # default schema: public
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(diff)
    finally:
        await engine.dispose()
