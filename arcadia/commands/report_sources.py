"""The month's sources as the one-shot `report` and `export` commands read them: the services
the gateway's reports compose (billing ingest, invoicing, inventory, metering), built in this
process against the configured database, read through their HTTP APIs by the same adapter as the
gateway's, with a platform-admin token minted for the call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.reports.adapters.api_sources import ApiSources

# what the reports read, each over its own API
SOURCES = ("billing-ingest", "invoicing", "inventory", "metering")
TOKEN_LIFETIME = timedelta(minutes=10)


@asynccontextmanager
async def in_process_sources() -> AsyncIterator[ApiSources]:
    import httpx

    from arcadia.runtime import one_shot
    from arcadia_core.auth import Principal, mint_token
    from arcadia_core.settings import ArcadiaSettings
    from gateway.reports.adapters.api_sources import ApiSources

    settings = ArcadiaSettings()
    token = mint_token(
        Principal.platform_admin(),
        secret=settings.jwt_secret,
        audience=settings.jwt_audience,
        ttl=TOKEN_LIFETIME,
    )
    async with AsyncExitStack() as stack:
        clients: dict[str, httpx.AsyncClient] = {}
        for name in SOURCES:
            # sandbox=True only lets the services that can call DigitalOcean be built without a
            # token: the reports read their stored data and never call DigitalOcean
            service = await stack.enter_async_context(one_shot(name, sandbox=True))
            clients[name] = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=service.app()), base_url=f"http://{name}"
                )
            )
        yield ApiSources(clients, f"Bearer {token}")
