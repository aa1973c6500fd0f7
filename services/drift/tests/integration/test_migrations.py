"""The migration builds exactly the schema the tables module describes."""

from __future__ import annotations

from arcadia_core.testing.schema import schema_differences
from drift.adapters.tables import SCHEMA, metadata

# outbox and inbox are arcadia_core's (created by its helper), compared there
OWNED = {"live_resources", "cloud_provisioned", "cloud_drift"}


async def test_migration_matches_the_tables(drift_db: str) -> None:
    assert await schema_differences(drift_db, SCHEMA, metadata, OWNED) == []
