"""The customer registry: tenants (with `tenant.changed`), deployments (with
`deployment.changed`), subscriptions, and the registry's replay for a new projection."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from arcadia_core.events import CatchUpRequested, DeploymentChanged, Envelope, TenantChanged
from invoicing.domain.model import (
    ACTIVE,
    CANCELLED,
    DEFAULT_CURRENCY,
    DEFAULT_TAX_RATE,
    Conflict,
    Deployment,
    Invalid,
    NotFound,
    Subscription,
    Tenant,
    overlaps,
)
from invoicing.ports import Clock, UnitOfWork, UnitOfWorkFactory

UNSET: object = object()


def _tenant_changed(tenant: Tenant) -> TenantChanged:
    return TenantChanged(tenant_id=tenant.id, name=tenant.name, active=True, version=tenant.version)


def _check_rate(rate: Decimal) -> None:
    if not Decimal(0) <= rate < Decimal(1):
        raise Invalid(f"tax rate must be a fraction in [0, 1), e.g. 0.10, not {rate}")


async def create_tenant(
    name: str,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    external_id: str | None = None,
    tax_rate: Decimal = DEFAULT_TAX_RATE,
    currency: str = DEFAULT_CURRENCY,
    tenant_id: UUID | None = None,
) -> Tenant:
    _check_rate(tax_rate)
    if not name.strip():
        raise Invalid("a tenant needs a name")
    async with uow() as work:
        if await work.registry.tenant_taken(name, external_id):
            raise Conflict(f"a tenant named {name!r} or with external id {external_id!r} exists")
        tenant = Tenant(
            id=tenant_id or uuid4(),
            name=name,
            external_id=external_id,
            tax_rate=tax_rate,
            currency=currency.upper(),
            created_at=clock(),
            version=1,
        )
        await work.registry.add_tenant(tenant)
        work.emit(_tenant_changed(tenant))
        await work.commit()
    return tenant


async def update_tenant(
    tenant_id: UUID,
    *,
    uow: UnitOfWorkFactory,
    name: str | None = None,
    external_id: str | object | None = UNSET,
    tax_rate: Decimal | None = None,
) -> Tenant:
    async with uow() as work:
        tenant = await work.registry.tenant(tenant_id, lock=True)
        if tenant is None:
            raise NotFound(f"tenant {tenant_id} not found")
        changed = replace(
            tenant,
            name=name if name is not None else tenant.name,
            external_id=tenant.external_id if external_id is UNSET else external_id,  # type: ignore[arg-type]
            tax_rate=tax_rate if tax_rate is not None else tenant.tax_rate,
        )
        _check_rate(changed.tax_rate)
        if changed == tenant:
            return tenant
        if await work.registry.tenant_taken(changed.name, changed.external_id, tenant.id):
            raise Conflict("another tenant has that name or external id")
        changed = replace(changed, version=tenant.version + 1)
        await work.registry.save_tenant(changed)
        work.emit(_tenant_changed(changed))
        await work.commit()
    return changed


def _changed(deployment: Deployment) -> DeploymentChanged:
    return DeploymentChanged(
        deployment_id=deployment.id,
        tenant_id=deployment.tenant_id,
        name=deployment.name,
        do_project=deployment.do_project,
        active=deployment.active,
        version=deployment.version,
    )


async def _check_project(work: UnitOfWork, do_project: str | None, own: UUID | None) -> None:
    if do_project is None:
        return
    owner = await work.registry.project_owner(do_project)
    if owner is not None and owner.id != own:
        raise Conflict(f"DigitalOcean project {do_project!r} belongs to deployment {owner.id}")


async def create_deployment(
    tenant_id: UUID,
    name: str,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    do_project: str | None = None,
    deployment_id: UUID | None = None,
) -> Deployment:
    """Register a deployment; `deployment.changed` tells the inventory to classify its project."""
    if not name.strip():
        raise Invalid("a deployment needs a name")
    async with uow() as work:
        if await work.registry.tenant(tenant_id) is None:
            raise NotFound(f"tenant {tenant_id} not found")
        if await work.registry.deployment_named(tenant_id, name) is not None:
            raise Conflict(f"tenant {tenant_id} already has a deployment named {name!r}")
        await _check_project(work, do_project, None)
        now = clock()
        deployment = Deployment(
            id=deployment_id or uuid4(),
            tenant_id=tenant_id,
            name=name,
            do_project=do_project,
            active=True,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await work.registry.add_deployment(deployment)
        work.emit(_changed(deployment))
        await work.commit()
    return deployment


async def update_deployment(
    deployment_id: UUID,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    name: str | None = None,
    do_project: str | object | None = UNSET,
    active: bool | None = None,
) -> Deployment:
    """Rename, relink or remove (`active=False`) a deployment; every change is announced."""
    async with uow() as work:
        deployment = await work.registry.deployment(deployment_id, lock=True)
        if deployment is None:
            raise NotFound(f"deployment {deployment_id} not found")
        changed = replace(
            deployment,
            name=name if name is not None else deployment.name,
            do_project=deployment.do_project if do_project is UNSET else do_project,  # type: ignore[arg-type]
            active=deployment.active if active is None else active,
        )
        if changed == deployment:
            return deployment
        if changed.name != deployment.name:
            other = await work.registry.deployment_named(deployment.tenant_id, changed.name)
            if other is not None:
                raise Conflict(f"the tenant already has a deployment named {changed.name!r}")
        if changed.active:
            await _check_project(work, changed.do_project, deployment.id)
        changed = replace(changed, version=deployment.version + 1, updated_at=clock())
        await work.registry.save_deployment(changed)
        if deployment.active and not changed.active:
            await _end_subscriptions_of(work, deployment.id, clock().date())
        work.emit(_changed(changed))
        await work.commit()
    return changed


async def _end_subscriptions_of(work: UnitOfWork, deployment_id: UUID, removed_on: date) -> None:
    """A removed deployment is billed up to the day it was removed and never after: a running
    subscription ends that day (prorated as any end is), one not started yet never starts."""
    for subscription in await work.registry.subscriptions_of(deployment_id):
        if subscription.ends_on is not None and subscription.ends_on <= removed_on:
            continue
        ends_on = (
            subscription.starts_on - timedelta(days=1)  # no active day at all
            if subscription.starts_on > removed_on
            else removed_on
        )
        await work.registry.end_subscription(subscription.id, ends_on, CANCELLED)


async def subscribe(
    deployment_id: UUID,
    plan_code: str,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    starts_on: date,
    addon_codes: tuple[str, ...] = (),
    ends_on: date | None = None,
    subscription_id: UUID | None = None,
) -> Subscription:
    if ends_on is not None and ends_on < starts_on:
        raise Invalid("a subscription cannot end before it starts")
    if len(set(addon_codes)) != len(addon_codes):
        raise Invalid("an add-on is listed twice")
    async with uow() as work:
        deployment = await work.registry.deployment(deployment_id, lock=True)
        if deployment is None:
            raise NotFound(f"deployment {deployment_id} not found")
        if not deployment.active:
            raise Conflict(f"deployment {deployment_id} was removed")
        tenant = await work.registry.tenant(deployment.tenant_id)
        assert tenant is not None
        plan = (await work.catalog.plans()).get(plan_code)
        if plan is None:
            raise NotFound(f"plan {plan_code!r} not found")
        known = await work.catalog.addons()
        for code in addon_codes:
            if code not in known:
                raise NotFound(f"add-on {code!r} not found")
            if known[code].currency != plan.currency:
                raise Invalid(f"add-on {code} is priced in {known[code].currency}")
        if plan.currency != tenant.currency:
            raise Invalid(
                f"plan {plan_code} is priced in {plan.currency}, tenant in {tenant.currency}"
            )
        for existing in await work.registry.subscriptions_of(deployment_id):
            if overlaps(existing.starts_on, existing.ends_on, starts_on, ends_on):
                raise Conflict(
                    f"deployment {deployment_id} already has subscription {existing.id} "
                    f"from {existing.starts_on} to {existing.ends_on or 'open end'}"
                )
        subscription = Subscription(
            id=subscription_id or uuid4(),
            tenant_id=deployment.tenant_id,
            deployment_id=deployment_id,
            plan_code=plan_code,
            addon_codes=tuple(sorted(addon_codes)),
            starts_on=starts_on,
            ends_on=ends_on,
            status=ACTIVE,
            created_at=clock(),
        )
        await work.registry.add_subscription(subscription)
        await work.commit()
    return subscription


async def end_subscription(
    subscription_id: UUID, ends_on: date, *, uow: UnitOfWorkFactory
) -> Subscription:
    """`ends_on` is the last day billed; the month it falls in is prorated."""
    async with uow() as work:
        subscription = await work.registry.subscription(subscription_id)
        if subscription is None:
            raise NotFound(f"subscription {subscription_id} not found")
        if ends_on < subscription.starts_on:
            raise Invalid("a subscription cannot end before it starts")
        if subscription.ends_on is not None and subscription.ends_on < ends_on:
            raise Conflict(f"subscription already ended on {subscription.ends_on}")
        await work.registry.end_subscription(subscription_id, ends_on, CANCELLED)
        await work.commit()
    return replace(subscription, ends_on=ends_on, status=CANCELLED)


REGISTRY_TOPICS = frozenset({TenantChanged.EVENT_TYPE, DeploymentChanged.EVENT_TYPE})


async def on_catch_up_requested(work: UnitOfWork, request: CatchUpRequested, _: Envelope) -> int:
    """A new registry projection (the inventory's) asks for the registry: re-send every tenant
    and every deployment at its current version, which a projection already holding it
    ignores. Returns how many events were emitted."""
    if not REGISTRY_TOPICS & set(request.topics):
        return 0
    events: list[TenantChanged | DeploymentChanged] = [
        _tenant_changed(t) for t in await work.registry.all_tenants()
    ]
    events += [_changed(d) for d in await work.registry.all_deployments()]
    work.emit(*events)
    return len(events)
