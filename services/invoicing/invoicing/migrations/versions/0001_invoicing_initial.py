"""Invoicing: tenants, deployments, catalog, subscriptions, usage, tenant invoices, outbox/inbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

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

SCHEMA = "invoicing"
TABLES = (
    "tenant_invoice_lines",
    "tenant_invoices",
    "usage",
    "usage_days",
    "subscription_addons",
    "subscriptions",
    "addon_allowances",
    "addons",
    "plan_items",
    "plans",
    "deployments",
    "tenants",
    "invoice_sequences",
    "catalog_versions",
)


def upgrade() -> None:
    op.create_table(
        "addons",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_addons")),
        sa.UniqueConstraint("code", name=op.f("uq_addons_code")),
        schema="invoicing",
    )
    op.create_table(
        "catalog_versions",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_catalog_versions")),
        schema="invoicing",
    )
    op.create_table(
        "invoice_sequences",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_invoice_sequences")),
        schema="invoicing",
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("base_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans")),
        sa.UniqueConstraint("code", name=op.f("uq_plans_code")),
        schema="invoicing",
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column(
            "tax_rate",
            sa.Numeric(precision=6, scale=4),
            server_default=sa.text("0.10"),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), server_default="USD", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("external_id", name=op.f("uq_tenants_external_id")),
        sa.UniqueConstraint("name", name=op.f("uq_tenants_name")),
        schema="invoicing",
    )
    op.create_table(
        "usage",
        sa.Column("deployment_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("billing_kind", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.PrimaryKeyConstraint("deployment_id", "day", "billing_kind", name=op.f("pk_usage")),
        schema="invoicing",
    )
    op.create_table(
        "usage_days",
        sa.Column("deployment_id", sa.UUID(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("deployment_id", "day", name=op.f("pk_usage_days")),
        schema="invoicing",
    )
    op.create_table(
        "addon_allowances",
        sa.Column("addon_id", sa.UUID(), nullable=False),
        sa.Column("billing_kind", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(
            ["addon_id"], ["invoicing.addons.id"], name=op.f("fk_addon_allowances_addon_id_addons")
        ),
        sa.PrimaryKeyConstraint("addon_id", "billing_kind", name=op.f("pk_addon_allowances")),
        schema="invoicing",
    )
    op.create_table(
        "deployments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("do_project", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["invoicing.tenants.id"], name=op.f("fk_deployments_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_deployments_tenant_id_name")),
        schema="invoicing",
    )
    op.create_index(
        "uq_deployments_active_do_project",
        "deployments",
        ["do_project"],
        unique=True,
        schema="invoicing",
        postgresql_where=sa.text("active AND do_project IS NOT NULL"),
    )
    op.create_table(
        "plan_items",
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column("billing_kind", sa.String(length=64), nullable=False),
        sa.Column("included", sa.Numeric(), nullable=False),
        sa.Column("overage_rate", sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["invoicing.plans.id"], name=op.f("fk_plan_items_plan_id_plans")
        ),
        sa.PrimaryKeyConstraint("plan_id", "billing_kind", name=op.f("pk_plan_items")),
        schema="invoicing",
    )
    op.create_table(
        "tenant_invoices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("subtotal_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("total_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("number", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["invoicing.tenants.id"],
            name=op.f("fk_tenant_invoices_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_tenant_invoices_number")),
        schema="invoicing",
    )
    op.create_index(
        "ix_tenant_invoices_period",
        "tenant_invoices",
        ["period_start"],
        unique=False,
        schema="invoicing",
    )
    op.create_index(
        "uq_tenant_invoices_tenant_period",
        "tenant_invoices",
        ["tenant_id", "period_start"],
        unique=True,
        schema="invoicing",
        postgresql_where=sa.text("status <> 'void'"),
    )
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("tenant_id", sa.UUID(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=False),
        sa.Column("plan_id", sa.UUID(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["invoicing.deployments.id"],
            name=op.f("fk_subscriptions_deployment_id_deployments"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["invoicing.plans.id"], name=op.f("fk_subscriptions_plan_id_plans")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["invoicing.tenants.id"], name=op.f("fk_subscriptions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
        schema="invoicing",
    )
    op.create_index(
        "ix_subscriptions_deployment",
        "subscriptions",
        ["deployment_id"],
        unique=False,
        schema="invoicing",
    )
    op.create_index(
        "ix_subscriptions_tenant", "subscriptions", ["tenant_id"], unique=False, schema="invoicing"
    )
    op.create_table(
        "tenant_invoice_lines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("deployment_id", sa.UUID(), nullable=True),
        sa.Column("subscription_id", sa.UUID(), nullable=True),
        sa.Column("resource_kind", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Numeric(), nullable=False),
        sa.Column("unit_price", sa.Numeric(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("corrects_period", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoicing.tenant_invoices.id"],
            name=op.f("fk_tenant_invoice_lines_invoice_id_tenant_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_invoice_lines")),
        schema="invoicing",
    )
    op.create_index(
        "ix_tenant_invoice_lines_invoice",
        "tenant_invoice_lines",
        ["invoice_id", "position"],
        unique=False,
        schema="invoicing",
    )
    op.create_table(
        "subscription_addons",
        sa.Column("subscription_id", sa.UUID(), nullable=False),
        sa.Column("addon_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["addon_id"],
            ["invoicing.addons.id"],
            name=op.f("fk_subscription_addons_addon_id_addons"),
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["invoicing.subscriptions.id"],
            name=op.f("fk_subscription_addons_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("subscription_id", "addon_id", name=op.f("pk_subscription_addons")),
        schema="invoicing",
    )
    create_outbox_tables(op, SCHEMA)
    upgrade_messaging_tables(op, SCHEMA)


def downgrade() -> None:
    downgrade_messaging_tables(op, SCHEMA)
    drop_outbox_tables(op, SCHEMA)
    for table in TABLES:
        op.drop_table(table, schema=SCHEMA)
