"""Sandbox billing endpoints: DigitalOcean's shapes, the seeds' invoices, the generated one."""

from __future__ import annotations

import csv
import io

import httpx

from do_sandbox import scenarios
from do_sandbox.billing import CURRENT_COLUMNS, LEGACY_COLUMNS
from do_sandbox.scenarios import seeds_billing
from do_sandbox.scenarios.seeds_billing import APRIL_FIGURES, APRIL_UUID, april_items, check_april

BASE = "/v2/customers/my"


def test_the_april_composition_has_the_seeds_figures() -> None:
    items = april_items()
    check_april(items)  # raises if a figure is off
    assert len(items) == APRIL_FIGURES.lines == 33
    assert sum(i.amount_cents for i in items) == 8692
    assert sum(i.amount_cents for i in items if i.product == "Taxes") == 790


async def test_invoices_and_the_preview(api: httpx.AsyncClient, list_all) -> None:  # type: ignore[no-untyped-def]
    issued, calls = await list_all(api, f"{BASE}/invoices?per_page=50", "invoices")
    assert len(issued) == 137 and calls == 3
    assert issued[0]["invoice_period"] == "2026-04" and issued[-1]["invoice_period"] == "2014-12"
    assert "updated_at" not in issued[0]
    body = (await api.get(f"{BASE}/invoices")).json()
    assert body["invoice_preview"]["invoice_period"] == "2026-05"
    assert "updated_at" in body["invoice_preview"]
    assert body["meta"]["total"] == 137
    history, _ = await list_all(api, f"{BASE}/billing_history?per_page=200", "billing_history")
    assert {h["type"] for h in history} >= {"Invoice", "Payment", "Credit", "Refund"}
    assert all("invoice_uuid" in h for h in history if h["type"] == "Invoice")
    assert all("invoice_uuid" not in h for h in history if h["type"] != "Invoice")


async def test_csv_items_and_summary_agree(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{BASE}/invoices/{APRIL_UUID}/csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(CURRENT_COLUMNS)
    assert len(rows) == 33
    assert rows[0]["USD"].startswith("$") and rows[0]["start"].endswith(" +0000")
    tax = [r for r in rows if r["product"] == "Taxes"]
    assert tax[0]["hours"] == "" and tax[0]["USD"] == "$7.90"
    items = (await api.get(f"{BASE}/invoices/{APRIL_UUID}?per_page=200")).json()["invoice_items"]
    assert len(items) == 33 and items[0]["resource_id"] == str(scenarios.seeds.MONITOR_01)
    assert items[0]["start_time"] == "2026-04-01T00:00:00Z" and items[0]["amount"] == "1.29"
    summary = (await api.get(f"{BASE}/invoices/{APRIL_UUID}/summary")).json()
    assert summary["amount"] == "86.92" and summary["taxes"]["amount"] == "7.90"
    assert summary["billing_period"] == "2026-04"
    balance = (await api.get(f"{BASE}/balance")).json()
    assert set(balance) == {
        "month_to_date_balance",
        "account_balance",
        "month_to_date_usage",
        "generated_at",
    }
    assert (await api.get(f"{BASE}/invoices/nope/csv")).status_code == 404


async def test_old_invoices_use_the_eight_column_csv(api: httpx.AsyncClient) -> None:
    old = seeds_billing.seeds.seeded_uuid("invoice", "2015-01")
    text = (await api.get(f"{BASE}/invoices/{old}/csv")).text
    header, *rows = text.splitlines()
    assert header.split(",") == list(LEGACY_COLUMNS)
    assert any("-$2.50" in row for row in rows)  # a credit


def test_a_generated_invoice_of_any_size() -> None:
    account = scenarios.load("generated", droplets=100, invoice_lines=1000)
    [invoice] = account.billing.invoices
    assert len(invoice.items) == 1000
    assert invoice.items[-1].product == "Taxes"
    net = invoice.amount_cents - invoice.taxes_cents
    assert invoice.taxes_cents == (net + 5) // 10
    assert scenarios.load("generated", droplets=100, invoice_lines=1000).to_json() == (
        account.to_json()
    )
