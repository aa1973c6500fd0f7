"""Replicas that start together migrate the schema once, without tripping over each other."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable

import asyncpg

from arcadia_core.db import asyncpg_dsn
from inventory.bootstrap import migrate

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
