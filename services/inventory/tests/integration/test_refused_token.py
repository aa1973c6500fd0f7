"""A token DigitalOcean refuses stops the sync at the first call, naming its variable: not one
identical failure per kind."""

from __future__ import annotations

import httpx
import pytest

from arcadia_core.bus.inprocess import InProcessBus
from do_sandbox import create_app
from inventory import bootstrap
from inventory.config import InventorySettings
from inventory.ports import CredentialsRefused
from inventory.usecases.sync import sync_all


async def test_a_refused_token_stops_the_sync_and_names_its_variable(inventory_db: str) -> None:
    sandbox = create_app("seeds", tokens={"the-right-token"}, rate_limit=None)
    settings = InventorySettings(DO_API_TOKEN="a-wrong-token")
    built = bootstrap.build(
        settings,
        InProcessBus(),
        database_url=inventory_db,
        do_transport=httpx.ASGITransport(app=sandbox),
    )
    done: list[str] = []
    try:
        with pytest.raises(CredentialsRefused, match="DO_API_TOKEN"):
            await sync_all(
                provider=built.provider,
                uow=built.uow,
                clock=built.clock,
                on_done=lambda kind, _: done.append(kind),
            )
    finally:
        await built.stop()
    assert len(done) == 1
