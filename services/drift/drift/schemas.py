"""HTTP request and response models of the drift API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from drift.usecases.provisioning import storable_text


def _no_nul(value: str) -> str:
    if not storable_text(value):
        raise ValueError("text must be valid Unicode without NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class ProvisionedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_id: UUID = Field(description="The inventory's id of the resource")
    spec: dict[str, Any] = Field(
        min_length=1,
        description="Desired state, field: value (top-level fields such as size_slug and "
        "region, or attrs such as tags)",
    )
    kind: Text | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="Resource kind; taken from the mirror if left out",
    )


class ProvisionedOut(BaseModel):
    resource_id: UUID
    kind: str | None
    spec: dict[str, Any]
    spec_version: int
    recorded_at: datetime | None
    updated_at: datetime | None


class DriftOut(BaseModel):
    id: UUID
    resource_id: UUID
    kind: str | None
    provider_id: str | None
    name: str | None
    field: str
    expected: Any
    actual: Any
    status: Literal["open", "accepted", "reverted", "stale"]
    opened_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    reason: str | None


class DriftPage(BaseModel):
    items: list[DriftOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end"
    )


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000, description="Why the live value is right")


class FieldResult(BaseModel):
    resource_id: UUID
    drifted: list[str]
    unverifiable: list[str]
    opened: int
    changed: int
    closed: int
    unknown: bool = Field(description="The inventory has not reported this resource yet")


class DetectionOut(BaseModel):
    resources: int
    drifted_fields: int
    opened: int
    changed: int
    closed: int
    unknown: int
    failed: int
    results: list[FieldResult]
