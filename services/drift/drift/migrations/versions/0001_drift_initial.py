"""Drift: the live-resource projection, desired specs, drift records, outbox and inbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from arcadia_core.outbox import (
    create_outbox_tables,
    downgrade_messaging_tables,
    drop_outbox_tables,
    upgrade_messaging_tables,
)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "drift"


def upgrade() -> None:
    op.create_table(
        "live_resources",
        sa.Column("resource_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("provider_id", sa.String(255), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("status", sa.String(64)),
        sa.Column("region", sa.String(64)),
        sa.Column("size_slug", sa.String(128)),
        sa.Column("attrs", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("seen_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "cloud_provisioned",
        sa.Column("resource_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(64)),
        sa.Column("spec", JSONB, nullable=False),
        sa.Column("spec_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "cloud_drift",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("resource_id", UUID(as_uuid=True), nullable=False),
        sa.Column("field", sa.Text, nullable=False),
        sa.Column("expected", JSONB),
        sa.Column("actual", JSONB),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_by", sa.Text),
        sa.Column("reason", sa.Text),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'reverted', 'stale')",
            name="ck_cloud_drift_status_known",
        ),
        schema=SCHEMA,
    )
    # at most one open drift per (resource, field); resolved rows stay as history
    op.create_index(
        "uq_cloud_drift_open_field",
        "cloud_drift",
        ["resource_id", "field"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_cloud_drift_resource", "cloud_drift", ["resource_id", "opened_at"], schema=SCHEMA
    )
    op.create_index(
        "ix_cloud_drift_status_opened",
        "cloud_drift",
        ["status", "opened_at", "id"],
        schema=SCHEMA,
    )
    create_outbox_tables(op, SCHEMA)
    upgrade_messaging_tables(op, SCHEMA)


def downgrade() -> None:
    downgrade_messaging_tables(op, SCHEMA)
    drop_outbox_tables(op, SCHEMA)
    op.drop_table("cloud_drift", schema=SCHEMA)
    op.drop_table("cloud_provisioned", schema=SCHEMA)
    op.drop_table("live_resources", schema=SCHEMA)
