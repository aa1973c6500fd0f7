"""Inventory: projects, resources, the append-only resource event log, outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from arcadia_core.outbox import create_outbox_tables, drop_outbox_tables

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"


def upgrade() -> None:
    op.create_table(
        "cloud_projects",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False, server_default="digitalocean"),
        sa.Column("provider_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("attrs", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("deployment_id", UUID(as_uuid=True)),
        sa.Column("purpose", sa.String(255)),
        sa.Column(
            "unrecognized_urns", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")
        ),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint(
            "provider", "provider_id", name="uq_cloud_projects_provider_provider_id"
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "cloud_resources",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("provider", sa.String(32), nullable=False, server_default="digitalocean"),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("provider_id", sa.String(255), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("status", sa.String(64)),
        sa.Column("region", sa.String(64)),
        sa.Column("size_slug", sa.String(128)),
        sa.Column("attrs", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("project_id", UUID(as_uuid=True), sa.ForeignKey(f"{SCHEMA}.cloud_projects.id")),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("deployment_id", UUID(as_uuid=True)),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("stale_strikes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("fingerprint", sa.String(64), nullable=False, server_default=""),
        sa.UniqueConstraint(
            "provider", "kind", "provider_id", name="uq_cloud_resources_provider_kind_provider_id"
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_cloud_resources_tenant_kind", "cloud_resources", ["tenant_id", "kind"], schema=SCHEMA
    )
    op.create_index("ix_cloud_resources_project", "cloud_resources", ["project_id"], schema=SCHEMA)
    op.create_table(
        "cloud_resource_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "resource_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{SCHEMA}.cloud_resources.id"),
            nullable=False,
        ),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("data", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_cloud_resource_events_resource",
        "cloud_resource_events",
        ["resource_id", "id"],
        schema=SCHEMA,
    )
    # The audit log is append-only: the database refuses to rewrite history.
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.forbid_event_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'cloud_resource_events is append-only';
        END $$
        """
    )
    op.execute(
        f"""
        CREATE TRIGGER cloud_resource_events_append_only
            BEFORE UPDATE OR DELETE ON {SCHEMA}.cloud_resource_events
            FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.forbid_event_rewrite()
        """
    )
    op.create_table(
        "cloud_project_members",
        sa.Column(
            "project_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{SCHEMA}.cloud_projects.id"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(64), primary_key=True),
        sa.Column("provider_id", sa.String(255), primary_key=True),
        schema=SCHEMA,
    )
    create_outbox_tables(op, SCHEMA)


def downgrade() -> None:
    drop_outbox_tables(op, SCHEMA)
    op.drop_table("cloud_project_members", schema=SCHEMA)
    op.execute(f"DROP TRIGGER cloud_resource_events_append_only ON {SCHEMA}.cloud_resource_events")
    op.execute(f"DROP FUNCTION {SCHEMA}.forbid_event_rewrite()")
    op.drop_table("cloud_resource_events", schema=SCHEMA)
    op.drop_table("cloud_resources", schema=SCHEMA)
    op.drop_table("cloud_projects", schema=SCHEMA)
