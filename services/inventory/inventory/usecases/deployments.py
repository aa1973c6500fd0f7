"""The customer registry's deployments classify the DigitalOcean projects they run in.

Invoicing owns tenants and deployments; each `deployment.changed` names the DO project of the
deployment. That project takes the deployment's tenant and id (its resources inherit them),
and a project the deployment has left is released.
"""

from __future__ import annotations

from datetime import datetime

from arcadia_core.bus.errors import Unprocessable
from arcadia_core.events import DeploymentChanged
from inventory.domain.projects import Classification
from inventory.ports import UnitOfWork
from inventory.usecases.projects import reattribute

RELEASE = Classification(clear=frozenset({"tenant_id", "deployment_id"}))


async def link_deployment(work: UnitOfWork, change: DeploymentChanged, now: datetime) -> int:
    """Classify the deployment's project, release the ones it left; returns projects changed.

    A deployment naming a project the mirror does not hold cannot be applied: it is refused
    (dead-lettered with the reason) and can be replayed once the project has been synced.
    """
    await work.resources.lock_writes()  # serialized with syncs and sweeps before any read
    live = [p for p in (await work.projects.all()).values() if p.deleted_at is None]
    wanted = change.do_project if change.active else None
    targets = [p for p in live if wanted is not None and p.name == wanted]
    if wanted is not None and not targets:
        raise Unprocessable(
            f"deployment {change.deployment_id} runs in DigitalOcean project {wanted!r}, "
            "which the inventory does not hold; sync projects, then replay this event"
        )
    link = Classification(tenant_id=change.tenant_id, deployment_id=change.deployment_id)
    changed = [
        RELEASE.apply(p)
        for p in live
        if p.deployment_id == change.deployment_id and p not in targets
    ]
    changed += [
        link.apply(p)
        for p in targets
        if (p.tenant_id, p.deployment_id) != (change.tenant_id, change.deployment_id)
    ]
    if changed:
        await work.projects.save(changed)
        await reattribute(work, now)
    return len(changed)
