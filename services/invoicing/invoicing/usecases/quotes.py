"""`POST /quotes`: projected usage priced by the very function the rollup uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from invoicing.domain.model import DEFAULT_TAX_RATE, Invalid, NotFound
from invoicing.domain.period import Period
from invoicing.domain.quote import Quote, QuoteError, Totals, quote, totals
from invoicing.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class PricedQuote:
    quote: Quote
    tax_rate: Decimal
    totals: Totals


async def price(
    plan_code: str,
    addon_codes: Sequence[str],
    usage: Mapping[str, Decimal],
    period: Period,
    *,
    uow: UnitOfWorkFactory,
    active_days: int | None = None,
    tenant_id: UUID | None = None,
) -> PricedQuote:
    async with uow() as work:
        plan = (await work.catalog.plans()).get(plan_code)
        if plan is None:
            raise NotFound(f"plan {plan_code!r} not found")
        known = await work.catalog.addons()
        missing = [code for code in addon_codes if code not in known]
        if missing:
            raise NotFound(f"add-on {missing[0]!r} not found")
        rate = DEFAULT_TAX_RATE
        if tenant_id is not None:
            tenant = await work.registry.tenant(tenant_id)
            if tenant is None:
                raise NotFound(f"tenant {tenant_id} not found")
            rate = tenant.tax_rate
    try:
        priced = quote(plan, [known[c] for c in addon_codes], usage, period, active_days)
    except QuoteError as exc:
        raise Invalid(str(exc)) from exc
    return PricedQuote(
        quote=priced,
        tax_rate=rate,
        totals=totals((line.amount_cents for line in priced.lines), rate),
    )
