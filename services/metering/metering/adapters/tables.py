"""The metering schema: the resource projection and its history, usage records, configuration."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from arcadia_core.db import service_metadata
from arcadia_core.inbox import inbox_table
from arcadia_core.outbox import outbox_table

SCHEMA = "metering"
metadata = service_metadata(SCHEMA)

# the current state of every resource the inventory told us about
resources = Table(
    "resources",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("provider_id", String(255), nullable=False),
    Column("name", Text),
    Column("status", String(64)),
    Column("size_gb", Numeric),
    Column("tenant_id", UUID(as_uuid=True)),
    Column("deployment_id", UUID(as_uuid=True)),
    Column("ever_attributed", Boolean, nullable=False, server_default="false"),
    Column("provider_created_at", DateTime(timezone=True)),
    Column("first_seen_at", DateTime(timezone=True)),
    Column("last_seen_at", DateTime(timezone=True)),
    Column("deleted_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False),
    Index("ix_metering_resources_deployment", "deployment_id"),
)

# every version of a resource metering has seen: status, size and attribution over time
resource_history = Table(
    "resource_history",
    metadata,
    Column("resource_id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("change", String(32), nullable=False),
    Column("status", String(64)),
    Column("size_gb", Numeric),
    Column("tenant_id", UUID(as_uuid=True)),
    Column("deployment_id", UUID(as_uuid=True)),
)

usage_records = Table(
    "usage_records",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("deployment_id", UUID(as_uuid=True), nullable=False),
    Column("tenant_id", UUID(as_uuid=True)),
    Column("resource_id", UUID(as_uuid=True), nullable=False),
    Column("resource_kind", String(64), nullable=False),  # the billing kind
    Column("period_start", DateTime(timezone=True), nullable=False),
    Column("granularity", String(16), nullable=False),
    Column("qty", Numeric, nullable=False),
    Column("sub_attribution", JSONB),  # forward compatibility: present, never written yet
    Column("metered_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "deployment_id",
        "resource_id",
        "period_start",
        "granularity",
        name="uq_usage_records_deployment_resource_period",
    ),
    Index("ix_usage_records_deployment_period", "deployment_id", "period_start", "resource_kind"),
    Index("ix_usage_records_period", "period_start"),
)

metering_config = Table(
    "metering_config",
    metadata,
    Column("billing_kind", String(64), primary_key=True),
    Column("granularity", String(16), nullable=False),
    Column("retention_days", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# the last `usage.metered` sent per (deployment, day), to version corrections
metered_days = Table(
    "metered_days",
    metadata,
    Column("deployment_id", UUID(as_uuid=True), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("tenant_id", UUID(as_uuid=True)),
    Column("version", Integer, nullable=False),
    Column("totals", JSONB, nullable=False),
    Column("metered_at", DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
