"""The billing schema: balance snapshots, billing history, invoices, cost lines, the projection."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from arcadia_core.db import service_metadata
from arcadia_core.inbox import inbox_table
from arcadia_core.outbox import outbox_table

SCHEMA = "billing"
metadata = service_metadata(SCHEMA)

cloud_balance_snapshots = Table(
    "cloud_balance_snapshots",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("month_to_date_balance_cents", BigInteger, nullable=False),
    Column("account_balance_cents", BigInteger, nullable=False),
    Column("month_to_date_usage_cents", BigInteger, nullable=False),
    Column("generated_at", DateTime(timezone=True), nullable=False, unique=True),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

cloud_billing_history = Table(
    "cloud_billing_history",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("type", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("invoice_uuid", Text),
    Column("invoice_id", Text),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(
        "occurred_at", "type", "description", "amount_cents", name="uq_cloud_billing_history_entry"
    ),
)

cloud_invoices = Table(
    "cloud_invoices",
    metadata,
    Column("invoice_uuid", Text, primary_key=True),
    Column("invoice_id", Text),
    Column("invoice_period", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("failure_reason", Text),
    Column("line_count", Integer, nullable=False, server_default="0"),
    Column("matched_count", Integer, nullable=False, server_default="0"),
    Column("match_rate", Numeric(6, 4)),
    Column("net_cents", BigInteger),
    Column("tax_cents", BigInteger),
    Column("reconciled", Boolean),
    Column("reconciliation", JSONB),
    Column("version", Integer, nullable=False, server_default="0"),
    Column("content_sha256", Text),
    Column("ingested_at", DateTime(timezone=True)),
    Column("first_seen_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("pushed_to_finance_at", DateTime(timezone=True)),
    Column("finance_invoice_id", Text),
    Column("finance_action", Text),
    Column("finance_pushed_version", Integer),
    Index("ix_cloud_invoices_period", "invoice_period"),
)

cloud_invoice_previews = Table(
    "cloud_invoice_previews",
    metadata,
    Column("invoice_uuid", Text, primary_key=True),
    Column("invoice_id", Text),
    Column("invoice_period", Date, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True)),
    Column("fetched_at", DateTime(timezone=True), nullable=False),
)

cloud_cost_lines = Table(
    "cloud_cost_lines",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column(
        "invoice_uuid",
        Text,
        ForeignKey("billing.cloud_invoices.invoice_uuid", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("line_no", Integer, nullable=False),
    Column("product", Text, nullable=False),
    Column("group_description", Text, nullable=False, server_default=""),
    Column("description", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    Column("hours", Numeric),
    Column("start_at", DateTime(timezone=True)),
    Column("end_at", DateTime(timezone=True)),
    Column("project_name", Text),
    Column("category", Text),
    Column("provider_resource_id", Text),
    Column("provider_resource_uuid", Text),
    Column("match_kind", Text),
    Column("match_name", Text),
    Column("resource_id", UUID(as_uuid=True)),
    Column("match_method", Text, nullable=False),
    Column("unmatched_reason", Text),
    Column("tenant_id", UUID(as_uuid=True)),
    Column("deployment_id", UUID(as_uuid=True)),
    Index("ix_cloud_cost_lines_invoice", "invoice_uuid", "line_no"),
    Index("ix_cloud_cost_lines_resource", "resource_id"),
    Index(
        "ix_cloud_cost_lines_waiting",
        "match_kind",
        "match_name",
        postgresql_where=text("match_method = 'none'"),
    ),
    Index(
        "ix_cloud_cost_lines_waiting_id",
        "provider_resource_id",
        postgresql_where=text("match_method = 'none' AND provider_resource_id IS NOT NULL"),
    ),
)

# what billing knows of the inventory: fed by resource.synced / resource.deleted
resources = Table(
    "resources",
    metadata,
    Column("resource_id", UUID(as_uuid=True), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("kind", Text, nullable=False),
    Column("provider_id", Text, nullable=False),
    Column("name", Text),
    Column("name_key", Text),
    Column("tenant_id", UUID(as_uuid=True)),
    Column("deployment_id", UUID(as_uuid=True)),
    Column("first_seen_at", DateTime(timezone=True)),
    Column("deleted_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_resources_kind_name", "kind", "name_key"),
    Index("ix_resources_kind_provider_id", "kind", "provider_id"),
    Index("ix_resources_first_seen", "first_seen_at"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

COST_LINE_COLUMNS = (
    "invoice_uuid",
    "line_no",
    "product",
    "group_description",
    "description",
    "kind",
    "amount_cents",
    "hours",
    "start_at",
    "end_at",
    "project_name",
    "category",
    "provider_resource_id",
    "provider_resource_uuid",
    "match_kind",
    "match_name",
    "resource_id",
    "match_method",
    "unmatched_reason",
    "tenant_id",
    "deployment_id",
)
