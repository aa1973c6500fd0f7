"""What billing ingest's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol
from uuid import UUID

from arcadia_core.events import EventPayload
from billing_ingest.domain.model import (
    BalanceSnapshot,
    CostLine,
    HistoryEntry,
    InvoiceDocument,
    InvoiceHeader,
    InvoiceListing,
    InvoiceStats,
    InvoiceSummary,
    ProviderItem,
    Reconciliation,
    ResourceRef,
)

Json = dict[str, Any]


class BillingProvider(Protocol):
    """DigitalOcean's billing API. Listings are complete or raise."""

    async def balance(self) -> BalanceSnapshot: ...

    async def billing_history(self) -> list[HistoryEntry]: ...

    async def invoices(self) -> InvoiceListing: ...

    async def invoice_document(self, invoice_uuid: str) -> InvoiceDocument:
        """The invoice's line set of record (its CSV, read). Raises `InvoiceUnavailable` when
        the provider has none and `InvoiceFormatError` when the file cannot be read."""

    async def invoice_items(self, invoice_uuid: str) -> list[ProviderItem]: ...

    async def invoice_summary(self, invoice_uuid: str) -> InvoiceSummary: ...


class FinanceRejected(Exception):
    """Finance answered with a client error: retrying the same push will not help."""


class FinanceClient(Protocol):
    configured: bool

    async def import_invoice(self, payload: Json) -> tuple[str, str]:
        """POST the invoice; returns (action, finance id). Raises on failure."""


class InvoiceRepository(Protocol):
    async def upsert_headers(self, headers: Sequence[InvoiceHeader], now: datetime) -> int: ...

    async def upsert_preview(self, header: InvoiceHeader, now: datetime) -> None: ...

    async def get(self, invoice_uuid: str, *, lock: bool = False) -> Json | None: ...

    async def uuids(self, *, not_ingested: bool) -> list[str]: ...

    async def unpushed(self) -> list[tuple[str, int]]: ...

    async def mark_failed(self, invoice_uuid: str, reason: str, now: datetime) -> None: ...

    async def record_ingest(
        self,
        invoice_uuid: str,
        stats: InvoiceStats,
        reconciliation: Reconciliation,
        content_sha256: str,
        now: datetime,
    ) -> int:
        """Mark ingested with these figures; returns the new version."""

    async def record_rematch(
        self, invoice_uuid: str, stats: InvoiceStats, now: datetime
    ) -> int: ...

    async def mark_pushed(
        self, invoice_uuid: str, version: int, finance_id: str, action: str, now: datetime
    ) -> None: ...


class LineRepository(Protocol):
    async def replace(self, invoice_uuid: str, lines: Sequence[CostLine]) -> None: ...

    async def of_invoice(self, invoice_uuid: str) -> list[CostLine]: ...

    async def stats(self, invoice_uuid: str) -> InvoiceStats: ...

    async def match_waiting(self, resource: ResourceRef) -> set[str]:
        """Match the lines waiting for `resource`; returns the invoices touched."""

    async def fill_attribution(self, resource: ResourceRef) -> set[str]:
        """Give the lines matched to `resource` without a tenant its tenant and deployment."""

    async def explain_unmatched(self, mirror_began: datetime) -> int: ...


class ProjectionRepository(Protocol):
    async def upsert(self, row: Json) -> bool: ...

    async def all(self) -> list[ResourceRef]: ...

    async def mirror_began(self) -> datetime | None: ...


class RecordRepository(Protocol):
    async def add_history(self, entries: Sequence[HistoryEntry], now: datetime) -> int: ...

    async def add_balance(self, snapshot: BalanceSnapshot, now: datetime) -> bool: ...


class UnitOfWork(Protocol):
    invoices: InvoiceRepository
    lines: LineRepository
    projection: ProjectionRepository
    records: RecordRepository

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def claim_event(self, consumer: str, event_id: UUID) -> bool: ...

    async def lock_matching(self) -> None:
        """Serialize with every other writer of matches (ingest and the projection)."""

    async def enqueue(self, job: str, payload: Json, *, dedupe_key: str | None = None) -> None:
        """Queue a job in this transaction: it exists only if the transaction commits."""

    def emit(self, *payloads: EventPayload) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...
