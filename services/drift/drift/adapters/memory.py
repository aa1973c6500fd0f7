"""In-memory adapters of the drift ports, for fast use-case tests without a database.

A `MemoryStore` is the "database"; each `MemoryUnitOfWork` works on a copy and publishes it on
commit, so an exception before `commit()` leaves the store as it was. It has no concurrency
control: the SQL adapter's locks and partial unique index are tested against PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from arcadia_core.events import EventPayload
from arcadia_core.memory import MemoryUnitOfWork as BaseMemoryUnitOfWork
from drift.domain.model import Drift, DriftStatus, LiveResource, Provisioned


@dataclass
class MemoryState:
    live: dict[UUID, LiveResource] = field(default_factory=dict)
    provisioned: dict[UUID, Provisioned] = field(default_factory=dict)
    drifts: dict[UUID, Drift] = field(default_factory=dict)
    inbox: set[tuple[str, UUID]] = field(default_factory=set)


@dataclass
class MemoryStore:
    state: MemoryState = field(default_factory=MemoryState)
    events: list[EventPayload] = field(default_factory=list)

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    def events_of(self, event_type: str) -> list[EventPayload]:
        return [e for e in self.events if event_type == e.EVENT_TYPE]


class MemoryLiveRepository:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def get(self, resource_id: UUID) -> LiveResource | None:
        return self.state.live.get(resource_id)

    async def apply_synced(self, live: LiveResource, seen_at: datetime) -> bool:
        current = self.state.live.get(live.resource_id)
        if current is not None and current.version >= live.version:
            return False
        self.state.live[live.resource_id] = replace(live, deleted_at=None)
        return True

    async def apply_deleted(self, live: LiveResource) -> bool:
        current = self.state.live.get(live.resource_id)
        if current is not None and current.version >= live.version:
            return False
        if current is None:
            self.state.live[live.resource_id] = live
        else:
            self.state.live[live.resource_id] = replace(
                current,
                version=live.version,
                name=live.name,
                tenant_id=live.tenant_id,
                deleted_at=live.deleted_at,
            )
        return True

    async def count(self) -> int:
        return len(self.state.live)


class MemoryProvisionedRepository:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def get(self, resource_id: UUID, *, lock: bool = False) -> Provisioned | None:
        return self.state.provisioned.get(resource_id)

    async def record(
        self, resource_id: UUID, spec: dict[str, Any], kind: str | None, at: datetime
    ) -> Provisioned:
        current = self.state.provisioned.get(resource_id)
        if current is None:
            recorded = Provisioned(resource_id, dict(spec), 1, kind, at, at)
        else:
            recorded = replace(
                current,
                spec=dict(spec),
                spec_version=current.spec_version + 1,
                kind=kind or current.kind,
                updated_at=at,
            )
        self.state.provisioned[resource_id] = recorded
        return recorded

    async def save(self, provisioned: Provisioned) -> None:
        if provisioned.resource_id in self.state.provisioned:
            self.state.provisioned[provisioned.resource_id] = provisioned

    async def resource_ids(self) -> list[UUID]:
        return sorted(self.state.provisioned)


class MemoryDriftRepository:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def get(self, drift_id: UUID, *, lock: bool = False) -> Drift | None:
        return self.state.drifts.get(drift_id)

    async def open_for(self, resource_id: UUID) -> dict[str, Drift]:
        return {
            d.field: d
            for d in self.state.drifts.values()
            if d.resource_id == resource_id and d.is_open
        }

    async def insert_open(self, drift: Drift) -> bool:
        if drift.field in await self.open_for(drift.resource_id):
            return False
        self.state.drifts[drift.id] = replace(drift, status=DriftStatus.OPEN)
        return True

    async def update_open(self, drift: Drift) -> bool:
        current = self.state.drifts.get(drift.id)
        if current is None or not current.is_open:
            return False
        if (current.expected, current.actual) == (drift.expected, drift.actual):
            return False
        self.state.drifts[drift.id] = replace(current, expected=drift.expected, actual=drift.actual)
        return True

    async def close(self, drift: Drift) -> bool:
        current = self.state.drifts.get(drift.id)
        if current is None or not current.is_open:
            return False
        self.state.drifts[drift.id] = drift
        return True


class MemoryUnitOfWork(BaseMemoryUnitOfWork[MemoryState]):
    live: MemoryLiveRepository
    provisioned: MemoryProvisionedRepository
    drifts: MemoryDriftRepository

    def _bind(self, state: MemoryState) -> None:
        super()._bind(state)
        self.live = MemoryLiveRepository(state)
        self.provisioned = MemoryProvisionedRepository(state)
        self.drifts = MemoryDriftRepository(state)
