"""The quote engine: one pure function prices a subscription for a period.

The same function prices projected usage before provisioning (`POST /quotes`) and actual
metered usage at month end (the rollup), so a quoted price and an invoiced price can never
differ for the same usage.

Rules:
- A subscription active for the whole period is billed in full. One that starts or ends
  inside the period is prorated by day: base price, add-on prices and allowances are each
  multiplied by active_days / days_in_period.
- Allowances are per calendar month whatever its length (no rescaling for a 30-day month).
- Overage per billing kind of the plan: (usage - allowance) x rate, only when positive;
  the allowance is the plan item's plus every add-on's extra allowance for that kind.
  A billing kind the plan does not price is not billed.
- Every line is rounded half-up to the cent once; tax is computed once on the subtotal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from invoicing.domain.catalog import Addon, Plan
from invoicing.domain.period import Period

PLAN_BASE = "plan_base"
ADDON = "addon"
OVERAGE = "overage"
TAX = "tax"
ADJUSTMENT = "adjustment"
ONE = Decimal(1)


def round_cents(amount: Decimal) -> int:
    """Half-up to a whole cent (Python's round() is half-even: wrong for invoices)."""
    return int(amount.quantize(ONE, rounding=ROUND_HALF_UP))


@dataclass(frozen=True, slots=True)
class Line:
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal  # cents per unit
    amount_cents: int
    resource_kind: str | None = None


@dataclass(frozen=True, slots=True)
class Quote:
    currency: str
    lines: tuple[Line, ...]
    active_days: int
    period_days: int

    @property
    def subtotal_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


@dataclass(frozen=True, slots=True)
class Totals:
    subtotal_cents: int
    tax_cents: int
    total_cents: int


class QuoteError(ValueError):
    pass


def _qty(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def quote(
    plan: Plan,
    addons: Sequence[Addon],
    usage: Mapping[str, Decimal],
    period: Period,
    active_days: int | None = None,
) -> Quote:
    """Price `usage` (billing kind → quantity over the active days) on `plan` with `addons`."""
    days = period.days if active_days is None else active_days
    if not 0 < days <= period.days:
        raise QuoteError(f"active days must be within 1..{period.days}, not {days}")
    for addon in addons:
        if addon.currency != plan.currency:
            raise QuoteError(f"add-on {addon.code} is in {addon.currency}, plan in {plan.currency}")
    partial = days < period.days
    fraction = Decimal(days) / Decimal(period.days) if partial else ONE
    suffix = f" ({days}/{period.days} days)" if partial else ""
    lines: list[Line] = [
        Line(
            kind=PLAN_BASE,
            description=f"Plan: {plan.name}{suffix}",
            quantity=fraction,
            unit_price=Decimal(plan.base_cents),
            amount_cents=round_cents(plan.base_cents * fraction),
        )
    ]
    for addon in addons:
        lines.append(
            Line(
                kind=ADDON,
                description=f"Addon: {addon.code}{suffix}",
                quantity=fraction,
                unit_price=Decimal(addon.price_cents),
                amount_cents=round_cents(addon.price_cents * fraction),
            )
        )
    for item in plan.items:
        used = usage.get(item.billing_kind, Decimal(0))
        if used < 0:
            raise QuoteError(f"usage of {item.billing_kind} must not be negative")
        monthly = item.included + sum(
            (a.allowances.get(item.billing_kind, Decimal(0)) for a in addons), Decimal(0)
        )
        allowance = monthly * fraction
        over = used - allowance
        if over <= 0:
            continue
        lines.append(
            Line(
                kind=OVERAGE,
                description=(
                    f"Overage: {item.billing_kind} ({_qty(over)} over {_qty(allowance)} included)"
                ),
                quantity=over,
                unit_price=item.overage_rate,
                amount_cents=round_cents(over * item.overage_rate),
                resource_kind=item.billing_kind,
            )
        )
    return Quote(
        currency=plan.currency, lines=tuple(lines), active_days=days, period_days=period.days
    )


def tax_cents(subtotal_cents: int, rate: Decimal) -> int:
    """Tax once on the subtotal, half-up to the cent."""
    return round_cents(Decimal(subtotal_cents) * rate)


def totals(amounts: Iterable[int], rate: Decimal) -> Totals:
    subtotal = sum(amounts)
    tax = tax_cents(subtotal, rate)
    return Totals(subtotal_cents=subtotal, tax_cents=tax, total_cents=subtotal + tax)
