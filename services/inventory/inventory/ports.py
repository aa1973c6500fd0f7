"""What the inventory's use cases need from the outside world."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol
from uuid import UUID

from arcadia_core.errors import OperatorError
from arcadia_core.events import EventPayload
from inventory.domain.attribution import Key, Membership
from inventory.domain.model import Attribution, Resource, ResourceEvent
from inventory.domain.projects import Project
from inventory.domain.registry import RegisteredDeployment, RegisteredTenant

Json = dict[str, Any]


class ConcurrentUpdate(Exception):
    """A row changed between its read and its guarded update: redo the whole transaction."""


class ProviderForbidden(Exception):
    """The provider refused the request for lack of permission (a read-only token, say)."""


class CredentialsRefused(OperatorError):
    """The provider does not accept the token at all: every call will fail the same way, so
    a sync stops at the first one and names the variable the token came from."""


class CloudProvider(Protocol):
    """The provider's inventory API. Every list returns a complete listing or raises."""

    async def list_kind(self, kind: str) -> list[Json]: ...

    async def list_droplet_backups(self, droplet_id: str) -> list[Json]: ...

    async def list_projects(self) -> list[Json]: ...

    async def list_project_resources(self, project_provider_id: str) -> list[Json]: ...

    async def create_project(self, name: str, purpose: str, description: str) -> Json:
        """Raises ProviderForbidden when the token may not create projects."""


class ResourceRepository(Protocol):
    async def by_kind(self, kind: str, *, full: bool = True) -> dict[str, Resource]:
        """Every resource of a kind, tombstoned ones included, keyed by provider id.

        With `full=False` the resources come without attrs (`complete` is False).
        """

    async def attribution_view(self) -> list[Resource]:
        """Live resources carrying only the attrs attribution reads (parent references)."""

    async def get_many(self, resource_ids: Sequence[UUID]) -> list[Resource]: ...

    async def update_attribution(self, resources: Sequence[Resource]) -> None:
        """Write project, tenant, deployment and version only (guarded by the version read)."""

    async def update_classification(self, resource: Resource) -> None:
        """Write the operator's classification, the attribution and the version (guarded)."""

    async def lock_writes(self, kind: str | None = None) -> None:
        """Hold the inventory's write lock until the transaction ends. With `kind` (a sync of
        that kind alone), only against writes of the same kind and those of every kind (sweeps,
        classifications): syncs of two different kinds may write at once."""

    async def record_run(
        self,
        kind: str,
        at: datetime,
        *,
        ok: bool,
        summary: dict[str, int],
        error: str | None,
    ) -> None:
        """Remember how the last sync of `kind` ended."""

    async def get(self, resource_id: UUID) -> Resource | None: ...

    async def live_attrs(self, kind: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Provider id → the given attrs (those not null) of each live resource of `kind` that
        has at least one of them set: not null, false, zero or empty (what bool() reads as
        false). The others are left out."""

    async def insert(self, resources: Sequence[Resource]) -> None:
        """Insert new resources, each with its `discovered` audit entry (what
        `domain.sync_plan.discovered_event` makes of it)."""

    async def update(self, resources: Sequence[Resource], *, attribution: bool = False) -> None:
        """Write what a listing says of each (complete) resource, and its version; the
        attribution only with `attribution=True`. Guarded by the version read: raises
        ConcurrentUpdate if a row changed since."""

    async def update_lifecycle(self, resources: Sequence[Resource]) -> None:
        """Write strikes, tombstone and version only (guarded by the version read)."""

    async def mark_seen(self, resource_ids: Sequence[UUID], at: datetime) -> None:
        """Bump last_seen_at and reset the strike count, nothing else."""

    async def append_events(self, events: Sequence[ResourceEvent]) -> None: ...


class ProjectRepository(Protocol):
    async def all(self) -> dict[str, Project]:
        """Keyed by provider id."""

    async def get(self, project_id: UUID) -> Project | None: ...

    async def listed_attributions(self, kinds: Collection[str]) -> dict[Key, Attribution]:
        """(kind, provider id) → the attribution of the live project that lists it, for the
        resources of `kinds`: `direct_attributions(live projects, memberships(kinds))`, which
        is what attributing a listing's resources reads."""

    async def save(self, projects: Sequence[Project]) -> None: ...

    async def memberships(self, kinds: Collection[str] | None = None) -> list[Membership]: ...

    async def replace_memberships(
        self, memberships: Collection[Membership], current: Collection[Membership] | None = None
    ) -> bool:
        """Store exactly these memberships; True if anything changed. `current`: what
        `memberships()` answered in this transaction, if the caller read it already."""


class RegistryRepository(Protocol):
    """The registry projection: what invoicing announced of its tenants and deployments."""

    async def record_tenant(self, tenant: RegisteredTenant) -> bool:
        """Store it unless a version as new or newer is held; True if written."""

    async def record_deployment(self, deployment: RegisteredDeployment) -> bool:
        """Store it unless a version as new or newer is held; True if written."""

    async def tenants(self, tenant_ids: Collection[UUID]) -> dict[UUID, RegisteredTenant]: ...

    async def deployments(
        self, deployment_ids: Collection[UUID]
    ) -> dict[UUID, RegisteredDeployment]: ...

    async def pending_links(self) -> list[RegisteredDeployment]:
        """Deployments whose DigitalOcean project was not mirrored when they were announced."""

    async def set_link_pending(self, deployment_id: UUID, pending: bool) -> None: ...


class UnitOfWork(Protocol):
    resources: ResourceRepository
    projects: ProjectRepository
    registry: RegistryRepository

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def claim_event(self, consumer: str, event_id: UUID) -> bool:
        """Record a consumed event in the inbox; False if it was handled before."""

    def emit(self, *payloads: EventPayload) -> None:
        """Queue events for the outbox; they are written in the same transaction as commit()."""

    def emit_json(self, payload_type: type[EventPayload], payloads: Iterable[str]) -> None:
        """As `emit`, for payloads of `payload_type` given as JSON text validated against that
        type's schema (see usecases.events.resource_synced_json). `payloads` may be lazy: it is
        read by commit(), and an error it raises then fails the commit (nothing is written)."""

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...
