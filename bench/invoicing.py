"""Invoicing benchmark rows: a month-end rollup at scale, and the quote engine's p99.

Rollup: 10,000 tenants with 30,000 subscriptions (three deployments each, on Studio, one in
three with storage_50gb, one in ten starting mid-month), a full April of daily usage loaded by
COPY, then `roll_up_period` timed end to end (goal: at most 30 s). Quote: the pure function
timed call by call in process (goal: p99 under 5 ms).
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.table import Table

from arcadia.runtime import embedded_database_url
from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.db import asyncpg_dsn
from arcadia_core.settings import ArcadiaSettings
from arcadia_core.testing.servers import create_database, drop_database
from invoicing import bootstrap, catalog
from invoicing.config import InvoicingSettings
from invoicing.domain.period import Period
from invoicing.domain.quote import quote, totals
from invoicing.usecases.rollup import roll_up_period

TENANTS = 10_000
PER_TENANT = 3
APRIL = Period.parse("2026-04")


async def _load(database_url: str, tenants: int) -> int:
    """COPY the registry, subscriptions and a month of usage; return the usage rows."""
    rng = random.Random(42)
    now = datetime(2026, 5, 1, tzinfo=UTC)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        plan_id = await connection.fetchval("SELECT id FROM invoicing.plans WHERE code = 'studio'")
        addon_id = await connection.fetchval(
            "SELECT id FROM invoicing.addons WHERE code = 'storage_50gb'"
        )
        tenant_rows, deployment_rows, subscription_rows, addon_rows = [], [], [], []
        day_rows, usage_rows = [], []
        days = [APRIL.start + timedelta(days=n) for n in range(APRIL.days)]
        for t in range(tenants):
            tenant_id = uuid.uuid4()
            tenant_rows.append((tenant_id, f"tenant-{t}", Decimal("0.10"), "USD", now))
            for d in range(PER_TENANT):
                deployment_id, subscription_id = uuid.uuid4(), uuid.uuid4()
                deployment_rows.append(
                    (deployment_id, tenant_id, f"app-{d}", f"do-{t}-{d}", True, 1, now, now)
                )
                starts = date(2026, 4, 16) if rng.random() < 0.1 else date(2026, 1, 1)
                subscription_rows.append(
                    (subscription_id, tenant_id, deployment_id, plan_id, starts, "active", now)
                )
                if rng.random() < 1 / 3:
                    addon_rows.append((subscription_id, addon_id))
                hours = Decimal(rng.choice((24, 48, 72, 96)))
                for day in days:
                    day_rows.append((deployment_id, day, 1, now))
                    usage_rows.append((deployment_id, day, "droplet_hours", hours))
        copies = [
            ("tenants", ["id", "name", "tax_rate", "currency", "created_at"], tenant_rows),
            (
                "deployments",
                [
                    "id",
                    "tenant_id",
                    "name",
                    "do_project",
                    "active",
                    "version",
                    "created_at",
                    "updated_at",
                ],
                deployment_rows,
            ),
            (
                "subscriptions",
                [
                    "id",
                    "tenant_id",
                    "deployment_id",
                    "plan_id",
                    "starts_on",
                    "status",
                    "created_at",
                ],
                subscription_rows,
            ),
            ("subscription_addons", ["subscription_id", "addon_id"], addon_rows),
            ("usage_days", ["deployment_id", "day", "version", "received_at"], day_rows),
            ("usage", ["deployment_id", "day", "billing_kind", "quantity"], usage_rows),
        ]
        for table, columns, records in copies:
            await connection.copy_records_to_table(
                table, records=records, columns=columns, schema_name="invoicing"
            )
        await connection.execute("ANALYZE")
        return len(usage_rows)
    finally:
        await connection.close()


def quote_p99(samples: int = 20_000) -> tuple[float, float]:
    """Milliseconds: (median, p99) of one quote with totals, in process."""
    loaded = catalog.load()
    plan = loaded.plans[0]
    addons = list(loaded.addons)
    rng = random.Random(7)
    timings = []
    for _ in range(samples):
        usage = {
            "droplet_hours": Decimal(rng.randint(0, 5000)),
            "dns_zones": Decimal(rng.randint(0, 3100)) / 100,
            "snapshot_gb_month": Decimal(rng.randint(0, 20000)) / 100,
        }
        started = time.perf_counter()
        q = quote(plan, addons, usage, APRIL, rng.randint(1, 30))
        totals((line.amount_cents for line in q.lines), Decimal("0.10"))
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99)]


async def run(console: Console, tenants: int = TENANTS) -> None:
    settings = ArcadiaSettings()
    server_url = settings.database_url or await embedded_database_url(Path(settings.data_dir))
    name = f"arcadia_bench_inv_{uuid.uuid4().hex[:8]}"
    database_url = await create_database(server_url, name)
    try:
        await bootstrap.migrate(database_url)
        started = time.perf_counter()
        usage_rows = await _load(database_url, tenants)
        load_seconds = time.perf_counter() - started
        service = bootstrap.build(InvoicingSettings(), InProcessBus(), database_url=database_url)
        try:
            started = time.perf_counter()
            summary = await roll_up_period(APRIL, uow=service.uow, clock=service.clock)
            rollup_seconds = time.perf_counter() - started
            started = time.perf_counter()
            rerun = await roll_up_period(APRIL, uow=service.uow, clock=service.clock)
            rerun_seconds = time.perf_counter() - started
        finally:
            await service.stop()
        if len(summary.created) != tenants or len(rerun.skipped) != tenants or rerun.created:
            raise SystemExit(f"rollup produced {len(summary.created)} invoices for {tenants}")
        median, p99 = quote_p99()
        table = Table(
            title=f"invoicing: April rollup, {tenants} tenants, {tenants * PER_TENANT} "
            "subscriptions"
        )
        for column in ("measure", "value", "goal"):
            table.add_column(column, justify="left" if column == "measure" else "right")
        table.add_row(
            f"load registry + {usage_rows} usage rows (COPY)", f"{load_seconds:.2f} s", ""
        )
        table.add_row("rollup, first run", f"{rollup_seconds:.2f} s", "≤ 30 s")
        table.add_row("rollup per tenant", f"{rollup_seconds / tenants * 1000:.2f} ms", "")
        table.add_row("rollup re-run (all skipped)", f"{rerun_seconds:.2f} s", "")
        table.add_row("quote engine median", f"{median:.3f} ms", "")
        table.add_row("quote engine p99", f"{p99:.3f} ms", "< 5 ms")
        console.print(table)
    finally:
        await drop_database(server_url, name)
