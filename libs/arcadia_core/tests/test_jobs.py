"""JobRunner on real PostgreSQL: execution, retries, dedupe, install, isolation, schedules."""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import pytest

from arcadia_core.context import correlation, current_correlation_id
from arcadia_core.db import asyncpg_dsn
from arcadia_core.jobs import JobRunner, is_jobs_table
from arcadia_core.testing.servers import broker_required

FAST = timedelta(milliseconds=50)
YEARLY = "0 0 1 1 *"  # never ticks by itself during a test; ticks are driven through next_run


@pytest.fixture
async def runners(database_url: str) -> AsyncIterator[Callable[..., JobRunner]]:
    """`make(schema)` builds a runner on the test database; all are stopped and closed."""
    async with AsyncExitStack() as stack:

        def make(schema: str = "svc", service: str = "test") -> JobRunner:
            runner = JobRunner(database_url, schema=schema, service=service)
            stack.push_async_callback(runner.close)
            stack.push_async_callback(runner.stop)
            return runner

        yield make


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def test_enqueued_job_runs_with_its_payload(runners: Callable[..., JobRunner]) -> None:
    runner = runners()
    received: list[dict[str, Any]] = []

    @runner.job("sync_droplets")
    async def sync_droplets(payload: dict[str, Any]) -> None:
        received.append(payload)

    await runner.install()
    job_id = await runner.enqueue(
        "sync_droplets",
        {"account": UUID(int=7), "amount": Decimal("12.30"), "ids": [1, 2]},
    )
    assert isinstance(job_id, int)
    await runner.run_until_idle()

    assert received == [
        {"account": "00000000-0000-0000-0000-000000000007", "amount": "12.30", "ids": [1, 2]}
    ]
    assert await runner.failed_jobs() == []


async def test_run_picks_up_jobs_through_the_schema_channel_until_stopped(
    runners: Callable[..., JobRunner],
) -> None:
    # poll_interval is 30 s: a job picked within seconds proves LISTEN/NOTIFY on this
    # schema's channel reached the worker.
    runner = runners()
    done = asyncio.Event()

    @runner.job("ping")
    async def ping(payload: dict[str, Any]) -> None:
        done.set()

    await runner.install()
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.5)  # let the worker reach its idle wait
    await runner.enqueue("ping", {})
    async with asyncio.timeout(5):
        await done.wait()
    await runner.stop()
    async with asyncio.timeout(5):
        await task
    assert task.exception() is None

    # a stop() that lands before the run() task has started still stops it
    task = asyncio.create_task(runner.run())
    await runner.stop()
    async with asyncio.timeout(5):
        await task


async def test_failing_job_is_retried_then_held_as_failed_with_its_error(
    runners: Callable[..., JobRunner], db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    runner = runners()
    attempts: list[dict[str, Any]] = []

    @runner.job("ingest_invoice", retries=2, backoff=FAST)
    async def ingest_invoice(payload: dict[str, Any]) -> None:
        attempts.append(payload)
        raise ValueError(f"invoice {payload['invoice']} is malformed")

    await runner.install()
    job_id = await runner.enqueue("ingest_invoice", {"invoice": "inv-1"})
    with caplog.at_level(logging.WARNING, logger="arcadia.jobs"):
        await runner.run_until_idle()

    assert len(attempts) == 3  # the first attempt and two retries
    (failed,) = await runner.failed_jobs()
    assert failed.id == job_id
    assert failed.name == "ingest_invoice"
    assert failed.payload == {"invoice": "inv-1"}
    assert failed.attempts == 3
    assert failed.error == "ValueError: invoice inv-1 is malformed"
    assert failed.traceback is not None and "ingest_invoice" in failed.traceback
    status = await db.fetchval("SELECT status::text FROM svc.pgqueuer WHERE id = $1", job_id)
    assert status == "failed"
    errors = [r for r in caplog.records if r.name == "arcadia.jobs" and r.levelno == logging.ERROR]
    assert len(errors) == 1 and "held as failed" in errors[0].getMessage()
    retries = [r for r in caplog.records if r.name == "arcadia.jobs" and "will retry" in r.msg]
    assert len(retries) == 2

    # Operators can put it back: it gets a fresh retry budget.
    await runner.requeue_failed([failed.id])
    await runner.run_until_idle()
    assert len(attempts) == 6
    assert [job.id for job in await runner.failed_jobs()] == [job_id]


async def test_job_that_recovers_on_a_retry_is_not_failed(
    runners: Callable[..., JobRunner],
) -> None:
    runner = runners()
    calls = 0

    @runner.job("flaky", retries=3, backoff=FAST)
    async def flaky(payload: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        if calls < 2:
            raise ConnectionError("upstream 503")

    await runner.install()
    await runner.enqueue("flaky", {})
    await runner.run_until_idle()
    assert calls == 2
    assert await runner.failed_jobs() == []


async def test_job_with_no_retries_is_held_after_one_attempt(
    runners: Callable[..., JobRunner],
) -> None:
    runner = runners()
    calls = 0

    @runner.job("once", retries=0)
    async def once(payload: dict[str, Any]) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("nope")

    await runner.install()
    await runner.enqueue("once", {})
    await runner.run_until_idle()
    assert calls == 1
    assert [(j.attempts, j.error) for j in await runner.failed_jobs()] == [
        (1, "RuntimeError: nope")
    ]


async def test_dedupe_key_prevents_duplicates_while_pending(
    runners: Callable[..., JobRunner], db: asyncpg.Connection
) -> None:
    runner = runners()
    seen: list[str] = []

    @runner.job("ingest_invoice")
    async def ingest_invoice(payload: dict[str, Any]) -> None:
        seen.append(payload["invoice"])

    @runner.job("render_invoice")
    async def render_invoice(payload: dict[str, Any]) -> None:
        pass

    await runner.install()
    # "enqueue one ingest job per invoice not yet ingested", run twice
    for _ in range(2):
        for invoice in ("inv-1", "inv-2"):
            await runner.enqueue("ingest_invoice", {"invoice": invoice}, dedupe_key=invoice)
    assert await runner.enqueue("ingest_invoice", {"invoice": "inv-1"}, dedupe_key="inv-1") is None
    # keys are per job name
    assert await runner.enqueue("render_invoice", {}, dedupe_key="inv-1") is not None
    # no key, no dedupe
    assert await runner.enqueue("render_invoice", {}) is not None
    assert await runner.enqueue("render_invoice", {}) is not None

    counts = dict(
        await db.fetch("SELECT entrypoint, count(*) FROM svc.pgqueuer GROUP BY entrypoint")
    )
    assert counts == {"ingest_invoice": 2, "render_invoice": 3}

    await runner.run_until_idle()
    assert sorted(seen) == ["inv-1", "inv-2"]
    # once done, the key is free again (the use case decides what is "not yet ingested")
    assert await runner.enqueue("ingest_invoice", {"invoice": "inv-1"}, dedupe_key="inv-1")


async def test_enqueue_joins_the_callers_transaction(
    runners: Callable[..., JobRunner], db: asyncpg.Connection
) -> None:
    runner = runners()

    @runner.job("notify")
    async def notify(payload: dict[str, Any]) -> None:
        pass

    await runner.install()
    transaction = db.transaction()
    await transaction.start()
    assert await runner.enqueue("notify", {"n": 1}, connection=db) is not None
    await transaction.rollback()
    async with db.transaction():
        await runner.enqueue("notify", {"n": 2}, connection=db)
    payloads = await db.fetch("SELECT convert_from(payload, 'UTF8') AS p FROM svc.pgqueuer")
    assert [row["p"] for row in payloads] == ['{"n":2}']


async def test_install_is_idempotent_and_isolated_per_schema(
    runners: Callable[..., JobRunner], db: asyncpg.Connection
) -> None:
    # a service schema that already holds the service's own tables
    await db.execute("CREATE SCHEMA svc_a; CREATE TABLE svc_a.droplets (id int PRIMARY KEY)")
    got_a: list[dict[str, Any]] = []
    got_b: list[dict[str, Any]] = []
    a, b = runners("svc_a", "a"), runners("svc_b", "b")

    @a.job("sync")
    async def sync_a(payload: dict[str, Any]) -> None:
        got_a.append(payload)

    @b.job("sync")
    async def sync_b(payload: dict[str, Any]) -> None:
        got_b.append(payload)

    for _ in range(3):
        await a.install()
    # replicas starting together install concurrently
    await asyncio.gather(*(runners("svc_b", f"b{i}").install() for i in range(3)))
    await b.install()

    tables = await db.fetch(
        """SELECT table_schema, table_name FROM information_schema.tables
           WHERE table_schema IN ('svc_a', 'svc_b', 'public') ORDER BY 1, 2"""
    )
    assert [(r["table_schema"], r["table_name"]) for r in tables] == [
        ("svc_a", "droplets"),
        ("svc_a", "pgqueuer"),
        ("svc_a", "pgqueuer_log"),
        ("svc_a", "pgqueuer_schedules"),
        ("svc_a", "pgqueuer_statistics"),
        ("svc_b", "pgqueuer"),
        ("svc_b", "pgqueuer_log"),
        ("svc_b", "pgqueuer_schedules"),
        ("svc_b", "pgqueuer_statistics"),
    ]
    assert [is_jobs_table(r["table_name"]) for r in tables].count(True) == 8
    triggers = await db.fetch(
        """SELECT n.nspname, t.tgname FROM pg_trigger t
           JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE NOT t.tgisinternal ORDER BY 1"""
    )
    assert [tuple(r) for r in triggers] == [
        ("svc_a", "tg_pgqueuer_changed"),
        ("svc_b", "tg_pgqueuer_changed"),
    ]

    # NOTIFY channels are database-wide: each schema's trigger notifies its own channel only.
    assert a.channel != b.channel
    heard: dict[str, asyncio.Event] = {a.channel: asyncio.Event(), b.channel: asyncio.Event()}
    listener = await asyncpg.connect(a.dsn)
    try:
        for channel, event in heard.items():
            await listener.add_listener(channel, lambda *_, event=event: event.set())
        await a.enqueue("sync", {"from": "a"})
        async with asyncio.timeout(5):
            await heard[a.channel].wait()
        await asyncio.sleep(0.3)
        assert not heard[b.channel].is_set()
    finally:
        await listener.close()

    await b.run_until_idle()
    assert got_b == []
    assert await db.fetchval("SELECT count(*) FROM svc_a.pgqueuer") == 1
    await a.run_until_idle()
    assert got_a == [{"from": "a"}]
    assert got_b == []


async def test_schedule_runs_once_per_tick_across_replicas(
    runners: Callable[..., JobRunner], db: asyncpg.Connection
) -> None:
    calls: list[str] = []
    ran = asyncio.Event()
    replicas = [runners("svc", "replica-1"), runners("svc", "replica-2")]
    for label, replica in zip(("one", "two"), replicas, strict=True):

        def make(label: str) -> Callable[[], Any]:
            async def nightly() -> None:
                calls.append(label)
                ran.set()
                await asyncio.sleep(0.3)  # overlap with the other replica's polls

            return nightly

        replica.schedule("nightly", YEARLY)(make(label))
    assert replicas[0].schedules == {"nightly": YEARLY}

    await replicas[0].install()
    schedules_table = replicas[0].settings.qualified.schedules_table
    # Drive the scheduler to a due tick: a row whose next_run has passed. Each scheduler
    # claims due rows when it starts (then sleeps until the cron's next fire time).
    await db.execute(
        f"""INSERT INTO {schedules_table} (expression, entrypoint, next_run)
            VALUES ($1, 'nightly', now() - interval '1 second')""",
        YEARLY,
    )

    for tick in (1, 2):
        ran.clear()
        tasks = [asyncio.create_task(replica.run()) for replica in replicas]
        async with asyncio.timeout(10):
            await ran.wait()
        await asyncio.sleep(1.5)  # room for a second (wrong) run by either replica
        for replica in replicas:
            await replica.stop()
        for task in tasks:
            assert task.done() and task.exception() is None
        assert len(calls) == tick, calls
        row = await db.fetchrow(
            f"SELECT status::text, next_run > now() AS future FROM {schedules_table}"
        )
        assert row is not None and row["status"] == "queued" and row["future"]
        # the next tick comes due
        await db.execute(f"UPDATE {schedules_table} SET next_run = now() - interval '1 second'")


async def test_run_now_and_registration_rules(runners: Callable[..., JobRunner]) -> None:
    runner = runners()
    received: list[dict[str, Any]] = []
    ticks: list[str] = []

    @runner.job("sync_all")
    async def sync_all(payload: dict[str, Any]) -> None:
        received.append(payload)

    @runner.schedule("every_15", "*/15 * * * *")
    async def every_15() -> None:
        ticks.append("tick")

    runner.schedule("snapshots", "33 * * * *")(every_15)

    await runner.run_now("sync_all", {"amount": Decimal("1.50")})
    await runner.run_now("every_15")
    assert received == [{"amount": "1.50"}]  # same JSON round trip as a queued job
    assert ticks == ["tick"]
    assert runner.schedules == {"every_15": "*/15 * * * *", "snapshots": "33 * * * *"}
    assert runner.job_names == ("sync_all",)

    with pytest.raises(KeyError):
        await runner.run_now("nope")
    with pytest.raises(KeyError):
        await runner.enqueue("every_15", {})
    with pytest.raises(ValueError):
        runner.job("sync_all")
    with pytest.raises(ValueError):
        runner.schedule("sync_all", "* * * * *")
    with pytest.raises(ValueError):
        runner.schedule("bad", "61 * * * *")
    with pytest.raises(TypeError):
        runner.job("sync")(lambda payload: None)  # type: ignore[type-var]


# -- a private PostgreSQL cluster, restarted under a running worker ---------------------------

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


class PrivateCluster:
    """A throwaway PostgreSQL cluster on its own port under a temp dir (never the shared one)."""

    def __init__(self, root: Path) -> None:
        found = sorted(glob.glob(PG_BIN_GLOB))
        if not found:
            # the restart test needs a PostgreSQL of its own to stop; where the suite must run
            # whole (CI sets ARCADIA_REQUIRE_BROKER=1) its absence is a failure, not a skip
            message = "PostgreSQL server binaries not found under /usr/lib/postgresql"
            if broker_required():
                pytest.fail(message)
            pytest.skip(message)
        self.bin = Path(found[-1])
        self.root = root
        self.data = root / "data"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # initdb and postgres refuse to run as root
        self.user = "postgres" if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        subprocess.run(
            [str(self.bin / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            user=self.user,
            cwd=self.root,
            timeout=60,
        )

    def init(self) -> None:
        if self.user is not None:
            shutil.chown(self.root, self.user)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl", action, "-D", str(self.data), "-w", "-o", options,
            "-l", str(self.root / "log"), *extra,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    with tempfile.TemporaryDirectory(prefix="arcadia-jobs-pg-") as root:
        cluster = PrivateCluster(Path(root))
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop()


async def _enqueue_when_up(runner: JobRunner, name: str, payload: dict[str, Any]) -> None:
    """The pool's connections died with the server: the first tries may fail."""
    async with asyncio.timeout(15):
        while True:
            try:
                await runner.enqueue(name, payload)
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await asyncio.sleep(0.1)


async def test_pickup_comes_back_within_seconds_after_a_postgres_restart(
    private_cluster: PrivateCluster, caplog: pytest.LogCaptureFixture
) -> None:
    # poll_interval is 30 s: pickup within seconds after the restart proves the worker
    # listens again (the LISTEN connection died with the server).
    runner = JobRunner(private_cluster.url, schema="svc", service="restart")
    seen: list[int] = []
    arrived = asyncio.Event()

    @runner.job("ping")
    async def ping(payload: dict[str, Any]) -> None:
        seen.append(payload["n"])
        arrived.set()

    await runner.install()
    task = asyncio.create_task(runner.run())
    try:
        await asyncio.sleep(0.5)  # the worker reaches its idle wait
        await runner.enqueue("ping", {"n": 1})
        async with asyncio.timeout(5):
            await arrived.wait()
        assert runner.cycles == 1

        with caplog.at_level(logging.WARNING, logger="arcadia.jobs"):
            await asyncio.to_thread(private_cluster.restart)
            await asyncio.sleep(1.0)  # the worker notices and reconnects (its delays: 0.2 s up)
            arrived.clear()
            enqueued = time.monotonic()
            await _enqueue_when_up(runner, "ping", {"n": 2})
            async with asyncio.timeout(10):
                await arrived.wait()
        assert time.monotonic() - enqueued < 10
        assert seen == [1, 2]
        assert runner.cycles >= 2
        lost = [r for r in caplog.records if "reconnecting" in r.getMessage()]
        assert len(lost) == 1, [r.getMessage() for r in caplog.records]

        # and it keeps listening: a third job is picked at once too
        arrived.clear()
        await asyncio.sleep(0.3)
        await runner.enqueue("ping", {"n": 3})
        async with asyncio.timeout(5):
            await arrived.wait()
    finally:
        await runner.stop()
        async with asyncio.timeout(10):
            await task
        await runner.close()
    assert task.exception() is None


async def test_jobs_run_under_the_correlation_id_they_were_enqueued_with(
    runners: Callable[..., JobRunner],
) -> None:
    runner = runners()
    seen: dict[str, UUID | None] = {}

    @runner.job("follow")
    async def follow(payload: dict[str, Any]) -> None:
        seen[payload["label"]] = current_correlation_id()

    await runner.install()
    cause = UUID(int=42)
    with correlation(cause):
        await runner.enqueue("follow", {"label": "caused"})
    await runner.enqueue("follow", {"label": "uncaused"})
    listed = {job.payload["label"]: job for job in await runner.queued_jobs()}
    assert listed["caused"].correlation_id == str(cause)
    assert listed["uncaused"].correlation_id is None

    await runner.run_until_idle()
    assert seen["caused"] == cause
    assert seen["uncaused"] is not None and seen["uncaused"] != cause  # a new one per job
    assert current_correlation_id() is None  # nothing leaks out of the job


async def test_queued_jobs_lists_rows_by_status_and_name(
    runners: Callable[..., JobRunner],
) -> None:
    runner = runners()

    @runner.job("a", retries=0)
    async def a(payload: dict[str, Any]) -> None:
        raise RuntimeError("broken")

    @runner.job("b")
    async def b(payload: dict[str, Any]) -> None:
        pass

    await runner.install()
    first = await runner.enqueue("a", {"n": 1})
    await runner.run_until_idle()
    second = await runner.enqueue("a", {"n": 2}, delay=timedelta(hours=1))
    third = await runner.enqueue("b", {"n": 3})

    rows = await runner.queued_jobs()
    assert [(r.id, r.name, r.status) for r in rows] == [
        (first, "a", "failed"),
        (second, "a", "queued"),
        (third, "b", "queued"),
    ]
    assert rows[1].execute_after > rows[2].execute_after
    assert [r.id for r in await runner.queued_jobs(statuses=["queued"])] == [second, third]
    assert [r.id for r in await runner.queued_jobs(names=["b"])] == [third]
    assert [r.payload for r in await runner.queued_jobs(limit=1)] == [{"n": 1}]


async def test_a_killed_listener_connection_is_replaced_at_once(
    runners: Callable[..., JobRunner], db: asyncpg.Connection
) -> None:
    # the LISTEN connection alone dies (a proxy or the server drops it): the worker notices at
    # once and listens again on a new one, with no database restart and no 30 s poll
    runner = runners(service="killed-listener")
    arrived = asyncio.Event()

    @runner.job("ping")
    async def ping(payload: dict[str, Any]) -> None:
        arrived.set()

    await runner.install()
    task = asyncio.create_task(runner.run())

    async def listener_pid() -> int | None:
        pid: int | None = await db.fetchval(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = current_database() AND application_name = $1
                 AND query LIKE 'LISTEN%'""",
            "arcadia-killed-listener-jobs",
        )
        return pid

    async def new_listener(besides: int | None) -> int:
        for _ in range(100):  # 5 s
            pid = await listener_pid()
            if pid is not None and pid != besides:
                return pid
            await asyncio.sleep(0.05)
        raise AssertionError("the worker does not listen")

    first = await new_listener(None)
    assert await db.fetchval("SELECT pg_terminate_backend($1)", first)
    await new_listener(first)
    assert runner.cycles == 2
    await asyncio.sleep(0.3)
    await runner.enqueue("ping", {})
    async with asyncio.timeout(5):
        await arrived.wait()
    await runner.stop()
    async with asyncio.timeout(5):
        await task
    assert task.exception() is None


async def test_a_healthy_worker_passes_the_listener_health_check_and_is_not_restarted(
    runners: Callable[..., JobRunner], db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    # PgQueuer probes the LISTEN connection every 10 s (its fixed interval) with a NOTIFY that
    # must come back within 10 s, or the worker shuts down at its next poll. Its first probe
    # is sent as the worker starts: LISTEN must already be in place by then. A second probe
    # is only sent once the first came back; a short poll acts on a failed one at once.
    runner = runners(service="healthy")
    arrived = asyncio.Event()
    runner.poll_interval = timedelta(milliseconds=200)

    @runner.job("ping")
    async def ping(payload: dict[str, Any]) -> None:
        arrived.set()

    probes: list[float] = []

    def on_notify(_c: object, _pid: object, _channel: object, payload: object) -> None:
        if isinstance(payload, str) and '"health_check_event"' in payload:
            probes.append(time.monotonic())

    await runner.install()
    await db.add_listener(runner.channel, on_notify)
    with caplog.at_level(logging.DEBUG, logger="arcadia.jobs"):
        started = time.monotonic()
        task = asyncio.create_task(runner.run())
        async with asyncio.timeout(14):
            while len(probes) < 2 or time.monotonic() - probes[1] < 1.0:
                await asyncio.sleep(0.1)
                assert not task.done()
        assert runner.cycles == 1
        await runner.enqueue("ping", {})
        async with asyncio.timeout(5):
            await arrived.wait()
        await runner.stop()
        async with asyncio.timeout(5):
            await task
    await db.remove_listener(runner.channel, on_notify)

    assert task.exception() is None
    assert time.monotonic() - started > 10
    assert runner.cycles == 1
    assert [r.getMessage() for r in caplog.records if r.name == "arcadia.jobs"] == []
