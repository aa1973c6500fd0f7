"""The hourly sweep at :20 is a durable job that runs detection for every provisioned resource."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from sqlalchemy import func, select

from arcadia_core.bus.inprocess import InProcessBus
from arcadia_core.service import ServiceContext
from drift import bootstrap
from drift.adapters.tables import cloud_drift
from drift.bootstrap import Drift as DriftService
from drift.domain.model import LiveResource
from drift.jobs import DETECT_ALL, DETECT_CRON
from drift.usecases.provisioning import record_provisioned


async def test_schedule_and_job(drift_service: DriftService) -> None:
    assert drift_service.jobs.schedules[f"{DETECT_ALL}.tick"] == DETECT_CRON == "20 * * * *"
    rid = uuid4()
    async with drift_service.uow() as work:
        await work.live.apply_synced(
            LiveResource(rid, 1, "droplet", "1", region="syd1"), datetime(2026, 4, 20, tzinfo=UTC)
        )
        await work.commit()
    await record_provisioned(
        rid, {"region": "tor1"}, uow=drift_service.uow, clock=drift_service.clock
    )

    await drift_service.jobs.run_now(f"{DETECT_ALL}.tick")  # the tick enqueues the job
    await drift_service.jobs.run_until_idle(limit=20)
    async with drift_service.sessions() as session:
        opened = await session.scalar(select(func.count()).select_from(cloud_drift))
    assert opened == 1


async def test_registered_service(drift_db: str) -> None:
    from arcadia import registry

    definition = registry.definition("drift")
    assert definition is bootstrap.DEFINITION
    assert definition.routes == ("/provisioned", "/drift", "/runs/drift")
    assert definition.queues == ("drift.on-resource.synced", "drift.on-resource.deleted")
    service = definition.build(
        ServiceContext(settings=definition.settings(), bus=InProcessBus(), database_url=drift_db)
    )
    try:
        document = service.asyncapi()
        assert "drift.detected" in str(document) and "resource.synced" in str(document)
        await definition.migrate(drift_db)  # idempotent
    finally:
        await service.stop()
