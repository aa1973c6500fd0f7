"""The registry projection: what invoicing announced of its tenants and deployments.

`tenant.changed` and `deployment.changed` feed it, each version-gated, so a repeat or a late
event changes nothing; on its first start the inventory asks invoicing once to replay the whole
registry (`catchup.requested`). Classifications are checked against it (`check`), and a
deployment's DigitalOcean project is linked from it: at once when the project is mirrored,
otherwise by the next projects sweep (`link_pending`).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from arcadia_core.events import DeploymentChanged, TenantChanged
from inventory.domain.projects import Classification, Project
from inventory.domain.registry import (
    RegisteredDeployment,
    RegisteredTenant,
    check_classification,
)
from inventory.ports import UnitOfWork

RELEASE = Classification(clear=frozenset({"tenant_id", "deployment_id"}))


async def record_tenant(work: UnitOfWork, change: TenantChanged) -> bool:
    """Remember a tenant as invoicing announced it; False for a repeat or a late event."""
    return await work.registry.record_tenant(
        RegisteredTenant(
            tenant_id=change.tenant_id,
            name=change.name,
            active=change.active,
            version=change.version,
        )
    )


async def record_deployment(work: UnitOfWork, change: DeploymentChanged) -> bool:
    """Remember a deployment (its link still to apply); False for a repeat or a late event."""
    return await work.registry.record_deployment(
        RegisteredDeployment(
            deployment_id=change.deployment_id,
            tenant_id=change.tenant_id,
            do_project=change.do_project,
            active=change.active,
            version=change.version,
            link_pending=change.active and change.do_project is not None,
        )
    )


async def check(
    work: UnitOfWork,
    classification: Classification,
    current: tuple[UUID | None, UUID | None],
) -> None:
    """Raise `UnknownToRegistry` unless the registry projection knows what `classification`
    sets (an active tenant, a live deployment of that tenant). `current` is the
    (tenant_id, deployment_id) the project or resource holds now."""
    tenant_ids = {t for t in (classification.tenant_id,) if t is not None}
    deployment_ids = {d for d in (classification.deployment_id, current[1]) if d is not None}
    check_classification(
        classification,
        current,
        await work.registry.tenants(tenant_ids),
        await work.registry.deployments(deployment_ids),
    )


def plan_link(
    deployment: RegisteredDeployment, live: Sequence[Project]
) -> tuple[list[Project], bool]:
    """(projects to save, whether the link must wait for its project to be mirrored).

    The deployment's project takes its tenant and id; a project it left is released. A
    project already linked is not changed, so a replayed deployment changes nothing.
    """
    wanted = deployment.do_project if deployment.active else None
    targets = [p for p in live if wanted is not None and p.name == wanted]
    waits = wanted is not None and not targets
    link = Classification(tenant_id=deployment.tenant_id, deployment_id=deployment.deployment_id)
    changed = [
        RELEASE.apply(p)
        for p in live
        if p.deployment_id == deployment.deployment_id and p not in targets
    ]
    changed += [
        link.apply(p)
        for p in targets
        if (p.tenant_id, p.deployment_id) != (deployment.tenant_id, deployment.deployment_id)
    ]
    return changed, waits


async def live_projects(work: UnitOfWork) -> list[Project]:
    return [p for p in (await work.projects.all()).values() if p.deleted_at is None]


async def link(work: UnitOfWork, deployment: RegisteredDeployment) -> int:
    """Apply one deployment's link to the mirrored projects (without re-attributing their
    resources: the caller does); returns how many projects changed."""
    changed, waits = plan_link(deployment, await live_projects(work))
    if changed:
        await work.projects.save(changed)
    if waits != deployment.link_pending:
        await work.registry.set_link_pending(deployment.deployment_id, waits)
    return len(changed)


async def link_pending(work: UnitOfWork) -> int:
    """Apply the links that waited for their project (a projects sweep calls this inside its
    write transaction, before re-attributing); returns how many projects changed."""
    changed = 0
    for deployment in await work.registry.pending_links():
        changed += await link(work, deployment)
    return changed
