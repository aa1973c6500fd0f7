"""Invoicing: a version per tenant, carried by `tenant.changed`.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "invoicing"


def upgrade() -> None:
    op.add_column(
        "tenants",
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("tenants", "version", schema=SCHEMA)
