"""The margin report on the demo's April, every service in one process on the in-process bus as
`arcadia up` runs it: composed by the gateway from the services' APIs, it reconciles to
DigitalOcean's April invoice to the cent, its revenue to the tenant invoice's subtotal; a tenant
is refused; `arcadia report margin` prints the same document."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from typer.testing import CliRunner

from arcadia.allinone import gateway_app
from arcadia.cli import app as cli
from arcadia.testing import demo_month
from arcadia_core.auth import Principal, mint_token
from gateway.app import upstream_clients
from gateway.reports.adapters.api_sources import ApiSources

SECRET = "margin-tests-secret-that-is-at-least-32-bytes"
# DigitalOcean's April 2026 invoice in the seeds: $86.92 payable, $7.90 of it GST
PROVIDER_AMOUNT, PROVIDER_TAX, PROVIDER_NET = 8692, 790, 7902


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_token(principal, secret=SECRET, audience="arcadia")}


async def test_the_april_margin_report_reconciles_to_digitalocean_s_invoice(
    migrated_database: Callable[..., Awaitable[str]],
    demo_environment: Callable[[str, str], None],
) -> None:
    demo_environment(await migrated_database(), SECRET)
    async with demo_month() as (running, facts):
        admin = bearer(Principal.platform_admin())
        transport = httpx.ASGITransport(app=gateway_app(running))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as api:
            answer = await api.get("/api/v1/reports/margin?period=2026-04", headers=admin)
            tenant = await api.get(
                "/api/v1/reports/margin?period=2026-04",
                headers=bearer(Principal.tenant(facts.tenant_id)),
            )
            bad = await api.get("/api/v1/reports/margin?period=2026-13", headers=admin)
            invoice = (
                await api.get(f"/api/v1/invoices/{facts.tenant_invoice}", headers=admin)
            ).json()
            resources = {
                r["name"]: r
                for r in (
                    await api.get("/api/v1/inventory?include_deleted=true&limit=500", headers=admin)
                ).json()["items"]
            }
        # every list read a page of two at a time gives the very same sources
        clients = upstream_clients(
            running.settings,
            list(running.running),
            {name: httpx.ASGITransport(app=s.app()) for name, s in running.running.items()},
        )
        token = admin["Authorization"]
        whole = await ApiSources(clients, token).for_period(date(2026, 4, 1))
        paged = await ApiSources(clients, token, page_size=2).for_period(date(2026, 4, 1))
        for client in clients.values():
            await client.aclose()

    assert whole == paged
    assert len(whole.provider_invoices[0].lines) == 33
    assert tenant.status_code == 403
    assert tenant.headers["content-type"].startswith("application/problem+json")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")

    assert answer.status_code == 200, answer.text
    report = answer.json()
    check_april(report, invoice, resources, facts.deployment_id)

    # the command line, one-shot against the same database, prints the same document
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(cli, ["report", "margin", "--period", "2026-04", *args])

    printed = await asyncio.to_thread(invoke, "-o", "json")
    assert printed.exit_code == 0, printed.output
    assert json.loads(printed.stdout) == report
    table = await asyncio.to_thread(invoke)
    assert table.exit_code == 0, table.output
    assert "Margin by deployment and kind, 2026-04" in table.stdout
    assert "Cost no deployment carries" in table.stdout
    assert "report cost 79.02, difference 0.00: ok" in table.stdout
    assert "monitor-01" in table.stdout
    as_csv = await asyncio.to_thread(invoke, "-o", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert sum(int(r["cost_cents"]) for r in rows) == PROVIDER_NET
    assert sum(int(r["revenue_cents"] or 0) for r in rows) == invoice["subtotal_cents"]
    assert "difference 0.00: ok" in as_csv.stderr
    refused = await asyncio.to_thread(
        lambda: runner.invoke(cli, ["report", "margin", "--period", "April"])
    )
    assert refused.exit_code == 2


def check_april(
    report: dict[str, Any],
    invoice: dict[str, Any],
    resources: dict[str, dict[str, Any]],
    deployment_id: object,
) -> None:
    deployment = str(deployment_id)
    assert report["period"] == "2026-04"
    assert report["reconciliation"] == {
        "provider_amount_cents": PROVIDER_AMOUNT,
        "provider_tax_cents": PROVIDER_TAX,
        "provider_net_cents": PROVIDER_NET,
        "report_cost_cents": PROVIDER_NET,
        "difference_cents": 0,
        "ok": True,
    }
    cost = sum(r["cost_cents"] for r in report["rows"]) + sum(
        u["cost_cents"] for u in report["unallocated"]
    )
    assert cost == PROVIDER_NET

    # revenue: the tenant invoice's lines but tax, plan and add-on under their own names
    assert invoice["status"] != "void"
    revenue = sum(r["revenue_cents"] for r in report["rows"])
    assert revenue == invoice["subtotal_cents"] == report["revenue_check"]["tenant_subtotal_cents"]
    assert report["revenue_check"]["ok"] is True
    assert invoice["total_cents"] == invoice["subtotal_cents"] + invoice["tax_cents"]
    pilot = {r["kind"]: r for r in report["rows"] if r["deployment_id"] == deployment}
    assert pilot["plan"]["revenue_cents"] == 5000
    assert pilot["addon"]["revenue_cents"] == 750
    overage = sum(line["amount_cents"] for line in invoice["lines"] if line["kind"] == "overage")
    assert pilot["droplet_hours"]["revenue_cents"] == overage
    # the deployment's cost: web-01 ($24.00), its backups ($4.80), its two snapshots ($0.57)
    assert pilot["droplet_hours"]["cost_cents"] == 2400
    assert pilot["droplet_hours"]["provider_kind"] == "droplet"
    assert pilot["droplet_backup_gb_month"]["cost_cents"] == 480
    assert pilot["snapshot_gb_month"]["cost_cents"] == 57
    assert pilot["plan"]["margin_pct"] == "100.00"
    assert pilot["snapshot_gb_month"]["margin_pct"] is None

    unallocated = {(u["category"], u["reason"], u["kind"]): u for u in report["unallocated"]}
    destroyed = unallocated[("unmatched", "destroyed_before_mirror", "droplet_hours")]
    assert (destroyed["cost_cents"], destroyed["lines"]) == (3015, 17)
    assert unallocated[("unmatched", "account_level", "spaces_gb_month")]["cost_cents"] == 500
    assert unallocated[("unattributed", "no_deployment", "floating_ip")]["cost_cents"] == 500
    assert unallocated[("unattributed", "no_deployment", "droplet_hours")]["cost_cents"] == 579
    assert not any(u["kind"] == "tax" for u in report["unallocated"])

    leakage = report["leakage"]
    billed = {item["resource_name"]: item for item in leakage["billed_not_metered"]}
    monitor = billed["monitor-01"]
    assert monitor["resource_id"] == resources["monitor-01"]["id"]
    assert monitor["link"] == f"/api/v1/inventory/{monitor['resource_id']}"
    assert (monitor["resource_kind"], monitor["reason"], monitor["cost_cents"]) == (
        "droplet",
        "no_deployment",
        579,
    )
    assert "web-01" not in billed
    # the deployment's backups are billed on the droplet's line: not leakage
    assert not [i for i in leakage["metered_not_billed"] if i["resource_kind"] == "droplet_backup"]
    hours = {item["resource_name"]: item for item in leakage["hours_variance"]}
    assert hours["web-01"]["metered_hours"] == "720"
    assert hours["web-01"]["billed_hours"] == "720"
    assert hours["web-01"]["variance_hours"] == "0"
    assert hours["web-01"]["deployment_id"] == deployment
