"""The quote engine: allowances, overage, proration, half-up rounding, tax once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicing import catalog
from invoicing.domain.catalog import Addon, Plan, PlanItem
from invoicing.domain.period import Period, active_days
from invoicing.domain.quote import QuoteError, quote, round_cents, tax_cents, totals

DEFAULT = catalog.load()
STUDIO = next(p for p in DEFAULT.plans if p.code == "studio")
STORAGE = next(a for a in DEFAULT.addons if a.code == "storage_50gb")
APRIL = Period.parse("2026-04")
MARCH = Period.parse("2026-03")


def amounts(q: object) -> dict[str, int]:
    return {line.description.split(" (")[0]: line.amount_cents for line in q.lines}  # type: ignore[attr-defined]


def test_seeds_april_figures() -> None:
    q = quote(STUDIO, [STORAGE], {"droplet_hours": Decimal(2160)}, APRIL)
    assert [(line.kind, line.amount_cents) for line in q.lines] == [
        ("plan_base", 5000),
        ("addon", 750),
        ("overage", 672),
    ]
    assert q.lines[1].description == "Addon: storage_50gb"
    assert q.lines[2].resource_kind == "droplet_hours" and q.lines[2].quantity == 672
    t = totals((line.amount_cents for line in q.lines), Decimal("0.10"))
    assert (t.subtotal_cents, t.tax_cents, t.total_cents) == (6422, 642, 7064)


def test_seeds_light_month_is_all_within_allowance() -> None:
    usage = {
        "droplet_hours": Decimal(480),
        "dns_zones": Decimal(20) / Decimal(31),
        "snapshot_gb_month": Decimal(480) / Decimal(31),
    }
    q = quote(STUDIO, [], usage, MARCH)
    assert [line.kind for line in q.lines] == ["plan_base"]
    assert q.subtotal_cents == 5000


def test_allowance_boundaries() -> None:
    at = quote(STUDIO, [], {"droplet_hours": Decimal(1488)}, APRIL)
    assert [line.kind for line in at.lines] == ["plan_base"]
    just_over = quote(STUDIO, [], {"droplet_hours": Decimal("1488.5")}, APRIL)
    # half a cent rounds half-up to 1c
    assert just_over.lines[-1].amount_cents == 1
    tiny = quote(STUDIO, [], {"droplet_hours": Decimal("1488.49")}, APRIL)
    assert tiny.lines[-1].amount_cents == 0 and tiny.lines[-1].kind == "overage"


def test_zero_usage_is_base_only() -> None:
    q = quote(STUDIO, [STORAGE], {}, APRIL)
    assert q.subtotal_cents == 5750


def test_fractional_rate_and_half_up_where_round_goes_even() -> None:
    plan = Plan("p", "P", 0, "USD", (PlanItem("x", Decimal(0), Decimal("0.5")),))
    # 5 units x 0.5c = 2.5c: round() gives 2, half-up gives 3
    q = quote(plan, [], {"x": Decimal(5)}, APRIL)
    assert round(Decimal("2.5")) == 2
    assert q.lines[-1].amount_cents == 3
    assert round_cents(Decimal("0.5")) == 1 and round_cents(Decimal("1.5")) == 2
    assert tax_cents(25, Decimal("0.10")) == 3  # 2.5 → 3, once on the subtotal


def test_addon_allowance_extends_the_plan() -> None:
    usage = {"volume_gb_month": Decimal(150)}
    assert [line.kind for line in quote(STUDIO, [STORAGE], usage, APRIL).lines] == [
        "plan_base",
        "addon",
    ]
    over = quote(STUDIO, [], usage, APRIL)
    assert over.lines[-1].amount_cents == 500  # 50 GB-months x 10c


def test_proration_only_for_partial_subscriptions() -> None:
    assert active_days(APRIL, date(2026, 3, 1), None) == 30
    assert active_days(APRIL, date(2026, 4, 16), None) == 15
    assert active_days(APRIL, date(2026, 3, 1), date(2026, 4, 10)) == 10
    assert active_days(APRIL, date(2026, 5, 1), None) == 0
    full = quote(STUDIO, [STORAGE], {}, APRIL, 30)
    assert full.subtotal_cents == 5750 and "days" not in full.lines[0].description
    half = quote(STUDIO, [STORAGE], {"droplet_hours": Decimal(744)}, APRIL, 15)
    # base, add-on and allowance alike: 2500 + 375, and 744 h = exactly half of 1488
    assert [line.amount_cents for line in half.lines] == [2500, 375]
    assert half.lines[0].description == "Plan: Studio (15/30 days)"
    over = quote(STUDIO, [], {"droplet_hours": Decimal(745)}, APRIL, 15)
    assert over.lines[-1].amount_cents == 1


def test_prorated_thirds_round_once_per_line() -> None:
    q = quote(STUDIO, [STORAGE], {}, MARCH, 10)
    # 5000 x 10/31 = 1612.90… → 1613; 750 x 10/31 = 241.93… → 242
    assert [line.amount_cents for line in q.lines] == [1613, 242]


def test_refusals() -> None:
    with pytest.raises(QuoteError):
        quote(STUDIO, [], {}, APRIL, 0)
    with pytest.raises(QuoteError):
        quote(STUDIO, [], {}, APRIL, 31)
    with pytest.raises(QuoteError):
        quote(STUDIO, [], {"droplet_hours": Decimal(-1)}, APRIL)
    with pytest.raises(QuoteError):
        quote(STUDIO, [Addon("eur", "E", 1, "EUR")], {}, APRIL)


def test_allowance_is_not_rescaled_by_month_length() -> None:
    february = Period.parse("2026-02")
    q = quote(STUDIO, [], {"droplet_hours": Decimal(1488)}, february)
    assert q.subtotal_cents == 5000


quantities = st.decimals(min_value=0, max_value=100000, places=4, allow_nan=False)
rates = st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False)


@given(
    usage=st.dictionaries(
        st.sampled_from(["droplet_hours", "dns_zones", "snapshot_gb_month", "other"]), quantities
    ),
    base=st.integers(0, 10**7),
    rate=rates,
    tax=st.decimals(min_value=0, max_value=Decimal("0.5"), places=4),
    days=st.integers(1, 30),
    with_addon=st.booleans(),
)
def test_totals_add_up(
    usage: dict[str, Decimal], base: int, rate: Decimal, tax: Decimal, days: int, with_addon: bool
) -> None:
    plan = Plan(
        "p",
        "P",
        base,
        "USD",
        (PlanItem("droplet_hours", Decimal(1488), rate), PlanItem("dns_zones", Decimal(2), rate)),
    )
    q = quote(plan, [STORAGE] if with_addon else [], usage, APRIL, days)
    t = totals((line.amount_cents for line in q.lines), tax)
    assert t.subtotal_cents == sum(line.amount_cents for line in q.lines) == q.subtotal_cents
    assert t.total_cents == t.subtotal_cents + t.tax_cents
    assert all(line.amount_cents >= 0 for line in q.lines)
    for line in q.lines:
        if line.kind == "overage":
            assert line.quantity > 0
            exact = line.quantity * line.unit_price
            assert abs(Decimal(line.amount_cents) - exact) <= Decimal("0.5")
