"""The invoicing schema: the customer registry, the catalog, usage, tenant invoices."""

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
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from arcadia_core.db import service_metadata
from arcadia_core.inbox import inbox_table
from arcadia_core.outbox import outbox_table

SCHEMA = "invoicing"
metadata = service_metadata(SCHEMA)

tenants = Table(
    "tenants",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("external_id", String(255), unique=True),
    Column("tax_rate", Numeric(6, 4), nullable=False, server_default=text("0.10")),
    Column("currency", String(3), nullable=False, server_default="USD"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False, server_default="1"),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.tenants.id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("do_project", String(255)),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tenant_id", "name"),
    Index(
        "uq_deployments_active_do_project",
        "do_project",
        unique=True,
        postgresql_where=text("active AND do_project IS NOT NULL"),
    ),
)

catalog_versions = Table(
    "catalog_versions",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
)

plans = Table(
    "plans",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("base_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

plan_items = Table(
    "plan_items",
    metadata,
    Column("plan_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.plans.id"), primary_key=True),
    Column("billing_kind", String(64), primary_key=True),
    Column("included", Numeric, nullable=False),
    Column("overage_rate", Numeric, nullable=False),
)

addons = Table(
    "addons",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(255), nullable=False),
    Column("price_cents", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

addon_allowances = Table(
    "addon_allowances",
    metadata,
    Column("addon_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.addons.id"), primary_key=True),
    Column("billing_kind", String(64), primary_key=True),
    Column("quantity", Numeric, nullable=False),
)

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.tenants.id"), nullable=False),
    Column(
        "deployment_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.deployments.id"), nullable=False
    ),
    Column("plan_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.plans.id"), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_subscriptions_deployment", "deployment_id"),
    Index("ix_subscriptions_tenant", "tenant_id"),
)

subscription_addons = Table(
    "subscription_addons",
    metadata,
    Column(
        "subscription_id",
        UUID(as_uuid=True),
        ForeignKey(f"{SCHEMA}.subscriptions.id"),
        primary_key=True,
    ),
    Column("addon_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.addons.id"), primary_key=True),
)

# the usage projection, fed by usage.metered: one version per (deployment, day) ...
usage_days = Table(
    "usage_days",
    metadata,
    Column("deployment_id", UUID(as_uuid=True), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# ... and that day's quantity per billing kind, replaced with the day
usage = Table(
    "usage",
    metadata,
    Column("deployment_id", UUID(as_uuid=True), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("billing_kind", String(64), primary_key=True),
    Column("quantity", Numeric, nullable=False),
)

tenant_invoices = Table(
    "tenant_invoices",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.tenants.id"), nullable=False),
    Column("period_start", Date, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("tax_rate", Numeric(6, 4), nullable=False),
    Column("subtotal_cents", BigInteger, nullable=False),
    Column("tax_cents", BigInteger, nullable=False),
    Column("total_cents", BigInteger, nullable=False),
    Column("status", String(16), nullable=False, server_default="draft"),
    Column("number", String(32), unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("issued_at", DateTime(timezone=True)),
    Column("paid_at", DateTime(timezone=True)),
    Column("voided_at", DateTime(timezone=True)),
    Index(
        "uq_tenant_invoices_tenant_period",
        "tenant_id",
        "period_start",
        unique=True,
        postgresql_where=text("status <> 'void'"),
    ),
    Index("ix_tenant_invoices_period", "period_start"),
)

tenant_invoice_lines = Table(
    "tenant_invoice_lines",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column(
        "invoice_id",
        UUID(as_uuid=True),
        ForeignKey(f"{SCHEMA}.tenant_invoices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("deployment_id", UUID(as_uuid=True)),
    Column("subscription_id", UUID(as_uuid=True)),
    Column("resource_kind", String(64)),
    Column("quantity", Numeric, nullable=False),
    Column("unit_price", Numeric, nullable=False),
    Column("amount_cents", BigInteger, nullable=False),
    # for an adjustment line: the first day of the period it corrects
    Column("corrects_period", Date),
    Index("ix_tenant_invoice_lines_invoice", "invoice_id", "position"),
)

# the PDF of an issued invoice, rendered once (at issue, or on first request for one issued
# before documents existed) and served unchanged afterwards
tenant_invoice_documents = Table(
    "tenant_invoice_documents",
    metadata,
    Column(
        "invoice_id",
        UUID(as_uuid=True),
        ForeignKey(f"{SCHEMA}.tenant_invoices.id"),
        primary_key=True,
    ),
    Column("pdf", LargeBinary, nullable=False),
    Column("sha256", Text, nullable=False),
    Column("template_version", Text, nullable=False),
    Column("rendered_at", DateTime(timezone=True), nullable=False),
)

invoice_sequences = Table(
    "invoice_sequences",
    metadata,
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
