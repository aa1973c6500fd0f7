"""The messaging tables' retention, one daily job per service: sent outbox rows are kept a week
(to trace what was published), handled inbox rows a month (longer than a duplicate can still
arrive: a relay's re-send, a DLQ replay, a republish)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncEngine

from arcadia_core.inbox import purge_handled
from arcadia_core.jobs import JobRunner
from arcadia_core.outbox import OutboxRelay

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
    async def purge_messaging() -> None:
        sent = await relay.purge_sent(OUTBOX_RETENTION)
        handled = await purge_handled(engine, inbox, INBOX_RETENTION)
        log.info("%s: purged %d sent outbox and %d handled inbox rows", service, sent, handled)

    runner.schedule(f"{service}.messaging.purge", cron)(purge_messaging)
