"""Replicas that start together migrate the schema once, without tripping over each other;
events waiting in the outbox come through an upgrade."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from uuid import uuid4

import asyncpg

from arcadia_core.db import asyncpg_dsn, create_engine
from arcadia_core.events import Envelope, TenantChanged
from arcadia_core.migrations import upgrade
from arcadia_core.outbox import OutboxRelay
from inventory.adapters.tables import outbox
from inventory.bootstrap import MIGRATIONS, migrate

MIGRATE = (
    "import asyncio, sys; from inventory.bootstrap import migrate; "
    "asyncio.run(migrate(sys.argv[1]))"
)


async def test_replicas_migrating_at_once(migrated_database: Callable[..., Awaitable[str]]) -> None:
    url = await migrated_database()
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", MIGRATE, url, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(3)
    ]
    for replica in replicas:
        _, stderr = await replica.communicate()
        assert replica.returncode == 0, stderr.decode()[-2000:]
    await migrate(url)  # and once more in this process: nothing left to do

    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        version = await connection.fetchval("SELECT version_num FROM inventory.alembic_version")
        tables = await connection.fetchval(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'inventory'"
        )
    finally:
        await connection.close()
    assert version == "0006"
    assert tables >= 6


async def test_envelopes_waiting_in_the_outbox_survive_the_move_to_json(
    migrated_database: Callable[..., Awaitable[str]],
) -> None:
    # an inventory one revision back, with an event still unsent when the upgrade runs
    url = await migrated_database()
    await asyncio.to_thread(upgrade, MIGRATIONS, url, "inventory", "0005")
    envelope = TenantChanged(tenant_id=uuid4(), name="t", active=True, version=1).envelope(
        producer="inventory"
    )
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(
            "INSERT INTO inventory.outbox (event_id, event_type, envelope)"
            " VALUES ($1, $2, $3::jsonb)",
            envelope.id,
            envelope.type,
            envelope.model_dump_json(),
        )
        await migrate(url)
        stored_as = await connection.fetchval(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'inventory'"
            " AND table_name = 'outbox' AND column_name = 'envelope'"
        )
    finally:
        await connection.close()
    assert stored_as == "json"

    published = Published()
    engine = create_engine(url, schema="inventory")
    try:
        await OutboxRelay(engine, outbox, published).relay_once()
    finally:
        await engine.dispose()
    assert published.envelopes == [envelope]


class Published:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def publish(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)
