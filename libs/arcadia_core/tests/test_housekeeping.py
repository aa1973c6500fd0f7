"""The messaging retention job: sent outbox rows older than a week and handled inbox rows older
than a month go; everything younger, and every unsent row, stays."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from uuid import uuid4

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import func, insert, select, text

from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.db import asyncpg_dsn, create_engine, service_metadata
from arcadia_core.housekeeping import register_messaging_housekeeping
from arcadia_core.inbox import inbox_table
from arcadia_core.jobs import JobRunner
from arcadia_core.outbox import (
    OutboxRelay,
    create_outbox_tables,
    outbox_table,
    upgrade_messaging_tables,
)

SCHEMA = "keep"


async def test_retention_purges_old_rows_only(
    migrated_database: Callable[..., Awaitable[str]],
) -> None:
    url = await migrated_database()
    engine = create_engine(url, schema=SCHEMA)
    metadata = service_metadata(SCHEMA)
    outbox, inbox = outbox_table(metadata), inbox_table(metadata)
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))

        def build(sync_connection: object) -> None:
            operations = Operations(MigrationContext.configure(sync_connection))  # type: ignore[arg-type]
            create_outbox_tables(operations, SCHEMA)
            upgrade_messaging_tables(operations, SCHEMA)

        await connection.run_sync(build)
        # sent 8 days ago (goes), sent 2 days ago (stays), never sent though 9 days old (stays)
        for age, sent in (
            (timedelta(days=8), True),
            (timedelta(days=2), True),
            (timedelta(days=9), False),
        ):
            await connection.execute(
                insert(outbox).values(
                    event_id=uuid4(),
                    event_type="x.happened",
                    envelope={},
                    created_at=func.now() - age,
                    sent_at=(func.now() - age) if sent else None,
                )
            )
        for age in (timedelta(days=31), timedelta(days=3)):
            await connection.execute(
                insert(inbox).values(consumer="c", event_id=uuid4(), handled_at=func.now() - age)
            )
    runner = JobRunner(asyncpg_dsn(url), schema=SCHEMA, service="keep")
    relay = OutboxRelay(engine, outbox, InProcessBus())
    register_messaging_housekeeping(runner, service="keep", relay=relay, engine=engine, inbox=inbox)
    try:
        assert "keep.messaging.purge" in runner.schedules
        await runner.run_now("keep.messaging.purge")
        async with engine.connect() as connection:
            outbox_left = await connection.scalar(select(func.count()).select_from(outbox))
            inbox_left = await connection.scalar(select(func.count()).select_from(inbox))
    finally:
        await runner.close()
        await engine.dispose()
    assert (outbox_left, inbox_left) == (2, 1)
