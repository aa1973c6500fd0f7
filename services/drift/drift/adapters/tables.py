"""The drift schema: the live-resource projection, desired specs and drift records."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from arcadia_core.db import service_metadata
from arcadia_core.inbox import inbox_table
from arcadia_core.outbox import outbox_table

SCHEMA = "drift"
metadata = service_metadata(SCHEMA)

live_resources = Table(
    "live_resources",
    metadata,
    Column("resource_id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("provider_id", String(255), nullable=False),
    Column("name", Text),
    Column("status", String(64)),
    Column("region", String(64)),
    Column("size_slug", String(128)),
    Column("attrs", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("tenant_id", UUID(as_uuid=True)),
    Column("seen_at", DateTime(timezone=True)),
    Column("deleted_at", DateTime(timezone=True)),
)

cloud_provisioned = Table(
    "cloud_provisioned",
    metadata,
    Column("resource_id", UUID(as_uuid=True), primary_key=True),
    Column("kind", String(64)),
    Column("spec", JSONB, nullable=False),
    Column("spec_version", Integer, nullable=False, server_default="1"),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

DRIFT_STATUSES = ("open", "accepted", "reverted", "stale")

cloud_drift = Table(
    "cloud_drift",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("resource_id", UUID(as_uuid=True), nullable=False),
    Column("field", Text, nullable=False),
    Column("expected", JSONB),
    Column("actual", JSONB),
    Column("status", String(16), nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", Text),
    Column("reason", Text),
    CheckConstraint("status IN ('open', 'accepted', 'reverted', 'stale')", name="status_known"),
    # at most one open drift per (resource, field); resolved rows stay as history
    Index(
        "uq_cloud_drift_open_field",
        "resource_id",
        "field",
        unique=True,
        postgresql_where=text("status = 'open'"),
    ),
    Index("ix_cloud_drift_resource", "resource_id", "opened_at"),
    Index("ix_cloud_drift_status_opened", "status", "opened_at", "id"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
