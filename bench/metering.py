"""Metering benchmarks (rows of `make bench`).

1. Meter one day for 50,000 attributed resources (a fresh day: every row inserted), against a
   raw `INSERT ... SELECT` of the same rows into a copy of `usage_records` (same indexes), timed
   in the same run on the same machine. Goal: at most 2x. Also shown: re-metering that day
   unchanged (the idempotent path: read, compare, write nothing).
2. `usage_for_period` over a year of daily rows for one deployment among 10,000
   (3.65 million rows). Goal: under 50 ms.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.table import Table

from arcadia.runtime import embedded_database_url
from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.db import asyncpg_dsn
from arcadia_core.settings import ArcadiaSettings
from arcadia_core.testing.servers import create_database, drop_database
from metering import bootstrap
from metering.adapters import queries
from metering.config import MeteringSettings
from metering.usecases.meter import meter_day

RESOURCES = 50_000
DEPLOYMENTS_METERED = 1_000
DEPLOYMENTS_YEAR = 10_000
DAY = date(2026, 12, 1)

SEED_RESOURCES = """
INSERT INTO metering.resources (id, kind, provider_id, name, status, size_gb, tenant_id,
    deployment_id, ever_attributed, provider_created_at, first_seen_at, last_seen_at, version)
SELECT gen_random_uuid(), k.kind, n::text, 'r-' || n, k.status, k.size,
       md5('t' || (n % $2))::uuid, md5('d' || (n % $2))::uuid, true,
       '2026-10-01T00:00Z', '2026-10-02T00:00Z', '2026-11-30T12:00Z', 1
FROM generate_series(1, $1) AS n
CROSS JOIN LATERAL (
    SELECT (ARRAY['droplet', 'snapshot', 'volume', 'dns_zone', 'droplet_backup'])[n % 5 + 1]
               AS kind,
           (ARRAY['active', 'available', 'attached', 'active', 'available'])[n % 5 + 1]
               AS status,
           CASE WHEN n % 5 IN (1, 2, 4) THEN (n % 90 + 10)::numeric END AS size
) AS k
"""

SEED_HISTORY = """
INSERT INTO metering.resource_history
    (resource_id, version, at, change, status, size_gb, tenant_id, deployment_id)
SELECT id, 1, first_seen_at, 'created', status, size_gb, tenant_id, deployment_id
FROM metering.resources
"""

BASELINE = """
INSERT INTO metering.usage_baseline (deployment_id, tenant_id, resource_id, resource_kind,
    period_start, granularity, qty, metered_at)
SELECT h.deployment_id, h.tenant_id, r.id, r.kind, $1, 'daily', 24, now()
FROM metering.resources r
JOIN metering.resource_history h ON h.resource_id = r.id
"""

SEED_YEAR = """
INSERT INTO metering.usage_records (deployment_id, tenant_id, resource_id, resource_kind,
    period_start, granularity, qty, metered_at)
SELECT md5('d' || d)::uuid, md5('t' || d)::uuid, md5('r' || d)::uuid, 'droplet_hours',
       timestamptz '2026-01-01T00:00Z' + make_interval(days => s), 'daily', 24, now()
FROM generate_series(0, $1 - 1) AS d, generate_series(0, 364) AS s
"""


async def run(console: Console) -> None:
    settings = ArcadiaSettings()
    server_url = settings.database_url or await embedded_database_url(Path(settings.data_dir))
    name = f"arcadia_bench_metering_{uuid.uuid4().hex[:8]}"
    database_url = await create_database(server_url, name)
    try:
        await bootstrap.migrate(database_url)
        table = Table(title="metering (baseline measured in this run)")
        for column in ("measure", "rows", "wall s", "x baseline"):
            table.add_column(column, justify="left" if column == "measure" else "right")
        await _meter_rows(database_url, table)
        await _period_rows(database_url, table)
        console.print(table)
    finally:
        await drop_database(server_url, name)


async def _meter_rows(database_url: str, table: Table) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(SEED_RESOURCES, RESOURCES, DEPLOYMENTS_METERED)
        await connection.execute(SEED_HISTORY)
        await connection.execute(
            "CREATE TABLE metering.usage_baseline (LIKE metering.usage_records INCLUDING ALL)"
        )
        await connection.execute("ANALYZE")
        period = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
        started = time.perf_counter()
        await connection.execute(BASELINE, period)
        baseline = time.perf_counter() - started
    finally:
        await connection.close()

    metering = bootstrap.build(MeteringSettings(), InProcessBus(), database_url=database_url)
    try:
        started = time.perf_counter()
        first = await meter_day(DAY, uow=metering.uow, clock=metering.clock)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = await meter_day(DAY, uow=metering.uow, clock=metering.clock)
        unchanged = time.perf_counter() - started
    finally:
        await metering.stop()
    if first.records != RESOURCES or again.inserted + again.updated + again.deleted:
        raise SystemExit(f"metering wrote {first} then {again}")
    table.add_row(
        f"baseline: INSERT ... SELECT {RESOURCES:,} rows",
        f"{RESOURCES:,}",
        f"{baseline:.2f}",
        "1.00",
    )
    table.add_row(
        f"meter_day, {RESOURCES:,} attributed resources ({first.events} usage.metered)",
        f"{first.records:,}",
        f"{seconds:.2f}",
        f"{seconds / baseline:.2f}",
    )
    table.add_row(
        "meter_day again, nothing changed", "0", f"{unchanged:.2f}", f"{unchanged / baseline:.2f}"
    )


async def _period_rows(database_url: str, table: Table) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute("TRUNCATE metering.usage_records")
        await connection.execute(SEED_YEAR, DEPLOYMENTS_YEAR)
        await connection.execute("ANALYZE metering.usage_records")
        rows = await connection.fetchval("SELECT count(*) FROM metering.usage_records")
    finally:
        await connection.close()
    metering = bootstrap.build(MeteringSettings(), InProcessBus(), database_url=database_url)
    deployment = uuid.UUID(bytes=bytes.fromhex(_md5("d4242")))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    end = datetime(2027, 1, 1, tzinfo=UTC)
    timings: list[float] = []
    try:
        for _ in range(20):
            async with metering.sessions() as session:
                started = time.perf_counter()
                totals = await queries.usage_for_period(session, deployment, start, end)
                timings.append(time.perf_counter() - started)
    finally:
        await metering.stop()
    if totals != {"droplet_hours": 365 * 24}:
        raise SystemExit(f"usage_for_period gave {totals}")
    median = statistics.median(timings)
    table.add_row(
        f"usage_for_period: 1 deployment of {DEPLOYMENTS_YEAR:,}, a year of daily rows "
        f"(median of {len(timings)}; goal < 50 ms)",
        f"{rows:,}",
        f"{median * 1000:.1f} ms",
        "",
    )


def _md5(text: str) -> str:
    import hashlib

    return hashlib.md5(text.encode()).hexdigest()


def main() -> None:
    import asyncio

    asyncio.run(run(Console()))


if __name__ == "__main__":
    main()
