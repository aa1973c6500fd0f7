"""The demo's month, in one process as `arcadia up` runs it: every service from the registry on
the in-process bus, the seeds sandbox, the in-process finance stand-in. Telling it twice (a
restart) changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from rich.console import Console

from arcadia import registry
from arcadia.allinone import gateway_app
from arcadia.testing import demo_month
from arcadia_core.auth import Principal, mint_token

SECRET = "demo-tests-secret-that-is-at-least-32-bytes"


async def test_the_demo_month_and_its_restart(
    migrated_database: Callable[..., Awaitable[str]],
    demo_environment: Callable[[str, str], None],
) -> None:
    demo_environment(await migrated_database(), SECRET)
    console = Console(quiet=True)
    facts = []
    for _ in range(2):
        async with demo_month(console) as (running, told):
            assert list(running.running) == list(registry.names())
            facts.append(told)
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
