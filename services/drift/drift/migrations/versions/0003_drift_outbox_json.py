"""Drift: outbox envelopes kept as written (json) instead of parsed (jsonb).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from arcadia_core.outbox import store_envelopes_as_json, store_envelopes_as_jsonb

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "drift"


def upgrade() -> None:
    store_envelopes_as_json(op, SCHEMA)


def downgrade() -> None:
    store_envelopes_as_jsonb(op, SCHEMA)
