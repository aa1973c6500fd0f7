"""Alembic per service: each service keeps its migrations and version table in its own schema."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from arcadia_core.db import async_url

VERSION_TABLE = "alembic_version"


def alembic_config(migrations_dir: Path, url: str, schema: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", async_url(url).replace("%", "%%"))
    config.attributes["schema"] = schema
    return config


# Alembic keeps its running context in module globals: one migration at a time per process.
_alembic = threading.Lock()


def upgrade(migrations_dir: Path, url: str, schema: str, revision: str = "head") -> None:
    """Apply a service's migrations (blocking; call from a thread inside an event loop)."""
    with _alembic:
        command.upgrade(alembic_config(migrations_dir, url, schema), revision)


async def upgrade_async(migrations_dir: Path, url: str, schema: str) -> None:
    await asyncio.to_thread(upgrade, migrations_dir, url, schema)


def _owned_by_migrations(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """PgQueuer manages its own tables (installed by `arcadia migrate`): autogenerate skips them."""
    from arcadia_core.jobs import is_jobs_table

    return not (type_ == "table" and name is not None and is_jobs_table(name))


def run_env(target_metadata: MetaData) -> None:
    """The body of a service's `migrations/env.py` (online mode, asyncpg)."""
    from alembic import context

    config = context.config
    schema: str = config.attributes["schema"]

    def do_run(connection: Connection) -> None:
        # Replicas starting together migrate one after the other: the lock lasts until commit.
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"migrate:{schema}"}
        )
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table=VERSION_TABLE,
            version_table_schema=schema,
            include_schemas=True,
            include_object=_owned_by_migrations,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_async_engine(
            config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool
        )
        async with engine.begin() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run())
