"""Billing: balance snapshots, billing history, invoices and previews, cost lines, the resource
projection, and the messaging tables (outbox, inbox, dead letters).

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

SCHEMA = "billing"
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cloud_balance_snapshots",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("month_to_date_balance_cents", sa.BigInteger, nullable=False),
        sa.Column("account_balance_cents", sa.BigInteger, nullable=False),
        sa.Column("month_to_date_usage_cents", sa.BigInteger, nullable=False),
        sa.Column("generated_at", TZ, nullable=False),
        sa.Column("fetched_at", TZ, nullable=False),
        sa.UniqueConstraint("generated_at", name="uq_cloud_balance_snapshots_generated_at"),
        schema=SCHEMA,
    )
    op.create_table(
        "cloud_billing_history",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("invoice_uuid", sa.Text),
        sa.Column("invoice_id", sa.Text),
        sa.Column("first_seen_at", TZ, nullable=False),
        sa.UniqueConstraint(
            "occurred_at",
            "type",
            "description",
            "amount_cents",
            name="uq_cloud_billing_history_entry",
        ),
        schema=SCHEMA,
    )
    op.create_table(
        "cloud_invoices",
        sa.Column("invoice_uuid", sa.Text, primary_key=True),
        sa.Column("invoice_id", sa.Text),
        sa.Column("invoice_period", sa.Date, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("failure_reason", sa.Text),
        sa.Column("line_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("matched_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("match_rate", sa.Numeric(6, 4)),
        sa.Column("net_cents", sa.BigInteger),
        sa.Column("tax_cents", sa.BigInteger),
        sa.Column("reconciled", sa.Boolean),
        sa.Column("reconciliation", JSONB),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("content_sha256", sa.Text),
        sa.Column("ingested_at", TZ),
        sa.Column("first_seen_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("pushed_to_finance_at", TZ),
        sa.Column("finance_invoice_id", sa.Text),
        sa.Column("finance_action", sa.Text),
        sa.Column("finance_pushed_version", sa.Integer),
        sa.CheckConstraint(
            "status IN ('pending', 'ingested', 'failed')", name="ck_cloud_invoices_status"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_cloud_invoices_period", "cloud_invoices", ["invoice_period"], schema=SCHEMA)
    op.create_table(
        "cloud_invoice_previews",
        sa.Column("invoice_uuid", sa.Text, primary_key=True),
        sa.Column("invoice_id", sa.Text),
        sa.Column("invoice_period", sa.Date, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("updated_at", TZ),
        sa.Column("fetched_at", TZ, nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "cloud_cost_lines",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "invoice_uuid",
            sa.Text,
            sa.ForeignKey(f"{SCHEMA}.cloud_invoices.invoice_uuid", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("product", sa.Text, nullable=False),
        sa.Column("group_description", sa.Text, nullable=False, server_default=""),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("amount_cents", sa.BigInteger, nullable=False),
        sa.Column("hours", sa.Numeric),
        sa.Column("start_at", TZ),
        sa.Column("end_at", TZ),
        sa.Column("project_name", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("provider_resource_id", sa.Text),
        sa.Column("provider_resource_uuid", sa.Text),
        sa.Column("match_kind", sa.Text),
        sa.Column("match_name", sa.Text),
        sa.Column("resource_id", UUID(as_uuid=True)),
        sa.Column("match_method", sa.Text, nullable=False),
        sa.Column("unmatched_reason", sa.Text),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("deployment_id", UUID(as_uuid=True)),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_cloud_cost_lines_invoice",
        "cloud_cost_lines",
        ["invoice_uuid", "line_no"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_cloud_cost_lines_resource", "cloud_cost_lines", ["resource_id"], schema=SCHEMA
    )
    op.create_index(
        "ix_cloud_cost_lines_waiting",
        "cloud_cost_lines",
        ["match_kind", "match_name"],
        schema=SCHEMA,
        postgresql_where=sa.text("match_method = 'none'"),
    )
    op.create_index(
        "ix_cloud_cost_lines_waiting_id",
        "cloud_cost_lines",
        ["provider_resource_id"],
        schema=SCHEMA,
        postgresql_where=sa.text("match_method = 'none' AND provider_resource_id IS NOT NULL"),
    )
    op.create_table(
        "resources",
        sa.Column("resource_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("provider_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("name_key", sa.Text),
        sa.Column("tenant_id", UUID(as_uuid=True)),
        sa.Column("deployment_id", UUID(as_uuid=True)),
        sa.Column("first_seen_at", TZ),
        sa.Column("deleted_at", TZ),
        sa.Column("updated_at", TZ, nullable=False),
        schema=SCHEMA,
    )
    op.create_index("ix_resources_kind_name", "resources", ["kind", "name_key"], schema=SCHEMA)
    op.create_index(
        "ix_resources_kind_provider_id", "resources", ["kind", "provider_id"], schema=SCHEMA
    )
    op.create_index("ix_resources_first_seen", "resources", ["first_seen_at"], schema=SCHEMA)
    create_outbox_tables(op, SCHEMA)
    upgrade_messaging_tables(op, SCHEMA)


def downgrade() -> None:
    downgrade_messaging_tables(op, SCHEMA)
    drop_outbox_tables(op, SCHEMA)
    for table in (
        "resources",
        "cloud_cost_lines",
        "cloud_invoice_previews",
        "cloud_invoices",
        "cloud_billing_history",
        "cloud_balance_snapshots",
    ):
        op.drop_table(table, schema=SCHEMA)
