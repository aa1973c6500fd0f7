"""The reports' HTTP entry point: `GET /api/v1/reports/margin?period=YYYY-MM` (platform admins).

The report is composed from the services' APIs, read with the caller's own token; a service that
cannot answer makes the route answer 503 (never half a report). `margin_json` is the one wire
shape of the report, which the command line prints too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from arcadia_core.auth import PlatformAdmin
from arcadia_core.http import RETRY_AFTER_SECONDS, problem, problem_responses
from gateway.reports.adapters.api_sources import ApiSources
from gateway.reports.domain.leakage import BilledNotMetered, HoursVariance, MeteredNotBilled
from gateway.reports.domain.margin import MarginReport, MixedCurrencies, margin_report
from gateway.reports.domain.months import PERIOD_PATTERN, InvalidPeriod, month_text, parse_month
from gateway.reports.ports import ReportSources, SourcesUnavailable

# the sources a request reads: built per request, with the caller's token
SourcesFor = Callable[[Request], ReportSources]


def api_sources(upstreams: Mapping[str, httpx.AsyncClient]) -> SourcesFor:
    """Sources over the gateway's upstream clients, with the caller's bearer token."""

    def sources(request: Request) -> ReportSources:
        return ApiSources(
            upstreams,
            request.headers["authorization"],
            request_id=request.headers.get("x-request-id"),
        )

    return sources


def reports_router(sources_for: SourcesFor) -> APIRouter:
    router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

    @router.get(
        "/margin",
        summary="Cost against revenue per deployment and kind, reconciled, with leakage (admin)",
        responses=problem_responses(401, 403, 409, 422, 503),
    )
    async def margin(
        request: Request,
        _: PlatformAdmin,
        period: Annotated[str, Query(pattern=PERIOD_PATTERN, description="The month, YYYY-MM")],
    ) -> Response:
        try:
            month = parse_month(period)
        except InvalidPeriod as exc:
            return problem(422, str(exc))
        try:
            sources = await sources_for(request).for_period(month)
        except SourcesUnavailable as exc:
            return problem(
                503,
                f"the report cannot be composed now: {exc}",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        try:
            report = margin_report(sources)
        except MixedCurrencies as exc:
            return problem(409, str(exc))
        return JSONResponse(margin_json(report))

    return router


def _pct(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _id(value: object) -> str | None:
    return None if value is None else str(value)


def _resource(item: BilledNotMetered | MeteredNotBilled | HoursVariance) -> dict[str, Any]:
    return {
        "resource_id": str(item.resource.id),
        "resource_kind": item.resource.kind,
        "resource_name": item.resource.name,
        "link": item.resource.link,
        "tenant_id": _id(item.tenant_id),
        "deployment_id": _id(item.deployment_id),
    }


def margin_json(report: MarginReport) -> dict[str, Any]:
    """The report as JSON: cents as integers, quantities and percentages as decimal strings."""
    check = report.reconciliation
    revenue = report.revenue_check
    leakage = report.leakage
    return {
        "period": month_text(report.period),
        "currencies": list(report.currencies),
        "rows": [
            {
                "tenant_id": _id(row.tenant_id),
                "tenant_name": row.tenant_name,
                "deployment_id": _id(row.deployment_id),
                "deployment_name": row.deployment_name,
                "kind": row.kind,
                "billing_kind": row.billing_kind,
                "provider_kind": row.provider_kind,
                "revenue_cents": row.revenue_cents,
                "cost_cents": row.cost_cents,
                "margin_cents": row.margin_cents,
                "margin_pct": _pct(row.margin_pct),
            }
            for row in report.rows
        ],
        "deployments": [
            {
                "tenant_id": _id(total.tenant_id),
                "tenant_name": total.tenant_name,
                "deployment_id": _id(total.deployment_id),
                "deployment_name": total.deployment_name,
                "revenue_cents": total.revenue_cents,
                "cost_cents": total.cost_cents,
                "margin_cents": total.margin_cents,
                "margin_pct": _pct(total.margin_pct),
            }
            for total in report.deployments
        ],
        "unallocated": [
            {
                "category": row.category,
                "reason": row.reason,
                "kind": row.kind,
                "provider_kind": row.provider_kind,
                "cost_cents": row.cost_cents,
                "lines": row.lines,
            }
            for row in report.unallocated
        ],
        "totals": {
            "revenue_cents": report.revenue_cents,
            "deployment_cost_cents": report.deployment_cost_cents,
            "unallocated_cost_cents": report.unallocated_cost_cents,
            "cost_cents": report.cost_cents,
            "deployment_margin_cents": report.deployment_margin_cents,
            "margin_cents": report.margin_cents,
            "margin_pct": _pct(report.margin_pct),
        },
        "reconciliation": {
            "provider_amount_cents": check.provider_amount_cents,
            "provider_tax_cents": check.provider_tax_cents,
            "provider_net_cents": check.provider_net_cents,
            "report_cost_cents": check.report_cost_cents,
            "difference_cents": check.difference_cents,
            "ok": check.ok,
        },
        "revenue_check": {
            "tenant_subtotal_cents": revenue.tenant_subtotal_cents,
            "report_revenue_cents": revenue.report_revenue_cents,
            "difference_cents": revenue.difference_cents,
            "ok": revenue.ok,
        },
        "provider_invoices": [
            {
                "invoice_uuid": invoice.invoice_uuid,
                "invoice_id": invoice.invoice_id,
                "status": invoice.status,
                "amount_cents": invoice.amount_cents,
                "tax_cents": invoice.tax_cents,
                "lines": len(invoice.lines),
            }
            for invoice in report.provider_invoices
        ],
        "tenant_invoices": [
            {
                "id": str(invoice.id),
                "tenant_id": str(invoice.tenant_id),
                "number": invoice.number,
                "status": invoice.status,
                "currency": invoice.currency,
                "subtotal_cents": invoice.subtotal_cents,
                "tax_cents": invoice.tax_cents,
                "total_cents": invoice.total_cents,
            }
            for invoice in report.tenant_invoices
        ],
        "void_tenant_invoices": [str(invoice.id) for invoice in report.void_invoices],
        "leakage": {
            "billed_not_metered": [
                {
                    **_resource(item),
                    "reason": item.reason,
                    "provider_kinds": list(item.provider_kinds),
                    "cost_cents": item.cost_cents,
                    "lines": item.lines,
                }
                for item in leakage.billed_not_metered
            ],
            "metered_not_billed": [
                {
                    **_resource(item),
                    "billing_kind": item.billing_kind,
                    "quantity": str(item.quantity),
                }
                for item in leakage.metered_not_billed
            ],
            "hours_variance": [
                {
                    **_resource(item),
                    "metered_hours": str(item.metered_hours),
                    "billed_hours": str(item.billed_hours),
                    "variance_hours": str(item.variance_hours),
                    "billed_cents": item.billed_cents,
                }
                for item in leakage.hours_variance
            ],
        },
    }
