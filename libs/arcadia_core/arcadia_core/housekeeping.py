"""The messaging tables' retention, one daily job per service: sent outbox rows are kept a week
(to trace what was published), handled inbox rows a month (longer than a duplicate can still
arrive: a relay's re-send, a DLQ replay, a republish). The same job keeps the run log
(`arcadia_core.runs`) to 90 days, the latest run of every name however old."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from arcadia_core.inbox import purge_handled
from arcadia_core.jobs import JobRunner
from arcadia_core.outbox import OutboxRelay
from arcadia_core.runs import RETENTION as RUNS_RETENTION

log = logging.getLogger(__name__)

OUTBOX_RETENTION = timedelta(days=7)
INBOX_RETENTION = timedelta(days=30)


def register_messaging_housekeeping(
    runner: JobRunner,
    *,
    service: str,
    relay: OutboxRelay,
    engine: AsyncEngine,
    inbox: Table,
    cron: str = "17 4 * * *",
) -> None:
    async def purge_messaging() -> str:
        sent = await relay.purge_sent(OUTBOX_RETENTION)
        handled = await purge_handled(engine, inbox, INBOX_RETENTION)
        runs = 0 if runner.run_log is None else await runner.run_log.purge(RUNS_RETENTION)
        log.info(
            "%s: purged %d sent outbox, %d handled inbox and %d run log rows",
            service,
            sent,
            handled,
            runs,
        )
        return f"purged {sent} sent outbox, {handled} handled inbox, {runs} run log rows"

    runner.schedule(f"{service}.messaging.purge", cron)(purge_messaging)
