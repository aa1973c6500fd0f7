"""The reports' sources read over the services' HTTP APIs, with the caller's own token.

Every list is paged until `next_cursor` is null, so a report never stands on a partial read;
any answer other than 200, a transport error or a body that does not parse raises
`SourcesUnavailable`. Wire formats end here: what leaves this module is the domain's types.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar
from uuid import UUID

import httpx

from gateway.reports.domain.months import month_after, month_text
from gateway.reports.domain.sources import (
    CostLine,
    Deployment,
    MeteredUsage,
    PeriodSources,
    Project,
    ProviderInvoice,
    Resource,
    Tenant,
    TenantInvoice,
    TenantLine,
)
from gateway.reports.ports import SourcesUnavailable

T = TypeVar("T")

INVENTORY = "inventory"
BILLING = "billing-ingest"
METERING = "metering"
INVOICING = "invoicing"
# invoice details fetched at once, so a month of many tenants does not flood invoicing
DETAIL_CONCURRENCY = 8


class ApiSources:
    """`ReportSources` over the gateway's upstream clients (service name → client)."""

    def __init__(
        self,
        clients: Mapping[str, httpx.AsyncClient],
        authorization: str,
        *,
        request_id: str | None = None,
        page_size: int | None = None,
    ) -> None:
        """`page_size` overrides every list's page size (each service's largest by default)."""
        self._clients = clients
        self._page_size = page_size
        self._headers = {"Authorization": authorization}
        if request_id:
            self._headers["X-Request-Id"] = request_id

    async def for_period(self, period: date) -> PeriodSources:
        start = period.replace(day=1)
        (
            provider,
            (tenant_invoices, tenants, deployments),
            (resources, projects, usage),
        ) = await asyncio.gather(
            self._provider_side(start), self._customer_side(start), self._mirror_side(start)
        )
        return PeriodSources(
            period=start,
            provider_invoices=provider,
            tenant_invoices=tenant_invoices,
            tenants=tenants,
            deployments=deployments,
            resources=resources,
            projects=projects,
            usage=usage,
        )

    async def _provider_side(self, start: date) -> tuple[ProviderInvoice, ...]:
        """DigitalOcean's invoices for the month, each with its matched lines (billing-ingest)."""
        headers, lines = await asyncio.gather(
            self._list(BILLING, "/api/v1/billing/invoices", {"limit": 1000}, dict),
            self._list(
                BILLING,
                "/api/v1/billing/cost-lines",
                {"period": start.isoformat(), "limit": 1000},
                _cost_line,
            ),
        )
        by_invoice: dict[str, list[CostLine]] = {}
        for line in lines:
            by_invoice.setdefault(line.invoice_uuid, []).append(line)
        invoices = [_parsed(_provider_invoice, header) for header in headers]
        return tuple(
            replace(
                invoice,
                lines=tuple(
                    sorted(by_invoice.get(invoice.invoice_uuid, ()), key=lambda line: line.line_no)
                ),
            )
            for invoice in invoices
            if invoice.period == start
        )

    async def _customer_side(
        self, start: date
    ) -> tuple[tuple[TenantInvoice, ...], tuple[Tenant, ...], tuple[Deployment, ...]]:
        """The month's tenant invoices with their lines, tenants and deployments (invoicing)."""
        ids, tenants, deployments = await asyncio.gather(
            self._list(
                INVOICING,
                "/api/v1/invoices",
                {"period": month_text(start), "limit": 500},
                lambda item: UUID(item["id"]),
            ),
            self._list(INVOICING, "/api/v1/tenants", {"limit": 500}, _tenant),
            self._list(
                INVOICING,
                "/api/v1/deployments",
                {"include_removed": "true", "limit": 500},
                _deployment,
            ),
        )
        limit = asyncio.Semaphore(DETAIL_CONCURRENCY)

        async def detail(invoice_id: UUID) -> TenantInvoice:
            async with limit:
                body = await self._get(INVOICING, f"/api/v1/invoices/{invoice_id}", {})
            return _parsed(_tenant_invoice, body)

        invoices = await asyncio.gather(*(detail(i) for i in ids))
        return tuple(invoices), tuple(tenants), tuple(deployments)

    async def _mirror_side(
        self, start: date
    ) -> tuple[tuple[Resource, ...], tuple[Project, ...], tuple[MeteredUsage, ...]]:
        """Every resource ever mirrored and every project (inventory); the month's metered
        quantity per resource (metering)."""
        resources, projects, usage = await asyncio.gather(
            self._list(
                INVENTORY, "/api/v1/inventory", {"include_deleted": "true", "limit": 500}, _resource
            ),
            self._list(INVENTORY, "/api/v1/projects", {"limit": 500}, _project),
            self._list(
                METERING,
                "/api/v1/usage/by-resource",
                {"from": start.isoformat(), "to": month_after(start).isoformat(), "limit": 5000},
                _usage,
            ),
        )
        return tuple(resources), tuple(projects), tuple(usage)

    async def _get(self, service: str, path: str, params: Mapping[str, Any]) -> Any:
        client = self._clients.get(service)
        if client is None:
            raise SourcesUnavailable(f"the gateway has no client for {service}")
        try:
            response = await client.get(path, params=dict(params), headers=self._headers)
        except httpx.HTTPError as exc:
            raise SourcesUnavailable(f"{service} could not be reached: {exc!r}") from exc
        if response.status_code != 200:
            raise SourcesUnavailable(f"{service} answered {response.status_code} to GET {path}")
        try:
            return response.json()
        except ValueError as exc:
            raise SourcesUnavailable(f"{service} answered GET {path} with no JSON") from exc

    async def _list(
        self,
        service: str,
        path: str,
        params: Mapping[str, Any],
        parse: Callable[[dict[str, Any]], T],
    ) -> list[T]:
        """Every item of a paged list, parsed."""
        items: list[T] = []
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            query = dict(params) | ({"cursor": cursor} if cursor else {})
            if self._page_size is not None:
                query["limit"] = self._page_size
            body = await self._get(service, path, query)
            page = _parsed(lambda b: (list(b["items"]), b.get("next_cursor")), body)
            items.extend(_parsed(parse, item) for item in page[0])
            cursor = page[1]
            if cursor is None:
                return items
            if not isinstance(cursor, str) or cursor in seen:
                raise SourcesUnavailable(f"{service} repeated a page of GET {path}")
            seen.add(cursor)


def _parsed(parse: Callable[[Any], T], body: Any) -> T:
    try:
        return parse(body)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise SourcesUnavailable(
            f"a service answered with a body that does not parse: {exc!r}"
        ) from exc


def _uuid(value: Any) -> UUID | None:
    return None if value is None else UUID(str(value))


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _datetime(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{value!r} is not a whole number of cents")
    return value


def _cost_line(item: dict[str, Any]) -> CostLine:
    return CostLine(
        id=_int(item["id"]),
        invoice_uuid=str(item["invoice_uuid"]),
        line_no=_int(item["line_no"]),
        product=str(item["product"]),
        group_description=str(item["group_description"]),
        description=str(item["description"]),
        kind=str(item["kind"]),
        amount_cents=_int(item["amount_cents"]),
        hours=_decimal(item.get("hours")),
        start_at=_datetime(item.get("start_at")),
        end_at=_datetime(item.get("end_at")),
        project_name=item.get("project_name"),
        category=item.get("category"),
        resource_id=_uuid(item.get("resource_id")),
        match_method=str(item["match_method"]),
        unmatched_reason=item.get("unmatched_reason"),
        tenant_id=_uuid(item.get("tenant_id")),
        deployment_id=_uuid(item.get("deployment_id")),
    )


def _provider_invoice(h: dict[str, Any]) -> ProviderInvoice:
    return ProviderInvoice(
        invoice_uuid=str(h["invoice_uuid"]),
        invoice_id=h.get("invoice_id"),
        period=date.fromisoformat(h["invoice_period"]),
        amount_cents=_int(h["amount_cents"]),
        net_cents=None if h.get("net_cents") is None else _int(h["net_cents"]),
        tax_cents=None if h.get("tax_cents") is None else _int(h["tax_cents"]),
        status=str(h["status"]),
    )


def _tenant_line(item: dict[str, Any]) -> TenantLine:
    corrects = _date(item.get("corrects_period"))
    return TenantLine(
        kind=str(item["kind"]),
        description=str(item["description"]),
        deployment_id=_uuid(item.get("deployment_id")),
        resource_kind=item.get("resource_kind"),
        quantity=Decimal(str(item["quantity"])),
        unit_price=Decimal(str(item["unit_price"])),
        amount_cents=_int(item["amount_cents"]),
        corrects_period=corrects,
    )


def _tenant_invoice(item: dict[str, Any]) -> TenantInvoice:
    return TenantInvoice(
        id=UUID(item["id"]),
        tenant_id=UUID(item["tenant_id"]),
        number=item.get("number"),
        status=str(item["status"]),
        period_start=date.fromisoformat(item["period_start"]),
        currency=str(item["currency"]),
        tax_rate=Decimal(str(item["tax_rate"])),
        subtotal_cents=_int(item["subtotal_cents"]),
        tax_cents=_int(item["tax_cents"]),
        total_cents=_int(item["total_cents"]),
        issued_at=_datetime(item.get("issued_at")),
        lines=tuple(_tenant_line(line) for line in item["lines"]),
    )


def _tenant(item: dict[str, Any]) -> Tenant:
    return Tenant(
        id=UUID(item["id"]),
        name=str(item["name"]),
        currency=str(item["currency"]),
        tax_rate=Decimal(str(item["tax_rate"])),
    )


def _deployment(item: dict[str, Any]) -> Deployment:
    return Deployment(
        id=UUID(item["id"]),
        tenant_id=UUID(item["tenant_id"]),
        name=str(item["name"]),
        do_project=item.get("do_project"),
    )


def _resource(item: dict[str, Any]) -> Resource:
    attrs = item.get("attrs") or {}
    parent = attrs.get("droplet_id") if item["kind"] == "droplet_backup" else None
    return Resource(
        id=UUID(item["id"]),
        kind=str(item["kind"]),
        provider_id=str(item["provider_id"]),
        name=item.get("name"),
        project_id=_uuid(item.get("project_id")),
        tenant_id=_uuid(item.get("tenant_id")),
        deployment_id=_uuid(item.get("deployment_id")),
        deleted_at=_datetime(item.get("deleted_at")),
        parent_provider_id=None if parent is None else str(parent),
    )


def _project(item: dict[str, Any]) -> Project:
    return Project(
        id=UUID(item["id"]),
        name=str(item["name"]),
        purpose=item.get("purpose"),
        tenant_id=_uuid(item.get("tenant_id")),
        deployment_id=_uuid(item.get("deployment_id")),
    )


def _usage(item: dict[str, Any]) -> MeteredUsage:
    return MeteredUsage(
        deployment_id=UUID(item["deployment_id"]),
        tenant_id=_uuid(item.get("tenant_id")),
        resource_id=UUID(item["resource_id"]),
        billing_kind=str(item["billing_kind"]),
        quantity=Decimal(str(item["quantity"])),
    )
