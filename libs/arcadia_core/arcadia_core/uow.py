"""The unit of work every service's SQL adapter builds on: one transaction per use case.

The events a use case emits ride in the same transaction (the outbox), and a consumer's inbox
claim does too, so a state change, its events and "this event was handled" commit together.
A service subclasses it to attach its repositories in `_repositories()`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self
from uuid import UUID

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.context import current_correlation_id
from arcadia_core.events import Envelope, EventPayload
from arcadia_core.inbox import claim
from arcadia_core.outbox import add_to_outbox


class SqlUnitOfWork:
    producer: str = ""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        outbox: Table,
        inbox: Table,
        on_commit: Callable[[], None] = lambda: None,
        correlation_id: UUID | None = None,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._inbox = inbox
        self._on_commit = on_commit
        self._pending: list[Envelope] = []
        self.correlation_id = correlation_id

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        await self.session.begin()
        self._pending = []
        self._repositories()
        return self

    def _repositories(self) -> None:
        """Bind the service's repositories to `self.session`."""

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
        """Record `event_id` as handled by `consumer` in this transaction; False if it was."""
        return await claim(self.session, self._inbox, consumer, event_id)

    def emit(self, *payloads: EventPayload) -> None:
        """Queue events for the outbox; they are written with the next `commit()`.

        Their correlation id is this unit of work's, else the one of the work in progress
        (`arcadia_core.context`: the HTTP request, consumed event or job that caused them).
        """
        correlation_id = self.correlation_id or current_correlation_id()
        self._pending.extend(
            p.envelope(producer=self.producer, correlation_id=correlation_id) for p in payloads
        )

    async def commit(self) -> None:
        if self._pending:
            await add_to_outbox(self.session, self._outbox, *self._pending)
        await self.session.commit()
        had_events = bool(self._pending)
        self._pending = []
        if had_events:
            self._on_commit()

    async def rollback(self) -> None:
        self._pending = []
        await self.session.rollback()
