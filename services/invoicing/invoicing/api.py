"""The invoicing HTTP API (reached through the gateway under /api/v1).

A platform admin writes the registry and the catalog and sees everything; a tenant reads its
own tenant, deployments, subscriptions and invoices (a foreign id answers 404) and may ask
for quotes; admin-only routes answer 403 to a tenant.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response, status
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.auth import CurrentPrincipal, PlatformAdmin, Principal
from arcadia_core.http import problem, problem_responses
from invoicing.adapters import queries
from invoicing.domain.lifecycle import IllegalTransition
from invoicing.domain.model import Conflict, Invalid, NotFound
from invoicing.domain.period import InvalidPeriod, Period
from invoicing.schemas import (
    AddonIn,
    AddonOut,
    DeploymentIn,
    DeploymentOut,
    DeploymentPatch,
    InvoiceDetail,
    InvoiceOut,
    LineOut,
    Page,
    PlanIn,
    PlanOut,
    QuoteIn,
    QuoteOut,
    RollupIn,
    RollupOut,
    StatusFilter,
    SubscriptionEnd,
    SubscriptionIn,
    SubscriptionOut,
    TenantIn,
    TenantOut,
    TenantPatch,
)
from invoicing.usecases import catalog as catalog_cases
from invoicing.usecases import documents as document_cases
from invoicing.usecases import invoices as invoice_cases
from invoicing.usecases import registry as registry_cases
from invoicing.usecases.quotes import price
from invoicing.usecases.rollup import roll_up_period

router = APIRouter(prefix="/api/v1", tags=["invoicing"])

Limit = Annotated[int, Query(ge=1, le=500, description="Page size")]


def _container(request: Request) -> Any:
    return request.app.state.container


def _sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    sessions: async_sessionmaker[AsyncSession] = _container(request).sessions
    return sessions


async def domain_error(_: Request, exc: Exception) -> Response:
    """Registered on the app: the use cases' refusals as problem responses."""
    if isinstance(exc, NotFound):
        return problem(status.HTTP_404_NOT_FOUND, str(exc).strip("'\""))
    if isinstance(exc, Conflict | IllegalTransition):
        return problem(status.HTTP_409_CONFLICT, str(exc))
    if isinstance(exc, queries.InvalidCursor):
        return problem(status.HTTP_400_BAD_REQUEST, str(exc))
    return problem(422, str(exc))


ERRORS: tuple[type[Exception], ...] = (
    NotFound,
    Conflict,
    Invalid,
    IllegalTransition,
    InvalidPeriod,
    queries.InvalidCursor,
)


def _not_found(what: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


# --- tenants -----------------------------------------------------------------------------------


@router.get("/tenants", response_model=Page[TenantOut], summary="List tenants (a tenant: itself)")
async def list_tenants(
    request: Request, principal: CurrentPrincipal, limit: Limit = 100, cursor: str | None = None
) -> Page[TenantOut]:
    async with _sessions(request)() as session:
        rows, next_cursor = await queries.list_tenants(
            session, principal, limit=limit, cursor=cursor
        )
    return Page[TenantOut](
        items=[TenantOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/tenants/{tenant_id}", response_model=TenantOut, summary="One tenant")
async def get_tenant(request: Request, principal: CurrentPrincipal, tenant_id: UUID) -> TenantOut:
    async with _sessions(request)() as session:
        row = await queries.get_tenant(session, principal, tenant_id)
    if row is None:
        raise _not_found("tenant")
    return TenantOut.model_validate(row)


@router.post(
    "/tenants", response_model=TenantOut, status_code=201, summary="Create a tenant (admin)"
)
async def create_tenant(request: Request, _: PlatformAdmin, body: TenantIn) -> TenantOut:
    c = _container(request)
    tenant = await registry_cases.create_tenant(
        body.name,
        uow=c.uow,
        clock=c.clock,
        external_id=body.external_id,
        tax_rate=body.tax_rate,
        currency=body.currency,
    )
    return TenantOut.model_validate(tenant)


@router.patch("/tenants/{tenant_id}", response_model=TenantOut, summary="Change a tenant (admin)")
async def patch_tenant(
    request: Request, _: PlatformAdmin, tenant_id: UUID, body: TenantPatch
) -> TenantOut:
    c = _container(request)
    kwargs: dict[str, Any] = {"name": body.name, "tax_rate": body.tax_rate}
    if "external_id" in body.model_fields_set:
        kwargs["external_id"] = body.external_id
    tenant = await registry_cases.update_tenant(tenant_id, uow=c.uow, **kwargs)
    return TenantOut.model_validate(tenant)


# --- deployments -------------------------------------------------------------------------------


@router.get("/deployments", response_model=Page[DeploymentOut], summary="List deployments")
async def list_deployments(
    request: Request,
    principal: CurrentPrincipal,
    tenant: UUID | None = None,
    include_removed: bool = False,
    limit: Limit = 100,
    cursor: str | None = None,
) -> Page[DeploymentOut]:
    async with _sessions(request)() as session:
        rows, next_cursor = await queries.list_deployments(
            session,
            principal,
            tenant_id=tenant,
            include_removed=include_removed,
            limit=limit,
            cursor=cursor,
        )
    return Page[DeploymentOut](
        items=[DeploymentOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/deployments/{deployment_id}", response_model=DeploymentOut, summary="One deployment")
async def get_deployment(
    request: Request, principal: CurrentPrincipal, deployment_id: UUID
) -> DeploymentOut:
    async with _sessions(request)() as session:
        row = await queries.get_deployment(session, principal, deployment_id)
    if row is None:
        raise _not_found("deployment")
    return DeploymentOut.model_validate(row)


@router.post(
    "/deployments",
    response_model=DeploymentOut,
    status_code=201,
    summary="Create a deployment (admin); the inventory classifies its DigitalOcean project",
)
async def create_deployment(
    request: Request, _: PlatformAdmin, body: DeploymentIn
) -> DeploymentOut:
    c = _container(request)
    deployment = await registry_cases.create_deployment(
        body.tenant_id, body.name, uow=c.uow, clock=c.clock, do_project=body.do_project
    )
    return DeploymentOut.model_validate(deployment)


@router.patch(
    "/deployments/{deployment_id}",
    response_model=DeploymentOut,
    summary="Rename or relink a deployment (admin)",
)
async def patch_deployment(
    request: Request, _: PlatformAdmin, deployment_id: UUID, body: DeploymentPatch
) -> DeploymentOut:
    c = _container(request)
    kwargs: dict[str, Any] = {"name": body.name}
    if "do_project" in body.model_fields_set:
        kwargs["do_project"] = body.do_project
    deployment = await registry_cases.update_deployment(
        deployment_id, uow=c.uow, clock=c.clock, **kwargs
    )
    return DeploymentOut.model_validate(deployment)


@router.delete(
    "/deployments/{deployment_id}",
    response_model=DeploymentOut,
    summary="Remove a deployment (admin): its project released, its subscriptions ended that day",
)
async def delete_deployment(
    request: Request, _: PlatformAdmin, deployment_id: UUID
) -> DeploymentOut:
    c = _container(request)
    deployment = await registry_cases.update_deployment(
        deployment_id, uow=c.uow, clock=c.clock, active=False
    )
    return DeploymentOut.model_validate(deployment)


# --- catalog -----------------------------------------------------------------------------------


@router.get("/plans", response_model=Page[PlanOut], summary="The catalog's plans")
async def list_plans(request: Request, _: CurrentPrincipal) -> Page[PlanOut]:
    async with _container(request).uow() as work:
        found = await work.catalog.plans()
    return Page[PlanOut](items=[PlanOut.of(p) for p in found.values()], next_cursor=None)


@router.get("/plans/{code}", response_model=PlanOut, summary="One plan")
async def get_plan(request: Request, _: CurrentPrincipal, code: str) -> PlanOut:
    async with _container(request).uow() as work:
        found = (await work.catalog.plans()).get(code)
    if found is None:
        raise _not_found("plan")
    return PlanOut.of(found)


@router.put("/plans/{code}", response_model=PlanOut, summary="Create or replace a plan (admin)")
async def put_plan(request: Request, _: PlatformAdmin, code: str, body: PlanIn) -> PlanOut:
    c = _container(request)
    plan = await catalog_cases.put_plan(body.to_domain(code), uow=c.uow, clock=c.clock)
    return PlanOut.of(plan)


@router.get("/addons", response_model=Page[AddonOut], summary="The catalog's add-ons")
async def list_addons(request: Request, _: CurrentPrincipal) -> Page[AddonOut]:
    async with _container(request).uow() as work:
        found = await work.catalog.addons()
    return Page[AddonOut](items=[AddonOut.of(a) for a in found.values()], next_cursor=None)


@router.get("/addons/{code}", response_model=AddonOut, summary="One add-on")
async def get_addon(request: Request, _: CurrentPrincipal, code: str) -> AddonOut:
    async with _container(request).uow() as work:
        found = (await work.catalog.addons()).get(code)
    if found is None:
        raise _not_found("add-on")
    return AddonOut.of(found)


@router.put(
    "/addons/{code}", response_model=AddonOut, summary="Create or replace an add-on (admin)"
)
async def put_addon(request: Request, _: PlatformAdmin, code: str, body: AddonIn) -> AddonOut:
    c = _container(request)
    addon = await catalog_cases.put_addon(body.to_domain(code), uow=c.uow, clock=c.clock)
    return AddonOut.of(addon)


# --- subscriptions -----------------------------------------------------------------------------


@router.get("/subscriptions", response_model=Page[SubscriptionOut], summary="List subscriptions")
async def list_subscriptions(
    request: Request,
    principal: CurrentPrincipal,
    tenant: UUID | None = None,
    deployment: UUID | None = None,
    limit: Limit = 100,
    cursor: str | None = None,
) -> Page[SubscriptionOut]:
    async with _sessions(request)() as session:
        found, next_cursor = await queries.list_subscriptions(
            session,
            principal,
            tenant_id=tenant,
            deployment_id=deployment,
            limit=limit,
            cursor=cursor,
        )
    return Page[SubscriptionOut](
        items=[SubscriptionOut.model_validate(s) for s in found], next_cursor=next_cursor
    )


@router.get(
    "/subscriptions/{subscription_id}", response_model=SubscriptionOut, summary="One subscription"
)
async def get_subscription(
    request: Request, principal: CurrentPrincipal, subscription_id: UUID
) -> SubscriptionOut:
    async with _sessions(request)() as session:
        found = await queries.get_subscription(session, principal, subscription_id)
    if found is None:
        raise _not_found("subscription")
    return SubscriptionOut.model_validate(found)


@router.post(
    "/subscriptions",
    response_model=SubscriptionOut,
    status_code=201,
    summary="Put a deployment on a plan with add-ons (admin)",
)
async def create_subscription(
    request: Request, _: PlatformAdmin, body: SubscriptionIn
) -> SubscriptionOut:
    c = _container(request)
    subscription = await registry_cases.subscribe(
        body.deployment_id,
        body.plan,
        uow=c.uow,
        clock=c.clock,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        addon_codes=tuple(body.addons),
    )
    return SubscriptionOut.model_validate(subscription)


@router.post(
    "/subscriptions/{subscription_id}/end",
    response_model=SubscriptionOut,
    summary="End a subscription on a day (admin); that month is prorated",
)
async def end_subscription(
    request: Request, _: PlatformAdmin, subscription_id: UUID, body: SubscriptionEnd
) -> SubscriptionOut:
    subscription = await registry_cases.end_subscription(
        subscription_id, body.ends_on, uow=_container(request).uow
    )
    return SubscriptionOut.model_validate(subscription)


# --- quotes ------------------------------------------------------------------------------------


@router.post("/quotes", response_model=QuoteOut, summary="Price projected usage on a plan")
async def create_quote(request: Request, principal: CurrentPrincipal, body: QuoteIn) -> QuoteOut:
    c = _container(request)
    tenant_id = body.tenant_id
    if not principal.is_platform_admin:
        if tenant_id is not None and tenant_id != principal.tenant_id:
            raise _not_found("tenant")
        tenant_id = principal.tenant_id
    period = Period.parse(body.period) if body.period else Period.containing(c.clock().date())
    priced = await price(
        body.plan,
        body.addons,
        body.usage,
        period,
        uow=c.uow,
        active_days=body.active_days,
        tenant_id=tenant_id,
    )
    return QuoteOut(
        plan=body.plan,
        period=str(period),
        currency=priced.quote.currency,
        active_days=priced.quote.active_days,
        period_days=priced.quote.period_days,
        lines=[LineOut.model_validate(line) for line in priced.quote.lines],
        subtotal_cents=priced.totals.subtotal_cents,
        tax_rate=priced.tax_rate,
        tax_cents=priced.totals.tax_cents,
        total_cents=priced.totals.total_cents,
    )


# --- invoices ----------------------------------------------------------------------------------


@router.get("/invoices", response_model=Page[InvoiceOut], summary="List tenant invoices")
async def list_invoices(
    request: Request,
    principal: CurrentPrincipal,
    tenant: UUID | None = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    status_: Annotated[StatusFilter | None, Query(alias="status")] = None,
    limit: Limit = 100,
    cursor: str | None = None,
) -> Page[InvoiceOut]:
    start: date | None = Period.parse(period).start if period else None
    async with _sessions(request)() as session:
        rows, next_cursor = await queries.list_invoices(
            session,
            principal,
            tenant_id=tenant,
            period_start=start,
            status=status_,
            limit=limit,
            cursor=cursor,
        )
    return Page[InvoiceOut](
        items=[InvoiceOut.model_validate(r) for r in rows], next_cursor=next_cursor
    )


async def _visible(request: Request, principal: Principal, invoice_id: UUID) -> None:
    """404 unless the invoice exists and the principal may see it."""
    async with _sessions(request)() as session:
        visible = await queries.invoice_visible(session, principal, invoice_id)
    if not visible:
        raise _not_found("invoice")


async def _detail(request: Request, principal: Principal, invoice_id: UUID) -> InvoiceDetail:
    await _visible(request, principal, invoice_id)
    async with _container(request).uow() as work:
        invoice = await work.invoices.get(invoice_id)
    if invoice is None:
        raise _not_found("invoice")
    return InvoiceDetail(
        **InvoiceOut.model_validate(invoice).model_dump(),
        lines=[LineOut.model_validate(line) for line in invoice.lines],
    )


@router.get("/invoices/{invoice_id}", response_model=InvoiceDetail, summary="An invoice with lines")
async def get_invoice(
    request: Request, principal: CurrentPrincipal, invoice_id: UUID
) -> InvoiceDetail:
    return await _detail(request, principal, invoice_id)


async def _transition(
    request: Request, principal: Principal, invoice_id: UUID, action: str
) -> InvoiceDetail:
    c = _container(request)
    await invoice_cases.transition(
        invoice_id, action, uow=c.uow, clock=c.clock, renderer=c.renderer
    )
    return await _detail(request, principal, invoice_id)


NOT_ISSUED = {
    **problem_responses(409)[409],
    "description": "Not issued (a draft, or voided before issue): it has no PDF",
}
PRIVATE = "private, no-cache"  # a tenant's document: never in a shared cache


def _etag_matches(if_none_match: str | None, etag: str) -> bool:
    if if_none_match is None:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return etag in tags or "*" in tags


@router.get(
    "/invoices/{invoice_id}/pdf",
    response_class=Response,
    summary="The issued invoice as a PDF, rendered once at issue and served unchanged",
    responses={
        200: {
            "content": {"application/pdf": {}},
            "description": "The stored PDF. `ETag` is its quoted sha256 (also plain in "
            "`X-Content-SHA256`); `If-None-Match` with it answers 304.",
        },
        304: {"description": "The PDF is the one the client holds"},
        409: NOT_ISSUED,
    },
)
async def get_invoice_pdf(
    request: Request,
    principal: CurrentPrincipal,
    invoice_id: UUID,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    await _visible(request, principal, invoice_id)
    c = _container(request)
    invoice, document = await document_cases.invoice_pdf(
        invoice_id, uow=c.uow, renderer=c.renderer, clock=c.clock
    )
    etag = f'"{document.sha256}"'
    headers = {"ETag": etag, "X-Content-SHA256": document.sha256, "Cache-Control": PRIVATE}
    if _etag_matches(if_none_match, etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    return Response(document.pdf, media_type="application/pdf", headers=headers)


@router.get(
    "/invoices/{invoice_id}/document",
    response_class=HTMLResponse,
    summary="The invoice as an HTML fragment (the PDF's template) for a web page to embed",
    responses={
        200: {
            "content": {"text/html": {}},
            "description": 'One `<article class="arcadia-invoice">` element, rendered '
            "from the invoice's current data; a draft is marked DRAFT, a void one VOID.",
        },
    },
)
async def get_invoice_document(
    request: Request, principal: CurrentPrincipal, invoice_id: UUID
) -> HTMLResponse:
    await _visible(request, principal, invoice_id)
    c = _container(request)
    _, html = await document_cases.invoice_html(invoice_id, uow=c.uow, renderer=c.renderer)
    return HTMLResponse(html, headers={"Cache-Control": PRIVATE})


@router.post(
    "/invoices/{invoice_id}/issue",
    response_model=InvoiceDetail,
    summary="Issue a draft (admin): it gets its number and its PDF, and never changes again",
)
async def issue_invoice(request: Request, admin: PlatformAdmin, invoice_id: UUID) -> InvoiceDetail:
    return await _transition(request, admin, invoice_id, "issue")


@router.post(
    "/invoices/{invoice_id}/pay", response_model=InvoiceDetail, summary="Mark paid (admin)"
)
async def pay_invoice(request: Request, admin: PlatformAdmin, invoice_id: UUID) -> InvoiceDetail:
    return await _transition(request, admin, invoice_id, "pay")


@router.post("/invoices/{invoice_id}/void", response_model=InvoiceDetail, summary="Void (admin)")
async def void_invoice(request: Request, admin: PlatformAdmin, invoice_id: UUID) -> InvoiceDetail:
    return await _transition(request, admin, invoice_id, "void")


@router.post(
    "/invoices/rollup",
    response_model=RollupOut,
    summary="Roll up a month into tenant invoices (admin); a re-run skips unless force",
)
async def rollup(request: Request, _: PlatformAdmin, body: RollupIn) -> RollupOut:
    c = _container(request)
    summary = await roll_up_period(
        Period.parse(body.period), uow=c.uow, clock=c.clock, force=body.force
    )
    return RollupOut(
        period=summary.period,
        tenants=summary.tenants,
        created=summary.created,
        regenerated=summary.regenerated,
        skipped=summary.skipped,
        locked=summary.locked,
    )
