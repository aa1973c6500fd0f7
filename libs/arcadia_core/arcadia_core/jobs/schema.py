"""PgQueuer's objects in a service's schema: their names, settings and query object."""

from __future__ import annotations

from pgqueuer.adapters.persistence.qb import (
    QueryBuilderEnvironment,
    QueryQueueBuilder,
    QuerySchedulerBuilder,
)
from pgqueuer.db import Driver
from pgqueuer.domain.settings import DBSettings, Durability
from pgqueuer.queries import Queries
from pgqueuer.types import Channel

# Default PgQueuer object names (no prefix); all of them live in the service's schema.
_TABLES = ("pgqueuer", "pgqueuer_log", "pgqueuer_statistics", "pgqueuer_schedules")


def is_jobs_table(name: str) -> bool:
    """True for PgQueuer's tables, which Alembic autogenerate must leave alone."""
    return name in _TABLES


def db_settings(schema: str) -> DBSettings:
    """Every name spelled out: init arguments win over `PGQUEUER_*`/legacy environment variables."""
    return DBSettings(
        prefix="",
        db_schema=schema,
        channel=Channel(f"pgqueuer_{schema}"),
        function="fn_pgqueuer_changed",
        statistics_table="pgqueuer_statistics",
        queue_status_type="pgqueuer_status",
        queue_table="pgqueuer",
        queue_table_log="pgqueuer_log",
        trigger="tg_pgqueuer_changed",
        schedules_table="pgqueuer_schedules",
        durability=Durability.durable,
        widen_id=True,
    )


def job_queries(driver: Driver, settings: DBSettings) -> Queries:
    """PgQueuer's own `Queries`, bound to the service schema's object names."""
    return Queries(
        driver,
        qbe=QueryBuilderEnvironment(settings),
        qbq=QueryQueueBuilder(settings),
        qbs=QuerySchedulerBuilder(settings),
    )
