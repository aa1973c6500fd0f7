"""Month-end: one tenant invoice per tenant and period, priced by the quote engine.

For each subscription active in the period the quote engine runs on the deployment's metered
usage over its active days; the tenant's invoice holds those lines, then adjustments for
usage of earlier, already issued periods that changed after issue, then one `tax` line on the
subtotal. A re-run skips a tenant that has a non-void invoice for the period; `force`
regenerates a draft, never an issued or paid invoice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID, uuid4

from invoicing.domain.catalog import Addon, Plan
from invoicing.domain.lifecycle import DRAFT, editable
from invoicing.domain.model import Invoice, InvoiceLine, Subscription, Tenant
from invoicing.domain.period import Period, active_days
from invoicing.domain.quote import ADJUSTMENT, OVERAGE, TAX, quote, tax_cents
from invoicing.ports import Clock, UnitOfWork, UnitOfWorkFactory

CHUNK = 1000  # tenants per transaction

Progress = Callable[[int, int], None]


@dataclass
class RollupSummary:
    period: str
    tenants: int = 0
    created: list[UUID] = field(default_factory=list)
    regenerated: list[UUID] = field(default_factory=list)
    skipped: list[UUID] = field(default_factory=list)
    # force asked to regenerate an invoice that is issued or paid: never changed
    locked: list[UUID] = field(default_factory=list)


def subscription_lines(
    subscription: Subscription,
    plans: Mapping[str, Plan],
    addons: Mapping[str, Addon],
    usage: Mapping[str, Decimal],
    period: Period,
) -> list[InvoiceLine]:
    plan = plans[subscription.plan_code]
    chosen = [addons[code] for code in subscription.addon_codes]
    days = active_days(period, subscription.starts_on, subscription.ends_on)
    priced = quote(plan, chosen, usage, period, days)
    return [
        InvoiceLine.from_quote(line, subscription.deployment_id, subscription.id)
        for line in priced.lines
    ]


def adjustment_lines(
    corrected: Period,
    expected: Mapping[tuple[UUID | None, str | None], int],
    billed: Mapping[tuple[UUID | None, str | None], int],
) -> list[InvoiceLine]:
    """One line per (deployment, billing kind) whose usage charge for `corrected` changed."""
    lines = []
    for key in sorted(set(expected) | set(billed), key=lambda k: (str(k[0]), str(k[1]))):
        difference = expected.get(key, 0) - billed.get(key, 0)
        if difference == 0:
            continue
        deployment_id, kind = key
        lines.append(
            InvoiceLine(
                kind=ADJUSTMENT,
                description=f"Adjustment for {corrected}: {kind} usage corrected after issue",
                quantity=Decimal(1),
                unit_price=Decimal(difference),
                amount_cents=difference,
                deployment_id=deployment_id,
                resource_kind=kind,
                corrects_period=corrected.start,
            )
        )
    return lines


def build_invoice(
    tenant: Tenant,
    period: Period,
    lines: Sequence[InvoiceLine],
    now: datetime,
    invoice_id: UUID | None = None,
) -> Invoice:
    subtotal = sum(line.amount_cents for line in lines)
    tax = tax_cents(subtotal, tenant.tax_rate)
    tax_line = InvoiceLine(
        kind=TAX,
        description=f"GST {tenant.tax_rate * 100:.2f}%".replace(".00%", "%"),
        quantity=tenant.tax_rate,
        unit_price=Decimal(subtotal),
        amount_cents=tax,
    )
    return Invoice(
        id=invoice_id or uuid4(),
        tenant_id=tenant.id,
        period_start=period.start,
        currency=tenant.currency,
        tax_rate=tenant.tax_rate,
        subtotal_cents=subtotal,
        tax_cents=tax,
        total_cents=subtotal + tax,
        status=DRAFT,
        number=None,
        created_at=now,
        updated_at=now,
        lines=(*lines, tax_line),
    )


async def _adjustments(
    work: UnitOfWork,
    tenant_id: UUID,
    corrections: Sequence[Invoice],
    plans: Mapping[str, Plan],
    addons: Mapping[str, Addon],
    excluding: UUID | None,
) -> list[InvoiceLine]:
    lines: list[InvoiceLine] = []
    for old in corrections:
        corrected = Period(old.period_start)
        subs = [
            s for s in await work.invoices.subscriptions_in(corrected) if s.tenant_id == tenant_id
        ]
        used = await work.invoices.usage_by_subscription(corrected, [tenant_id])
        expected: dict[tuple[UUID | None, str | None], int] = defaultdict(int)
        for sub in subs:
            for line in subscription_lines(sub, plans, addons, used.get(sub.id, {}), corrected):
                if line.kind == OVERAGE:
                    expected[(line.deployment_id, line.resource_kind)] += line.amount_cents
        billed = await work.invoices.billed_usage(tenant_id, corrected.start, excluding=excluding)
        lines.extend(adjustment_lines(corrected, expected, billed))
    return lines


async def roll_up_period(
    period: Period,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    force: bool = False,
    progress: Progress | None = None,
) -> RollupSummary:
    summary = RollupSummary(period=str(period))
    async with uow() as work:
        subscriptions = await work.invoices.subscriptions_in(period)
        plans = await work.catalog.plans()
        addons = await work.catalog.addons()
        corrections_all = await work.invoices.corrected_since_issue(period)
    by_tenant: dict[UUID, list[Subscription]] = defaultdict(list)
    for sub in subscriptions:
        by_tenant[sub.tenant_id].append(sub)
    corrections: dict[UUID, list[Invoice]] = defaultdict(list)
    for old in corrections_all:
        corrections[old.tenant_id].append(old)
    tenant_ids = sorted(set(by_tenant) | set(corrections))
    summary.tenants = len(tenant_ids)
    done = 0
    for start in range(0, len(tenant_ids), CHUNK):
        chunk = tenant_ids[start : start + CHUNK]
        async with uow() as work:
            existing = await work.invoices.current_for(period, chunk)
            todo = []
            for tenant_id in chunk:
                current = existing.get(tenant_id)
                if current is None:
                    todo.append(tenant_id)
                elif not force:
                    summary.skipped.append(current.id)
                elif not editable(current.status):
                    summary.locked.append(current.id)
                else:
                    todo.append(tenant_id)
            tenants = await work.invoices.tenants(todo)
            usage = await work.invoices.usage_by_subscription(period, todo) if todo else {}
            now = clock()
            fresh: list[Invoice] = []
            again: list[Invoice] = []
            for tenant_id in todo:
                current = existing.get(tenant_id)
                lines: list[InvoiceLine] = []
                for sub in sorted(
                    by_tenant.get(tenant_id, []), key=lambda s: (s.starts_on, str(s.id))
                ):
                    lines.extend(
                        subscription_lines(sub, plans, addons, usage.get(sub.id, {}), period)
                    )
                if corrections.get(tenant_id):
                    lines.extend(
                        await _adjustments(
                            work,
                            tenant_id,
                            corrections[tenant_id],
                            plans,
                            addons,
                            current.id if current else None,
                        )
                    )
                if not lines:
                    continue
                invoice = build_invoice(
                    tenants[tenant_id], period, lines, now, current.id if current else None
                )
                if current is None:
                    fresh.append(invoice)
                else:
                    again.append(invoice)
            await work.invoices.insert(fresh)
            await work.invoices.replace(again)
            await work.commit()
        summary.created.extend(i.id for i in fresh)
        summary.regenerated.extend(i.id for i in again)
        done += len(chunk)
        if progress is not None:
            progress(done, len(tenant_ids))
    return summary
