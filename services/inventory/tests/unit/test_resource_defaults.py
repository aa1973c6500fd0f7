"""A COPY of new resources leaves out the columns they hold at the table's defaults: those must
be the table's defaults, or a stored resource would differ from the one written."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from inventory.adapters.repository import AT_DEFAULTS, NEW_COLUMNS, _at_defaults
from inventory.adapters.tables import cloud_resources
from inventory.domain.model import Resource


def test_the_columns_left_out_hold_the_tables_defaults() -> None:
    for name, value in AT_DEFAULTS.items():
        column = cloud_resources.c[name]
        if value is None:
            assert column.nullable and column.server_default is None, name
        else:
            assert column.server_default is not None, name
            assert str(column.server_default.arg) == str(value), name  # type: ignore[attr-defined]


def test_a_new_resource_holds_them_and_everything_else_is_sent() -> None:
    now = datetime(2026, 4, 1, tzinfo=UTC)
    new = Resource(uuid4(), "droplet", "1", "web", "active", "syd1", "s-1", {}, now, now)
    assert _at_defaults(new) == tuple(AT_DEFAULTS.values())
    assert set(NEW_COLUMNS) | set(AT_DEFAULTS) | {"attrs"} == set(cloud_resources.c.keys())
    assert not set(NEW_COLUMNS) & set(AT_DEFAULTS)
