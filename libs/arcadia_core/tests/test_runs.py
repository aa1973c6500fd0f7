"""The run log on real PostgreSQL: what a run records, a failed job's run surviving the job's
own rollback, concurrent runs of one name, the listing order, retention, and the job runner
recording its jobs and schedules."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from arcadia_core.context import correlation
from arcadia_core.db import asyncpg_dsn, create_engine
from arcadia_core.jobs import JobRunner
from arcadia_core.runs import (
    ABANDONED,
    FAILED,
    OK,
    RUNNING,
    RunLog,
    create_runs_table,
    error_text,
    summary_text,
)

SCHEMA = "runs_test"
FAST = timedelta(milliseconds=50)


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, schema=SCHEMA)
    async with engine.begin() as connection:
        await connection.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        await connection.execute(text(f"CREATE TABLE {SCHEMA}.work (id bigint PRIMARY KEY)"))

        def build(sync_connection: Any) -> None:
            create_runs_table(Operations(MigrationContext.configure(sync_connection)), SCHEMA)

        await connection.run_sync(build)
    yield engine
    await engine.dispose()


@pytest.fixture
def run_log(engine: AsyncEngine) -> RunLog:
    return RunLog(engine, SCHEMA)


async def _rows(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        result = await connection.execute(text(f"SELECT * FROM {SCHEMA}.runs ORDER BY id"))
        return [dict(row) for row in result.mappings()]


def test_summaries_and_errors_are_one_line() -> None:
    assert summary_text({"kind": "droplet", "seen": 12}) == "kind=droplet, seen=12"
    assert summary_text("  3 invoices\n ingested ") == "3 invoices ingested"
    assert summary_text(None) is None and summary_text({}) is None
    assert len(summary_text("x" * 2000) or "") == 500
    assert error_text(ValueError("bad line 3\nTraceback...")) == "ValueError: bad line 3"
    assert error_text(RuntimeError()) == "RuntimeError"


async def test_a_run_that_ends_is_ok_with_its_summary(run_log: RunLog, engine: AsyncEngine) -> None:
    with correlation("7b0c1f3e-0000-4000-8000-000000000001"):
        async with run_log.record("billing.ingest") as run:
            during = await _rows(engine)
            run.summarize({"invoice": "abc", "lines": 3, "matched": 2})

    assert [(r["name"], r["outcome"], r["finished_at"]) for r in during] == [
        ("billing.ingest", RUNNING, None)
    ]
    [row] = await _rows(engine)
    assert row["outcome"] == OK
    assert row["summary"] == "invoice=abc, lines=3, matched=2"
    assert row["error"] is None
    assert row["correlation_id"] == "7b0c1f3e-0000-4000-8000-000000000001"
    assert row["finished_at"] >= row["started_at"]


async def test_a_failed_run_is_kept_though_the_work_rolls_back(
    run_log: RunLog, engine: AsyncEngine
) -> None:
    with pytest.raises(ZeroDivisionError):
        # the work's own transaction inside the run
        async with run_log.record("metering.meter_day"), engine.begin() as connection:
            await connection.execute(text(f"INSERT INTO {SCHEMA}.work VALUES (1)"))
            raise ZeroDivisionError("division by zero\nin the usage of day 3")

    [row] = await _rows(engine)
    assert (row["outcome"], row["error"]) == (FAILED, "ZeroDivisionError: division by zero")
    assert row["finished_at"] is not None
    async with engine.connect() as connection:
        assert await connection.scalar(text(f"SELECT count(*) FROM {SCHEMA}.work")) == 0


async def test_a_run_can_fail_without_raising(run_log: RunLog, engine: AsyncEngine) -> None:
    async with run_log.record("arcadia billing ingest") as run:
        run.summarize("3 invoices, 1 failed")
        run.fail("1 invoice failed or did not reconcile")
    [row] = await _rows(engine)
    assert (row["outcome"], row["summary"], row["error"]) == (
        FAILED,
        "3 invoices, 1 failed",
        "1 invoice failed or did not reconcile",
    )


async def test_concurrent_runs_of_one_name_are_both_recorded(
    run_log: RunLog, engine: AsyncEngine
) -> None:
    both_started = asyncio.Barrier(2)

    async def one(n: int) -> None:
        async with run_log.record("inventory.sync.droplet") as run:
            await both_started.wait()  # each run is `running` while the other starts
            run.summarize(f"run {n}")

    await asyncio.gather(one(1), one(2))
    rows = await _rows(engine)
    assert sorted(r["summary"] for r in rows) == ["run 1", "run 2"]
    assert {r["outcome"] for r in rows} == {OK}
    assert len({r["id"] for r in rows}) == 2


async def test_a_broken_run_log_never_fails_the_work(engine: AsyncEngine) -> None:
    missing = RunLog(engine, "no_such_schema")
    async with missing.record("inventory.sync.volume") as run:
        run.summarize("done")
    with pytest.raises(KeyError):  # the work's own error, not the log's
        async with missing.record("inventory.sync.volume"):
            raise KeyError("x")


async def _insert(engine: AsyncEngine, *runs: tuple[str, datetime, str]) -> None:
    table = RunLog(engine, SCHEMA).table
    async with engine.begin() as connection:
        for name, started_at, outcome in runs:
            await connection.execute(
                insert(table).values(
                    name=name,
                    started_at=started_at,
                    finished_at=None if outcome == RUNNING else started_at,
                    outcome=outcome,
                )
            )


async def test_the_latest_run_of_each_name_comes_first(
    run_log: RunLog, engine: AsyncEngine
) -> None:
    t = datetime(2026, 11, 30, tzinfo=UTC)
    await _insert(
        engine,
        ("a", t, OK),
        ("a", t + timedelta(hours=1), OK),
        ("a", t + timedelta(hours=2), OK),
        ("a", t + timedelta(hours=3), FAILED),
        ("b", t - timedelta(days=10), OK),
        ("c", t + timedelta(hours=1, minutes=30), RUNNING),
    )
    listed = [(r.name, r.started_at, r.latest) for r in await run_log.list_runs(limit=5)]
    assert listed == [
        ("a", t + timedelta(hours=3), True),
        ("c", t + timedelta(hours=1, minutes=30), True),
        ("b", t - timedelta(days=10), True),
        ("a", t + timedelta(hours=2), False),
        ("a", t + timedelta(hours=1), False),
    ]
    assert [r.name for r in await run_log.list_runs(limit=2)] == ["a", "c"]
    only_a = await run_log.list_runs(name="a", limit=2)
    assert [(r.started_at, r.latest) for r in only_a] == [
        (t + timedelta(hours=3), True),
        (t + timedelta(hours=2), False),
    ]
    latest_b = await run_log.latest("b")
    assert latest_b is not None and latest_b.outcome == OK
    assert await run_log.latest("never") is None
    with pytest.raises(ValueError):
        await run_log.list_runs(limit=0)


async def test_retention_keeps_recent_runs_and_the_latest_of_each_name(
    run_log: RunLog, engine: AsyncEngine
) -> None:
    now = datetime.now(UTC)
    await _insert(
        engine,
        ("old-only", now - timedelta(days=200), OK),  # stays: the latest of its name
        ("a", now - timedelta(days=100), OK),  # goes
        ("a", now - timedelta(days=95), FAILED),  # goes
        ("a", now - timedelta(days=5), OK),  # stays
        ("stuck", now - timedelta(days=2), RUNNING),  # stays, closed as abandoned
        ("busy", now - timedelta(hours=1), RUNNING),  # stays running
    )
    assert await run_log.purge(timedelta(days=90)) == 2
    rows = {(r["name"], r["outcome"], r["error"]) for r in await _rows(engine)}
    assert rows == {
        ("old-only", OK, None),
        ("a", OK, None),
        ("stuck", FAILED, ABANDONED),
        ("busy", RUNNING, None),
    }


async def test_the_runner_records_its_jobs_and_schedules(
    run_log: RunLog, engine: AsyncEngine, database_url: str
) -> None:
    runner = JobRunner(asyncpg_dsn(database_url), schema=SCHEMA, service="runs", run_log=run_log)
    attempts: list[int] = []

    @runner.job("count", retries=1, backoff=FAST)
    async def count(payload: dict[str, Any]) -> dict[str, int]:
        attempts.append(1)
        if len(attempts) == 1:
            async with engine.begin() as connection:
                await connection.execute(text(f"INSERT INTO {SCHEMA}.work VALUES (1)"))
                raise RuntimeError("provider answered 503")
        return {"resources": int(payload["n"]), "events": 2}

    @runner.schedule("tick", "0 0 1 1 *", record=False)
    async def tick() -> None:
        await runner.enqueue("count", {"n": 7})

    @runner.schedule("sweep", "0 0 1 1 *")
    async def sweep() -> str:
        return "swept 4 rows"

    try:
        await runner.install()
        await runner.run_now("tick")
        await runner.run_until_idle()
        await runner.run_now("sweep")
    finally:
        await runner.close()

    runs = [(r["name"], r["outcome"], r["summary"], r["error"]) for r in await _rows(engine)]
    assert runs == [
        ("count", FAILED, "attempt 1 of 2", "RuntimeError: provider answered 503"),
        ("count", OK, "resources=7, events=2", None),
        ("sweep", OK, "swept 4 rows", None),
    ]
    # the job's correlation id (set when it ran) is on both attempts
    async with engine.connect() as connection:
        ids = await connection.execute(select(RunLog(engine, SCHEMA).table.c.correlation_id))
        assert all(value is not None for value in ids.scalars())
