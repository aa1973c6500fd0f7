"""In-memory adapters of the metering ports, for fast use-case tests without a database.

A `MemoryStore` is the "database"; each `MemoryUnitOfWork` works on a copy and publishes it on
commit, so an exception (or a return) before `commit()` leaves the store as it was. The rules
mirror the SQL adapter's: the history keeps each version once, the current state only moves
forward, an older or partial state still fills in what it knows (earliest sighting, creation
time, ...). It has no concurrency control: `lock_period` only records the period, and two
units of work open at once overwrite each other's commits; the advisory lock is tested against
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from arcadia_core.events import CatchUpRequested, EventPayload
from arcadia_core.memory import MemoryUnitOfWork as BaseMemoryUnitOfWork
from metering.domain.billing import BY_KIND, KindConfig
from metering.domain.model import HistoryEntry, MeteredResource, UsageLine
from metering.domain.plan import Announcement, DayTotals, Key, MeterPlan
from metering.domain.projection import ResourceState
from metering.ports import ConfigRepository, ResourceProjection, UnitOfWork, UsageRepository

DELETED = "deleted"


@dataclass(slots=True)
class ResourceRow:
    """A row of `resources`: the newest state, plus what older states still tell."""

    id: UUID
    version: int
    kind: str
    provider_id: str
    name: str | None
    tenant_id: UUID | None
    deployment_id: UUID | None
    deleted_at: datetime | None
    status: str | None = None
    size_gb: Decimal | None = None
    provider_created_at: datetime | None = None
    first_seen_at: datetime | None = None
    last_seen_at: datetime | None = None
    ever_attributed: bool = False


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """A row of `resource_history`."""

    version: int
    at: datetime
    change: str
    status: str | None
    size_gb: Decimal | None
    tenant_id: UUID | None
    deployment_id: UUID | None


@dataclass(frozen=True, slots=True)
class UsageRow:
    line: UsageLine
    metered_at: datetime


@dataclass(frozen=True, slots=True)
class PublishedDay:
    """A row of `metered_days`: the last `usage.metered` sent for a deployment's day."""

    tenant_id: UUID | None
    version: int
    totals: dict[str, Decimal]
    metered_at: datetime


@dataclass
class MemoryState:
    resources: dict[UUID, ResourceRow] = field(default_factory=dict)
    history: dict[UUID, dict[int, HistoryRow]] = field(default_factory=dict)
    usage: dict[Key, UsageRow] = field(default_factory=dict)
    published: dict[tuple[UUID, date], PublishedDay] = field(default_factory=dict)
    config: dict[str, KindConfig] = field(default_factory=dict)
    inbox: set[tuple[str, UUID]] = field(default_factory=set)


@dataclass
class MemoryStore:
    state: MemoryState = field(default_factory=MemoryState)
    events: list[EventPayload] = field(default_factory=list)  # the outbox, in commit order
    locked: list[datetime] = field(default_factory=list)  # every period `lock_period` took

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    def events_of(self, event_type: str) -> list[EventPayload]:
        return [e for e in self.events if event_type == e.EVENT_TYPE]

    def usage_rows(self) -> list[UsageRow]:
        """Every committed usage row, for assertions."""
        return list(self.state.usage.values())


def _least(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _greatest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


class MemoryResourceProjection:
    def __init__(self, state: MemoryState, store: MemoryStore) -> None:
        self.state = state
        self.store = store

    async def record(self, state: ResourceState) -> bool:
        versions = self.state.history.setdefault(state.id, {})
        if state.version in versions:
            return False
        versions[state.version] = HistoryRow(
            state.version,
            state.at,
            state.change,
            state.status,
            state.size_gb,
            state.tenant_id,
            state.deployment_id,
        )
        current = self.state.resources.get(state.id)
        if current is None or current.version < state.version:
            row = ResourceRow(
                state.id,
                state.version,
                state.kind,
                state.provider_id,
                state.name,
                state.tenant_id,
                state.deployment_id,
                state.deleted_at,
            )
            if current is not None:  # a deletion leaves the sighting columns as they were
                row.status = current.status
                row.size_gb = current.size_gb
                row.provider_created_at = current.provider_created_at
                row.first_seen_at = current.first_seen_at
                row.last_seen_at = current.last_seen_at
                row.ever_attributed = current.ever_attributed
            if state.change != DELETED:
                row.status = state.status
                row.size_gb = state.size_gb
                row.provider_created_at = state.provider_created_at
                row.first_seen_at = state.first_seen_at
                row.last_seen_at = state.last_seen_at
            current = self.state.resources[state.id] = row
        # what an older or partial event still tells: earliest sighting, creation time, ...
        current.first_seen_at = _least(current.first_seen_at, state.first_seen_at)
        current.last_seen_at = _greatest(current.last_seen_at, state.last_seen_at)
        if current.provider_created_at is None:
            current.provider_created_at = state.provider_created_at
        if current.status is None:
            current.status = state.status
        if current.size_gb is None:
            current.size_gb = state.size_gb
        current.ever_attributed = current.ever_attributed or state.deployment_id is not None
        return True

    async def count(self) -> int:
        return len(self.state.resources)

    async def catch_up_requested(self) -> bool:
        return any(isinstance(e, CatchUpRequested) for e in self.store.events)


class MemoryUsageRepository:
    def __init__(self, state: MemoryState, store: MemoryStore) -> None:
        self.state = state
        self.store = store

    async def metered_resources(self, start: datetime, end: datetime) -> list[MeteredResource]:
        out: list[MeteredResource] = []
        for rid in sorted(self.state.resources):
            row = self.state.resources[rid]
            starts_at = row.provider_created_at or row.first_seen_at
            if not row.ever_attributed or row.kind not in BY_KIND or starts_at is None:
                continue
            if starts_at >= end:
                continue
            if row.deleted_at is not None and (
                row.last_seen_at is None or row.last_seen_at < start
            ):
                continue
            history = [
                HistoryEntry(h.version, h.at, h.status, h.tenant_id, h.deployment_id, h.size_gb)
                for _, h in sorted(self.state.history.get(rid, {}).items())
                if h.change != DELETED
            ]
            if not history:
                continue
            ends_at = row.last_seen_at if row.deleted_at is not None else None
            out.append(MeteredResource(rid, row.kind, starts_at, ends_at, history))
        return out

    async def existing(
        self, start: datetime, end: datetime, granularity: str | None = None
    ) -> dict[Key, UsageLine]:
        return {
            key: row.line
            for key, row in self.state.usage.items()
            if start <= row.line.period_start < end
            and (granularity is None or row.line.granularity == granularity)
        }

    async def apply(self, plan: MeterPlan, now: datetime) -> None:
        for key in plan.delete:
            self.state.usage.pop(key, None)
        for line in plan.update:
            if line.key in self.state.usage:
                self.state.usage[line.key] = UsageRow(line, now)
        for line in plan.insert:
            if line.key in self.state.usage:  # the unique constraint the COPY would hit
                raise ValueError(f"duplicate usage row {line.key}")
            self.state.usage[line.key] = UsageRow(line, now)

    async def lock_period(self, period_start: datetime) -> None:
        self.store.locked.append(period_start)

    async def published(self, day: date) -> dict[UUID, tuple[int, dict[str, Decimal]]]:
        return {
            deployment: (p.version, dict(p.totals))
            for (deployment, on), p in self.state.published.items()
            if on == day
        }

    async def all_published(self) -> list[Announcement]:
        return [
            Announcement(DayTotals(deployment, p.tenant_id, day, dict(p.totals)), p.version)
            for (deployment, day), p in sorted(
                self.state.published.items(), key=lambda item: (item[0][1], item[0][0])
            )
        ]

    async def record_published(self, sent: Sequence[Announcement], now: datetime) -> None:
        for a in sent:
            self.state.published[(a.totals.deployment_id, a.totals.day)] = PublishedDay(
                a.totals.tenant_id, a.version, dict(a.totals.totals), now
            )

    async def purge(self, billing_kind: str, before: datetime) -> int:
        doomed = [
            key
            for key, row in self.state.usage.items()
            if row.line.billing_kind == billing_kind and row.line.period_start < before
        ]
        for key in doomed:
            del self.state.usage[key]
        return len(doomed)


class MemoryConfigRepository:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def load(self) -> dict[str, KindConfig]:
        return dict(self.state.config)

    async def save(self, config: KindConfig, now: datetime) -> None:
        self.state.config[config.billing_kind] = replace(config)


class MemoryUnitOfWork(BaseMemoryUnitOfWork[MemoryState]):
    resources: ResourceProjection
    usage: UsageRepository
    config: ConfigRepository

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        super().__init__(store)

    def _bind(self, state: MemoryState) -> None:
        super()._bind(state)
        self.resources = MemoryResourceProjection(state, self._store)
        self.usage = MemoryUsageRepository(state, self._store)
        self.config = MemoryConfigRepository(state)


if TYPE_CHECKING:

    def _conforms(store: MemoryStore) -> UnitOfWork:
        return store.uow()
