"""The registry projection: tenants and deployments as invoicing announced them, version-gated."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, fields
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.projection import upsert_if_newer
from inventory.adapters.tables import registry_deployments, registry_tenants
from inventory.domain.registry import RegisteredDeployment, RegisteredTenant


def _tenant(row: Any) -> RegisteredTenant:
    return RegisteredTenant(**{f.name: row[f.name] for f in fields(RegisteredTenant)})


def _deployment(row: Any) -> RegisteredDeployment:
    return RegisteredDeployment(**{f.name: row[f.name] for f in fields(RegisteredDeployment)})


class SqlRegistryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record_tenant(self, tenant: RegisteredTenant) -> bool:
        return await upsert_if_newer(
            self.session, registry_tenants, asdict(tenant), key=("tenant_id",)
        )

    async def record_deployment(self, deployment: RegisteredDeployment) -> bool:
        return await upsert_if_newer(
            self.session, registry_deployments, asdict(deployment), key=("deployment_id",)
        )

    async def tenants(self, tenant_ids: Collection[UUID]) -> dict[UUID, RegisteredTenant]:
        if not tenant_ids:
            return {}
        rows = await self.session.execute(
            select(registry_tenants).where(registry_tenants.c.tenant_id.in_(list(tenant_ids)))
        )
        return {r["tenant_id"]: _tenant(r) for r in rows.mappings()}

    async def deployments(
        self, deployment_ids: Collection[UUID]
    ) -> dict[UUID, RegisteredDeployment]:
        if not deployment_ids:
            return {}
        c = registry_deployments.c
        rows = await self.session.execute(
            select(registry_deployments).where(c.deployment_id.in_(list(deployment_ids)))
        )
        return {r["deployment_id"]: _deployment(r) for r in rows.mappings()}

    async def pending_links(self) -> list[RegisteredDeployment]:
        c = registry_deployments.c
        rows = await self.session.execute(
            select(registry_deployments).where(c.link_pending).order_by(c.deployment_id)
        )
        return [_deployment(r) for r in rows.mappings()]

    async def set_link_pending(self, deployment_id: UUID, pending: bool) -> None:
        c = registry_deployments.c
        await self.session.execute(
            update(registry_deployments)
            .where(c.deployment_id == deployment_id)
            .values(link_pending=pending)
        )
