"""`make bench`: inventory sync of a generated account against the sandbox, versus a baseline.

Baseline (measured in the same run, on the same machine): paging the very same list endpoints
with the same client and no processing (with the cyclic garbage collector paused, as the sync
pauses it), plus a raw asyncpg COPY of as many rows as the sync writes to cloud_resources.
The sync's ratio to that baseline is the figure to watch (goal: at most 1.5). Each measure is the
best of `--rounds` (3): the machine is shared, and a round slowed by a neighbour says nothing
about the code.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import asyncpg
import httpx
from rich.console import Console
from rich.table import Table

from arcadia.runtime import embedded_database_url
from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.db import asyncpg_dsn
from arcadia_core.gc_pause import collector_paused
from arcadia_core.settings import ArcadiaSettings
from arcadia_core.testing.servers import create_database, drop_database
from do_api import DigitalOceanClient, RateBudget
from do_sandbox import create_app, expected_list_calls, scenarios
from inventory import bootstrap
from inventory.adapters.digitalocean import LISTINGS
from inventory.config import InventorySettings
from inventory.domain import kinds
from inventory.usecases.sync import sync_all

UNLIMITED = 10**9


@dataclass
class Row:
    name: str
    seconds: float
    calls: int | None = None
    events: int | None = None
    note: str = ""


def client_for(app: object, token: str) -> DigitalOceanClient:
    return DigitalOceanClient(
        token,
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        budget=RateBudget(UNLIMITED, UNLIMITED),
    )


async def page_everything(app: object, droplet_ids_with_backups: list[int]) -> tuple[float, int]:
    """The baseline's API half: every list endpoint a full sync pages, nothing else."""
    async with client_for(app, "baseline") as client, _paused():
        started = time.perf_counter()
        for listings in LISTINGS.values():
            for path, key, params in listings:
                await client.list_all(path, key, params)
        for droplet_id in droplet_ids_with_backups:
            await client.list_all(f"/v2/droplets/{droplet_id}/backups", "backups")
        for project in await client.list_all("/v2/projects", "projects"):
            await client.list_all(f"/v2/projects/{project['id']}/resources", "resources")
        return time.perf_counter() - started, client.calls


@contextlib.asynccontextmanager
async def _paused() -> AsyncIterator[None]:
    # the sync pauses the cyclic collector; so does the baseline, to compare like with like
    with collector_paused():
        yield


async def copy_rows(database_url: str, rows: int) -> float:
    """The baseline's database half: a raw COPY of `rows` resource-shaped rows."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "CREATE TEMP TABLE copy_baseline (id uuid, kind text, provider_id text, name text,"
            " status text, attrs jsonb)"
        )
        records = [
            (uuid.uuid4(), "droplet", str(i), f"r-{i}", "active", '{"vcpus": 1, "tags": []}')
            for i in range(rows)
        ]
        started = time.perf_counter()
        await connection.copy_records_to_table("copy_baseline", records=records)
        return time.perf_counter() - started
    finally:
        await connection.close()


async def run(
    droplets: int, console: Console, rounds: int = 3, *, inventory_only: bool = False
) -> None:
    settings = ArcadiaSettings()
    server_url = settings.database_url or await embedded_database_url(Path(settings.data_dir))
    name = f"arcadia_bench_{uuid.uuid4().hex[:8]}"
    database_url = await create_database(server_url, name)
    try:
        await bootstrap.migrate(database_url)
        account = scenarios.load("generated", droplets=droplets)
        app = create_app(account, rate_limit=None)
        total = sum(account.counts().values())
        with_backups = [
            d["id"]
            for d in account.items("droplets")
            if kinds.wants_backups_listing(
                {"backups_enabled": "backups" in d["features"], "backup_ids": d["backup_ids"]}
            )
        ]
        console.print(f"generated account: {total} resources ({droplets} droplets)")

        # Best of `rounds` for every measure, baseline and sync alike (the machine is shared:
        # one slow round says more about the neighbours than about the code). Each round's full
        # sync starts from an empty inventory of its own; the last round's is kept for what follows.
        page_seconds = copy_seconds = float("inf")
        rows: list[Row] = []
        for round_ in range(rounds):
            last = round_ == rounds - 1
            round_url = (
                database_url if last else await create_database(server_url, f"{name}_{round_}")
            )
            try:
                if not last:
                    await bootstrap.migrate(round_url)
                seconds, page_calls = await page_everything(app, with_backups)
                page_seconds = min(page_seconds, seconds)
                copy_seconds = min(copy_seconds, await copy_rows(round_url, total))
                measured = await _sync_round(app, round_url)
                rows = (
                    measured
                    if not rows
                    else [
                        replace(best, seconds=min(best.seconds, new.seconds))
                        for best, new in zip(rows, measured, strict=True)
                    ]
                )
            finally:
                if not last:
                    await drop_database(server_url, f"{name}_{round_}")
        baseline = page_seconds + copy_seconds

        expected = expected_list_calls(account)
        table = Table(
            title=f"inventory sync, {total} resources (baseline measured in this run; "
            f"best of {rounds} rounds each)"
        )
        for column in ("measure", "wall s", "API calls", "events", "x baseline"):
            table.add_column(column, justify="right" if column != "measure" else "left")
        table.add_row("baseline: page endpoints", f"{page_seconds:.2f}", str(page_calls), "", "")
        table.add_row(f"baseline: asyncpg COPY {total} rows", f"{copy_seconds:.2f}", "", "", "")
        table.add_row("baseline total", f"{baseline:.2f}", "", "", "1.00")
        for row in rows:
            table.add_row(
                row.name,
                f"{row.seconds:.2f}",
                str(row.calls),
                str(row.events),
                f"{row.seconds / baseline:.2f}",
            )
        console.print(table)
        first = rows[0]
        console.print(
            f"API calls: {first.calls} made, {expected} expected "
            f"(sum of ceil(n/200) per list endpoint + one backups call per droplet with backups)"
        )
        if first.calls != expected:
            raise SystemExit(f"call count mismatch: {first.calls} != {expected}")
        if rows[1].events:
            raise SystemExit(f"re-sync with nothing changed emitted {rows[1].events} events")
        if inventory_only:
            return
        from bench import billing

        console.print(billing.table(await billing.run(database_url)))
    finally:
        await drop_database(server_url, name)


async def _sync_round(app: object, database_url: str) -> list[Row]:
    """A full sync into an empty inventory, then a re-sync with nothing changed."""
    inventory = bootstrap.build(
        InventorySettings(DO_API_TOKEN="bench"),
        InProcessBus(),
        database_url=database_url,
        do_transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
    )
    inventory.do_client.budget = RateBudget(UNLIMITED, UNLIMITED)
    rows: list[Row] = []
    try:
        for label in ("full sync (empty inventory)", "re-sync, nothing changed"):
            calls_before = inventory.do_client.calls
            events_before = await _outbox_rows(database_url)
            started = time.perf_counter()
            results = await sync_all(
                provider=inventory.provider, uow=inventory.uow, clock=inventory.clock
            )
            seconds = time.perf_counter() - started
            failures = {k: v for k, v in results.items() if isinstance(v, BaseException)}
            if failures:
                raise RuntimeError(f"sync failed: {failures}")
            rows.append(
                Row(
                    label,
                    seconds,
                    calls=inventory.do_client.calls - calls_before,
                    events=await _outbox_rows(database_url) - events_before,
                )
            )
    finally:
        await inventory.stop()
    return rows


async def _outbox_rows(database_url: str) -> int:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        count: int = await connection.fetchval("SELECT count(*) FROM inventory.outbox")
        return count
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "only",
        nargs="?",
        choices=["inventory"],
        help="run this benchmark alone (default: all of them)",
    )
    parser.add_argument(
        "--droplets",
        type=int,
        default=7700,
        help="generated account size (7700 ≈ 20,000 resources)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="inventory sync: best of this many rounds, baseline and sync alike",
    )
    args = parser.parse_args()
    asyncio.run(run(args.droplets, Console(), args.rounds, inventory_only=args.only == "inventory"))
    if args.only == "inventory":
        return
    from bench import pipeline

    asyncio.run(pipeline.run(Console()))
    from bench import metering

    asyncio.run(metering.run(Console()))
    from bench import invoicing

    asyncio.run(invoicing.run(Console()))


if __name__ == "__main__":
    main()
