"""One transaction per use case: state, emitted events (outbox) and queued jobs commit together."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.bulk import driver_connection
from arcadia_core.jobs import JobRunner
from arcadia_core.uow import SqlUnitOfWork
from billing_ingest.adapters.repository import (
    SqlInvoiceRepository,
    SqlLineRepository,
    SqlProjectionRepository,
    SqlRecordRepository,
)
from billing_ingest.adapters.tables import inbox, outbox
from billing_ingest.ports import (
    InvoiceRepository,
    LineRepository,
    ProjectionRepository,
    RecordRepository,
)

PRODUCER = "billing-ingest"
MATCHING_LOCK = "billing:matching"


class BillingUnitOfWork(SqlUnitOfWork):
    producer = PRODUCER
    invoices: InvoiceRepository
    lines: LineRepository
    projection: ProjectionRepository
    records: RecordRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        jobs: JobRunner | None = None,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(sessions, outbox=outbox, inbox=inbox, on_commit=on_commit)
        self._jobs = jobs

    def _repositories(self) -> None:
        self.invoices = SqlInvoiceRepository(self.session)
        self.lines = SqlLineRepository(self.session)
        self.projection = SqlProjectionRepository(self.session)
        self.records = SqlRecordRepository(self.session)

    async def lock_matching(self) -> None:
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": MATCHING_LOCK}
        )

    async def enqueue(
        self, job: str, payload: dict[str, Any], *, dedupe_key: str | None = None
    ) -> None:
        if self._jobs is None:
            raise RuntimeError("this unit of work has no job runner to enqueue on")
        connection = await driver_connection(self.session)
        await self._jobs.enqueue(job, payload, dedupe_key=dedupe_key, connection=connection)
