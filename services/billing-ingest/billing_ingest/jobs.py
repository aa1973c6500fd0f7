"""Schedules (the seeds' cadence, UTC) and the jobs they queue.

- balance hourly at :07; billing history daily at 02:23, which queues one ingest job per
  invoice not yet ingested and a push job per invoice finance has not received yet;
- `billing.ingest` and `billing.finance_push` are durable jobs with retries and backoff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arcadia_core.jobs import JobRunner
from billing_ingest.ports import BillingProvider, Clock, FinanceClient, UnitOfWorkFactory
from billing_ingest.usecases.ingest import ingest_invoice
from billing_ingest.usecases.push import push_invoice
from billing_ingest.usecases.records import (
    INGEST_JOB,
    PUSH_JOB,
    record_balance,
    refresh_history,
)

BALANCE_JOB = "billing.balance"
HISTORY_JOB = "billing.history"
BALANCE_CRON = "7 * * * *"
HISTORY_CRON = "23 2 * * *"


def register_jobs(
    runner: JobRunner,
    *,
    provider: BillingProvider,
    uow: UnitOfWorkFactory,
    clock: Clock,
    finance: FinanceClient,
) -> None:
    @runner.job(BALANCE_JOB, retries=3)
    async def balance(_: dict[str, Any]) -> str:
        added = await record_balance(provider=provider, uow=uow, clock=clock)
        return "balance recorded" if added else "balance unchanged"

    @runner.job(HISTORY_JOB, retries=3)
    async def history(payload: dict[str, Any]) -> dict[str, int]:
        result = await refresh_history(
            provider=provider,
            uow=uow,
            clock=clock,
            force=bool(payload.get("force")),
            push_configured=finance.configured,
        )
        return {
            "entries": result.history_entries,
            "invoices": result.invoices,
            "to_ingest": len(result.to_ingest),
        }

    @runner.job(INGEST_JOB, retries=5, backoff=timedelta(seconds=30))
    async def ingest(payload: dict[str, Any]) -> dict[str, Any]:
        outcome = await ingest_invoice(
            str(payload["invoice_uuid"]),
            provider=provider,
            uow=uow,
            clock=clock,
            force=bool(payload.get("force")),
            push=finance.configured,
        )
        return {
            "invoice": outcome.invoice_uuid,
            "status": outcome.status,
            "lines": outcome.line_count,
            "matched": outcome.matched_count,
        }

    # finance down: retried with backoff (capped at 15 minutes) for about a day
    @runner.job(PUSH_JOB, retries=100, backoff=timedelta(seconds=10))
    async def finance_push(payload: dict[str, Any]) -> dict[str, str]:
        pushed = await push_invoice(
            str(payload["invoice_uuid"]), uow=uow, finance=finance, clock=clock
        )
        return {"invoice": pushed.invoice_uuid, "finance": pushed.action}

    @runner.schedule(f"{BALANCE_JOB}.tick", BALANCE_CRON, record=False)
    async def balance_tick() -> None:
        await runner.enqueue(BALANCE_JOB, {}, dedupe_key="pending")

    @runner.schedule(f"{HISTORY_JOB}.tick", HISTORY_CRON, record=False)
    async def history_tick() -> None:
        await runner.enqueue(HISTORY_JOB, {}, dedupe_key="pending")
