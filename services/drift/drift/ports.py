"""What the drift service's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol
from uuid import UUID

from arcadia_core.events import EventPayload
from drift.domain.model import Drift, LiveResource, Provisioned

Clock = Callable[[], datetime]
IdFactory = Callable[[], UUID]


class LiveRepository(Protocol):
    """The projection of inventory resources, applied in version order."""

    async def get(self, resource_id: UUID) -> LiveResource | None: ...

    async def apply_synced(self, live: LiveResource, seen_at: datetime) -> bool:
        """Store this state unless the projection holds this version or a newer one."""

    async def apply_deleted(self, live: LiveResource) -> bool:
        """Tombstone the resource (keeping its last known fields) unless already newer."""

    async def count(self) -> int: ...


class ProvisionedRepository(Protocol):
    async def get(self, resource_id: UUID, *, lock: bool = False) -> Provisioned | None:
        """With `lock`, hold the row until commit: detections and acceptances of one resource
        run one after the other."""

    async def record(
        self, resource_id: UUID, spec: dict[str, Any], kind: str | None, at: datetime
    ) -> Provisioned:
        """Insert the spec at version 1, or replace it and bump its version."""

    async def save(self, provisioned: Provisioned) -> None:
        """Write spec, spec_version and updated_at of an existing row."""

    async def resource_ids(self) -> list[UUID]: ...


class DriftRepository(Protocol):
    async def get(self, drift_id: UUID, *, lock: bool = False) -> Drift | None: ...

    async def open_for(self, resource_id: UUID) -> dict[str, Drift]:
        """The open drifts of a resource, keyed by field."""

    async def insert_open(self, drift: Drift) -> bool:
        """False when the resource already has an open drift on that field."""

    async def update_open(self, drift: Drift) -> bool:
        """Write expected/actual of a still-open drift; False if it is closed or unchanged."""

    async def close(self, drift: Drift) -> bool:
        """Write the resolution of a drift that is still open; False if it was not."""


class UnitOfWork(Protocol):
    live: LiveRepository
    provisioned: ProvisionedRepository
    drifts: DriftRepository

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def claim_event(self, consumer: str, event_id: UUID) -> bool: ...

    def emit(self, *payloads: EventPayload) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...
