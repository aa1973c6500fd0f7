"""The inventory's aggregate: one mirrored cloud resource, plus what a provider listing reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

PROVIDER = "digitalocean"


@dataclass(frozen=True, slots=True)
class Observation:
    """One resource as a complete provider listing reported it, normalized."""

    kind: str
    provider_id: str
    name: str | None
    status: str | None
    region: str | None = None
    size_slug: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    digest: str | None = field(default=None, compare=False, repr=False)
    """Its fingerprint, kept once computed (see domain.fingerprint)."""
    attrs_json: str | None = field(default=None, compare=False, repr=False)
    """Its attrs as JSON text, kept once computed (see domain.fingerprint)."""


@dataclass(slots=True)
class Resource:
    id: UUID
    kind: str
    provider_id: str
    name: str | None
    status: str | None
    region: str | None
    size_slug: str | None
    attrs: dict[str, Any]
    first_seen_at: datetime
    last_seen_at: datetime
    provider: str = PROVIDER
    project_id: UUID | None = None
    tenant_id: UUID | None = None
    deployment_id: UUID | None = None
    deleted_at: datetime | None = None
    stale_strikes: int = 0
    version: int = 1
    fingerprint: str = ""
    complete: bool = True
    """False when loaded without attrs (enough to tell that nothing changed, not what did)."""
    loaded_version: int | None = None
    """The version this resource had when it was read; updates are guarded by it (None: new)."""
    classified_tenant_id: UUID | None = None
    """An operator's own classification, used only while the resource is in no project."""
    classified_deployment_id: UUID | None = None
    attrs_json: str | None = field(default=None, compare=False, repr=False)
    """`attrs` as JSON text when a listing just gave them (written as is); None otherwise."""

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class Attribution:
    """Who a resource is billed to: the project it sits in and that project's classification."""

    project_id: UUID | None
    tenant_id: UUID | None
    deployment_id: UUID | None

    @classmethod
    def of(cls, resource: Resource) -> Attribution:
        return cls(resource.project_id, resource.tenant_id, resource.deployment_id)


NONE = Attribution(None, None, None)
# a resource's fields that say whose it is (an Attribution's, by name)
ATTRIBUTION_FIELDS = ("project_id", "tenant_id", "deployment_id")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused an audit entry from an API call: the token's subject and role, the request."""

    subject: str
    role: str
    request_id: str | None = None

    def audit(self) -> dict[str, Any]:
        return {
            "actor": {"subject": self.subject, "role": self.role},
            "request_id": self.request_id,
        }


@dataclass(frozen=True, slots=True)
class ResourceEvent:
    """An entry of a resource's append-only audit log."""

    resource_id: UUID
    type: str
    data: dict[str, Any]
    occurred_at: datetime


class EventType:
    DISCOVERED = "discovered"
    UPDATED = "updated"
    DELETED = "deleted"
    RESTORED = "restored"
    ATTRIBUTED = "attributed"
    CLASSIFIED = "classified"
    DRIFT_DETECTED = "drift_detected"
