"""The customer registry's deployments classify the DigitalOcean projects they run in.

Invoicing owns tenants and deployments; each `deployment.changed` names the DO project of the
deployment. The deployment is recorded in the registry projection first (version-gated: a
repeat or a late event changes nothing), then its project takes the deployment's tenant and id
(its resources inherit them), and a project the deployment has left is released.
"""

from __future__ import annotations

from datetime import datetime

from arcadia_core.events import DeploymentChanged
from inventory.ports import UnitOfWork
from inventory.usecases.projects import reattribute
from inventory.usecases.registry import link, record_deployment


async def link_deployment(work: UnitOfWork, change: DeploymentChanged, now: datetime) -> int:
    """Record the deployment, classify its project, release the ones it left; returns how
    many projects changed.

    A deployment naming a project the mirror does not hold yet is not refused: its link waits
    in the registry projection and the next projects sweep applies it.
    """
    await work.resources.lock_writes()  # serialized with syncs and sweeps before any read
    if not await record_deployment(work, change):
        return 0
    (deployment,) = (await work.registry.deployments({change.deployment_id})).values()
    changed = await link(work, deployment)
    if changed:
        await reattribute(work, now)
    return changed
