"""Billing: the run log (when each job, schedule and command ran and how it ended).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from arcadia_core.runs import create_runs_table, drop_runs_table

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "billing"


def upgrade() -> None:
    create_runs_table(op, SCHEMA)


def downgrade() -> None:
    drop_runs_table(op, SCHEMA)
