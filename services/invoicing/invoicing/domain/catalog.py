"""The catalog: plans with included allowances and overage rates, and add-ons.

Prices at rest are integer cents; an overage rate is a Decimal number of cents per unit of its
billing kind (e.g. Decimal("1") = 1c per droplet hour, Decimal("0.5") = half a cent).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class PlanItem:
    billing_kind: str
    included: Decimal  # units included per calendar month
    overage_rate: Decimal  # cents per unit beyond the allowance


@dataclass(frozen=True, slots=True)
class Plan:
    code: str
    name: str
    base_cents: int
    currency: str
    items: tuple[PlanItem, ...] = ()

    def item(self, billing_kind: str) -> PlanItem | None:
        return next((i for i in self.items if i.billing_kind == billing_kind), None)


@dataclass(frozen=True, slots=True)
class Addon:
    code: str
    name: str
    price_cents: int
    currency: str
    # extra units included per calendar month, by billing kind
    allowances: Mapping[str, Decimal] = field(default_factory=dict)


class CatalogError(ValueError):
    pass


def check_plan(plan: Plan) -> None:
    if plan.base_cents < 0:
        raise CatalogError(f"plan {plan.code}: base price must not be negative")
    kinds = [i.billing_kind for i in plan.items]
    if len(kinds) != len(set(kinds)):
        raise CatalogError(f"plan {plan.code}: a billing kind appears twice")
    for item in plan.items:
        if item.included < 0 or item.overage_rate < 0:
            raise CatalogError(
                f"plan {plan.code}: {item.billing_kind} allowance and rate must not be negative"
            )


def check_addon(addon: Addon) -> None:
    if addon.price_cents < 0:
        raise CatalogError(f"add-on {addon.code}: price must not be negative")
    if any(q < 0 for q in addon.allowances.values()):
        raise CatalogError(f"add-on {addon.code}: allowances must not be negative")
