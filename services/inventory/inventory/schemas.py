"""HTTP request and response models of the inventory API."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


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
    purpose: str | None = Field(default=None, max_length=255)
