"""One transaction per use case; the outbox rows ride in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from uuid import UUID, uuid4

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.bulk import JsonText, copy_insert
from arcadia_core.context import current_correlation_id
from arcadia_core.events import EventPayload
from arcadia_core.inbox import claim
from inventory.adapters.registry import SqlRegistryRepository
from inventory.adapters.repository import SqlProjectRepository, SqlResourceRepository
from inventory.adapters.tables import inbox, outbox
from inventory.ports import ProjectRepository, RegistryRepository, ResourceRepository

PRODUCER = "inventory"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """An event for the outbox: its id, type and envelope as JSON text."""

    event_id: UUID
    event_type: str
    envelope: str


def envelope_json(
    payload: EventPayload, event_id: UUID, occurred_at: str, correlation_id: UUID | None
) -> str:
    """The envelope `payload.envelope(...)` would make, as JSON, with one serialization of the
    payload (a sync emits thousands; building and dumping an Envelope model walks each twice)."""
    correlation = "null" if correlation_id is None else f'"{correlation_id}"'
    return (
        f'{{"id":"{event_id}","type":"{payload.EVENT_TYPE}",'
        f'"schema_version":{payload.SCHEMA_VERSION},"occurred_at":"{occurred_at}",'
        f'"producer":"{PRODUCER}","correlation_id":{correlation},'
        f'"payload":{payload.model_dump_json()}}}'
    )


class SqlUnitOfWork:
    resources: ResourceRepository
    projects: ProjectRepository
    registry: RegistryRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._on_commit = on_commit
        self._pending: list[Outgoing] = []

    async def __aenter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        await self.session.begin()
        self.resources = SqlResourceRepository(self.session)
        self.projects = SqlProjectRepository(self.session)
        self.registry = SqlRegistryRepository(self.session)
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
        occurred_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        correlation_id = current_correlation_id()
        for payload in payloads:
            event_id = uuid4()
            self._pending.append(
                Outgoing(
                    event_id,
                    payload.EVENT_TYPE,
                    envelope_json(payload, event_id, occurred_at, correlation_id),
                )
            )

    async def commit(self) -> None:
        if self._pending:
            await copy_insert(
                self.session,
                outbox,
                [
                    {
                        "event_id": o.event_id,
                        "event_type": o.event_type,
                        "envelope": JsonText(o.envelope),
                    }
                    for o in self._pending
                ],
            )
        await self.session.commit()
        had_events = bool(self._pending)
        self._pending = []
        if had_events:
            self._on_commit()
