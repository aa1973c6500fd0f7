"""The seeds' April demo exported as FOCUS 1.3, both sides, through the gateway and through
`arcadia export focus`: every row passes every check, and the invoices' totals are the seeds'
(DigitalOcean's $86.92 with $7.90 GST; the tenant's $70.64).

The sandbox's `pilot-tenant` project runs one droplet, so the demo meters no overage; the seeds'
month has three droplets running all month (72 droplet hours a day: 672 hours over the Studio
plan's allowance). That usage is delivered through invoicing's own `usage.metered` consumer, as
metering would deliver it, and the month is rolled up again before the invoice is issued."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import cast

import httpx
import pytest

from arcadia.allinone import gateway_app
from arcadia.testing import demo_month
from arcadia_core.auth import Principal, mint_token
from arcadia_core.events.payloads import UsageMetered
from gateway.reports.domain.focus_checks import check

SECRET = "focus-e2e-secret-that-is-at-least-32-bytes"
ROOT = Path(__file__).resolve().parents[2]
EXPORT = "/api/v1/exports/focus"


def bearer(principal: Principal) -> dict[str, str]:
    return {"Authorization": "Bearer " + mint_token(principal, secret=SECRET, audience="arcadia")}


def read(text: str) -> tuple[tuple[str, ...], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return tuple(reader.fieldnames or ()), rows


async def cli_export(env: dict[str, str], side: str, out: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "arcadia.cli",
        "export",
        "focus",
        "--period",
        "2026-04",
        "--side",
        side,
        "--out",
        str(out),
        cwd=out.parent,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
    return cast(int, process.returncode), output.decode(errors="replace")


async def test_the_demo_month_exports_both_sides_as_valid_focus(
    migrated_database: Callable[..., Awaitable[str]],
    demo_environment: Callable[[str, str], None],
    tmp_path: Path,
) -> None:
    demo_environment(await migrated_database(), SECRET)
    admin = bearer(Principal.platform_admin())

    async with demo_month() as (running, facts):
        assert facts.tenant_invoice is not None and facts.provider_invoice is not None
        transport = httpx.ASGITransport(app=gateway_app(running))
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as api:
            tenant = bearer(Principal.tenant(facts.tenant_id))
            draft = {"period": "2026-04", "side": "tenant"}
            before = await api.get(EXPORT, params=draft, headers=admin)
            assert before.status_code == 200, before.text
            assert read(before.text)[1] == []  # the rolled-up invoice is a draft: not invoiced

            # the seeds' usage: 3 droplets all month, newer than what the demo metered
            consume = running["invoicing"].subscriptions()[0].handler
            for n in range(30):
                metered = UsageMetered(
                    deployment_id=facts.deployment_id,
                    tenant_id=facts.tenant_id,
                    day=date(2026, 4, 1) + timedelta(days=n),
                    version=1_000,
                    totals={"droplet_hours": Decimal(72)},
                )
                await consume(metered.envelope(producer="metering"))
            rolled = await api.post(
                "/api/v1/invoices/rollup", json={"period": "2026-04", "force": True}, headers=admin
            )
            assert rolled.json()["regenerated"] == [str(facts.tenant_invoice)], rolled.text

            issued = await api.post(f"/api/v1/invoices/{facts.tenant_invoice}/issue", headers=admin)
            assert issued.status_code == 200, issued.text
            invoice = issued.json()
            provider_invoice = (
                await api.get(f"/api/v1/billing/invoices/{facts.provider_invoice}", headers=admin)
            ).json()

            exports = {}
            for side in ("provider", "tenant"):
                response = await api.get(
                    EXPORT, params={"period": "2026-04", "side": side}, headers=admin
                )
                assert response.status_code == 200, response.text
                assert response.headers["content-type"] == "text/csv; charset=utf-8"
                assert response.headers["content-disposition"] == (
                    f'attachment; filename="focus-{side}-2026-04.csv"'
                )
                exports[side] = response.text
            refused = await api.get(
                EXPORT, params={"period": "2026-04", "side": "tenant"}, headers=tenant
            )
            assert refused.status_code == 403

        # the command line, in its own process, reads the same services' data the same way
        env = {k: v for k, v in os.environ.items() if k != "ARCADIA_AMQP_URL"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        for side in ("provider", "tenant"):
            out = tmp_path / f"{side}.csv"
            code, output = await cli_export(env, side, out)
            assert code == 0, output
            assert out.read_bytes().decode("utf-8") == exports[side]

    # DigitalOcean's April invoice: 33 lines, $86.92 payable with $7.90 GST
    assert provider_invoice["amount_cents"] == 8692
    columns, rows = read(exports["provider"])
    do_invoice = provider_invoice["invoice_id"]
    assert check(columns, rows, {do_invoice: Decimal("86.92")}) == []
    assert len(rows) == 33
    assert sum(Decimal(row["BilledCost"]) for row in rows) == Decimal("86.92")
    [tax] = [row for row in rows if row["ChargeCategory"] == "Tax"]
    assert (tax["BilledCost"], tax["PricingQuantity"], tax["PricingUnit"]) == ("7.90", "", "")
    assert {row["ServiceProviderName"] for row in rows} == {"DigitalOcean"}
    assert {row["HostProviderName"] for row in rows} == {"DigitalOcean"}
    assert {row["InvoiceIssuerName"] for row in rows} == {"DigitalOcean"}
    web = next(row for row in rows if row["ChargeDescription"] == "web-01 (s-2vcpu-4gb)")
    assert (web["ResourceName"], web["ResourceType"], web["BilledCost"]) == (
        "web-01",
        "Droplet",
        "24.00",
    )

    # the tenant's April invoice: plan $50, add-on $7.50, 672 h over allowance at 1c, 10% GST
    assert invoice["total_cents"] == 7064
    columns, rows = read(exports["tenant"])
    assert check(columns, rows, {invoice["number"]: Decimal("70.64")}) == []
    assert sum(Decimal(row["BilledCost"]) for row in rows) == Decimal("70.64")
    assert {row["BillingAccountId"] for row in rows} == {str(facts.tenant_id)}
    assert {row["BillingAccountName"] for row in rows} == {"pilot"}
    assert {row["ServiceProviderName"] for row in rows} == {"ArcadiaCloud"}
    assert {row["HostProviderName"] for row in rows} == {"DigitalOcean"}
    usage = [row for row in rows if row["ChargeCategory"] == "Usage"]
    assert {row["SubAccountId"] for row in usage} == {str(facts.deployment_id)}
    overage = next(row for row in usage if row["PricingUnit"] == "Hours")
    assert (overage["PricingQuantity"], overage["ListUnitPrice"], overage["ListCost"]) == (
        "672",
        "0.01",
        "6.72",
    )
    [gst] = [row for row in rows if row["ChargeCategory"] == "Tax"]
    assert (gst["BilledCost"], gst["PricingQuantity"], gst["ListUnitPrice"]) == ("6.42", "", "")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--period", "2026-13", "--side", "provider"], "--period"),
        (["--period", "April", "--side", "tenant"], "--period"),
        (["--period", "2026-04", "--side", "both"], "--side"),
    ],
)
def test_the_command_refuses_bad_input_before_touching_anything(
    args: list[str], complaint: str
) -> None:
    from typer.testing import CliRunner

    from arcadia.cli import app

    result = CliRunner().invoke(
        app, ["export", "focus", *args], env={"ARCADIA_DATABASE_URL": "postgresql://nowhere/x"}
    )
    assert result.exit_code == 2, result.output
    assert complaint in result.output
