"""RabbitBus on a real RabbitMQ: relay to handler, message properties, DLQ with errors, no loops.

Every test works in its own namespace (`amqp_namespace`) and deletes its topology afterwards.
Queues and messages are inspected with plain aio-pika, as an operator would see them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage

from arcadia_core.bus import RetryPolicy, Subscription
from arcadia_core.bus.rabbit import RabbitBus
from arcadia_core.bus.topology import EVENTS_EXCHANGE
from arcadia_core.events import Envelope
from arcadia_core.inbox import idempotent
from arcadia_core.outbox import OutboxRelay, add_to_outbox

FAST = RetryPolicy(delays=(0.01, 0.01))
QUEUE = "test.on-thing.happened"


@pytest.fixture
async def buses(amqp_url: str, amqp_namespace: str) -> AsyncIterator[Callable[..., RabbitBus]]:
    made: list[RabbitBus] = []

    def make() -> RabbitBus:
        bus = RabbitBus(amqp_url, namespace=amqp_namespace, service="test", retry=FAST)
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.stop()
    for bus in made:
        await bus.delete_topology()


@pytest.fixture
async def amqp_connection(amqp_url: str) -> AsyncIterator[AbstractConnection]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        yield connection


@pytest.fixture
async def amqp(amqp_connection: AbstractConnection) -> AbstractChannel:
    return await amqp_connection.channel()


async def take(
    channel: AbstractChannel, queue_name: str, count: int = 1
) -> list[AbstractIncomingMessage]:
    """The next `count` messages of a queue, removed from it."""
    queue = await channel.declare_queue(queue_name, passive=True)
    taken: list[AbstractIncomingMessage] = []
    async with asyncio.timeout(10), queue.iterator() as messages:
        async for message in messages:
            await message.ack()
            taken.append(message)
            if len(taken) == count:
                break
    return taken


async def ready_count(channel: AbstractChannel, queue_name: str) -> int:
    queue = await channel.declare_queue(queue_name, passive=True)
    return int(queue.declaration_result.message_count or 0)


def failing_handler(calls: list[UUID], *, times: int = 1_000_000) -> Any:
    async def handle(envelope: Envelope) -> None:
        calls.append(envelope.id)
        if len(calls) <= times:
            raise RuntimeError("boom: no such tenant")

    return handle


async def test_event_relayed_from_the_outbox_reaches_the_subscribed_handler(
    buses: Callable[..., RabbitBus], messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    handled: asyncio.Queue[Envelope] = asyncio.Queue()
    consumer = idempotent(messaging_db.sessions, messaging_db.inbox, QUEUE, messaging_db.apply)

    async def handler(envelope: Envelope) -> None:
        await consumer(envelope)
        await handled.put(envelope)

    bus = buses()
    bus.subscribe(Subscription("test", "thing.happened", handler))
    await bus.start()
    envelope = new_envelope(amount="12.50")
    async with messaging_db.sessions() as session, session.begin():
        await add_to_outbox(session, messaging_db.outbox, envelope)

    assert await OutboxRelay(messaging_db.engine, messaging_db.outbox, bus).relay_once() == 1

    assert await asyncio.wait_for(handled.get(), 10) == envelope
    assert await messaging_db.applied_count(envelope.id) == 1


async def test_published_message_is_persistent_and_carries_the_envelope_ids(
    buses: Callable[..., RabbitBus],
    amqp: AbstractChannel,
    amqp_namespace: str,
    new_envelope: Callable[..., Envelope],
) -> None:
    bus = buses()
    await bus.start()
    probe = await amqp.declare_queue(exclusive=True)
    await probe.bind(f"{amqp_namespace}{EVENTS_EXCHANGE}", routing_key="thing.happened")
    envelope = new_envelope(n=1).model_copy(update={"correlation_id": uuid4()})

    await bus.publish(envelope)
    await bus.publish(new_envelope("nobody.listens"))  # unroutable is normal: no error

    [message] = await take(amqp, probe.name)
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.message_id == str(envelope.id)
    assert message.correlation_id == str(envelope.correlation_id)
    assert message.content_type == "application/json"
    assert message.routing_key == "thing.happened"
    assert json.loads(message.body) == envelope.model_dump(mode="json")
    assert await ready_count(amqp, probe.name) == 0


async def test_failing_handler_lands_in_dlq_with_its_error_and_is_not_redelivered(
    buses: Callable[..., RabbitBus],
    amqp: AbstractChannel,
    amqp_namespace: str,
    new_envelope: Callable[..., Envelope],
) -> None:
    calls: list[UUID] = []
    bus = buses()
    bus.subscribe(Subscription("test", "thing.happened", failing_handler(calls)))
    await bus.start()
    envelope = new_envelope()

    await bus.publish(envelope)

    queue = f"{amqp_namespace}{QUEUE}"
    [message] = await take(amqp, f"{queue}.dlq")
    headers = message.headers
    assert headers["x-error"] == "RuntimeError: boom: no such tenant"
    assert headers["x-original-queue"] == queue
    assert abs(datetime.fromisoformat(str(headers["x-error-at"])) - datetime.now(UTC)).seconds < 60
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.message_id == str(envelope.id)
    assert Envelope.model_validate_json(message.body) == envelope

    await asyncio.sleep(0.5)
    assert calls == [envelope.id] * FAST.attempts  # retried in-process, then parked: no loop
    await bus.stop()  # anything left unacked would now return to the queue
    assert await ready_count(amqp, queue) == 0
    assert await ready_count(amqp, f"{queue}.dlq") == 0


async def test_transient_handler_failure_is_ridden_out(
    buses: Callable[..., RabbitBus],
    amqp: AbstractChannel,
    amqp_namespace: str,
    new_envelope: Callable[..., Envelope],
) -> None:
    calls: list[UUID] = []
    handled = asyncio.Event()
    flaky = failing_handler(calls, times=2)

    async def handler(envelope: Envelope) -> None:
        await flaky(envelope)
        handled.set()

    bus = buses()
    bus.subscribe(Subscription("test", "thing.happened", handler))
    await bus.start()

    await bus.publish(new_envelope())

    await asyncio.wait_for(handled.wait(), 10)
    await bus.stop()
    assert len(calls) == 3
    assert await ready_count(amqp, f"{amqp_namespace}{QUEUE}") == 0
    assert await ready_count(amqp, f"{amqp_namespace}{QUEUE}.dlq") == 0


async def test_stop_lets_a_running_handler_finish_and_ack(
    buses: Callable[..., RabbitBus],
    amqp: AbstractChannel,
    amqp_namespace: str,
    new_envelope: Callable[..., Envelope],
) -> None:
    started = asyncio.Event()
    finished: list[UUID] = []

    async def slow(envelope: Envelope) -> None:
        started.set()
        await asyncio.sleep(0.5)
        finished.append(envelope.id)

    bus = buses()
    bus.subscribe(Subscription("test", "thing.happened", slow))
    await bus.start()
    envelope = new_envelope()
    await bus.publish(envelope)
    await asyncio.wait_for(started.wait(), 10)

    await bus.stop()

    assert finished == [envelope.id]
    assert await ready_count(amqp, f"{amqp_namespace}{QUEUE}") == 0


async def test_undecodable_messages_are_dead_lettered_without_reaching_the_handler(
    buses: Callable[..., RabbitBus],
    amqp: AbstractChannel,
    amqp_namespace: str,
) -> None:
    calls: list[UUID] = []
    bus = buses()
    bus.subscribe(Subscription("test", "thing.happened", failing_handler(calls)))
    await bus.start()
    exchange = await amqp.get_exchange(f"{amqp_namespace}{EVENTS_EXCHANGE}")
    bodies = [b"{not json", b'{"valid": "json", "but": "no envelope"}']

    for body in bodies:
        await exchange.publish(
            aio_pika.Message(body, content_type="application/json", message_id=body.hex()),
            routing_key="thing.happened",
        )

    dlq = f"{amqp_namespace}{QUEUE}.dlq"
    messages = await take(amqp, dlq, len(bodies))
    assert sorted(m.body for m in messages) == sorted(bodies)
    for message in messages:
        assert str(message.headers["x-error"]).startswith("ValidationError: ")
        assert message.message_id == message.body.hex()
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT  # made persistent
    assert calls == []


async def test_failed_dead_letter_publish_falls_back_to_rabbitmq_dead_lettering(
    buses: Callable[..., RabbitBus],
    amqp: AbstractChannel,
    amqp_namespace: str,
    new_envelope: Callable[..., Envelope],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[UUID] = []
    bus = buses()
    bus.subscribe(Subscription("test", "thing.happened", failing_handler(calls)))
    await bus.start()

    async def dlx_unreachable(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("dlx unreachable")

    monkeypatch.setattr(bus._broker, "publish", dlx_unreachable)
    envelope = new_envelope()
    exchange = await amqp.get_exchange(f"{amqp_namespace}{EVENTS_EXCHANGE}")
    await exchange.publish(
        aio_pika.Message(envelope.model_dump_json().encode(), message_id=str(envelope.id)),
        routing_key="thing.happened",
    )

    queue = f"{amqp_namespace}{QUEUE}"
    [message] = await take(amqp, f"{queue}.dlq")
    assert "x-error" not in message.headers
    [death] = message.headers["x-death"]  # type: ignore[misc]
    assert (death["reason"], death["queue"]) == ("rejected", queue)  # type: ignore[index]
    assert message.message_id == str(envelope.id)
    await asyncio.sleep(0.5)
    assert calls == [envelope.id] * FAST.attempts


async def test_start_redeclares_cleanly_and_delete_topology_removes_everything(
    amqp_url: str,
    amqp_namespace: str,
    amqp_connection: AbstractConnection,
) -> None:
    subscription = Subscription("test", "thing.happened", failing_handler([]))
    buses = [RabbitBus(amqp_url, namespace=amqp_namespace) for _ in range(2)]
    for bus in buses:  # a second service instance declares the same queues
        bus.subscribe(subscription)
        await bus.start()
    queue = f"{amqp_namespace}{QUEUE}"
    assert buses[0].declared_queues == (queue, f"{queue}.dlq")

    for bus in buses:
        await bus.stop()
    await buses[0].delete_topology()
    await buses[1].delete_topology()  # nothing left to delete is fine

    for name in (queue, f"{queue}.dlq"):
        channel = await amqp_connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await channel.declare_queue(name, passive=True)
    for name in (f"{amqp_namespace}arcadia.events", f"{amqp_namespace}arcadia.dlx"):
        channel = await amqp_connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await channel.get_exchange(name, ensure=True)
