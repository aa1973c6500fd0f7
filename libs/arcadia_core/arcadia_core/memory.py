"""The in-memory unit of work every service's fakes share: ports over plain state, for use-case
tests without a database.

A store holds the committed state and the events committed so far (the outbox, in commit
order). A unit of work works on a private copy of the state taken when it begins; `commit()`
makes that copy the store's and appends what it emitted; leaving without a commit, or
`rollback()`, forgets both. There is no concurrency control: the SQL adapters' locks and unique
constraints are tested against PostgreSQL.
"""

from __future__ import annotations

import copy
from types import TracebackType
from typing import Generic, Protocol, Self, TypeVar
from uuid import UUID

from arcadia_core.events import EventPayload


class HasInbox(Protocol):
    inbox: set[tuple[str, UUID]]


S = TypeVar("S", bound=HasInbox)


class MemoryStoreBase(Protocol[S]):
    state: S
    events: list[EventPayload]


class MemoryUnitOfWork(Generic[S]):
    """Subclasses bind their repositories to the working state in `_bind`."""

    def __init__(self, store: MemoryStoreBase[S]) -> None:
        self.store = store
        self._pending: list[EventPayload] = []
        self._begin()

    def _copy(self, state: S) -> S:
        """A working copy; a state whose values are immutable may copy only its containers."""
        return copy.deepcopy(state)

    def _bind(self, state: S) -> None:
        self.state = state

    def _begin(self) -> None:
        self._pending = []
        self._bind(self._copy(self.store.state))

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.rollback()

    async def claim_event(self, consumer: str, event_id: UUID) -> bool:
        if (consumer, event_id) in self.state.inbox:
            return False
        self.state.inbox.add((consumer, event_id))
        return True

    def emit(self, *payloads: EventPayload) -> None:
        self._pending.extend(payloads)

    async def commit(self) -> None:
        self.store.state = self.state
        self.store.events.extend(self._pending)
        self._begin()

    async def rollback(self) -> None:
        """Forget everything since the last commit (or the start)."""
        self._begin()
