"""Invoicing: the PDF of each issued tenant invoice, stored once with its sha256.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "invoicing"


def upgrade() -> None:
    op.create_table(
        "tenant_invoice_documents",
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("template_version", sa.Text(), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            [f"{SCHEMA}.tenant_invoices.id"],
            name=op.f("fk_tenant_invoice_documents_invoice_id_tenant_invoices"),
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_tenant_invoice_documents")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("tenant_invoice_documents", schema=SCHEMA)
