"""The event envelope every service publishes and consumes on `arcadia.events`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


class Envelope(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: UUID = Field(default_factory=uuid4)
    type: str
    schema_version: int
    occurred_at: datetime
    producer: str
    correlation_id: UUID | None = None
    payload: dict[str, Any]


class EventPayload(BaseModel):
    """Base for versioned payloads; subclasses set EVENT_TYPE and SCHEMA_VERSION."""

    model_config = ConfigDict(frozen=True)

    EVENT_TYPE: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1

    def envelope(
        self,
        *,
        producer: str,
        occurred_at: datetime | None = None,
        correlation_id: UUID | None = None,
    ) -> Envelope:
        return Envelope(
            type=self.EVENT_TYPE,
            schema_version=self.SCHEMA_VERSION,
            occurred_at=occurred_at or datetime.now(UTC),
            producer=producer,
            correlation_id=correlation_id,
            payload=self.model_dump(mode="json"),
        )
