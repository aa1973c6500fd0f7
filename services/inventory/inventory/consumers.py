"""Bus subscribers: translate incoming events into inventory use cases.

Each goes through `arcadia_core.consumers.consume`: version check, payload, inbox claim.
"""

from __future__ import annotations

from arcadia_core.bus.errors import Unprocessable
from arcadia_core.bus.ports import Subscription
from arcadia_core.consumers import consume
from arcadia_core.events import (
    CatchUpRequested,
    DeploymentChanged,
    DriftDetected,
    Envelope,
    ResourceDeleted,
    ResourceSynced,
    TenantChanged,
)
from inventory.ports import Clock, UnitOfWork, UnitOfWorkFactory
from inventory.usecases.deployments import link_deployment
from inventory.usecases.drift_log import record_drift
from inventory.usecases.registry import record_tenant
from inventory.usecases.republish import republish_into

SERVICE = "inventory"
CONSUMES = (DriftDetected, TenantChanged, DeploymentChanged, CatchUpRequested)
# what the registry projection asks invoicing to replay on the inventory's first start
REGISTRY_TOPICS = (TenantChanged.EVENT_TYPE, DeploymentChanged.EVENT_TYPE)


def subscriptions(uow: UnitOfWorkFactory, clock: Clock) -> list[Subscription]:
    async def on_deployment_changed(
        work: UnitOfWork, change: DeploymentChanged, _: Envelope
    ) -> None:
        await link_deployment(work, change, clock())

    return [
        consume(SERVICE, DriftDetected, uow=uow, apply=on_drift_detected),
        consume(SERVICE, TenantChanged, uow=uow, apply=on_tenant_changed),
        consume(SERVICE, DeploymentChanged, uow=uow, apply=on_deployment_changed),
        consume(SERVICE, CatchUpRequested, uow=uow, apply=on_catch_up_requested),
    ]


async def on_drift_detected(work: UnitOfWork, finding: DriftDetected, _: Envelope) -> None:
    recorded = await record_drift(
        work,
        finding.resource_id,
        {
            "drift_id": str(finding.drift_id),
            "field": finding.field,
            "desired": finding.desired,
            "actual": finding.actual,
        },
        finding.detected_at,
    )
    if not recorded:
        raise Unprocessable(f"drift for resource {finding.resource_id}, which inventory never held")


async def on_tenant_changed(work: UnitOfWork, change: TenantChanged, _: Envelope) -> None:
    await record_tenant(work, change)


async def on_catch_up_requested(work: UnitOfWork, request: CatchUpRequested, _: Envelope) -> None:
    if set(request.topics) & {ResourceSynced.EVENT_TYPE, ResourceDeleted.EVENT_TYPE}:
        await republish_into(work)
