"""What the invoicing use cases need from the outside world: repositories, a document
renderer and a clock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from types import TracebackType
from typing import Protocol
from uuid import UUID

from arcadia_core.events import EventPayload
from invoicing.domain.catalog import Addon, Plan
from invoicing.domain.documents import InvoiceDocument
from invoicing.domain.model import Deployment, Invoice, Subscription, Tenant
from invoicing.domain.period import Period


class Registry(Protocol):
    async def tenant(self, tenant_id: UUID, *, lock: bool = False) -> Tenant | None: ...

    async def tenant_by_name(self, name: str) -> Tenant | None: ...

    async def tenant_taken(
        self, name: str, external_id: str | None, except_id: UUID | None = None
    ) -> bool: ...

    async def add_tenant(self, tenant: Tenant) -> None: ...

    async def save_tenant(self, tenant: Tenant) -> None: ...

    async def all_tenants(self) -> list[Tenant]: ...

    async def all_deployments(self) -> list[Deployment]:
        """Every deployment, removed ones included."""

    async def deployment(self, deployment_id: UUID, *, lock: bool = False) -> Deployment | None: ...

    async def deployment_named(self, tenant_id: UUID, name: str) -> Deployment | None: ...

    async def project_owner(self, do_project: str) -> Deployment | None:
        """The active deployment linked to this DigitalOcean project, if any."""

    async def add_deployment(self, deployment: Deployment) -> None: ...

    async def save_deployment(self, deployment: Deployment) -> None: ...

    async def subscriptions_of(self, deployment_id: UUID) -> list[Subscription]: ...

    async def subscription(self, subscription_id: UUID) -> Subscription | None: ...

    async def add_subscription(self, subscription: Subscription) -> None: ...

    async def end_subscription(self, subscription_id: UUID, ends_on: date, status: str) -> None: ...


class Catalog(Protocol):
    async def version(self, name: str = "default") -> int: ...

    async def set_version(self, version: int, at: datetime, name: str = "default") -> None: ...

    async def plans(self) -> dict[str, Plan]: ...

    async def addons(self) -> dict[str, Addon]: ...

    async def put_plan(self, plan: Plan, plan_id: UUID, at: datetime) -> None: ...

    async def put_addon(self, addon: Addon, addon_id: UUID, at: datetime) -> None: ...


class UsageProjection(Protocol):
    async def replace_day(
        self,
        deployment_id: UUID,
        day: date,
        version: int,
        totals: Mapping[str, Decimal],
        received_at: datetime,
    ) -> bool:
        """Replace the day's quantities if `version` is newer than the one held."""

    async def totals(self, deployment_id: UUID, first: date, end: date) -> dict[str, Decimal]: ...


class Invoices(Protocol):
    async def subscriptions_in(self, period: Period) -> list[Subscription]: ...

    async def usage_by_subscription(
        self, period: Period, tenant_ids: Iterable[UUID] | None = None
    ) -> dict[UUID, dict[str, Decimal]]: ...

    async def tenants(self, tenant_ids: Iterable[UUID]) -> dict[UUID, Tenant]: ...

    async def current_for(self, period: Period, tenant_ids: Sequence[UUID]) -> dict[UUID, Invoice]:
        """Each tenant's non-void invoice for the period, locked until commit."""

    async def corrected_since_issue(self, period: Period) -> list[Invoice]: ...

    async def billed_usage(
        self, tenant_id: UUID, corrected: date, *, excluding: UUID | None
    ) -> dict[tuple[UUID | None, str | None], int]: ...

    async def insert(self, invoices: Sequence[Invoice]) -> None: ...

    async def replace(self, invoices: Sequence[Invoice]) -> None: ...

    async def get(self, invoice_id: UUID, *, lock: bool = False) -> Invoice | None: ...

    async def next_number(self, year: int) -> int: ...

    async def set_status(self, invoice: Invoice) -> None: ...


class InvoiceDocuments(Protocol):
    """The PDF of each issued invoice, stored once."""

    async def get(self, invoice_id: UUID) -> InvoiceDocument | None: ...

    async def add(self, document: InvoiceDocument) -> InvoiceDocument:
        """Store `document` unless the invoice has one already; return the stored one."""


class InvoiceRenderer(Protocol):
    """Renders an invoice from one template: an HTML fragment for the web, a PDF to keep.

    `deployments` holds (at least) the deployments the invoice's lines name. Both calls are
    CPU work with no I/O beyond the renderer's own files; callers run `render_pdf` in a thread.
    """

    @property
    def template_version(self) -> str: ...

    def render_html(
        self, invoice: Invoice, tenant: Tenant, deployments: Mapping[UUID, Deployment]
    ) -> str: ...

    def render_pdf(
        self, invoice: Invoice, tenant: Tenant, deployments: Mapping[UUID, Deployment]
    ) -> bytes: ...


class UnitOfWork(Protocol):
    @property
    def registry(self) -> Registry: ...

    @property
    def catalog(self) -> Catalog: ...

    @property
    def usage(self) -> UsageProjection: ...

    @property
    def invoices(self) -> Invoices: ...

    @property
    def documents(self) -> InvoiceDocuments: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def claim_event(self, consumer: str, event_id: UUID) -> bool: ...

    def emit(self, *payloads: EventPayload) -> None: ...

    async def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...
