"""The version gate of projections: a late, older event never overwrites a newer state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession


async def upsert_if_newer(
    session: AsyncSession,
    table: Table,
    row: Mapping[str, Any],
    *,
    key: Sequence[str],
    version: str = "version",
) -> bool:
    """Insert `row`, or update the row with the same `key` only if `row[version]` is newer.

    True when the row was written; False when the projection already held this version or a
    newer one (a repeat or a late event), which the caller treats as "nothing to do".
    """
    statement = insert(table).values(**row)
    updates = {c: statement.excluded[c] for c in row if c not in key}
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c[k] for k in key],
            set_=updates,
            where=table.c[version] < statement.excluded[version],
        ).returning(table.c[key[0]])
    )
    return result.first() is not None
