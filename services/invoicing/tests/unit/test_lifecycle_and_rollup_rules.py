"""Lifecycle transitions, and the rollup's pure parts: quote = invoice for the same usage."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicing import catalog
from invoicing.domain.lifecycle import IllegalTransition, invoice_number, next_status
from invoicing.domain.model import Subscription, Tenant
from invoicing.domain.period import Period, active_days
from invoicing.domain.quote import quote, totals
from invoicing.usecases.rollup import adjustment_lines, build_invoice, subscription_lines

DEFAULT = catalog.load()
PLANS = {p.code: p for p in DEFAULT.plans}
ADDONS = {a.code: a for a in DEFAULT.addons}
NOW = datetime(2026, 5, 1, tzinfo=UTC)


def test_transitions() -> None:
    assert next_status("draft", "issue") == "issued"
    assert next_status("issued", "pay") == "paid"
    assert next_status("draft", "void") == "void"
    assert next_status("issued", "void") == "void"
    for current, action in [
        ("draft", "pay"),
        ("paid", "void"),
        ("paid", "issue"),
        ("void", "issue"),
        ("issued", "issue"),
    ]:
        with pytest.raises(IllegalTransition, match=f"cannot {action}"):
            next_status(current, action)


def test_number_format() -> None:
    assert invoice_number(2026, 42) == "INV-2026-000042"


def test_adjustment_lines_name_the_period() -> None:
    dep = uuid4()
    lines = adjustment_lines(
        Period.parse("2026-04"), {(dep, "droplet_hours"): 772}, {(dep, "droplet_hours"): 672}
    )
    assert [(x.kind, x.amount_cents, x.corrects_period) for x in lines] == [
        ("adjustment", 100, date(2026, 4, 1))
    ]
    assert "2026-04" in lines[0].description
    assert adjustment_lines(Period.parse("2026-04"), {(dep, "x"): 5}, {(dep, "x"): 5}) == []


@settings(max_examples=60)
@given(
    hours=st.decimals(min_value=0, max_value=5000, places=2),
    zones=st.decimals(min_value=0, max_value=40, places=6),
    start_day=st.integers(1, 30),
    addon=st.booleans(),
    rate=st.sampled_from([Decimal("0.10"), Decimal("0.15"), Decimal(0)]),
)
def test_quote_equals_invoice(
    hours: Decimal, zones: Decimal, start_day: int, addon: bool, rate: Decimal
) -> None:
    period = Period.parse("2026-04")
    sub = Subscription(
        id=uuid4(),
        tenant_id=uuid4(),
        deployment_id=uuid4(),
        plan_code="studio",
        addon_codes=("storage_50gb",) if addon else (),
        starts_on=date(2026, 4, start_day),
        ends_on=None,
        status="active",
        created_at=NOW,
    )
    tenant = Tenant(sub.tenant_id, "t", None, rate, "USD", NOW)
    usage = {"droplet_hours": hours, "dns_zones": zones}
    invoice = build_invoice(
        tenant, period, subscription_lines(sub, PLANS, ADDONS, usage, period), NOW
    )
    days = active_days(period, sub.starts_on, None)
    quoted = quote(PLANS["studio"], [ADDONS[c] for c in sub.addon_codes], usage, period, days)
    expected = totals((line.amount_cents for line in quoted.lines), rate)
    assert (invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents) == (
        expected.subtotal_cents,
        expected.tax_cents,
        expected.total_cents,
    )
    assert invoice.subtotal_cents == sum(x.amount_cents for x in invoice.lines if x.kind != "tax")
    assert invoice.total_cents == invoice.subtotal_cents + invoice.tax_cents
    assert [x.kind for x in invoice.lines][-1] == "tax"
