"""The seeds' demo customer, idempotently: tenant `pilot`, its deployment on DigitalOcean
project `pilot-tenant`, on Studio with storage_50gb from 2026-04-01."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from invoicing.ports import Clock, UnitOfWorkFactory
from invoicing.usecases.registry import create_deployment, create_tenant, subscribe

DEMO_TENANT = "pilot"
DEMO_DEPLOYMENT = "pilot"
DEMO_PROJECT = "pilot-tenant"
DEMO_START = date(2026, 4, 1)


async def ensure_demo_customer(*, uow: UnitOfWorkFactory, clock: Clock) -> tuple[UUID, UUID]:
    """(tenant id, deployment id); creates only what is missing, so a restart changes nothing."""
    async with uow() as work:
        tenant = await work.registry.tenant_by_name(DEMO_TENANT)
        deployment = (
            await work.registry.deployment_named(tenant.id, DEMO_DEPLOYMENT) if tenant else None
        )
        subscribed = bool(deployment and await work.registry.subscriptions_of(deployment.id))
    if tenant is None:
        tenant = await create_tenant(DEMO_TENANT, uow=uow, clock=clock)
    if deployment is None:
        deployment = await create_deployment(
            tenant.id, DEMO_DEPLOYMENT, uow=uow, clock=clock, do_project=DEMO_PROJECT
        )
    if not subscribed:
        await subscribe(
            deployment.id,
            "studio",
            uow=uow,
            clock=clock,
            starts_on=DEMO_START,
            addon_codes=("storage_50gb",),
        )
    return tenant.id, deployment.id
