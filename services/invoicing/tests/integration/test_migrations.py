"""The migrations build exactly the schema the tables module describes."""

from __future__ import annotations

from arcadia_core.testing.schema import schema_differences
from invoicing.adapters.tables import SCHEMA, metadata

# outbox and inbox are arcadia_core's (created by its helper), compared there; PgQueuer's
# tables are not in the metadata at all
OWNED = {table.name for table in metadata.tables.values()} - {"outbox", "inbox"}


async def test_migrations_match_the_tables(invoicing_db: str) -> None:
    assert await schema_differences(invoicing_db, SCHEMA, metadata, OWNED) == []
