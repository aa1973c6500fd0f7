"""Metering: resource projection and history, usage records, configuration, outbox and inbox.

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

SCHEMA = "metering"


def upgrade() -> None:
    op.create_table(
        "resources",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("provider_id", sa.String(255), nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("status", sa.String(64)),
        sa.Column("size_gb", sa.Numeric),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("deployment_id", UUID(as_uuid=True)),
        sa.Column("ever_attributed", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("provider_created_at", sa.DateTime(timezone=True)),
        sa.Column("first_seen_at", sa.DateTime(timezone=True)),
        sa.Column("last_seen_at", sa.DateTime(timezone=True)),
        sa.Column("deleted_at", sa.DateTime(timezone=True)),
        sa.Column("version", sa.Integer, nullable=False),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_metering_resources_deployment", "resources", ["deployment_id"], schema=SCHEMA
    )
    op.create_table(
        "resource_history",
        sa.Column("resource_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", sa.String(32), nullable=False),
        sa.Column("status", sa.String(64)),
        sa.Column("size_gb", sa.Numeric),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("deployment_id", UUID(as_uuid=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "usage_records",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("deployment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("resource_id", UUID(as_uuid=True), nullable=False),
        sa.Column("resource_kind", sa.String(64), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granularity", sa.String(16), nullable=False),
        sa.Column("qty", sa.Numeric, nullable=False),
        sa.Column("sub_attribution", JSONB),
        sa.Column("metered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "deployment_id",
            "resource_id",
            "period_start",
            "granularity",
            name="uq_usage_records_deployment_resource_period",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_usage_records_deployment_period",
        "usage_records",
        ["deployment_id", "period_start", "resource_kind"],
        schema=SCHEMA,
    )
    op.create_index("ix_usage_records_period", "usage_records", ["period_start"], schema=SCHEMA)
    op.create_table(
        "metering_config",
        sa.Column("billing_kind", sa.String(64), primary_key=True),
        sa.Column("granularity", sa.String(16), nullable=False),
        sa.Column("retention_days", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "metered_days",
        sa.Column("deployment_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("totals", JSONB, nullable=False),
        sa.Column("metered_at", sa.DateTime(timezone=True), nullable=False),
        schema=SCHEMA,
    )
    create_outbox_tables(op, SCHEMA)
    upgrade_messaging_tables(op, SCHEMA)


def downgrade() -> None:
    downgrade_messaging_tables(op, SCHEMA)
    drop_outbox_tables(op, SCHEMA)
    for table in ("metered_days", "metering_config", "usage_records", "resource_history"):
        op.drop_table(table, schema=SCHEMA)
    op.drop_table("resources", schema=SCHEMA)
