"""PgQueuer's objects in a service's schema: names, settings, and the queries the runner uses."""

from __future__ import annotations

from datetime import timedelta

from pgqueuer.adapters.persistence.queries import Queries
from pgqueuer.domain.models import Job, TableChangedEvent, TracebackRecord, utc_now
from pgqueuer.domain.settings import DBSettings, Durability
from pgqueuer.domain.types import Channel, JobId

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


class NotifyingQueries(Queries):
    """PgQueuer's queries, plus a NOTIFY after re-queueing a job (retry or requeue).

    PgQueuer's change trigger is statement-level and only notifies on INSERT/DELETE/TRUNCATE
    (its `OLD IS DISTINCT FROM NEW` test is NULL-vs-NULL for UPDATEs), so the UPDATE that
    re-queues a job wakes nobody: when it commits while a worker is computing its idle wait,
    the job waits the whole poll interval instead of its backoff.
    """

    async def _notify_changed(self) -> None:
        settings = self.qbq.settings
        event = TableChangedEvent(
            channel=Channel(settings.channel),
            operation="update",
            sent_at=utc_now(),
            table=settings.queue_table,
            type="table_changed_event",
        )
        await self.driver.notify(settings.channel, event.model_dump_json())

    async def retry_job(
        self, job: Job, delay: timedelta, traceback_record: TracebackRecord | None
    ) -> None:
        await super().retry_job(job, delay, traceback_record)
        await self._notify_changed()

    async def requeue_jobs(self, ids: list[JobId]) -> None:
        await super().requeue_jobs(ids)
        await self._notify_changed()
