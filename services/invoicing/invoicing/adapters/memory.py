"""In-memory adapters of the invoicing ports, for fast use-case tests without a database.

A `MemoryStore` is the "database"; each `MemoryUnitOfWork` works on a copy of its state and
publishes it on `commit()`, so whatever a use case changed before an exception (or without
committing) is discarded, events and the yearly invoice sequence included. Stored values are
frozen, so a working copy only copies the containers. The queries mirror
the SQL adapter's (`repository.py`). There is no concurrency control: the row locks of
`lock=True` and `current_for` are tested against PostgreSQL.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING
from uuid import UUID

from arcadia_core.events import EventPayload
from arcadia_core.memory import MemoryUnitOfWork as BaseMemoryUnitOfWork
from invoicing.domain.catalog import Addon, Plan
from invoicing.domain.documents import InvoiceDocument
from invoicing.domain.lifecycle import ISSUED, PAID, VOID
from invoicing.domain.model import Deployment, Invoice, Subscription, Tenant
from invoicing.domain.period import Period, active_window

if TYPE_CHECKING:
    from invoicing.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class UsageDay:
    version: int
    received_at: datetime
    totals: Mapping[str, Decimal]


@dataclass
class MemoryState:
    tenants: dict[UUID, Tenant] = field(default_factory=dict)
    deployments: dict[UUID, Deployment] = field(default_factory=dict)
    subscriptions: dict[UUID, Subscription] = field(default_factory=dict)
    catalog_versions: dict[str, int] = field(default_factory=dict)
    plans: dict[str, Plan] = field(default_factory=dict)
    addons: dict[str, Addon] = field(default_factory=dict)
    usage: dict[tuple[UUID, date], UsageDay] = field(default_factory=dict)
    invoices: dict[UUID, Invoice] = field(default_factory=dict)
    sequences: dict[int, int] = field(default_factory=dict)
    documents: dict[UUID, InvoiceDocument] = field(default_factory=dict)
    inbox: set[tuple[str, UUID]] = field(default_factory=set)

    def copy(self) -> MemoryState:
        """A working copy: the containers are copied, their values are immutable and shared."""
        return MemoryState(**{f.name: copy.copy(getattr(self, f.name)) for f in fields(self)})


@dataclass
class MemoryStore:
    state: MemoryState = field(default_factory=MemoryState)
    events: list[EventPayload] = field(default_factory=list)
    commits: int = 0

    def uow(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    def events_of(self, event_type: str) -> list[EventPayload]:
        return [e for e in self.events if event_type == e.EVENT_TYPE]


def _sorted_subscriptions(found: Iterable[Subscription]) -> list[Subscription]:
    return sorted(found, key=lambda s: (s.starts_on, s.id))


def _active_in(subscription: Subscription, period: Period) -> bool:
    return subscription.starts_on < period.end and (
        subscription.ends_on is None or subscription.ends_on >= period.start
    )


class MemoryRegistry:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def tenant(self, tenant_id: UUID, *, lock: bool = False) -> Tenant | None:
        return self.state.tenants.get(tenant_id)

    async def tenant_by_name(self, name: str) -> Tenant | None:
        return next((t for t in self.state.tenants.values() if t.name == name), None)

    async def tenant_taken(
        self, name: str, external_id: str | None, except_id: UUID | None = None
    ) -> bool:
        return any(
            t.id != except_id
            and (t.name == name or (external_id is not None and t.external_id == external_id))
            for t in self.state.tenants.values()
        )

    async def add_tenant(self, tenant: Tenant) -> None:
        if tenant.id in self.state.tenants:
            raise KeyError(f"tenant {tenant.id} exists")
        self.state.tenants[tenant.id] = tenant

    async def save_tenant(self, tenant: Tenant) -> None:
        if tenant.id in self.state.tenants:
            self.state.tenants[tenant.id] = tenant

    async def all_tenants(self) -> list[Tenant]:
        return sorted(self.state.tenants.values(), key=lambda t: t.id)

    async def all_deployments(self) -> list[Deployment]:
        return sorted(self.state.deployments.values(), key=lambda d: d.id)

    async def deployment(self, deployment_id: UUID, *, lock: bool = False) -> Deployment | None:
        return self.state.deployments.get(deployment_id)

    async def deployment_named(self, tenant_id: UUID, name: str) -> Deployment | None:
        return next(
            (
                d
                for d in self.state.deployments.values()
                if d.tenant_id == tenant_id and d.name == name
            ),
            None,
        )

    async def project_owner(self, do_project: str) -> Deployment | None:
        return next(
            (d for d in self.state.deployments.values() if d.do_project == do_project and d.active),
            None,
        )

    async def add_deployment(self, deployment: Deployment) -> None:
        if deployment.id in self.state.deployments:
            raise KeyError(f"deployment {deployment.id} exists")
        if deployment.tenant_id not in self.state.tenants:
            raise KeyError(f"tenant {deployment.tenant_id} not found")
        self.state.deployments[deployment.id] = deployment

    async def save_deployment(self, deployment: Deployment) -> None:
        if deployment.id in self.state.deployments:
            self.state.deployments[deployment.id] = deployment

    async def subscriptions_of(self, deployment_id: UUID) -> list[Subscription]:
        return _sorted_subscriptions(
            s for s in self.state.subscriptions.values() if s.deployment_id == deployment_id
        )

    async def subscription(self, subscription_id: UUID) -> Subscription | None:
        return self.state.subscriptions.get(subscription_id)

    async def add_subscription(self, subscription: Subscription) -> None:
        if subscription.plan_code not in self.state.plans:
            raise KeyError(f"plan {subscription.plan_code!r} not found")
        known = [c for c in subscription.addon_codes if c in self.state.addons]
        self.state.subscriptions[subscription.id] = replace(
            subscription, addon_codes=tuple(sorted(known))
        )

    async def end_subscription(self, subscription_id: UUID, ends_on: date, status: str) -> None:
        current = self.state.subscriptions.get(subscription_id)
        if current is not None:
            self.state.subscriptions[subscription_id] = replace(
                current, ends_on=ends_on, status=status
            )


class MemoryCatalog:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def version(self, name: str = "default") -> int:
        return self.state.catalog_versions.get(name, 0)

    async def set_version(self, version: int, at: datetime, name: str = "default") -> None:
        self.state.catalog_versions[name] = version

    async def plans(self) -> dict[str, Plan]:
        return {code: self.state.plans[code] for code in sorted(self.state.plans)}

    async def addons(self) -> dict[str, Addon]:
        return {code: self.state.addons[code] for code in sorted(self.state.addons)}

    async def put_plan(self, plan: Plan, plan_id: UUID, at: datetime) -> None:
        self.state.plans[plan.code] = plan

    async def put_addon(self, addon: Addon, addon_id: UUID, at: datetime) -> None:
        allowances = MappingProxyType(dict(addon.allowances))
        self.state.addons[addon.code] = replace(addon, allowances=allowances)


class MemoryUsage:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def replace_day(
        self,
        deployment_id: UUID,
        day: date,
        version: int,
        totals: Mapping[str, Decimal],
        received_at: datetime,
    ) -> bool:
        held = self.state.usage.get((deployment_id, day))
        if held is not None and held.version >= version:
            return False
        self.state.usage[(deployment_id, day)] = UsageDay(
            version, received_at, MappingProxyType(dict(totals))
        )
        return True

    async def totals(self, deployment_id: UUID, first: date, end: date) -> dict[str, Decimal]:
        found: dict[str, Decimal] = defaultdict(Decimal)
        for (dep, day), held in self.state.usage.items():
            if dep == deployment_id and first <= day < end:
                for kind, quantity in held.totals.items():
                    found[kind] += quantity
        return dict(found)


class MemoryInvoices:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def subscriptions_in(self, period: Period) -> list[Subscription]:
        return _sorted_subscriptions(
            s for s in self.state.subscriptions.values() if _active_in(s, period)
        )

    async def usage_by_subscription(
        self, period: Period, tenant_ids: Iterable[UUID] | None = None
    ) -> dict[UUID, dict[str, Decimal]]:
        wanted = None if tenant_ids is None else set(tenant_ids)
        found: dict[UUID, dict[str, Decimal]] = {}
        for sub in self.state.subscriptions.values():
            if wanted is not None and sub.tenant_id not in wanted:
                continue
            window = active_window(period, sub.starts_on, sub.ends_on)
            if window is None:
                continue
            first, end = window
            totals: dict[str, Decimal] = defaultdict(Decimal)
            for (dep, day), held in self.state.usage.items():
                if dep == sub.deployment_id and first <= day < end:
                    for kind, quantity in held.totals.items():
                        totals[kind] += quantity
            if totals:
                found[sub.id] = dict(totals)
        return found

    async def tenants(self, tenant_ids: Iterable[UUID]) -> dict[UUID, Tenant]:
        return {i: self.state.tenants[i] for i in tenant_ids if i in self.state.tenants}

    async def current_for(self, period: Period, tenant_ids: Sequence[UUID]) -> dict[UUID, Invoice]:
        wanted = set(tenant_ids)
        return {
            inv.tenant_id: inv
            for inv in self.state.invoices.values()
            if inv.period_start == period.start and inv.status != VOID and inv.tenant_id in wanted
        }

    async def corrected_since_issue(self, period: Period) -> list[Invoice]:
        found = []
        for inv in self.state.invoices.values():
            if inv.status not in (ISSUED, PAID) or inv.period_start >= period.start:
                continue
            assert inv.issued_at is not None
            issued_at = inv.issued_at
            month = Period(inv.period_start)
            own = {d.id for d in self.state.deployments.values() if d.tenant_id == inv.tenant_id}
            if any(
                dep in own and month.start <= day < month.end and held.received_at > issued_at
                for (dep, day), held in self.state.usage.items()
            ):
                found.append(inv)
        return found

    async def billed_usage(
        self, tenant_id: UUID, corrected: date, *, excluding: UUID | None
    ) -> dict[tuple[UUID | None, str | None], int]:
        found: dict[tuple[UUID | None, str | None], int] = defaultdict(int)
        for inv in self.state.invoices.values():
            if inv.tenant_id != tenant_id or inv.id == excluding:
                continue
            for line in inv.lines:
                own = (
                    inv.period_start == corrected
                    and line.kind == "overage"
                    and inv.status in (ISSUED, PAID)
                )
                adjusted = (
                    line.kind == "adjustment"
                    and line.corrects_period == corrected
                    and inv.status != VOID
                )
                if own or adjusted:
                    found[(line.deployment_id, line.resource_kind)] += line.amount_cents
        return dict(found)

    async def insert(self, invoices: Sequence[Invoice]) -> None:
        for inv in invoices:
            if inv.id in self.state.invoices:
                raise KeyError(f"invoice {inv.id} exists")
            clash = await self.current_for(Period(inv.period_start), [inv.tenant_id])
            if clash and inv.status != VOID:
                # the SQL schema's partial unique index: one non-void invoice per tenant/period
                raise KeyError(f"tenant {inv.tenant_id} already has an invoice for the period")
            self.state.invoices[inv.id] = inv

    async def replace(self, invoices: Sequence[Invoice]) -> None:
        for inv in invoices:
            current = self.state.invoices.get(inv.id)
            if current is None:
                continue
            self.state.invoices[inv.id] = replace(
                current,
                currency=inv.currency,
                tax_rate=inv.tax_rate,
                subtotal_cents=inv.subtotal_cents,
                tax_cents=inv.tax_cents,
                total_cents=inv.total_cents,
                updated_at=inv.updated_at,
                lines=inv.lines,
            )

    async def get(self, invoice_id: UUID, *, lock: bool = False) -> Invoice | None:
        return self.state.invoices.get(invoice_id)

    async def next_number(self, year: int) -> int:
        self.state.sequences[year] = self.state.sequences.get(year, 0) + 1
        return self.state.sequences[year]

    async def set_status(self, invoice: Invoice) -> None:
        current = self.state.invoices.get(invoice.id)
        if current is None:
            return
        self.state.invoices[invoice.id] = replace(
            current,
            status=invoice.status,
            number=invoice.number,
            updated_at=invoice.updated_at,
            issued_at=invoice.issued_at,
            paid_at=invoice.paid_at,
            voided_at=invoice.voided_at,
        )


class MemoryDocuments:
    def __init__(self, state: MemoryState) -> None:
        self.state = state

    async def get(self, invoice_id: UUID) -> InvoiceDocument | None:
        return self.state.documents.get(invoice_id)

    async def add(self, document: InvoiceDocument) -> InvoiceDocument:
        if document.invoice_id not in self.state.invoices:
            # the SQL schema's foreign key
            raise KeyError(f"invoice {document.invoice_id} not found")
        return self.state.documents.setdefault(document.invoice_id, document)


class MemoryUnitOfWork(BaseMemoryUnitOfWork[MemoryState]):
    registry: MemoryRegistry
    catalog: MemoryCatalog
    usage: MemoryUsage
    invoices: MemoryInvoices
    documents: MemoryDocuments

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        super().__init__(store)

    def _copy(self, state: MemoryState) -> MemoryState:
        return state.copy()

    def _bind(self, state: MemoryState) -> None:
        super()._bind(state)
        self.registry = MemoryRegistry(state)
        self.catalog = MemoryCatalog(state)
        self.usage = MemoryUsage(state)
        self.invoices = MemoryInvoices(state)
        self.documents = MemoryDocuments(state)

    async def commit(self) -> None:
        self._store.commits += 1
        await super().commit()


if TYPE_CHECKING:
    _factory: UnitOfWorkFactory = MemoryStore().uow
