"""Every service's migrations leave its outbox, inbox and dead letters as arcadia_core describes
them: the tables the relay, the inbox and the bus read (envelopes held as json, for one)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from arcadia import registry
from arcadia_core.bus.deadletters import dead_letters_table
from arcadia_core.db import service_metadata
from arcadia_core.inbox import inbox_table
from arcadia_core.outbox import outbox_table
from arcadia_core.testing.schema import schema_differences

MESSAGING = {"outbox", "inbox", "dead_letters"}


@pytest.mark.parametrize("service", registry.names())
async def test_messaging_tables_match_arcadia_core(
    service: str, migrated_database: Callable[..., Awaitable[str]]
) -> None:
    definition = registry.definition(service)
    url = await migrated_database(definition.migrate)
    metadata = service_metadata(definition.schema)
    outbox_table(metadata)
    inbox_table(metadata)
    dead_letters_table(metadata)
    assert await schema_differences(url, definition.schema, metadata, MESSAGING) == []
