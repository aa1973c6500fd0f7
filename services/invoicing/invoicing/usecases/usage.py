"""The usage projection, fed by `usage.metered`: one version per (deployment, day)."""

from __future__ import annotations

from arcadia_core.bus.errors import Unprocessable
from arcadia_core.events import UsageMetered
from invoicing.ports import Clock, UnitOfWork


async def record_usage(work: UnitOfWork, payload: UsageMetered, clock: Clock) -> bool:
    """Replace the deployment's day with this version unless a newer one is held.

    A deployment this registry does not know, or a tenant that does not own it, can never be
    applied: the event goes to the dead-letter queue with the reason.
    """
    deployment = await work.registry.deployment(payload.deployment_id)
    if deployment is None:
        raise Unprocessable(f"usage for unknown deployment {payload.deployment_id}")
    if payload.tenant_id is not None and payload.tenant_id != deployment.tenant_id:
        raise Unprocessable(
            f"usage names tenant {payload.tenant_id} for deployment {deployment.id} of tenant "
            f"{deployment.tenant_id}"
        )
    if any(q < 0 for q in payload.totals.values()):
        raise Unprocessable("negative usage")
    return await work.usage.replace_day(
        payload.deployment_id, payload.day, payload.version, payload.totals, clock()
    )
