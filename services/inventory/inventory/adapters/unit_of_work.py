"""One transaction per use case; the outbox rows ride in it."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from itertools import chain
from types import TracebackType
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.bulk import driver_connection
from arcadia_core.context import current_correlation_id
from arcadia_core.events import EventPayload
from arcadia_core.inbox import claim
from inventory.adapters.registry import SqlRegistryRepository
from inventory.adapters.repository import SqlProjectRepository, SqlResourceRepository
from inventory.adapters.tables import inbox, outbox
from inventory.domain.ids import random_uuid_texts, random_uuids
from inventory.ports import ProjectRepository, RegistryRepository, ResourceRepository

PRODUCER = "inventory"
OUTBOX_COLUMNS = ["event_id", "event_type", "envelope"]


# an outbox row: event id (a UUID or its text), event type, envelope as JSON text
Outgoing = tuple[UUID | str, str, str]


def envelope_json(
    payload: EventPayload, event_id: UUID, occurred_at: str, correlation_id: UUID | None
) -> str:
    """The envelope `payload.envelope(...)` would make, as JSON, with one serialization of the
    payload (a sync emits thousands; building and dumping an Envelope model walks each twice)."""
    return _envelope(
        payload.EVENT_TYPE,
        payload.SCHEMA_VERSION,
        payload.model_dump_json(),
        event_id,
        occurred_at,
        correlation_id,
    )


def _envelope(
    event_type: str,
    schema_version: int,
    payload_json: str,
    event_id: UUID | str,
    occurred_at: str,
    correlation_id: UUID | None,
) -> str:
    after_id = _after_id(event_type, schema_version, occurred_at, correlation_id)
    return f'{{"id":"{event_id}{after_id}{payload_json}}}'


def _after_id(
    event_type: str, schema_version: int, occurred_at: str, correlation_id: UUID | None
) -> str:
    """An envelope's text between its id and its payload."""
    correlation = "null" if correlation_id is None else f'"{correlation_id}"'
    return (
        f'","type":"{event_type}",'
        f'"schema_version":{schema_version},"occurred_at":"{occurred_at}",'
        f'"producer":"{PRODUCER}","correlation_id":{correlation},'
        f'"payload":'
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
        self._pending: list[Iterable[Outgoing]] = []

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
        if not payloads:
            return
        occurred_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        correlation_id = current_correlation_id()
        self._pending.append(
            [
                (
                    event_id,
                    payload.EVENT_TYPE,
                    envelope_json(payload, event_id, occurred_at, correlation_id),
                )
                for payload, event_id in zip(payloads, random_uuids(), strict=False)
            ]
        )

    def emit_json(self, payload_type: type[EventPayload], payloads: Iterable[str]) -> None:
        # Lazily: the envelopes are made while commit() copies them to the outbox, so that the
        # database stores one part while the next is being made. What lies between the id and
        # the payload is the same for each, made once; the ids are made as text.
        occurred_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        event_type = payload_type.EVENT_TYPE
        after_id = _after_id(
            event_type, payload_type.SCHEMA_VERSION, occurred_at, current_correlation_id()
        )
        self._pending.append(
            (event_id, event_type, f'{{"id":"{event_id}{after_id}{payload}}}')
            for payload, event_id in zip(payloads, random_uuid_texts(), strict=False)
        )

    async def commit(self) -> None:
        written = 0
        if self._pending:

            def rows() -> Iterator[Outgoing]:
                nonlocal written
                for row in chain.from_iterable(self._pending):
                    written += 1
                    yield row

            await (await driver_connection(self.session)).copy_records_to_table(
                outbox.name, schema_name=outbox.schema, columns=OUTBOX_COLUMNS, records=rows()
            )
        await self.session.commit()
        self._pending = []
        if written:
            self._on_commit()
