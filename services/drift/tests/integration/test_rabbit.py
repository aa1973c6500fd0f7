"""Drift on a real RabbitMQ: resource.synced in through its queue, drift.detected out through
its outbox and relay, a newer schema_version to the dead-letter queue, not applied."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import aio_pika
import pytest

from arcadia_core.bus import RetryPolicy, Subscription
from arcadia_core.bus.rabbit import RabbitBus
from arcadia_core.bus.topology import dead_letter_queue
from arcadia_core.events import DriftDetected, Envelope, ResourceSynced
from drift import bootstrap
from drift.config import DriftSettings
from drift.usecases.provisioning import record_provisioned

FAST = RetryPolicy(delays=(0.01, 0.01), transient_base=0.1, transient_cap=0.5)
T0 = datetime(2026, 4, 20, 10, 15, tzinfo=UTC)


def synced(resource_id: Any, version: int, size: str) -> Envelope:
    return ResourceSynced(
        resource_id=resource_id,
        version=version,
        provider="digitalocean",
        kind="droplet",
        provider_id="512340101",
        name="web-01",
        status="active",
        region="syd1",
        size_slug=size,
        attrs={},
        project_id=None,
        tenant_id=None,
        deployment_id=None,
        change="updated",
        first_seen_at=T0,
        last_seen_at=T0,
    ).envelope(producer="inventory")


@pytest.fixture
async def wired(
    drift_db: str, amqp_url: str, amqp_namespace: str
) -> AsyncIterator[tuple[bootstrap.Drift, RabbitBus, list[Envelope]]]:
    drift_bus = RabbitBus(amqp_url, namespace=amqp_namespace, service="drift", retry=FAST)
    probe_bus = RabbitBus(amqp_url, namespace=amqp_namespace, service="probe", retry=FAST)
    service = bootstrap.build(DriftSettings(), drift_bus, database_url=drift_db)
    for subscription in service.subscriptions():
        drift_bus.subscribe(subscription)
    received: list[Envelope] = []

    async def capture(envelope: Envelope) -> None:
        received.append(envelope)

    probe_bus.subscribe(Subscription("probe", DriftDetected.EVENT_TYPE, capture))
    await drift_bus.start()
    await probe_bus.start()
    await service.start(run_jobs=False)
    try:
        yield service, probe_bus, received
    finally:
        await service.stop()
        for bus in (drift_bus, probe_bus):
            await bus.stop()
        for bus in (drift_bus, probe_bus):
            await bus.delete_topology()


async def dead_letters(amqp_url: str, name: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, passive=True)
        return int(queue.declaration_result.message_count or 0)


async def test_synced_in_detected_out(
    wired: tuple[bootstrap.Drift, RabbitBus, list[Envelope]],
    eventually: Callable[..., Awaitable[Any]],
    amqp_url: str,
    amqp_namespace: str,
) -> None:
    service, probe, received = wired
    rid = uuid4()
    await record_provisioned(
        rid, {"size_slug": "s-1vcpu-2gb"}, uow=service.uow, clock=service.clock
    )
    newer = synced(rid, 1, "s-8vcpu-16gb").model_copy(update={"schema_version": 99})
    await probe.publish(newer)
    first = synced(rid, 2, "s-2vcpu-4gb")
    await probe.publish(first)
    await probe.publish(first)  # a redelivery: applied once

    async def detected() -> list[Envelope]:
        return received

    [event] = await eventually(detected)
    payload = DriftDetected.model_validate(event.payload)
    assert (payload.resource_id, payload.field, payload.actual) == (rid, "size_slug", "s-2vcpu-4gb")
    await asyncio.sleep(0.3)  # nothing more arrives
    assert len(received) == 1
    async with service.uow() as work:
        live = await work.live.get(rid)
    assert live is not None and (live.version, live.size_slug) == (2, "s-2vcpu-4gb")
    [subscription] = [s for s in service.subscriptions() if s.event_type == "resource.synced"]
    dlq = dead_letter_queue(amqp_namespace, subscription).name
    assert await eventually(lambda: dead_letters(amqp_url, dlq)) == 1
