"""Billing ingest benchmark: ingest and match a 100,000-line invoice from the sandbox.

Baseline, in the same run: the same CSV read with the `csv` module and its rows written with a
raw asyncpg COPY into a table of as many columns (no parsing of amounts or dates, no matching):
the least any ingest must do. Measured:

- ingest + match, inputs fetched: parse, join the JSON items' ids, derive kinds and names,
  match every line against the projection, replace the lines (COPY), header and event;
- ingest, everything: the same plus fetching the CSV, the 500 pages of JSON items and the
  summary from the in-process sandbox.

The goal is at most 2x the baseline for the first.
"""

from __future__ import annotations

import csv
import io
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from rich.table import Table

from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.db import asyncpg_dsn
from arcadia_core.gc_pause import collector_paused
from billing_ingest import bootstrap
from billing_ingest.adapters.invoice_csv import read_document
from billing_ingest.config import BillingSettings
from billing_ingest.domain.model import (
    InvoiceDocument,
    InvoiceListing,
    InvoiceSummary,
    ProviderItem,
)
from billing_ingest.usecases.ingest import ingest_invoice
from billing_ingest.usecases.records import refresh_history
from do_api import RateBudget
from do_sandbox import create_app, scenarios

UNLIMITED = 10**9


@dataclass
class Row:
    name: str
    seconds: float
    calls: int | None = None
    events: int | None = None
    note: str = ""
    ratio: float | None = None


class _Fetched:
    """The provider, with one invoice's inputs already fetched."""

    def __init__(self, text: str, items: list[ProviderItem], summary: InvoiceSummary) -> None:
        self.text, self.items, self.summary = text, items, summary

    async def invoice_document(self, invoice_uuid: str) -> InvoiceDocument:
        return read_document(self.text)  # parsing stays inside the measured ingest

    async def invoice_items(self, invoice_uuid: str) -> list[ProviderItem]:
        return self.items

    async def invoice_summary(self, invoice_uuid: str) -> InvoiceSummary:
        return self.summary

    async def balance(self) -> Any:
        raise NotImplementedError

    async def billing_history(self) -> Any:
        raise NotImplementedError

    async def invoices(self) -> InvoiceListing:
        raise NotImplementedError


async def _baseline(database_url: str, text: str) -> tuple[float, float, int]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "CREATE TEMP TABLE csv_baseline (product text, group_description text,"
            " description text, hours text, start_at text, end_at text, usd text,"
            " project_name text, category text)"
        )
        with collector_paused():
            started = time.perf_counter()
            rows = list(csv.reader(io.StringIO(text, newline="")))[1:]
            parsed = time.perf_counter() - started
            started = time.perf_counter()
            await connection.copy_records_to_table("csv_baseline", records=rows)
            copied = time.perf_counter() - started
        return parsed, copied, len(rows)
    finally:
        await connection.close()


async def _projection(database_url: str, account: Any) -> int:
    """The resources the lines name, as resource.synced would have left them (not timed)."""
    now = datetime.now(UTC)
    records: list[tuple[Any, ...]] = []

    def add(kind: str, provider_id: str, name: str) -> None:
        records.append((uuid.uuid4(), 1, kind, provider_id, name, name.lower(), now, now))

    for droplet in account.items("droplets"):
        add("droplet", str(droplet["id"]), droplet["name"])
    for snapshot in account.items("snapshots"):
        add("snapshot", str(snapshot["id"]), snapshot["name"])
    for volume in account.items("volumes"):
        add("volume", volume["id"], volume["name"])
    for reserved in account.items("reserved_ips"):
        add("floating_ip", reserved["ip"], reserved["ip"])
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.copy_records_to_table(
            "resources",
            schema_name="billing",
            columns=[
                "resource_id",
                "version",
                "kind",
                "provider_id",
                "name",
                "name_key",
                "first_seen_at",
                "updated_at",
            ],
            records=records,
        )
    finally:
        await connection.close()
    return len(records)


async def run(database_url: str, *, lines: int = 100_000, droplets: int = 2000) -> list[Row]:
    await bootstrap.migrate(database_url)
    account = scenarios.load("generated", droplets=droplets, invoice_lines=lines)
    invoice = account.billing.invoices[-1]
    text = invoice.csv_text()
    app = create_app(account, rate_limit=None)
    parsed, copied, count = await _baseline(database_url, text)
    baseline = parsed + copied
    held = await _projection(database_url, account)

    service = bootstrap.build(
        BillingSettings(DO_API_TOKEN="bench-billing"),
        InProcessBus(),
        database_url=database_url,
        do_transport=httpx.ASGITransport(app=app),
    )
    service.do_client.budget = RateBudget(UNLIMITED, UNLIMITED)
    rows = [
        Row("baseline: csv module parse", parsed, note=f"{count} lines"),
        Row("baseline: asyncpg COPY of the rows", copied),
        Row("baseline total", baseline, ratio=1.0),
    ]
    try:
        await refresh_history(
            provider=service.provider, uow=service.uow, clock=service.clock, enqueue=False
        )
        uuid_ = invoice.invoice_uuid
        fetched = _Fetched(
            await service.provider.invoice_csv(uuid_),
            await service.provider.invoice_items(uuid_),
            await service.provider.invoice_summary(uuid_),
        )
        with collector_paused():
            started = time.perf_counter()
            outcome = await ingest_invoice(
                uuid_, provider=fetched, uow=service.uow, clock=service.clock, push=False
            )
            seconds = time.perf_counter() - started
        if outcome.status != "ingested" or not outcome.reconciled:
            raise SystemExit(f"benchmark ingest did not succeed: {outcome}")
        rows.append(
            Row(
                "ingest + match, inputs fetched",
                seconds,
                events=1,
                note=f"{outcome.line_count} lines, {outcome.matched_count} matched "
                f"against {held} resources",
                ratio=seconds / baseline,
            )
        )
        calls = service.do_client.calls
        with collector_paused():
            started = time.perf_counter()
            again = await ingest_invoice(
                uuid_,
                provider=service.provider,
                uow=service.uow,
                clock=service.clock,
                force=True,
                push=False,
            )
            seconds = time.perf_counter() - started
        rows.append(
            Row(
                "ingest, fetching from the sandbox",
                seconds,
                calls=service.do_client.calls - calls,
                events=1,
                note=f"{again.line_count} lines (CSV, item pages, summary in process)",
                ratio=seconds / baseline,
            )
        )
    finally:
        await service.stop()
    return rows


def table(rows: list[Row]) -> Table:
    result = Table(title="billing ingest, one invoice (baseline measured in this run)")
    for column in ("measure", "wall s", "API calls", "events", "x baseline", "note"):
        result.add_column(column, justify="left" if column in ("measure", "note") else "right")
    for row in rows:
        result.add_row(
            row.name,
            f"{row.seconds:.2f}",
            "" if row.calls is None else str(row.calls),
            "" if row.events is None else str(row.events),
            "" if row.ratio is None else f"{row.ratio:.2f}",
            row.note,
        )
    return result
