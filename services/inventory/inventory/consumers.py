"""Bus subscribers: translate incoming events into inventory use cases."""

from __future__ import annotations

from arcadia_core.bus.ports import Subscription
from arcadia_core.events import DriftDetected, Envelope
from inventory.ports import UnitOfWorkFactory
from inventory.usecases.drift_log import record_drift

SERVICE = "inventory"


def subscriptions(uow: UnitOfWorkFactory) -> list[Subscription]:
    drift = Subscription(
        SERVICE, DriftDetected.EVENT_TYPE, handler=lambda e: on_drift_detected(e, uow)
    )
    return [drift]


async def on_drift_detected(envelope: Envelope, uow: UnitOfWorkFactory) -> None:
    finding = DriftDetected.model_validate(envelope.payload)
    async with uow() as work:
        if not await work.claim_event(f"{SERVICE}.on-{envelope.type}", envelope.id):
            return
        await record_drift(
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
        await work.commit()
