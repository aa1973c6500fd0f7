"""The seeds' story end to end: sync the sandbox's account, ingest April 2026, push to finance.

Inventory and billing ingest share one in-process bus, as in the all-in-one; the sandbox and the
finance stand-in are in process. April has 33 lines summing to $86.92 with $7.90 of GST; every
line of a resource the account holds is matched; every other line is explained; finance holds
one record (net 7902, tax 790) after two runs, the second answering "updated".
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import httpx
from fastapi import FastAPI

from arcadia_core.bus.inprocess import InProcessBus
from billing_ingest import bootstrap as billing_bootstrap
from billing_ingest.domain.model import (
    ACCOUNT_LEVEL,
    BY_ID,
    BY_NAME,
    DESTROYED_BEFORE_MIRROR,
    NONE,
    TAX,
)
from billing_ingest.usecases.ingest import ingest_invoice
from billing_ingest.usecases.records import refresh_history
from do_sandbox.finance import FinanceState
from do_sandbox.scenarios.seeds_billing import APRIL_FIGURES, APRIL_UUID
from inventory import bootstrap as inventory_bootstrap
from inventory.config import InventorySettings
from inventory.usecases.sync import sync_all


async def drained(*services: object, limit: float = 30.0) -> None:
    async with asyncio.timeout(limit):
        while True:
            pending = [await s.relay.pending_count() for s in services]  # type: ignore[attr-defined]
            if not any(pending):
                return
            await asyncio.sleep(0.05)


async def test_the_seeds_april_invoice_end_to_end(
    migrated_database: Callable[..., Awaitable[str]],
    sandbox: FastAPI,
    finance_app: FastAPI,
    finance: FinanceState,
    billing_factory: Callable[..., billing_bootstrap.BillingIngest],
) -> None:
    database = await migrated_database(inventory_bootstrap.migrate, billing_bootstrap.migrate)
    bus = InProcessBus()
    inventory = inventory_bootstrap.build(
        InventorySettings(DO_API_TOKEN=f"test-{uuid.uuid4().hex}"),
        bus,
        database_url=database,
        do_transport=httpx.ASGITransport(app=sandbox),
    )
    billing = billing_factory(database, sandbox, finance_app, bus=bus)
    for subscription in inventory.subscriptions() + billing.subscriptions():
        bus.subscribe(subscription)
    await bus.start()
    await inventory.start(run_jobs=False)
    await billing.start(run_jobs=False)
    try:
        results = await sync_all(
            provider=inventory.provider,
            uow=inventory.uow,
            clock=inventory.clock,
            internal_project=inventory.settings.internal_project_name,
        )
        assert not [k for k, v in results.items() if isinstance(v, BaseException)], results
        await drained(inventory, billing)

        for run in (1, 2):
            history = await refresh_history(
                provider=billing.provider, uow=billing.uow, clock=billing.clock, enqueue=False
            )
            assert history.invoices == 137
            outcome = await ingest_invoice(
                APRIL_UUID,
                provider=billing.provider,
                uow=billing.uow,
                clock=billing.clock,
                force=run == 2,
            )
            assert outcome.status == "ingested" and outcome.reconciled
            assert outcome.push_queued
            await billing.jobs.run_until_idle()  # the finance push job
            await drained(inventory, billing)

            records = list(finance.records.values())
            assert len(records) == 1
            record = records[0]
            assert record.imports == run
            assert record.body["amount_net_minor"] == 7902
            assert record.body["amount_tax_minor"] == 790
            assert record.body["external_id"] == APRIL_UUID
            assert record.body["source"] == "digitalocean"
            assert record.body["vendor"] == {"name": "DigitalOcean", "category": "cloud"}

        async with billing.uow() as work:
            header = await work.invoices.get(APRIL_UUID)
            lines = await work.lines.of_invoice(APRIL_UUID)
        assert header is not None
        assert header["finance_action"] == "updated"
        assert header["finance_invoice_id"] == record.id
        assert header["pushed_to_finance_at"] is not None

        figures = APRIL_FIGURES
        assert len(lines) == figures.lines == 33
        assert sum(line.amount_cents for line in lines) == figures.total_cents == 8692
        assert sum(line.amount_cents for line in lines if line.kind == TAX) == 790
        assert header["line_count"] == 33 and header["reconciled"] is True

        # every line of a resource the account holds is matched to it
        async with inventory.uow() as work:
            held = {
                (kind, (r.name or "").lower()): r.id
                for kind in ("droplet", "snapshot", "floating_ip", "volume", "droplet_backup")
                for r in (await work.resources.by_kind(kind)).values()
            }
        for line in lines:
            key = (line.match_kind, line.match_name)
            if key in held:
                assert line.resource_id == held[key], line
        methods = [line.match_method for line in lines]
        assert methods.count(BY_ID) == figures.matched_by_id
        assert methods.count(BY_NAME) == figures.matched_by_name
        assert header["matched_count"] == figures.matched

        # every other line is explained
        reasons = [line.unmatched_reason for line in lines if line.match_method == NONE]
        assert None not in reasons
        assert reasons.count(DESTROYED_BEFORE_MIRROR) == figures.destroyed_before_mirror
        assert reasons.count(ACCOUNT_LEVEL) == figures.account_level
        assert reasons.count(TAX) == figures.tax
        backup = next(line for line in lines if line.description.startswith("web-01 (Weekly"))
        assert backup.kind == "droplet_backup" and backup.match_kind == "droplet"
        assert backup.resource_id == held[("droplet", "web-01")]
    finally:
        await billing.stop()
        await inventory.stop()
        await bus.stop()
