"""The inventory schema: the persistence shape of resources, projects and the audit log."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from arcadia_core.db import service_metadata
from arcadia_core.inbox import inbox_table
from arcadia_core.outbox import outbox_table

SCHEMA = "inventory"
metadata = service_metadata(SCHEMA)

cloud_projects = Table(
    "cloud_projects",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("provider", String(32), nullable=False, server_default="digitalocean"),
    Column("provider_id", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("attrs", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("tenant_id", UUID(as_uuid=True)),
    Column("deployment_id", UUID(as_uuid=True)),
    Column("purpose", String(255)),
    Column("unrecognized_urns", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    UniqueConstraint("provider", "provider_id"),
)

cloud_resources = Table(
    "cloud_resources",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("provider", String(32), nullable=False, server_default="digitalocean"),
    Column("kind", String(64), nullable=False),
    Column("provider_id", String(255), nullable=False),
    Column("name", Text),
    Column("status", String(64)),
    Column("region", String(64)),
    Column("size_slug", String(128)),
    Column("attrs", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("project_id", UUID(as_uuid=True), ForeignKey("inventory.cloud_projects.id")),
    Column("tenant_id", UUID(as_uuid=True)),
    Column("deployment_id", UUID(as_uuid=True)),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    Column("stale_strikes", Integer, nullable=False, server_default="0"),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("fingerprint", String(64), nullable=False, server_default=""),
    Column("classified_tenant_id", UUID(as_uuid=True)),
    Column("classified_deployment_id", UUID(as_uuid=True)),
    UniqueConstraint("provider", "kind", "provider_id"),
    Index("ix_cloud_resources_tenant_kind", "tenant_id", "kind"),
    Index("ix_cloud_resources_project", "project_id"),
)

cloud_resource_events = Table(
    "cloud_resource_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column(
        "resource_id",
        UUID(as_uuid=True),
        ForeignKey("inventory.cloud_resources.id"),
        nullable=False,
    ),
    Column("type", String(32), nullable=False),
    Column("data", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Index("ix_cloud_resource_events_resource", "resource_id", "id"),
)

cloud_project_members = Table(
    "cloud_project_members",
    metadata,
    Column(
        "project_id",
        UUID(as_uuid=True),
        ForeignKey("inventory.cloud_projects.id"),
        primary_key=True,
    ),
    Column("kind", String(64), primary_key=True),
    Column("provider_id", String(255), primary_key=True),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("kind", String(64), primary_key=True),
    Column("finished_at", DateTime(timezone=True), nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("summary", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("error", Text),
)

# the customer registry as invoicing announces it (tenant.changed, deployment.changed)
registry_tenants = Table(
    "registry_tenants",
    metadata,
    Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
)

registry_deployments = Table(
    "registry_deployments",
    metadata,
    Column("deployment_id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), nullable=False),
    Column("do_project", String(255)),
    Column("active", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    # True while the deployment's project is not mirrored yet: the next sweep links it
    Column("link_pending", Boolean, nullable=False, server_default=text("false")),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
