"""An operator resolves a drift: accepting makes the live value the desired state."""

from __future__ import annotations

from uuid import UUID

from drift.domain.detection import accept
from drift.domain.model import Drift, DriftNotOpen
from drift.ports import Clock, UnitOfWorkFactory
from drift.usecases.events import drift_resolved


class DriftNotFound(LookupError):
    pass


async def accept_drift(
    drift_id: UUID, *, by: str, reason: str | None, uow: UnitOfWorkFactory, clock: Clock
) -> Drift:
    """Adopt the drift's live value into the spec (bumping spec_version) and close it.

    Raises `DriftNotFound`, or `DriftNotOpen` when it was already resolved.
    """
    async with uow() as work:
        found = await work.drifts.get(drift_id)
        if found is None:
            raise DriftNotFound(f"no drift {drift_id}")
        # the spec row first, as detection does: one lock order, no deadlock
        provisioned = await work.provisioned.get(found.resource_id, lock=True)
        drift = await work.drifts.get(drift_id, lock=True)
        assert drift is not None
        if not drift.is_open:
            raise DriftNotOpen(drift)
        if provisioned is None:
            raise DriftNotFound(f"drift {drift_id} has no desired spec")
        updated, closed = accept(provisioned, drift, by=by, reason=reason, now=clock())
        await work.provisioned.save(updated)
        await work.drifts.close(closed)
        work.emit(drift_resolved(closed))
        await work.commit()
    return closed
