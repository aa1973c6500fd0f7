"""Bulk writes inside a session's transaction: COPY for inserts, COPY + UPDATE … FROM for updates.

Row-at-a-time statements cost a round trip and a bind per row; a sync of tens of thousands of
resources spends most of its time there. Both helpers join the session's open transaction.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson
from sqlalchemy import Table, bindparam, text
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.db import _default

SMALL = 64  # below this many rows an UPDATE costs less than staging a COPY

# `arcadia_core.db.dumps`, with one encoder made once: json.dumps makes one per call, which a
# COPY of tens of thousands of JSON values would pay for each of them
_json_text = json.JSONEncoder(default=_default, separators=(",", ":")).encode
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS


def json_text(value: Any) -> str:
    """JSON text for a JSONB column, as `arcadia_core.db.dumps` makes it, only faster.

    The texts differ (orjson writes non-ASCII as UTF-8, not escaped; some floats without an
    exponent) but say the same: PostgreSQL stores JSONB parsed. What orjson refuses (integers
    beyond 64 bits, text that is not valid Unicode) goes to the json encoder, which writes it
    or fails as it always did. NaN and infinities, which PostgreSQL refuses, are written as null.
    """
    try:
        return orjson.dumps(value, default=_default, option=_ORJSON_OPTIONS).decode()
    except TypeError:
        return _json_text(value)


class JsonText(str):
    """A value already serialized to JSON, written to a JSON column as it is."""


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection, inside the session's database transaction.

    SQLAlchemy's asyncpg adapter sends BEGIN lazily, with the first statement it runs; a COPY
    sent straight to the driver before that would commit on its own. So start it first.
    """
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: asyncpg.Connection = raw.driver_connection
    if not driver.is_in_transaction():
        await connection.execute(text("SELECT 1"))
    if not driver.is_in_transaction():
        raise RuntimeError("bulk writes need a session inside a transaction")
    return driver


def _records(
    table: Table, columns: list[str], rows: Sequence[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON | JSONB)}
    # asyncpg takes jsonb as text
    return [tuple(_json(row[c]) if c in json_columns else row[c] for c in columns) for row in rows]


def _json(value: Any) -> str:
    return value if isinstance(value, JsonText) else json_text(value)


async def copy_insert(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """INSERT every row with COPY (all rows must carry the same keys)."""
    if not rows:
        return
    columns = list(rows[0].keys())
    await (await driver_connection(session)).copy_records_to_table(
        table.name,
        schema_name=table.schema,
        columns=columns,
        records=_records(table, columns, rows),
    )


async def copy_update(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], *, key: str = "id"
) -> None:
    """UPDATE rows matched on `key` to the given values, through a COPY into a temp table."""
    if not rows:
        return
    columns = list(rows[0].keys())
    values = [c for c in columns if c != key]
    if len(rows) < SMALL:
        statement = (
            table.update()
            .where(table.c[key] == bindparam(f"b_{key}"))
            .values({c: bindparam(f"b_{c}") for c in values})
        )
        await session.execute(
            statement,
            [{f"b_{c}": row[c] for c in columns} for row in rows],
            execution_options={"synchronize_session": False},
        )
        return
    driver = await driver_connection(session)
    staging = f"staging_{table.name}_{uuid.uuid4().hex[:8]}"
    qualified = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    column_list = ", ".join(f'"{c}"' for c in columns)
    await driver.execute(
        f'CREATE TEMP TABLE "{staging}" ON COMMIT DROP AS '
        f"SELECT {column_list} FROM {qualified} WITH NO DATA"
    )
    await driver.copy_records_to_table(
        staging, columns=columns, records=_records(table, columns, rows)
    )
    assignments = ", ".join(f'"{c}" = s."{c}"' for c in values)
    await driver.execute(
        f'UPDATE {qualified} AS t SET {assignments} FROM "{staging}" AS s '
        f'WHERE t."{key}" = s."{key}"'
    )
    await driver.execute(f'DROP TABLE "{staging}"')
