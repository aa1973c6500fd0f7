"""Inventory: the delivery upgrade of the messaging tables (relay lease and parking, NOTIFY
trigger, inbox retention index, in-process dead letters).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from arcadia_core.outbox import downgrade_messaging_tables, upgrade_messaging_tables

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "inventory"


def upgrade() -> None:
    upgrade_messaging_tables(op, SCHEMA)


def downgrade() -> None:
    downgrade_messaging_tables(op, SCHEMA)
