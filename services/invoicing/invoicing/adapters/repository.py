"""SQL repositories of the invoicing schema (bound to one unit of work's session)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, fields, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, delete, func, insert, literal, or_, select, text, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.bulk import copy_insert
from arcadia_core.projection import upsert_if_newer
from invoicing.adapters.tables import (
    addon_allowances,
    addons,
    catalog_versions,
    deployments,
    invoice_sequences,
    plan_items,
    plans,
    subscription_addons,
    subscriptions,
    tenant_invoice_documents,
    tenant_invoice_lines,
    tenant_invoices,
    tenants,
    usage,
    usage_days,
)
from invoicing.domain.catalog import Addon, Plan, PlanItem
from invoicing.domain.documents import InvoiceDocument
from invoicing.domain.lifecycle import ISSUED, PAID, VOID
from invoicing.domain.model import Deployment, Invoice, InvoiceLine, Subscription, Tenant
from invoicing.domain.period import Period

BILLED_KINDS = ("overage", "adjustment")


def _names(cls: Any) -> list[str]:
    return [f.name for f in fields(cls)]


def _tenant(row: Any) -> Tenant:
    return Tenant(**{k: row[k] for k in _names(Tenant)})


def _deployment(row: Any) -> Deployment:
    return Deployment(**{k: row[k] for k in _names(Deployment)})


def _invoice(row: Any) -> Invoice:
    return Invoice(**{k: row[k] for k in _names(Invoice) if k != "lines"})


def _line(row: Any) -> InvoiceLine:
    return InvoiceLine(**{k: row[k] for k in _names(InvoiceLine)})


class SqlRegistry:
    """Tenants, deployments and subscriptions."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tenant(self, tenant_id: UUID, *, lock: bool = False) -> Tenant | None:
        statement = select(tenants).where(tenants.c.id == tenant_id)
        if lock:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).mappings().first()
        return None if row is None else _tenant(row)

    async def tenant_by_name(self, name: str) -> Tenant | None:
        row = (
            (await self.session.execute(select(tenants).where(tenants.c.name == name)))
            .mappings()
            .first()
        )
        return None if row is None else _tenant(row)

    async def tenant_taken(
        self, name: str, external_id: str | None, except_id: UUID | None = None
    ) -> bool:
        condition = tenants.c.name == name
        if external_id is not None:
            condition = or_(condition, tenants.c.external_id == external_id)
        statement = select(func.count()).select_from(tenants).where(condition)
        if except_id is not None:
            statement = statement.where(tenants.c.id != except_id)
        return bool(await self.session.scalar(statement))

    async def add_tenant(self, tenant: Tenant) -> None:
        await self.session.execute(insert(tenants).values(**asdict(tenant)))

    async def save_tenant(self, tenant: Tenant) -> None:
        values = asdict(tenant)
        await self.session.execute(
            update(tenants).where(tenants.c.id == tenant.id).values(**values)
        )

    async def all_tenants(self) -> list[Tenant]:
        rows = (await self.session.execute(select(tenants).order_by(tenants.c.id))).mappings()
        return [_tenant(r) for r in rows]

    async def all_deployments(self) -> list[Deployment]:
        statement = select(deployments).order_by(deployments.c.id)
        return [_deployment(r) for r in (await self.session.execute(statement)).mappings()]

    async def deployment(self, deployment_id: UUID, *, lock: bool = False) -> Deployment | None:
        statement = select(deployments).where(deployments.c.id == deployment_id)
        if lock:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).mappings().first()
        return None if row is None else _deployment(row)

    async def deployment_named(self, tenant_id: UUID, name: str) -> Deployment | None:
        row = (
            (
                await self.session.execute(
                    select(deployments).where(
                        deployments.c.tenant_id == tenant_id, deployments.c.name == name
                    )
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else _deployment(row)

    async def project_owner(self, do_project: str) -> Deployment | None:
        row = (
            (
                await self.session.execute(
                    select(deployments).where(
                        deployments.c.do_project == do_project, deployments.c.active
                    )
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else _deployment(row)

    async def add_deployment(self, deployment: Deployment) -> None:
        await self.session.execute(insert(deployments).values(**asdict(deployment)))

    async def save_deployment(self, deployment: Deployment) -> None:
        await self.session.execute(
            update(deployments)
            .where(deployments.c.id == deployment.id)
            .values(**asdict(deployment))
        )

    async def subscriptions_of(self, deployment_id: UUID) -> list[Subscription]:
        return await self._subscriptions(subscriptions.c.deployment_id == deployment_id)

    async def subscription(self, subscription_id: UUID) -> Subscription | None:
        found = await self._subscriptions(subscriptions.c.id == subscription_id)
        return found[0] if found else None

    async def _subscriptions(self, condition: Any) -> list[Subscription]:
        codes = (
            select(func.array_agg(aggregate_order_by(addons.c.code, addons.c.code)))
            .select_from(
                subscription_addons.join(addons, addons.c.id == subscription_addons.c.addon_id)
            )
            .where(subscription_addons.c.subscription_id == subscriptions.c.id)
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(
                subscriptions.c.id,
                subscriptions.c.tenant_id,
                subscriptions.c.deployment_id,
                plans.c.code,
                codes,
                subscriptions.c.starts_on,
                subscriptions.c.ends_on,
                subscriptions.c.status,
                subscriptions.c.created_at,
            )
            .join(plans, plans.c.id == subscriptions.c.plan_id)
            .where(condition)
            .order_by(subscriptions.c.starts_on, subscriptions.c.id)
        )
        return [
            Subscription(
                id=r[0],
                tenant_id=r[1],
                deployment_id=r[2],
                plan_code=r[3],
                addon_codes=tuple(r[4] or ()),
                starts_on=r[5],
                ends_on=r[6],
                status=r[7],
                created_at=r[8],
            )
            for r in rows
        ]

    async def add_subscription(self, subscription: Subscription) -> None:
        plan_id = await self.session.scalar(
            select(plans.c.id).where(plans.c.code == subscription.plan_code)
        )
        await self.session.execute(
            insert(subscriptions).values(
                id=subscription.id,
                tenant_id=subscription.tenant_id,
                deployment_id=subscription.deployment_id,
                plan_id=plan_id,
                starts_on=subscription.starts_on,
                ends_on=subscription.ends_on,
                status=subscription.status,
                created_at=subscription.created_at,
            )
        )
        if subscription.addon_codes:
            ids = (
                await self.session.scalars(
                    select(addons.c.id).where(addons.c.code.in_(subscription.addon_codes))
                )
            ).all()
            await self.session.execute(
                insert(subscription_addons),
                [{"subscription_id": subscription.id, "addon_id": i} for i in ids],
            )

    async def end_subscription(self, subscription_id: UUID, ends_on: date, status: str) -> None:
        await self.session.execute(
            update(subscriptions)
            .where(subscriptions.c.id == subscription_id)
            .values(ends_on=ends_on, status=status)
        )


class SqlCatalog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def version(self, name: str = "default") -> int:
        found = await self.session.scalar(
            select(catalog_versions.c.version).where(catalog_versions.c.name == name)
        )
        return int(found or 0)

    async def set_version(self, version: int, at: datetime, name: str = "default") -> None:
        statement = pg_insert(catalog_versions).values(name=name, version=version, loaded_at=at)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[catalog_versions.c.name],
                set_={"version": version, "loaded_at": at},
            )
        )

    async def plans(self) -> dict[str, Plan]:
        rows = (await self.session.execute(select(plans).order_by(plans.c.code))).mappings().all()
        items = await self.session.execute(select(plan_items).order_by(plan_items.c.billing_kind))
        by_plan: dict[UUID, list[PlanItem]] = defaultdict(list)
        for item in items.mappings():
            by_plan[item["plan_id"]].append(
                PlanItem(item["billing_kind"], item["included"], item["overage_rate"])
            )
        return {
            r["code"]: Plan(
                code=r["code"],
                name=r["name"],
                base_cents=r["base_cents"],
                currency=r["currency"],
                items=tuple(by_plan[r["id"]]),
            )
            for r in rows
        }

    async def addons(self) -> dict[str, Addon]:
        rows = (await self.session.execute(select(addons).order_by(addons.c.code))).mappings().all()
        extra = await self.session.execute(select(addon_allowances))
        by_addon: dict[UUID, dict[str, Decimal]] = defaultdict(dict)
        for row in extra.mappings():
            by_addon[row["addon_id"]][row["billing_kind"]] = row["quantity"]
        return {
            r["code"]: Addon(
                code=r["code"],
                name=r["name"],
                price_cents=r["price_cents"],
                currency=r["currency"],
                allowances=by_addon[r["id"]],
            )
            for r in rows
        }

    async def put_plan(self, plan: Plan, plan_id: UUID, at: datetime) -> None:
        statement = pg_insert(plans).values(
            id=plan_id,
            code=plan.code,
            name=plan.name,
            base_cents=plan.base_cents,
            currency=plan.currency,
            updated_at=at,
        )
        stored = await self.session.scalar(
            statement.on_conflict_do_update(
                index_elements=[plans.c.code],
                set_={
                    "name": plan.name,
                    "base_cents": plan.base_cents,
                    "currency": plan.currency,
                    "updated_at": at,
                },
            ).returning(plans.c.id)
        )
        await self.session.execute(delete(plan_items).where(plan_items.c.plan_id == stored))
        if plan.items:
            await self.session.execute(
                insert(plan_items),
                [
                    {
                        "plan_id": stored,
                        "billing_kind": i.billing_kind,
                        "included": i.included,
                        "overage_rate": i.overage_rate,
                    }
                    for i in plan.items
                ],
            )

    async def put_addon(self, addon: Addon, addon_id: UUID, at: datetime) -> None:
        statement = pg_insert(addons).values(
            id=addon_id,
            code=addon.code,
            name=addon.name,
            price_cents=addon.price_cents,
            currency=addon.currency,
            updated_at=at,
        )
        stored = await self.session.scalar(
            statement.on_conflict_do_update(
                index_elements=[addons.c.code],
                set_={
                    "name": addon.name,
                    "price_cents": addon.price_cents,
                    "currency": addon.currency,
                    "updated_at": at,
                },
            ).returning(addons.c.id)
        )
        await self.session.execute(
            delete(addon_allowances).where(addon_allowances.c.addon_id == stored)
        )
        if addon.allowances:
            await self.session.execute(
                insert(addon_allowances),
                [
                    {"addon_id": stored, "billing_kind": k, "quantity": q}
                    for k, q in addon.allowances.items()
                ],
            )


class SqlUsage:
    """The usage projection."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace_day(
        self,
        deployment_id: UUID,
        day: date,
        version: int,
        totals: Mapping[str, Decimal],
        received_at: datetime,
    ) -> bool:
        written = await upsert_if_newer(
            self.session,
            usage_days,
            {
                "deployment_id": deployment_id,
                "day": day,
                "version": version,
                "received_at": received_at,
            },
            key=["deployment_id", "day"],
        )
        if not written:
            return False
        await self.session.execute(
            delete(usage).where(usage.c.deployment_id == deployment_id, usage.c.day == day)
        )
        if totals:
            await self.session.execute(
                insert(usage),
                [
                    {"deployment_id": deployment_id, "day": day, "billing_kind": k, "quantity": q}
                    for k, q in totals.items()
                ],
            )
        return True

    async def totals(self, deployment_id: UUID, first: date, end: date) -> dict[str, Decimal]:
        rows = await self.session.execute(
            select(usage.c.billing_kind, func.sum(usage.c.quantity))
            .where(usage.c.deployment_id == deployment_id, usage.c.day >= first, usage.c.day < end)
            .group_by(usage.c.billing_kind)
        )
        return {kind: Decimal(total) for kind, total in rows}


class SqlInvoices:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- rollup inputs, in bulk -----------------------------------------------------------

    async def subscriptions_in(self, period: Period) -> list[Subscription]:
        """Every subscription active on at least one day of `period`."""
        condition = and_(
            subscriptions.c.starts_on < period.end,
            or_(subscriptions.c.ends_on.is_(None), subscriptions.c.ends_on >= period.start),
        )
        return await SqlRegistry(self.session)._subscriptions(condition)

    async def usage_by_subscription(
        self, period: Period, tenant_ids: Iterable[UUID] | None = None
    ) -> dict[UUID, dict[str, Decimal]]:
        """Usage summed per subscription and billing kind over its active days in `period`."""
        s, u = subscriptions.c, usage.c
        first = func.greatest(s.starts_on, literal(period.start))
        end = func.least(func.coalesce(s.ends_on + 1, literal(period.end)), literal(period.end))
        statement = (
            select(s.id, u.billing_kind, func.sum(u.quantity))
            .select_from(subscriptions.join(usage, u.deployment_id == s.deployment_id))
            .where(
                s.starts_on < period.end,
                or_(s.ends_on.is_(None), s.ends_on >= period.start),
                u.day >= period.start,
                u.day < period.end,
                u.day >= first,
                u.day < end,
            )
            .group_by(s.id, u.billing_kind)
        )
        if tenant_ids is not None:
            statement = statement.where(s.tenant_id.in_(list(tenant_ids)))
        found: dict[UUID, dict[str, Decimal]] = defaultdict(dict)
        for subscription_id, kind, total in await self.session.execute(statement):
            found[subscription_id][kind] = Decimal(total)
        return found

    async def tenants(self, tenant_ids: Iterable[UUID]) -> dict[UUID, Tenant]:
        ids = list(tenant_ids)
        if not ids:
            return {}
        rows = (
            (await self.session.execute(select(tenants).where(tenants.c.id.in_(ids))))
            .mappings()
            .all()
        )
        return {r["id"]: _tenant(r) for r in rows}

    async def current_for(self, period: Period, tenant_ids: Sequence[UUID]) -> dict[UUID, Invoice]:
        """The non-void invoice of each tenant for `period`, locked for this transaction."""
        if not tenant_ids:
            return {}
        rows = (
            (
                await self.session.execute(
                    select(tenant_invoices)
                    .where(
                        tenant_invoices.c.period_start == period.start,
                        tenant_invoices.c.status != VOID,
                        tenant_invoices.c.tenant_id.in_(list(tenant_ids)),
                    )
                    .with_for_update()
                )
            )
            .mappings()
            .all()
        )
        return {r["tenant_id"]: _invoice(r) for r in rows}

    async def corrected_since_issue(self, period: Period) -> list[Invoice]:
        """Issued or paid invoices before `period` whose usage changed after they were issued."""
        i, u, d = tenant_invoices.c, usage_days.c, deployments.c
        late = (
            select(literal(1))
            .select_from(usage_days.join(deployments, d.id == u.deployment_id))
            .where(
                d.tenant_id == i.tenant_id,
                u.day >= i.period_start,
                u.day < i.period_start + text("interval '1 month'"),
                u.received_at > i.issued_at,
            )
            .exists()
        )
        rows = (
            (
                await self.session.execute(
                    select(tenant_invoices).where(
                        i.status.in_((ISSUED, PAID)), i.period_start < period.start, late
                    )
                )
            )
            .mappings()
            .all()
        )
        return [_invoice(r) for r in rows]

    async def billed_usage(
        self, tenant_id: UUID, corrected: date, *, excluding: UUID | None
    ) -> dict[tuple[UUID | None, str | None], int]:
        """Cents billed for usage of period `corrected`: its overage lines plus adjustments
        naming it on non-void invoices (except `excluding`), per (deployment, billing kind)."""
        ln, i = tenant_invoice_lines.c, tenant_invoices.c
        own = and_(i.period_start == corrected, ln.kind == "overage", i.status.in_((ISSUED, PAID)))
        adjusted = and_(ln.kind == "adjustment", ln.corrects_period == corrected, i.status != VOID)
        statement = (
            select(ln.deployment_id, ln.resource_kind, func.sum(ln.amount_cents))
            .select_from(tenant_invoice_lines.join(tenant_invoices, i.id == ln.invoice_id))
            .where(i.tenant_id == tenant_id, or_(own, adjusted))
            .group_by(ln.deployment_id, ln.resource_kind)
        )
        if excluding is not None:
            statement = statement.where(i.id != excluding)
        return {
            (dep, kind): int(total) for dep, kind, total in await self.session.execute(statement)
        }

    # --- writes ---------------------------------------------------------------------------

    async def insert(self, invoices: Sequence[Invoice]) -> None:
        if not invoices:
            return
        await copy_insert(
            self.session,
            tenant_invoices,
            [{k: v for k, v in asdict(inv).items() if k != "lines"} for inv in invoices],
        )
        await self._insert_lines(invoices)

    async def replace(self, invoices: Sequence[Invoice]) -> None:
        """Regenerate drafts in place: same id, new totals and lines."""
        if not invoices:
            return
        ids = [inv.id for inv in invoices]
        await self.session.execute(
            delete(tenant_invoice_lines).where(tenant_invoice_lines.c.invoice_id.in_(ids))
        )
        for inv in invoices:
            await self.session.execute(
                update(tenant_invoices)
                .where(tenant_invoices.c.id == inv.id)
                .values(
                    currency=inv.currency,
                    tax_rate=inv.tax_rate,
                    subtotal_cents=inv.subtotal_cents,
                    tax_cents=inv.tax_cents,
                    total_cents=inv.total_cents,
                    updated_at=inv.updated_at,
                )
            )
        await self._insert_lines(invoices)

    async def _insert_lines(self, invoices: Sequence[Invoice]) -> None:
        rows = [
            {"invoice_id": inv.id, "position": n, **asdict(line)}
            for inv in invoices
            for n, line in enumerate(inv.lines, start=1)
        ]
        await copy_insert(self.session, tenant_invoice_lines, rows)

    async def get(self, invoice_id: UUID, *, lock: bool = False) -> Invoice | None:
        statement = select(tenant_invoices).where(tenant_invoices.c.id == invoice_id)
        if lock:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).mappings().first()
        if row is None:
            return None
        lines = (
            (
                await self.session.execute(
                    select(tenant_invoice_lines)
                    .where(tenant_invoice_lines.c.invoice_id == invoice_id)
                    .order_by(tenant_invoice_lines.c.position)
                )
            )
            .mappings()
            .all()
        )
        return replace(_invoice(row), lines=tuple(_line(r) for r in lines))

    async def next_number(self, year: int) -> int:
        """The next number of the year's gap-free sequence (the row lock holds until commit)."""
        statement = pg_insert(invoice_sequences).values(year=year, last=1)
        value = await self.session.scalar(
            statement.on_conflict_do_update(
                index_elements=[invoice_sequences.c.year],
                set_={"last": invoice_sequences.c.last + 1},
            ).returning(invoice_sequences.c.last)
        )
        return int(value or 0)

    async def set_status(self, invoice: Invoice) -> None:
        await self.session.execute(
            update(tenant_invoices)
            .where(tenant_invoices.c.id == invoice.id)
            .values(
                status=invoice.status,
                number=invoice.number,
                updated_at=invoice.updated_at,
                issued_at=invoice.issued_at,
                paid_at=invoice.paid_at,
                voided_at=invoice.voided_at,
            )
        )


class SqlDocuments:
    """Issued invoices' PDFs: written once, never updated."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, invoice_id: UUID) -> InvoiceDocument | None:
        row = (
            (
                await self.session.execute(
                    select(tenant_invoice_documents).where(
                        tenant_invoice_documents.c.invoice_id == invoice_id
                    )
                )
            )
            .mappings()
            .first()
        )
        return (
            None if row is None else InvoiceDocument(**{k: row[k] for k in _names(InvoiceDocument)})
        )

    async def add(self, document: InvoiceDocument) -> InvoiceDocument:
        """Insert unless the invoice has a document already (two first requests may race)."""
        await self.session.execute(
            pg_insert(tenant_invoice_documents)
            .values(**asdict(document))
            .on_conflict_do_nothing(index_elements=[tenant_invoice_documents.c.invoice_id])
        )
        stored = await self.get(document.invoice_id)
        assert stored is not None
        return stored
