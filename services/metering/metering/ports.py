"""What metering's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol, Self
from uuid import UUID

from arcadia_core.events import EventPayload
from metering.domain.billing import KindConfig
from metering.domain.model import MeteredResource, UsageLine
from metering.domain.plan import Announcement, Key, MeterPlan
from metering.domain.projection import ResourceState

Clock = Callable[[], datetime]


class ResourceProjection(Protocol):
    async def record(self, state: ResourceState) -> bool:
        """Keep `state` in the history and, if newer than the current state, as current.
        False when this version was already known (a repeat)."""

    async def count(self) -> int: ...

    async def catch_up_requested(self) -> bool: ...


class UsageRepository(Protocol):
    async def metered_resources(self, start: datetime, end: datetime) -> list[MeteredResource]:
        """Attributed-at-some-time resources of a metered kind existing at some point of
        [start, end), with their history in version order."""

    async def existing(
        self, start: datetime, end: datetime, granularity: str | None = None
    ) -> dict[Key, UsageLine]: ...

    async def apply(self, plan: MeterPlan, now: datetime) -> None: ...

    async def lock_period(self, period_start: datetime) -> None: ...

    async def published(self, day: date) -> dict[UUID, tuple[int, dict[str, Decimal]]]: ...

    async def all_published(self) -> list[Announcement]: ...

    async def record_published(self, sent: Sequence[Announcement], now: datetime) -> None: ...

    async def purge(self, billing_kind: str, before: datetime) -> int: ...


class ConfigRepository(Protocol):
    async def load(self) -> dict[str, KindConfig]: ...

    async def save(self, config: KindConfig, now: datetime) -> None: ...


class UnitOfWork(Protocol):
    resources: ResourceProjection
    usage: UsageRepository
    config: ConfigRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def claim_event(self, consumer: str, event_id: UUID) -> bool: ...

    def emit(self, *payloads: EventPayload) -> None: ...

    async def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
ConfigMap = Mapping[str, KindConfig]
