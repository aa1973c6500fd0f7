"""Inventory: an operator's per-resource classification, and the last sync of each kind.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"


def upgrade() -> None:
    op.add_column(
        "cloud_resources", sa.Column("classified_tenant_id", UUID(as_uuid=True)), schema=SCHEMA
    )
    op.add_column(
        "cloud_resources",
        sa.Column("classified_deployment_id", UUID(as_uuid=True)),
        schema=SCHEMA,
    )
    op.create_table(
        "sync_runs",
        sa.Column("kind", sa.String(64), primary_key=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("summary", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("error", sa.Text),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("sync_runs", schema=SCHEMA)
    op.drop_column("cloud_resources", "classified_deployment_id", schema=SCHEMA)
    op.drop_column("cloud_resources", "classified_tenant_id", schema=SCHEMA)
