"""One transaction per use case; the outbox rows ride in it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.context import current_correlation_id
from arcadia_core.events import Envelope, EventPayload
from arcadia_core.inbox import claim
from arcadia_core.outbox import add_to_outbox
from inventory.adapters.repository import SqlProjectRepository, SqlResourceRepository
from inventory.adapters.tables import inbox, outbox
from inventory.ports import ProjectRepository, ResourceRepository

PRODUCER = "inventory"


class SqlUnitOfWork:
    resources: ResourceRepository
    projects: ProjectRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._on_commit = on_commit
        self._pending: list[Envelope] = []

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.resources = SqlResourceRepository(self.session)
        self.projects = SqlProjectRepository(self.session)
        self._pending = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.session.in_transaction():
            await self.session.rollback()
        await self.session.close()

    async def claim_event(self, consumer: str, event_id: UUID) -> bool:
        return await claim(self.session, inbox, consumer, event_id)

    def emit(self, *payloads: EventPayload) -> None:
        now = datetime.now(UTC)  # one clock read for a batch (a sync emits thousands)
        correlation_id = current_correlation_id()
        self._pending.extend(
            p.envelope(producer=PRODUCER, occurred_at=now, correlation_id=correlation_id)
            for p in payloads
        )

    async def commit(self) -> None:
        if self._pending:
            await add_to_outbox(self.session, outbox, *self._pending)
        await self.session.commit()
        had_events = bool(self._pending)
        self._pending = []
        if had_events:
            self._on_commit()
