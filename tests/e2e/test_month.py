"""The product's month, each service in its own process over RabbitMQ and PostgreSQL.

The DigitalOcean sandbox, the finance stand-in, the five services and the gateway each run as
their own `arcadia` process; `arcadia migrate`, `sync`, `billing ingest` and `meter` run as
one-shot processes next to them, and their events leave through the running services' relays.
Everything the month shows is read through the gateway's HTTP API.

The waits read the services' own tables (outboxes, projections) only to know that every event
was delivered; what is asserted is what the API answers.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
import pytest

from arcadia import registry
from arcadia_core.auth import Principal, mint_token
from arcadia_core.db import asyncpg_dsn

from ..conftest import ROOT, Process, free_port

pytestmark = pytest.mark.e2e

SECRET = "e2e-month-secret-that-is-at-least-32-bytes"
FINANCE_SECRET = "e2e-finance-secret-that-is-at-least-32-bytes"
APRIL = "2026-04"
DROPLETS = ["app-01", "ci-01", "git-01", "gpu-train-01", "monitor-01", "web-01"]
SERVICES = registry.names()
OUTBOX_SCHEMAS = ("inventory", "billing", "drift", "metering", "invoicing")
# the services that keep a projection of the inventory's resources: (table, id column)
PROJECTIONS = {
    "billing-ingest": ("billing.resources", "resource_id"),
    "drift": ("drift.live_resources", "resource_id"),
    "metering": ("metering.resources", "id"),
}
COMMAND_SECONDS = 180
WRONG_SIZE = "s-8vcpu-16gb"
SETTLE_SECONDS = 90
T = TypeVar("T")


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(principal, secret=SECRET, audience='arcadia')}"}


def env_name(service: str) -> str:
    return f"ARCADIA_{service.upper().replace('-', '_')}_URL"


def half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def eventually(what: str, probe: Callable[[], Awaitable[T | None]], within: float = 60) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + within
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.3)
    raise AssertionError(f"{what}: not after {within:.0f}s (last: {last!r})")


@dataclass
class Month:
    """The running processes and how to reach them."""

    env: dict[str, str]
    log_dir: Path
    database_url: str
    api: httpx.AsyncClient
    started: float = 0.0

    def step(self, what: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {what}", flush=True)

    async def command(self, name: str, *args: str) -> str:
        """Run one `arcadia` one-shot command as its own process; its output lands in the logs."""
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "arcadia.cli", *args],
            cwd=ROOT,
            env=os.environ | self.env | {"COLUMNS": "200"},
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
        )
        output = done.stdout + done.stderr
        (self.log_dir / f"cmd-{name}.log").write_text(output)
        assert done.returncode == 0, f"arcadia {' '.join(args)} exited {done.returncode}:\n{output}"
        return output

    async def scalar(self, query: str, *args: Any) -> Any:
        connection = await asyncpg.connect(asyncpg_dsn(self.database_url))
        try:
            return await connection.fetchval(query, *args)
        finally:
            await connection.close()

    async def undelivered(self) -> int:
        """Outbox rows not yet published plus resource versions a projection has not seen."""
        pending = 0
        for schema in OUTBOX_SCHEMAS:
            pending += await self.scalar(
                f"SELECT count(*) FROM {schema}.outbox WHERE sent_at IS NULL"
            )
        for table, key in PROJECTIONS.values():
            pending += await self.scalar(
                f"SELECT count(*) FROM inventory.cloud_resources r LEFT JOIN {table} p "
                f"ON p.{key} = r.id AND p.version >= r.version WHERE p.{key} IS NULL"
            )
        return int(pending)

    async def settle(self) -> None:
        """Every event written so far published and applied: quiet twice in a row."""
        quiet = 0
        deadline = time.monotonic() + SETTLE_SECONDS
        pending = -1
        while quiet < 2:
            pending = await self.undelivered()
            quiet = quiet + 1 if pending == 0 else 0
            if time.monotonic() > deadline:
                raise AssertionError(f"{pending} event(s) undelivered after {SETTLE_SECONDS}s")
            await asyncio.sleep(0.3)
        self.step("settled")


def dump_logs(log_dir: Path) -> None:
    for log in sorted(log_dir.glob("*.log")):
        text = log.read_text(errors="replace")
        print(f"\n===== {log.name} (last 6000 chars) =====\n{text[-6000:]}")


async def test_a_month_across_processes(
    migrated_database: Callable[..., Awaitable[str]],
    amqp_url: str,
    amqp_namespace: str,
    tmp_path: Path,
    processes: Callable[[str, list[str], dict[str, str]], Process],
) -> None:
    # `processes` last: its processes stop before the database they use is dropped
    database_url = await migrated_database()
    ports = {name: free_port() for name in (*SERVICES, "gateway", "sandbox", "finance")}
    env = {
        "ARCADIA_DATABASE_URL": database_url,
        "ARCADIA_AMQP_URL": amqp_url,
        "ARCADIA_AMQP_NAMESPACE": amqp_namespace,
        "ARCADIA_JWT_SECRET": SECRET,
        "DO_API_URL": f"http://127.0.0.1:{ports['sandbox']}",
        "DO_API_TOKEN": "e2e-token",
        # the seeds' billing history holds 137 invoices (~420 calls to ingest them all): the
        # sandbox runs without DigitalOcean's 250/min limit and the client budget matches
        "DO_API_RATE_PER_MINUTE": "100000",
        "DO_API_RATE_PER_HOUR": "1000000",
        "SKYAI_FINANCE_URL": f"http://127.0.0.1:{ports['finance']}",
        "SKYAI_FINANCE_JWT_SECRET": FINANCE_SECRET,
        **{env_name(name): f"http://127.0.0.1:{ports[name]}" for name in SERVICES},
    }
    base = f"http://127.0.0.1:{ports['gateway']}/api/v1"
    async with httpx.AsyncClient(base_url=base, timeout=60) as api:
        month = Month(env, tmp_path, database_url, api, time.monotonic())
        try:
            await month.command("migrate", "migrate")
            sandbox = processes(
                "sandbox",
                ["sandbox", "serve", "--port", str(ports["sandbox"]), "--no-rate-limit"],
                env,
            )
            finance = processes(
                "finance", ["sandbox", "finance", "--port", str(ports["finance"])], env
            )
            services = {
                name: processes(name, ["serve", name, "--port", str(ports[name]), "--no-jobs"], env)
                for name in SERVICES
            }
            gateway = processes(
                "gateway", ["serve", "gateway", "--port", str(ports["gateway"])], env
            )
            sandbox.wait_healthy(f"{env['DO_API_URL']}/_sandbox/stats", timeout=120)
            finance_url = f"{env['SKYAI_FINANCE_URL']}/api/v1/integrations/cloud/invoices"
            finance.wait_healthy(finance_url, timeout=120)
            for name, process in services.items():
                process.wait_healthy(f"http://127.0.0.1:{ports[name]}/readyz", timeout=120)
            gateway.wait_healthy(f"http://127.0.0.1:{ports['gateway']}/healthz", timeout=120)
            month.step("every process ready")
            await tell_the_month(month, finance_url)
            month.step("done")
        except BaseException:
            dump_logs(tmp_path)
            raise


async def tell_the_month(month: Month, finance_url: str) -> None:
    api = month.api
    admin = bearer(Principal.platform_admin())

    # 1. the account mirrored
    month.step("1. sync")
    await month.command("sync", "sync")
    listed = await api.get("/inventory", params={"kind": "droplet"}, headers=admin)
    assert listed.status_code == 200, listed.text
    droplets = {d["name"]: d for d in listed.json()["items"]}
    assert sorted(droplets) == DROPLETS
    await month.settle()

    # 2. the customer registered; deployment.changed classifies its project
    month.step("2. the customer registered")
    created = await api.post("/tenants", json={"name": "pilot"}, headers=admin)
    assert created.status_code == 201, created.text
    tenant_id = created.json()["id"]
    created = await api.post(
        "/deployments",
        json={"tenant_id": tenant_id, "name": "pilot", "do_project": "pilot-tenant"},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    deployment_id = created.json()["id"]
    created = await api.post(
        "/subscriptions",
        json={
            "deployment_id": deployment_id,
            "plan": "studio",
            "addons": ["storage_50gb"],
            "starts_on": "2026-04-01",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["addon_codes"] == ["storage_50gb"]

    async def classified() -> dict[str, Any] | None:
        projects = (await api.get("/projects", headers=admin)).json()["items"]
        pilot = next(p for p in projects if p["name"] == "pilot-tenant")
        ids = (pilot["tenant_id"], pilot["deployment_id"])
        return pilot if ids == (tenant_id, deployment_id) else None

    await eventually("the pilot-tenant project classified", classified)
    tenant = bearer(Principal.tenant(tenant_id))
    mine = await api.get("/inventory", params={"limit": 500}, headers=tenant)
    assert mine.status_code == 200, mine.text
    mine_items = mine.json()["items"]
    assert mine_items, "the tenant sees none of its resources"
    assert {r["tenant_id"] for r in mine_items} == {tenant_id}
    assert {r["deployment_id"] for r in mine_items} == {deployment_id}
    assert "web-01" in {r["name"] for r in mine_items}
    assert "app-01" not in {r["name"] for r in mine_items}
    foreign = droplets["app-01"]["id"]
    assert (await api.get(f"/inventory/{foreign}", headers=tenant)).status_code == 404
    # the attribution reaches every projection before the month is billed and metered
    await month.settle()

    # 3. DigitalOcean's April bill ingested, matched and pushed to finance
    month.step("3. DigitalOcean's April bill")
    await month.command("billing-ingest", "billing", "ingest")
    invoices = (await api.get("/billing/invoices", headers=admin)).json()["items"]
    april = next(i for i in invoices if i["invoice_period"].startswith(APRIL))
    detail = await api.get(f"/billing/invoices/{april['invoice_uuid']}", headers=admin)
    assert detail.status_code == 200, detail.text
    bill = detail.json()
    assert (bill["line_count"], len(bill["lines"])) == (33, 33)
    assert (bill["amount_cents"], bill["tax_cents"]) == (8692, 790)
    assert sum(line["amount_cents"] for line in bill["lines"]) == 8692
    assert bill["reconciled"] is True
    unexplained = [
        line
        for line in bill["lines"]
        if line["resource_id"] is None and not line["unmatched_reason"]
    ]
    assert unexplained == []

    async def finance_records() -> list[dict[str, Any]]:
        return list((await api.get(finance_url)).json()["invoices"])

    records = [r for r in await finance_records() if r["external_id"] == april["invoice_uuid"]]
    assert len(records) == 1, records
    assert (records[0]["amount_net_minor"], records[0]["amount_tax_minor"]) == (7902, 790)
    forced = await month.command(
        "billing-ingest-force", "billing", "ingest", "--force", "--invoice", april["invoice_uuid"]
    )
    assert "finance: updated" in forced, forced
    records = [r for r in await finance_records() if r["external_id"] == april["invoice_uuid"]]
    assert len(records) == 1 and records[0]["imports"] == 2, records
    assert (records[0]["amount_net_minor"], records[0]["amount_tax_minor"]) == (7902, 790)
    assert (await api.get("/billing/invoices", headers=tenant)).status_code == 403

    # 4. April metered; every usage.metered reaches invoicing
    month.step("4. April metered")
    await month.command("meter", "meter", "--from", "2026-04-01", "--to", "2026-04-30")
    usage = await api.get(
        "/usage",
        params={"deployment_id": deployment_id, "from": "2026-04-01", "to": "2026-05-01"},
        headers=admin,
    )
    assert usage.status_code == 200, usage.text
    totals = {kind: Decimal(q) for kind, q in usage.json()["totals"].items()}
    assert usage.json()["records"] > 0, usage.json()
    # web-01, the deployment's one droplet, all 30 days; its two snapshots, 4.61 + 4.80 GB
    assert totals["droplet_hours"] == 720, totals
    assert totals["snapshot_gb_month"].quantize(Decimal("0.01")) == Decimal("9.41"), totals

    received: dict[str, Decimal] = {}

    async def invoicing_has_the_month() -> bool:
        for kind in totals:
            received[kind] = await month.scalar(
                "SELECT coalesce(sum(quantity), 0) FROM invoicing.usage WHERE deployment_id = $1 "
                "AND billing_kind = $2 AND day BETWEEN '2026-04-01' AND '2026-04-30'",
                uuid.UUID(deployment_id),
                kind,
            )
        return received == totals

    try:
        await eventually("invoicing received every usage.metered", invoicing_has_the_month)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: metered {totals}, invoicing holds {received}") from None
    await month.settle()

    # 5. April rolled up into the tenant's invoice, priced as a quote of the same usage
    month.step("5. April rolled up")
    rolled = await api.post("/invoices/rollup", json={"period": "2026-04"}, headers=admin)
    assert rolled.status_code == 200, rolled.text
    (invoice_id,) = rolled.json()["created"]
    shown = await api.get(f"/invoices/{invoice_id}", headers=admin)
    assert shown.status_code == 200, shown.text
    invoice = shown.json()
    priced = [line for line in invoice["lines"] if line["kind"] != "tax"]
    by_description = {line["description"]: line["amount_cents"] for line in priced}
    assert [line["kind"] for line in priced[:2]] == ["plan_base", "addon"]
    assert priced[0]["amount_cents"] == 5000
    assert by_description["Addon: storage_50gb"] == 750
    subtotal = sum(line["amount_cents"] for line in priced)
    assert invoice["subtotal_cents"] == subtotal
    assert invoice["tax_cents"] == half_up(Decimal(subtotal) * Decimal("0.10"))
    assert invoice["total_cents"] == invoice["subtotal_cents"] + invoice["tax_cents"]
    quote = await api.post(
        "/quotes",
        json={
            "plan": "studio",
            "addons": ["storage_50gb"],
            "usage": {kind: str(q) for kind, q in totals.items()},
            "period": "2026-04",
            "tenant_id": tenant_id,
        },
        headers=admin,
    )
    assert quote.status_code == 200, quote.text
    quoted = quote.json()

    def comparable(lines: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (x["kind"], x["description"], Decimal(x["quantity"]), x["amount_cents"])
            for x in lines
            if x["kind"] != "tax"
        ]

    month.step(
        "tenant invoice: "
        + ", ".join(f"{x['description']} {x['amount_cents']}" for x in invoice["lines"])
    )
    assert comparable(invoice["lines"]) == comparable(quoted["lines"])
    assert (invoice["subtotal_cents"], invoice["tax_cents"], invoice["total_cents"]) == (
        quoted["subtotal_cents"],
        quoted["tax_cents"],
        quoted["total_cents"],
    )
    assert (await api.get(f"/invoices/{invoice_id}", headers=tenant)).status_code == 200
    other = await api.post("/tenants", json={"name": "someone-else"}, headers=admin)
    assert other.status_code == 201, other.text
    stranger = bearer(Principal.tenant(other.json()["id"]))
    assert (await api.get(f"/invoices/{invoice_id}", headers=stranger)).status_code == 404
    again = await api.post("/invoices/rollup", json={"period": "2026-04"}, headers=admin)
    assert again.status_code == 200, again.text
    assert again.json()["created"] == [] and again.json()["skipped"] == [invoice_id]
    listed_invoices = await api.get("/invoices", params={"period": "2026-04"}, headers=admin)
    assert [i["id"] for i in listed_invoices.json()["items"]] == [invoice_id]

    # 6. drift: web-01's desired size differs from the live one
    month.step("6. drift")
    web = droplets["web-01"]
    assert web["size_slug"] != WRONG_SIZE
    provisioned = await api.post(
        "/provisioned",
        json={
            "resource_id": web["id"],
            "spec": {"size_slug": WRONG_SIZE, "region": web["region"]},
        },
        headers=admin,
    )
    assert provisioned.status_code == 200, provisioned.text
    detected = await api.post("/drift/detect", headers=admin)
    assert detected.status_code == 200, detected.text
    open_drift = (await api.get("/drift", headers=admin)).json()["items"]
    assert [(d["resource_id"], d["field"], d["status"]) for d in open_drift] == [
        (web["id"], "size_slug", "open")
    ]
    assert open_drift[0]["actual"] == web["size_slug"]

    async def drift_in_history() -> list[dict[str, Any]]:
        events = (await api.get(f"/inventory/{web['id']}", headers=admin)).json()["events"]
        return [e for e in events if e["type"] == "drift_detected"]

    await eventually("drift_detected in web-01's history", drift_in_history)
    await month.settle()
    assert len(await drift_in_history()) == 1
