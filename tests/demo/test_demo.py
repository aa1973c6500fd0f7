"""The demo's month, in one process as `arcadia up` runs it: every service from the registry on
the in-process bus, the seeds sandbox, the in-process finance stand-in. Telling it twice (a
restart) changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

import httpx
import pytest
from rich.console import Console

from arcadia import demo, registry
from arcadia.allinone import gateway_app, prepare, started
from arcadia.commands.services import run_sync
from arcadia_core.auth import Principal, mint_token

SECRET = "demo-tests-secret-that-is-at-least-32-bytes"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[str], None]:
    def use(database_url: str) -> None:
        monkeypatch.chdir(tmp_path)  # no .env file
        monkeypatch.setenv("ARCADIA_DATABASE_URL", database_url)
        monkeypatch.setenv("ARCADIA_JWT_SECRET", SECRET)
        for name in (
            "ARCADIA_AMQP_URL",
            "DO_API_TOKEN",
            "DO_API_URL",
            "SKYAI_FINANCE_URL",
            "SKYAI_FINANCE_JWT_SECRET",
        ):
            monkeypatch.delenv(name, raising=False)

    return use


async def test_the_demo_month_and_its_restart(
    migrated_database: Callable[..., Awaitable[str]], environment: Callable[[str], None]
) -> None:
    environment(await migrated_database())
    console = Console(quiet=True)
    facts = []
    for _ in range(2):
        services = await prepare(demo=True)
        assert list(services.running) == list(registry.names())
        async with started(services, run_jobs=False) as running:
            from inventory.bootstrap import Inventory

            assert not await run_sync(cast(Inventory, running["inventory"]), None, console)
            facts.append(await demo.tell(running, console))
            app = gateway_app(running)
            admin = {
                "Authorization": "Bearer "
                + mint_token(Principal.platform_admin(), secret=SECRET, audience="arcadia")
            }
            tenant = {
                "Authorization": "Bearer "
                + mint_token(
                    Principal.tenant(facts[-1].tenant_id), secret=SECRET, audience="arcadia"
                )
            }
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://gw") as api:
                provider = (
                    await api.get(
                        f"/api/v1/billing/invoices/{facts[-1].provider_invoice}", headers=admin
                    )
                ).json()
                mine = await api.get(f"/api/v1/invoices/{facts[-1].tenant_invoice}", headers=tenant)
                everything = (await api.get("/api/v1/invoices", headers=admin)).json()["items"]
                projects = (await api.get("/api/v1/projects", headers=admin)).json()["items"]
    first, second = facts
    assert (first.tenant_id, first.deployment_id, first.tenant_invoice) == (
        second.tenant_id,
        second.deployment_id,
        second.tenant_invoice,
    )
    assert len(everything) == 1
    assert provider["amount_cents"] == 8692 and provider["tax_cents"] == 790
    assert mine.status_code == 200, mine.text
    invoice = mine.json()
    kinds = {line["kind"]: line for line in invoice["lines"]}
    assert kinds["plan_base"]["amount_cents"] == 5000
    assert kinds["addon"]["amount_cents"] == 750
    assert invoice["total_cents"] == invoice["subtotal_cents"] + invoice["tax_cents"]
    pilot = next(p for p in projects if p["name"] == "pilot-tenant")
    assert pilot["tenant_id"] == str(first.tenant_id)
    assert pilot["deployment_id"] == str(first.deployment_id)
