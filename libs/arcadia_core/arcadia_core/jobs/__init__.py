"""Durable jobs and cron schedules on PgQueuer, in each service's own PostgreSQL schema.

    runner = JobRunner(settings.database_url, schema="billing_ingest", service="billing-ingest")

    @runner.job("ingest_invoice", retries=5)
    async def ingest_invoice(payload: dict[str, Any]) -> None: ...

    @runner.schedule("billing_history", "23 2 * * *")  # UTC
    async def billing_history() -> None:
        for invoice_id in await not_yet_ingested():
            await runner.enqueue("ingest_invoice", {"invoice": invoice_id}, dedupe_key=invoice_id)

    await runner.install()  # idempotent; creates <schema>.pgqueuer* tables, type and trigger
    await runner.run()      # until `await runner.stop()`

Isolation: every PgQueuer object is created in `schema` under its default name
(`<schema>.pgqueuer`, `<schema>.pgqueuer_log`, `<schema>.pgqueuer_statistics`,
`<schema>.pgqueuer_schedules`, `<schema>.pgqueuer_status`, `<schema>.fn_pgqueuer_changed`), and
the NOTIFY channel, which PostgreSQL keys per database rather than per schema, is
`pgqueuer_<schema>`. Settings never come from `PGQUEUER_*` (or bare `CHANNEL`, `QUEUE_TABLE`, ...)
environment variables, which PgQueuer's own `DBSettings` would otherwise read.

Semantics:
- a job that raises is retried `retries` times with exponential backoff (`backoff * 2**attempt`,
  at most 15 min), then held in the queue table with status `failed`; its traceback is in
  `<schema>.pgqueuer_log` and it is logged at ERROR; `failed_jobs()` lists such jobs and
  `requeue_failed()` puts them back in the queue.
- `dedupe_key` is scoped to the job name and holds while a job with that key is queued, waiting
  for a retry or running; once it has succeeded (its row is deleted) or is held as failed, the
  same key can be enqueued again.
- a schedule tick runs once across every replica: the scheduler claims a due row of the
  schedules table with `FOR UPDATE SKIP LOCKED` and moves its `next_run` before running it.
  A schedule that raises is logged and runs again at its next tick; put retryable work in jobs.
  Ticks missed while no replica ran fire once (not once per missed tick) when one starts.
- a job or tick whose worker stops heartbeating for 30 s (killed, or an event loop blocked by
  sync code) is picked again by another replica: keep jobs idempotent and non-blocking.
- a job carries the correlation id current when it was enqueued (a job-row header) and runs
  under it; a job enqueued outside any correlation, and every schedule tick, starts a new one.
  `queued_jobs()` lists job rows (queued, picked, failed) with it.
- the worker listens on a dedicated connection (`jobs.driver`): when it closes (PostgreSQL
  restarted, network lost) or the listener health check fails, the worker cycle ends and a new
  one starts on new connections after 0.2 s, doubling up to 5 s while the database is away,
  with one warning per outage: pickup is back within seconds, no process restart needed.
- only PgQueuer's public API is used (`QueueManager`, `SchedulerManager`, `Queries`,
  `RetryRequested`, the `Driver` protocol); no SQL against its tables.
- Alembic autogenerate must ignore the PgQueuer objects living in a service schema: filter with
  `is_jobs_table(name)`.
"""

from arcadia_core.jobs.runner import (
    CORRELATION_HEADER,
    FailedJob,
    JobFunction,
    JobRunner,
    QueuedJob,
    ScheduleFunction,
)
from arcadia_core.jobs.schema import is_jobs_table

__all__ = [
    "CORRELATION_HEADER",
    "FailedJob",
    "JobFunction",
    "JobRunner",
    "QueuedJob",
    "ScheduleFunction",
    "is_jobs_table",
]
