"""The job runner: one service's jobs and schedules on PgQueuer (see arcadia_core.jobs)."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import asyncpg
from croniter import croniter
from pgqueuer.adapters.drivers.asyncpg import AsyncpgDriver, AsyncpgPoolDriver
from pgqueuer.adapters.persistence.qb import (
    QueryBuilderEnvironment,
    QueryQueueBuilder,
    QuerySchedulerBuilder,
)
from pgqueuer.adapters.persistence.queries import Queries
from pgqueuer.core.executors import (
    DatabaseRetryEntrypointExecutor,
    EntrypointExecutorParameters,
)
from pgqueuer.core.qm import QueueManager
from pgqueuer.core.sm import SchedulerManager
from pgqueuer.domain.models import Job, Schedule
from pgqueuer.domain.types import Channel, JobId, QueueExecutionMode
from pgqueuer.ports.driver import Driver

from arcadia_core.db import asyncpg_dsn, dumps
from arcadia_core.jobs.schema import NotifyingQueries, db_settings

logger = logging.getLogger("arcadia.jobs")

JobFunction = Callable[[dict[str, Any]], Awaitable[None]]
ScheduleFunction = Callable[[], Awaitable[None]]
JobF = TypeVar("JobF", bound=JobFunction)
ScheduleF = TypeVar("ScheduleF", bound=ScheduleFunction)

MAX_BACKOFF = timedelta(minutes=15)


def _require_async(fn: object, what: str) -> None:
    if not inspect.iscoroutinefunction(fn):
        raise TypeError(f"{what} must be an async function")


def _decode(payload: bytes | None) -> dict[str, Any]:
    if not payload:
        return {}
    value = json.loads(payload)
    if not isinstance(value, dict):
        raise TypeError(f"job payload must be a JSON object, got {type(value).__name__}")
    return value


def _encode(payload: Mapping[str, Any]) -> bytes:
    return dumps(dict(payload)).encode()


@dataclass(frozen=True)
class _JobSpec:
    fn: JobFunction
    retries: int
    concurrency: int
    backoff: timedelta


@dataclass(frozen=True)
class _ScheduleSpec:
    fn: ScheduleFunction
    cron: str


@dataclass(frozen=True)
class FailedJob:
    """A job held with status `failed` after its last attempt."""

    id: int
    name: str
    payload: dict[str, Any]
    attempts: int
    failed_at: datetime
    error: str | None
    traceback: str | None


class JobRunner:
    """Jobs and schedules of one service, stored in that service's schema."""

    def __init__(
        self,
        dsn: str,
        *,
        schema: str,
        service: str,
        batch_size: int = 10,
        poll_interval: timedelta = timedelta(seconds=30),
    ) -> None:
        self.dsn = asyncpg_dsn(dsn)
        self.schema = schema
        self.service = service
        self.settings = db_settings(schema)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self._jobs: dict[str, _JobSpec] = {}
        self._schedules: dict[str, _ScheduleSpec] = {}
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()
        self._shutdown: asyncio.Event | None = None
        self._finished: asyncio.Event | None = None
        self._stop_pending = False  # stop() came before the run() task got going

    # -- registration -------------------------------------------------------------------------

    @property
    def channel(self) -> str:
        return self.settings.channel

    @property
    def schedules(self) -> dict[str, str]:
        """Schedule name -> cron expression (UTC)."""
        return {name: spec.cron for name, spec in self._schedules.items()}

    @property
    def job_names(self) -> tuple[str, ...]:
        return tuple(self._jobs)

    def _check_name(self, name: str) -> None:
        if not name:
            raise ValueError("job and schedule names must not be empty")
        if name in self._jobs or name in self._schedules:
            raise ValueError(f"{name!r} is already registered on {self.service}")

    def job(
        self,
        name: str,
        *,
        retries: int = 3,
        concurrency: int = 0,
        backoff: timedelta = timedelta(seconds=10),
    ) -> Callable[[JobF], JobF]:
        """Register `async def fn(payload: dict[str, Any]) -> None` as job `name`.

        `retries` further attempts after the first failure; `concurrency` caps how many run at
        once across all replicas (0: unlimited).
        """
        self._check_name(name)
        if retries < 0 or concurrency < 0:
            raise ValueError("retries and concurrency must be >= 0")

        def register(fn: JobF) -> JobF:
            _require_async(fn, f"job {name!r}")
            self._check_name(name)
            self._jobs[name] = _JobSpec(fn, retries, concurrency, backoff)
            return fn

        return register

    def schedule(self, name: str, cron: str) -> Callable[[ScheduleF], ScheduleF]:
        """Register `async def fn() -> None` to run on `cron` (UTC), once per tick fleet-wide."""
        self._check_name(name)
        if not croniter.is_valid(cron):
            raise ValueError(f"invalid cron expression for {name!r}: {cron!r}")

        def register(fn: ScheduleF) -> ScheduleF:
            _require_async(fn, f"schedule {name!r}")
            self._check_name(name)
            self._schedules[name] = _ScheduleSpec(fn, cron)
            return fn

        return register

    # -- database -------------------------------------------------------------------------------

    def _queries(self, driver: Driver) -> Queries:
        return NotifyingQueries(
            driver,
            qbe=QueryBuilderEnvironment(self.settings),
            qbq=QueryQueueBuilder(self.settings),
            qbs=QuerySchedulerBuilder(self.settings),
        )

    async def _get_pool(self) -> asyncpg.Pool:
        async with self._pool_lock:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self.dsn,
                    min_size=1,
                    max_size=5,  # one is held for LISTEN while running
                    server_settings={"application_name": f"arcadia-{self.service}-jobs"[:63]},
                )
            return self._pool

    async def close(self) -> None:
        """Close the connection pool (after `run()` has returned)."""
        async with self._pool_lock:
            if self._pool is not None:
                pool, self._pool = self._pool, None
                await pool.close()

    async def __aenter__(self) -> JobRunner:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
        await self.close()

    async def install(self) -> None:
        """Create or upgrade PgQueuer's objects in the service schema; safe to call repeatedly.

        PgQueuer's `install()` is a plain CREATE (fails the second time), so this runs its
        upgrade planner instead, which diffs the catalog and creates only what is missing,
        under an advisory lock keyed on the schema-qualified queue table.
        """
        connection = await asyncpg.connect(self.dsn)
        try:
            plan = await self._queries(AsyncpgDriver(connection)).apply_upgrade()
        finally:
            await connection.close()
        if plan.statements:
            logger.info(
                "%s: installed job queue in schema %s (%d statements)",
                self.service,
                self.schema,
                len(plan.statements),
            )

    # -- producing ------------------------------------------------------------------------------

    async def enqueue(
        self,
        name: str,
        payload: Mapping[str, Any] | None = None,
        *,
        dedupe_key: str | None = None,
        delay: timedelta | None = None,
        connection: asyncpg.Connection | None = None,
    ) -> int | None:
        """Queue job `name`; return its id, or None when `dedupe_key` is already pending.

        With `connection` (a raw asyncpg connection, e.g. from a SQLAlchemy AsyncSession:
        `(await (await session.connection()).get_raw_connection()).driver_connection`) the job
        is inserted in that connection's transaction and appears only if it commits.
        """
        if name not in self._jobs:
            raise KeyError(f"no job {name!r} registered on {self.service}")
        key = None if dedupe_key is None else f"{name}:{dedupe_key}"
        if connection is not None:
            driver: Driver = AsyncpgDriver(connection)
        else:
            driver = AsyncpgPoolDriver(await self._get_pool())
        ids = await self._queries(driver).enqueue(
            name,
            _encode(payload or {}),
            execute_after=delay,
            dedupe_key=key,
            on_conflict="skip",
        )
        return None if ids[0] is None else int(ids[0])

    # -- consuming ------------------------------------------------------------------------------

    def _job_entrypoint(self, name: str, spec: _JobSpec) -> Callable[[Job], Awaitable[None]]:
        async def entrypoint(job: Job) -> None:
            try:
                await spec.fn(_decode(job.payload))
            except Exception:
                if job.attempts >= spec.retries:
                    logger.exception(
                        "%s: job %s #%s failed on attempt %d of %d; held as failed",
                        self.service,
                        name,
                        job.id,
                        job.attempts + 1,
                        spec.retries + 1,
                    )
                else:
                    logger.warning(
                        "%s: job %s #%s failed on attempt %d of %d; will retry",
                        self.service,
                        name,
                        job.id,
                        job.attempts + 1,
                        spec.retries + 1,
                        exc_info=True,
                    )
                raise

        return entrypoint

    def _schedule_entrypoint(
        self, name: str, spec: _ScheduleSpec
    ) -> Callable[[Schedule], Awaitable[None]]:
        async def entrypoint(schedule: Schedule) -> None:
            try:
                await spec.fn()
            except Exception:
                logger.exception("%s: schedule %s (%s) failed", self.service, name, spec.cron)

        return entrypoint

    def _queue_manager(self, queries: Queries) -> QueueManager:
        qm = QueueManager(queries, Channel(self.settings.channel))
        for name, spec in self._jobs.items():
            qm.register_executor(
                name,
                DatabaseRetryEntrypointExecutor(
                    EntrypointExecutorParameters(
                        concurrency_limit=spec.concurrency,
                        func=self._job_entrypoint(name, spec),
                        accepts_context=False,
                        on_failure="hold",
                    ),
                    max_attempts=spec.retries,
                    initial_delay=spec.backoff,
                    max_delay=max(MAX_BACKOFF, spec.backoff),
                ),
            )
        return qm

    def _scheduler(self, queries: Queries) -> SchedulerManager:
        sm = SchedulerManager(queries)
        for name, spec in self._schedules.items():
            register = sm.schedule(name, spec.cron, accepts_context=False)
            register(self._schedule_entrypoint(name, spec))
        return sm

    async def run(self) -> None:
        """Process jobs and schedules until `stop()`; raises if a manager fails."""
        await self._run(mode=QueueExecutionMode.continuous, schedules=True)

    async def run_until_idle(self, limit: float = 30.0) -> None:
        """Process jobs (no schedules) until none is queued or waiting for a retry; for tests.

        Raises TimeoutError after `limit` seconds.
        """
        async with asyncio.timeout(limit):
            await self._run(mode=QueueExecutionMode.drain, schedules=False)

    async def _run(self, *, mode: QueueExecutionMode, schedules: bool) -> None:
        if self._finished is not None and not self._finished.is_set():
            raise RuntimeError(f"{self.service}: job runner is already running")
        shutdown = self._shutdown = asyncio.Event()
        finished = self._finished = asyncio.Event()
        if self._stop_pending and mode is QueueExecutionMode.continuous:
            shutdown.set()
        self._stop_pending = False
        try:
            queries = self._queries(AsyncpgPoolDriver(await self._get_pool()))
            coroutines: list[Awaitable[object]] = []
            if self._jobs:
                qm = self._queue_manager(queries)
                qm.shutdown = shutdown
                coroutines.append(
                    qm.run(
                        batch_size=self.batch_size,
                        dequeue_timeout=self.poll_interval,
                        mode=mode,
                    )
                )
            if schedules and self._schedules:
                sm = self._scheduler(queries)
                sm.shutdown = shutdown
                coroutines.append(sm.run())
            if mode is QueueExecutionMode.continuous:
                coroutines.append(shutdown.wait())
            tasks = [asyncio.ensure_future(c) for c in coroutines]
            raised: BaseException | None = None
            try:
                await asyncio.gather(*tasks)
            except BaseException as exc:
                raised = exc
                raise
            finally:
                shutdown.set()
                for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                    if isinstance(outcome, Exception) and outcome is not raised:
                        logger.error("%s: job runner failed", self.service, exc_info=outcome)
        finally:
            finished.set()

    async def stop(self) -> None:
        """Ask `run()` to finish its in-flight jobs and return; waits for it. Not from a job.

        Called while no run is in progress, it makes the next `run()` return at once (a task
        created for `run()` may not have started yet).
        """
        if self._finished is None or self._finished.is_set():
            self._stop_pending = True
            return
        assert self._shutdown is not None
        self._shutdown.set()
        await self._finished.wait()

    async def run_now(self, name: str, payload: Mapping[str, Any] | None = None) -> None:
        """Run a job's (or schedule's) function inline, bypassing the queue (CLI on demand).

        The payload goes through the same JSON round trip as a queued job's; errors propagate.
        """
        if name in self._jobs:
            await self._jobs[name].fn(_decode(_encode(payload or {})))
        elif name in self._schedules:
            await self._schedules[name].fn()
        else:
            raise KeyError(f"no job or schedule {name!r} registered on {self.service}")

    # -- operating ------------------------------------------------------------------------------

    async def failed_jobs(self, limit: int = 100) -> list[FailedJob]:
        """Jobs held as failed after their last attempt, newest first, with their error."""
        queue, log = self.settings.qualified.queue_table, self.settings.qualified.queue_table_log
        pool = await self._get_pool()
        rows = await pool.fetch(
            f"""
            SELECT job.id, job.entrypoint, job.payload, job.attempts, job.updated, last.traceback
            FROM {queue} job
            LEFT JOIN LATERAL (
                SELECT entry.traceback FROM {log} entry
                WHERE entry.job_id = job.id AND entry.traceback IS NOT NULL
                ORDER BY entry.id DESC LIMIT 1
            ) last ON TRUE
            WHERE job.status = 'failed'
            ORDER BY job.updated DESC, job.id DESC
            LIMIT $1
            """,
            limit,
        )
        failed = []
        for row in rows:
            record = json.loads(row["traceback"]) if row["traceback"] else {}
            error = f"{record['exception_type']}: {record['exception_message']}" if record else None
            failed.append(
                FailedJob(
                    id=row["id"],
                    name=row["entrypoint"],
                    payload=_decode(row["payload"]),
                    attempts=row["attempts"] + 1,
                    failed_at=row["updated"],
                    error=error,
                    traceback=record.get("traceback"),
                )
            )
        return failed

    async def requeue_failed(self, ids: list[int]) -> None:
        """Put held failed jobs back in the queue with a fresh retry budget."""
        pool = await self._get_pool()
        await self._queries(AsyncpgPoolDriver(pool)).requeue_jobs([JobId(i) for i in ids])
