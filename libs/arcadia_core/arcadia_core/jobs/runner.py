"""The job runner: one service's jobs and schedules on PgQueuer (see arcadia_core.jobs)."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import asyncpg
from croniter import croniter
from pgqueuer import (
    AsyncpgDriver,
    AsyncpgPoolDriver,
    QueueManager,
    RetryRequested,
    SchedulerManager,
)
from pgqueuer.db import Driver
from pgqueuer.models import Job, Schedule, TableChangedEvent
from pgqueuer.queries import Queries
from pgqueuer.types import Channel, JobId, QueueExecutionMode

from arcadia_core.context import correlation, current_correlation_id
from arcadia_core.db import asyncpg_dsn, dumps
from arcadia_core.jobs.driver import ListeningPoolDriver
from arcadia_core.jobs.schema import db_settings, job_queries
from arcadia_core.runs import RunLog, RunNote, RunSummary

logger = logging.getLogger("arcadia.jobs")

# what a job or schedule returns is the summary of its run in the run log (`arcadia_core.runs`)
JobFunction = Callable[[dict[str, Any]], Awaitable[RunSummary]]
ScheduleFunction = Callable[[], Awaitable[RunSummary]]
JobF = TypeVar("JobF", bound=JobFunction)
ScheduleF = TypeVar("ScheduleF", bound=ScheduleFunction)

MAX_BACKOFF = timedelta(minutes=15)
# header of a job row carrying the correlation id of the work that enqueued it
CORRELATION_HEADER = "correlation_id"
# a worker cycle that fails (database away) is started again after a growing delay
RESTART_DELAY_MIN = 0.2
RESTART_DELAY_MAX = 5.0


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


def _correlation_of(job: Job) -> str | None:
    value = (job.headers or {}).get(CORRELATION_HEADER)
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class _JobSpec:
    fn: JobFunction
    retries: int
    concurrency: int
    backoff: timedelta
    record: bool = True

    def delay(self, attempts: int) -> timedelta:
        """Wait before the retry that follows attempt number `attempts + 1`."""
        wait: timedelta = self.backoff * (2**attempts)
        return min(wait, max(MAX_BACKOFF, self.backoff))


@dataclass(frozen=True)
class _ScheduleSpec:
    fn: ScheduleFunction
    cron: str
    record: bool = True


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


@dataclass(frozen=True)
class QueuedJob:
    """A job row: queued (maybe waiting for a retry), picked (running) or held as failed."""

    id: int
    name: str
    status: str
    payload: dict[str, Any]
    attempts: int
    created: datetime
    execute_after: datetime
    correlation_id: str | None


class _ListenerLost(ConnectionError):
    """The worker's LISTEN connection closed (PostgreSQL restarted or the network dropped)."""


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
        run_log: RunLog | None = None,
    ) -> None:
        self.dsn = asyncpg_dsn(dsn)
        # every job and schedule execution is recorded here, under its name, when given
        self.run_log = run_log
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
        self._wakers: set[asyncio.Task[None]] = set()
        self.cycles = 0  # worker cycles started by run(): 1 + reconnections

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
        record: bool = True,
    ) -> Callable[[JobF], JobF]:
        """Register `async def fn(payload: dict[str, Any]) -> None` as job `name`.

        `retries` further attempts after the first failure; `concurrency` caps how many run at
        once across all replicas (0: unlimited). Each attempt is a run in the run log (unless
        `record` is off); what `fn` returns (a short text or a mapping) is its summary.
        """
        self._check_name(name)
        if retries < 0 or concurrency < 0:
            raise ValueError("retries and concurrency must be >= 0")

        def register(fn: JobF) -> JobF:
            _require_async(fn, f"job {name!r}")
            self._check_name(name)
            self._jobs[name] = _JobSpec(fn, retries, concurrency, backoff, record)
            return fn

        return register

    def schedule(
        self, name: str, cron: str, *, record: bool = True
    ) -> Callable[[ScheduleF], ScheduleF]:
        """Register `async def fn() -> None` to run on `cron` (UTC), once per tick fleet-wide.

        Each tick is a run in the run log unless `record` is off (a tick that only queues a
        job, which is recorded itself).
        """
        self._check_name(name)
        if not croniter.is_valid(cron):
            raise ValueError(f"invalid cron expression for {name!r}: {cron!r}")

        def register(fn: ScheduleF) -> ScheduleF:
            _require_async(fn, f"schedule {name!r}")
            self._check_name(name)
            self._schedules[name] = _ScheduleSpec(fn, cron, record)
            return fn

        return register

    # -- database -------------------------------------------------------------------------------

    def _queries(self, driver: Driver) -> Queries:
        return job_queries(driver, self.settings)

    @property
    def _application_name(self) -> str:
        return f"arcadia-{self.service}-jobs"[:63]

    async def _get_pool(self) -> asyncpg.Pool:
        async with self._pool_lock:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self.dsn,
                    min_size=1,
                    max_size=4,
                    timeout=10,
                    server_settings={"application_name": self._application_name},
                )
            return self._pool

    async def _pool_queries(self) -> Queries:
        return self._queries(AsyncpgPoolDriver(await self._get_pool()))

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
        under an advisory lock (one connection: the lock is session-scoped).
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

    async def _wake_workers(self, queries: Queries) -> None:
        """NOTIFY this schema's channel: PgQueuer's trigger stays silent on UPDATEs."""
        event = TableChangedEvent(
            channel=Channel(self.channel),
            operation="update",
            sent_at=datetime.now(UTC),
            table=self.settings.queue_table,
            type="table_changed_event",
        )
        await queries.driver.notify(self.channel, event.model_dump_json())

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

        The job carries the current correlation id (`arcadia_core.context`) and runs under it.
        With `connection` (a raw asyncpg connection, e.g. from a SQLAlchemy AsyncSession:
        `(await (await session.connection()).get_raw_connection()).driver_connection`) the job
        is inserted in that connection's transaction and appears only if it commits.
        """
        if name not in self._jobs:
            raise KeyError(f"no job {name!r} registered on {self.service}")
        key = None if dedupe_key is None else f"{name}:{dedupe_key}"
        current = current_correlation_id()
        headers = {CORRELATION_HEADER: str(current)} if current is not None else None
        if connection is not None:
            queries = self._queries(AsyncpgDriver(connection))
        else:
            queries = await self._pool_queries()
        ids = await queries.enqueue(
            name,
            _encode(payload or {}),
            execute_after=delay,
            dedupe_key=key,
            headers=headers,
            on_conflict="skip",
        )
        return None if ids[0] is None else int(ids[0])

    # -- consuming ------------------------------------------------------------------------------

    @asynccontextmanager
    async def _recorded(self, name: str, record: bool) -> AsyncIterator[RunNote]:
        if self.run_log is None or not record:
            yield RunNote()
            return
        async with self.run_log.record(name) as note:
            yield note

    def _job_entrypoint(
        self, name: str, spec: _JobSpec, queries: Queries
    ) -> Callable[[Job], Awaitable[None]]:
        async def entrypoint(job: Job) -> None:
            with correlation(_correlation_of(job), new_if_missing=True):
                try:
                    async with self._recorded(name, spec.record) as run:
                        try:
                            run.summarize(await spec.fn(_decode(job.payload)))
                        except Exception:
                            run.summarize(f"attempt {job.attempts + 1} of {spec.retries + 1}")
                            raise
                except Exception as exc:
                    if job.attempts >= spec.retries:
                        logger.exception(
                            "%s: job %s #%s failed on attempt %d of %d; held as failed",
                            self.service,
                            name,
                            job.id,
                            job.attempts + 1,
                            spec.retries + 1,
                        )
                        raise
                    delay = spec.delay(job.attempts)
                    logger.warning(
                        "%s: job %s #%s failed on attempt %d of %d; will retry in %s",
                        self.service,
                        name,
                        job.id,
                        job.attempts + 1,
                        spec.retries + 1,
                        delay,
                        exc_info=True,
                    )
                    self._wake_after(queries, delay)
                    raise RetryRequested(
                        delay=delay, reason=f"{type(exc).__name__}: {exc}"
                    ) from exc

        return entrypoint

    def _wake_after(self, queries: Queries, delay: timedelta) -> None:
        """NOTIFY once a retry is due, so an idle worker does not sleep its whole poll."""

        async def wake() -> None:
            await asyncio.sleep(delay.total_seconds())
            try:
                await self._wake_workers(queries)
            except Exception:
                logger.debug("%s: could not wake job workers", self.service, exc_info=True)

        task = asyncio.create_task(wake())
        self._wakers.add(task)
        task.add_done_callback(self._wakers.discard)

    def _schedule_entrypoint(
        self, name: str, spec: _ScheduleSpec
    ) -> Callable[[Schedule], Awaitable[None]]:
        async def entrypoint(schedule: Schedule) -> None:
            with correlation(None, new_if_missing=True):
                try:
                    async with self._recorded(name, spec.record) as run:
                        run.summarize(await spec.fn())
                except Exception:
                    logger.exception("%s: schedule %s (%s) failed", self.service, name, spec.cron)

        return entrypoint

    def _queue_manager(self, queries: Queries) -> QueueManager:
        qm = QueueManager(queries, Channel(self.channel))
        for name, spec in self._jobs.items():
            qm.entrypoint(
                name,
                concurrency_limit=spec.concurrency,
                accepts_context=False,
                on_failure="hold",
            )(self._job_entrypoint(name, spec, queries))
        return qm

    def _scheduler(self, queries: Queries) -> SchedulerManager:
        sm = SchedulerManager(queries)
        for name, spec in self._schedules.items():
            sm.schedule(name, spec.cron, accepts_context=False)(
                self._schedule_entrypoint(name, spec)
            )
        return sm

    async def run(self) -> None:
        """Process jobs and schedules until `stop()`.

        A worker cycle that ends without `stop()` (the LISTEN connection closed, a query
        failed: PostgreSQL restarted or is away) is started again with new connections after
        a short, growing delay, so job pickup comes back within seconds of the database.
        """
        await self._run(mode=QueueExecutionMode.continuous, schedules=True)

    async def run_until_idle(self, limit: float = 30.0) -> None:
        """Process jobs (no schedules) until none is queued or waiting for a retry; for tests.

        Raises TimeoutError after `limit` seconds, and whatever a worker raises.
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
            if mode is QueueExecutionMode.drain:
                await self._cycle(mode, schedules, shutdown)
            else:
                await self._supervise(schedules, shutdown)
        finally:
            for task in list(self._wakers):
                task.cancel()
            finished.set()

    async def _supervise(self, schedules: bool, shutdown: asyncio.Event) -> None:
        delay = RESTART_DELAY_MIN
        outage_started: float | None = None
        while not shutdown.is_set():
            self.cycles += 1
            started = time.monotonic()
            try:
                await self._cycle(QueueExecutionMode.continuous, schedules, shutdown)
                if shutdown.is_set():
                    return
                raise _ListenerLost("the job worker stopped by itself (listener health check)")
            except Exception as exc:
                if shutdown.is_set():
                    return
                if time.monotonic() - started > 2 * RESTART_DELAY_MAX:
                    delay = RESTART_DELAY_MIN  # it had been running fine: a new outage
                if outage_started is None or delay == RESTART_DELAY_MIN:
                    outage_started = time.monotonic()
                    logger.warning(
                        "%s: job worker lost its database connection (%s: %s); reconnecting",
                        self.service,
                        type(exc).__name__,
                        exc,
                    )
                else:
                    logger.debug("%s: job worker still reconnecting", self.service, exc_info=exc)
            try:
                async with asyncio.timeout(delay):
                    await shutdown.wait()
            except TimeoutError:
                pass
            delay = min(delay * 2, RESTART_DELAY_MAX)

    async def _cycle(
        self, mode: QueueExecutionMode, schedules: bool, shutdown: asyncio.Event
    ) -> None:
        """One worker cycle on fresh connections; returns on shutdown, raises on loss."""
        pool = await self._get_pool()
        cycle_shutdown = asyncio.Event()
        lost = asyncio.Event()

        def listener_lost() -> None:
            lost.set()
            cycle_shutdown.set()

        driver = ListeningPoolDriver(
            pool,
            self.dsn,
            on_lost=listener_lost,
            server_settings={"application_name": self._application_name},
        )
        if self._jobs:
            # LISTEN before the queue manager starts: its first listener health check
            # NOTIFYs at once, and a probe sent before LISTEN is lost, which would fail the
            # check 10 s later and end this healthy cycle
            try:
                await driver.listen(self.channel)
            except BaseException:
                await driver.close()
                raise
        queries = self._queries(driver)
        coroutines: list[Awaitable[object]] = []
        if self._jobs:
            qm = self._queue_manager(queries)
            qm.shutdown = cycle_shutdown
            coroutines.append(
                qm.run(
                    batch_size=self.batch_size,
                    dequeue_timeout=self.poll_interval,
                    mode=mode,
                    shutdown_on_listener_failure=True,
                )
            )
        if schedules and self._schedules:
            sm = self._scheduler(queries)
            sm.shutdown = cycle_shutdown
            coroutines.append(sm.run())
        if not coroutines:
            if mode is QueueExecutionMode.continuous:
                await shutdown.wait()
            return

        async def forward_shutdown() -> None:
            await shutdown.wait()
            cycle_shutdown.set()

        forward = asyncio.create_task(forward_shutdown())
        tasks = [asyncio.ensure_future(c) for c in coroutines]
        try:
            await asyncio.gather(*tasks)
        finally:
            cycle_shutdown.set()
            forward.cancel()
            outcomes = await asyncio.gather(*tasks, forward, return_exceptions=True)
            await driver.close()
        errors = [o for o in outcomes if isinstance(o, Exception)]
        if errors:
            raise errors[0]
        if lost.is_set() and not shutdown.is_set():
            raise _ListenerLost("the LISTEN connection closed")

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
        The run is recorded as a queued one would be, under the current correlation id or a
        new one.
        """
        with correlation(current_correlation_id(), new_if_missing=True):
            await self._run_inline(name, payload)

    async def _run_inline(self, name: str, payload: Mapping[str, Any] | None) -> None:
        if name in self._jobs:
            job = self._jobs[name]
            async with self._recorded(name, job.record) as run:
                run.summarize(await job.fn(_decode(_encode(payload or {}))))
        elif name in self._schedules:
            schedule = self._schedules[name]
            async with self._recorded(name, schedule.record) as run:
                run.summarize(await schedule.fn())
        else:
            raise KeyError(f"no job or schedule {name!r} registered on {self.service}")

    # -- operating ------------------------------------------------------------------------------

    async def queued_jobs(
        self,
        limit: int = 100,
        *,
        statuses: list[str] | None = None,
        names: list[str] | None = None,
    ) -> list[QueuedJob]:
        """Job rows (queued, picked, failed; `statuses` to narrow), by priority then age."""
        queries = await self._pool_queries()
        rows = await queries.browse_queue(
            limit=limit,
            statuses=statuses,  # type: ignore[arg-type]
            entrypoints=names,
        )
        return [
            QueuedJob(
                id=int(job.id),
                name=job.entrypoint,
                status=job.status,
                payload=_decode(job.payload),
                attempts=job.attempts,
                created=job.created,
                execute_after=job.execute_after,
                correlation_id=_correlation_of(job),
            )
            for job in rows
        ]

    async def failed_jobs(self, limit: int = 100) -> list[FailedJob]:
        """Jobs held as failed after their last attempt, newest first, with their error."""
        queries = await self._pool_queries()
        jobs = await queries.list_failed_jobs(limit)
        histories = await asyncio.gather(*(queries.job_log_history(job.id, 1000) for job in jobs))
        failed = []
        for job, history in zip(jobs, histories, strict=True):
            last = next((e.traceback for e in reversed(history) if e.traceback), None)
            failed.append(
                FailedJob(
                    id=int(job.id),
                    name=job.entrypoint,
                    payload=_decode(job.payload),
                    attempts=job.attempts + 1,
                    failed_at=job.updated,
                    error=f"{last.exception_type}: {last.exception_message}" if last else None,
                    traceback=last.traceback if last else None,
                )
            )
        failed.sort(key=lambda f: (f.failed_at, f.id), reverse=True)
        return failed

    async def requeue_failed(self, ids: list[int]) -> None:
        """Put held failed jobs back in the queue with a fresh retry budget."""
        queries = await self._pool_queries()
        await queries.requeue_jobs([JobId(i) for i in ids])
        await self._wake_workers(queries)
