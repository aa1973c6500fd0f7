"""HTTP request and response models of the inventory API."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from inventory.domain import kinds, urns

# --- what a request may say -----------------------------------------------------------------

# Every kind the inventory can hold: those with a sync of their own and those known from URNs.
KINDS: tuple[str, ...] = tuple(sorted(set(urns.URN_KINDS.values()) | kinds.DEDICATED_KINDS))

# Every status a resource can carry: DigitalOcean's own where it reports one (droplets, firewalls,
# load balancers, Kubernetes clusters, databases, app deployment phases, lowercased), and the
# inventory's where it derives one (volumes, reserved IPs, snapshots, placeholders).
STATUSES: tuple[str, ...] = tuple(
    sorted(
        {
            # droplets
            "new", "active", "off", "archive",
            # firewalls
            "waiting", "succeeded", "failed",
            # load balancers
            "errored",
            # volumes, reserved IPs, snapshots and backups, placeholders
            "attached", "detached", "assigned", "unassigned", "available", "unknown",
            # Kubernetes clusters
            "running", "provisioning", "degraded", "error", "deleted", "upgrading", "deleting",
            # managed databases
            "creating", "online", "resizing", "migrating", "forking",
            # apps (the active deployment's phase)
            "pending_build", "building", "pending_deploy", "deploying", "superseded", "canceled",
        }
    )
)  # fmt: skip


class Purpose(StrEnum):
    """What a classified project or resource is for."""

    TENANT = "tenant"  # runs a tenant's deployment: billed to that tenant
    INTERNAL = "internal"  # the platform's own
    SHARED = "shared"  # shared by several tenants: a cost spread over them


def _clean_text(value: str) -> str:
    """No control characters (NUL included) and no lone surrogates: text PostgreSQL can store."""
    for char in value:
        code = ord(char)
        if code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            raise ValueError("control characters and lone surrogates are not allowed")
    return value


def _one_of(name: str, allowed: tuple[str, ...]) -> AfterValidator:
    known = frozenset(allowed)

    def check(value: str) -> str:
        if value not in known:
            raise ValueError(f"unknown {name}; known: {', '.join(allowed)}")
        return value

    return AfterValidator(check)


CleanText = Annotated[str, AfterValidator(_clean_text)]
Kind = Annotated[
    str, _one_of("kind", KINDS), WithJsonSchema({"type": "string", "enum": list(KINDS)})
]
Status = Annotated[
    str, _one_of("status", STATUSES), WithJsonSchema({"type": "string", "enum": list(STATUSES)})
]
# an opaque cursor this API handed out: URL-safe base64, bounded
Cursor = Annotated[str, Field(max_length=1024, pattern=r"^[A-Za-z0-9_=-]+$")]


class ResourceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    provider: str
    kind: str
    provider_id: str
    name: str | None
    status: str | None
    region: str | None
    size_slug: str | None
    attrs: dict[str, Any]
    project_id: UUID | None
    tenant_id: UUID | None
    deployment_id: UUID | None
    attributed: bool = Field(description="False for resources outside any classified project")
    first_seen_at: datetime
    last_seen_at: datetime
    deleted_at: datetime | None
    stale_strikes: int
    version: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ResourceOut:
        return cls.model_validate(row | {"attributed": row["tenant_id"] is not None})


class ResourceEventOut(BaseModel):
    id: int
    type: str
    data: dict[str, Any]
    occurred_at: datetime


class ResourceDetail(ResourceOut):
    events: list[ResourceEventOut]


class ResourcePage(BaseModel):
    items: list[ResourceOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


class ProjectOut(BaseModel):
    id: UUID
    provider_id: str
    name: str
    attrs: dict[str, Any]
    tenant_id: UUID | None
    deployment_id: UUID | None
    purpose: str | None
    unrecognized_urns: list[str]
    first_seen_at: datetime
    last_seen_at: datetime
    deleted_at: datetime | None


class ProjectPage(BaseModel):
    items: list[ProjectOut]
    next_cursor: str | None


class ProjectClassification(BaseModel):
    """Fields sent are set (null clears them); fields left out are unchanged."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: UUID | None = None
    deployment_id: UUID | None = None
    purpose: Purpose | None = None


class ResourceClassification(BaseModel):
    """Whose a resource in no classified project is. Fields sent are set (null clears them);
    fields left out are unchanged. A resource whose project is classified answers 409."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: UUID | None = None
    deployment_id: UUID | None = None
