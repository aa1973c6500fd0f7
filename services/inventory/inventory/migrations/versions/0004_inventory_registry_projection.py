"""Inventory: the registry projection (tenants and deployments invoicing announces), against
which classifications are checked, and the deployment links waiting for their project.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"


def upgrade() -> None:
    op.create_table(
        "registry_tenants",
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_registry_tenants")),
        schema=SCHEMA,
    )
    op.create_table(
        "registry_deployments",
        sa.Column("deployment_id", UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", UUID(as_uuid=True), nullable=False),
        sa.Column("do_project", sa.String(255)),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("link_pending", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("deployment_id", name=op.f("pk_registry_deployments")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("registry_deployments", schema=SCHEMA)
    op.drop_table("registry_tenants", schema=SCHEMA)
