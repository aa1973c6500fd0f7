"""RabbitBus on a real RabbitMQ: relay to handler, message properties, DLQ with errors, no loops.

Every test works in its own namespace (`amqp_namespace`) and deletes its topology afterwards.
Queues and messages are inspected with plain aio-pika, as an operator would see them.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.engine import make_url

from arcadia_core.bus import RetryPolicy, Subscription
from arcadia_core.bus.dlq import RabbitDeadLetters
from arcadia_core.bus.errors import Unprocessable
from arcadia_core.bus.rabbit import RabbitBus
from arcadia_core.bus.topology import EVENTS_EXCHANGE, declare_topology
from arcadia_core.consumers import consume
from arcadia_core.db import create_engine, session_factory
from arcadia_core.events import Envelope, EventPayload
from arcadia_core.inbox import idempotent
from arcadia_core.outbox import OutboxRelay, add_to_outbox
from arcadia_core.uow import SqlUnitOfWork

FAST = RetryPolicy(delays=(0.01, 0.01), transient_base=0.1, transient_cap=0.5)
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


async def test_failed_dead_letter_publish_requeues_the_message_instead_of_losing_it(
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
    real_publish = bus._broker.publish
    refused: list[str] = []

    async def dlx_unreachable_once(*args: Any, **kwargs: Any) -> Any:
        if not refused:
            refused.append("dlx")
            raise ConnectionError("dlx unreachable")
        return await real_publish(*args, **kwargs)

    monkeypatch.setattr(bus._broker, "publish", dlx_unreachable_once)
    envelope = new_envelope()
    exchange = await amqp.get_exchange(f"{amqp_namespace}{EVENTS_EXCHANGE}")
    await exchange.publish(
        aio_pika.Message(envelope.model_dump_json().encode(), message_id=str(envelope.id)),
        routing_key="thing.happened",
    )

    queue = f"{amqp_namespace}{QUEUE}"
    [message] = await take(amqp, f"{queue}.dlq")
    assert message.headers["x-error"] == "RuntimeError: boom: no such tenant"
    assert message.message_id == str(envelope.id)
    assert refused == ["dlx"]
    assert calls == [envelope.id] * FAST.attempts * 2  # delivered again after the requeue


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
    assert buses[0].declared_queues == (queue, f"{queue}.retry", f"{queue}.dlq")

    for bus in buses:
        await bus.stop()
    await buses[0].delete_topology()
    await buses[1].delete_topology()  # nothing left to delete is fine

    for name in (queue, f"{queue}.retry", f"{queue}.dlq"):
        channel = await amqp_connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await channel.declare_queue(name, passive=True)
    for name in (f"{amqp_namespace}arcadia.events", f"{amqp_namespace}arcadia.dlx"):
        channel = await amqp_connection.channel()
        with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
            await channel.get_exchange(name, ensure=True)


class Thing(EventPayload):
    EVENT_TYPE: ClassVar[str] = "thing.happened"
    SCHEMA_VERSION: ClassVar[int] = 1
    n: int = 0


class Work(SqlUnitOfWork):
    producer = "test"


def thing_consumer(db: Any, engine: Any = None) -> Subscription:
    """The consumer helper over `db` (or another engine on the same database)."""
    sessions = session_factory(engine) if engine is not None else db.sessions

    async def apply(work: Work, payload: Thing, envelope: Envelope) -> None:
        await work.session.execute(db.applied.insert().values(event_id=envelope.id))

    return consume(
        "test", Thing, uow=lambda: Work(sessions, outbox=db.outbox, inbox=db.inbox), apply=apply
    )


async def wait_for_count(count: Callable[[], Any], expected: int, within: float) -> None:
    async with asyncio.timeout(within):
        for _ in itertools.count():
            if await count() >= expected:
                return
            await asyncio.sleep(0.1)


async def test_transient_failure_waits_in_the_retry_queue_and_is_never_dead_lettered(
    buses: Callable[..., RabbitBus],
    amqp: AbstractChannel,
    amqp_namespace: str,
    new_envelope: Callable[..., Envelope],
) -> None:
    calls: list[float] = []
    handled = asyncio.Event()

    async def database_restarting(envelope: Envelope) -> None:
        calls.append(asyncio.get_running_loop().time())
        if len(calls) <= 4:
            raise ConnectionRefusedError("connection refused")
        handled.set()

    bus = buses()
    bus.subscribe(Subscription("test", "thing.happened", database_restarting))
    await bus.start()
    await bus.publish(new_envelope())
    await asyncio.wait_for(handled.wait(), 15)
    await bus.stop()

    assert len(calls) == 5  # no quick in-process retries for a transient error
    gaps = [b - a for a, b in itertools.pairwise(calls)]
    assert gaps[0] >= 0.09 and gaps[2] >= 0.35, gaps  # 0.1, 0.2, 0.4, 0.5 s: growing, capped
    queue = f"{amqp_namespace}{QUEUE}"
    for name in (queue, f"{queue}.retry", f"{queue}.dlq"):
        assert await ready_count(amqp, name) == 0


async def test_poison_goes_to_the_dlq_at_once_with_its_reason(
    buses: Callable[..., RabbitBus],
    amqp: AbstractChannel,
    amqp_namespace: str,
    new_envelope: Callable[..., Envelope],
) -> None:
    calls: list[UUID] = []

    async def unknown_resource(envelope: Envelope) -> None:
        calls.append(envelope.id)
        raise Unprocessable("resource 7 is unknown to this service")

    bus = buses()
    bus.subscribe(Subscription("test", "thing.happened", unknown_resource))
    await bus.start()
    await bus.publish(new_envelope())
    dlq = f"{amqp_namespace}{QUEUE}.dlq"
    await wait_for_count(lambda: ready_count(amqp, dlq), 1, 10)
    assert await bus.refresh_dlq_depths() == {dlq: 1}
    assert REGISTRY.get_sample_value("arcadia_dlq_depth", {"queue": dlq}) == 1
    failures = {"queue": f"{amqp_namespace}{QUEUE}", "outcome": "poison"}
    assert REGISTRY.get_sample_value("arcadia_consumer_failures_total", failures) == 1
    [message] = await take(amqp, dlq)
    assert message.headers["x-error"] == "Unprocessable: resource 7 is unknown to this service"
    assert len(calls) == 1


async def test_a_newer_schema_version_goes_to_the_dlq_through_the_consumer_helper(
    buses: Callable[..., RabbitBus],
    amqp: AbstractChannel,
    amqp_namespace: str,
    messaging_db: Any,
) -> None:
    bus = buses()
    bus.subscribe(thing_consumer(messaging_db))
    await bus.start()
    newer = Envelope(
        type="thing.happened",
        schema_version=2,
        occurred_at=datetime.now(UTC),
        producer="test",
        payload={"n": 1},
    )
    await bus.publish(newer)
    [message] = await take(amqp, f"{amqp_namespace}{QUEUE}.dlq")
    assert "schema_version 2 is newer than 1" in str(message.headers["x-error"])
    assert await messaging_db.applied_count() == 0
    assert await messaging_db.inbox_count() == 0


async def test_republished_duplicates_are_ignored_by_the_inbox(
    buses: Callable[..., RabbitBus], messaging_db: Any, new_envelope: Callable[..., Envelope]
) -> None:
    bus = buses()
    bus.subscribe(thing_consumer(messaging_db))
    await bus.start()
    envelope, other = new_envelope(n=1), new_envelope(n=2)
    for item in (envelope, envelope, other, envelope):
        await bus.publish(item)
    await wait_for_count(messaging_db.inbox_count, 2, 10)
    await bus.stop()
    assert await messaging_db.applied_count(envelope.id) == 1
    assert await messaging_db.applied_count() == 2


async def test_dlq_list_show_replay_and_purge(
    amqp_url: str,
    amqp_namespace: str,
    amqp: AbstractChannel,
    buses: Callable[..., RabbitBus],
    new_envelope: Callable[..., Envelope],
) -> None:
    handled: list[UUID] = []
    broken = True

    async def handler(envelope: Envelope) -> None:
        if broken:
            raise Unprocessable("tenant unknown")
        handled.append(envelope.id)

    bus = buses()
    bus.subscribe(Subscription("test", "thing.happened", handler))
    await bus.start()
    envelopes = [new_envelope(n=i) for i in range(3)]
    for envelope in envelopes:
        await bus.publish(envelope)
    dlq = RabbitDeadLetters(amqp_url, amqp_namespace)
    await wait_for_count(lambda: dlq.count(QUEUE), 3, 10)

    letters = await dlq.read(QUEUE)
    assert {letter.envelope.id for letter in letters if letter.envelope} == {
        e.id for e in envelopes
    }
    assert {letter.error for letter in letters} == {"Unprocessable: tenant unknown"}
    assert await dlq.count(QUEUE) == 3  # listing takes nothing away
    shown = await dlq.get(QUEUE, str(envelopes[1].id))
    assert shown is not None and shown.envelope == envelopes[1]

    broken = False
    assert await dlq.replay(QUEUE, [str(envelopes[1].id)]) == 1
    await wait_for_count(lambda: asyncio.sleep(0, len(handled)), 1, 10)
    assert handled == [envelopes[1].id]
    assert await dlq.count(QUEUE) == 2
    assert await dlq.purge(QUEUE) == 2
    assert await dlq.count(QUEUE) == 0
    assert await ready_count(amqp, f"{amqp_namespace}{QUEUE}") == 0


async def test_centrally_declared_queues_keep_events_before_their_consumer_first_runs(
    amqp_url: str,
    amqp_namespace: str,
    buses: Callable[..., RabbitBus],
    new_envelope: Callable[..., Envelope],
) -> None:
    await declare_topology(amqp_url, amqp_namespace, {QUEUE: "thing.happened"})
    producer = buses()
    await producer.start()
    envelope = new_envelope()
    await producer.publish(envelope)  # nobody consumes yet

    received: list[UUID] = []
    consumer = buses()
    consumer.subscribe(Subscription("test", "thing.happened", recorder(received)))
    await consumer.start()  # redeclares with the same arguments: no PRECONDITION_FAILED
    await wait_for_count(lambda: asyncio.sleep(0, len(received)), 1, 10)
    assert received == [envelope.id]


def recorder(into: list[UUID]) -> Any:
    async def handle(envelope: Envelope) -> None:
        into.append(envelope.id)

    return handle


async def test_a_blocked_broker_releases_the_relay_within_the_publish_timeout(
    amqp_url: str,
    amqp_namespace: str,
    messaging_db: Any,
    new_envelope: Callable[..., Envelope],
    tcp_proxy: Any,
) -> None:
    target = make_url(amqp_url.replace("amqp://", "postgresql://"))
    proxy = await tcp_proxy(target.host or "127.0.0.1", target.port or 5672)
    proxied = amqp_url.replace(f":{target.port}/", f":{proxy.port}/")
    bus = RabbitBus(proxied, namespace=amqp_namespace, service="test", publish_timeout=0.5)
    try:
        await bus.start()
        await write_rows(messaging_db, [new_envelope(n=i) for i in range(50)])
        proxy.swallow()  # the broker takes the bytes and never answers (memory alarm)
        relay = OutboxRelay(
            messaging_db.engine, messaging_db.outbox, bus, publish_timeout=0.5, listen=False
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await relay.relay_once() == 0
        assert loop.time() - started < 2.0
        assert relay.in_outage
        async with messaging_db.engine.connect() as connection:
            idle = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%'"
                )
            )
        assert idle == 0
        rows = await messaging_db.outbox_rows()
        assert {(r.sent_at, r.claimed_until, r.attempts) for r in rows} == {(None, None, 0)}
    finally:
        proxy.cut()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(bus.stop(), 5)
    direct = RabbitBus(amqp_url, namespace=amqp_namespace, service="test")
    await direct.start()
    try:
        relay = OutboxRelay(messaging_db.engine, messaging_db.outbox, direct, listen=False)
        assert await relay.relay_once() == 50
    finally:
        await direct.stop()
        await direct.delete_topology()


async def write_rows(db: Any, envelopes: list[Envelope]) -> None:
    async with db.sessions() as session, session.begin():
        await add_to_outbox(session, db.outbox, *envelopes)


OUTAGE_SECONDS = float(os.environ.get("ARCADIA_TEST_DB_OUTAGE_SECONDS", "3"))


async def test_a_database_outage_under_a_consumer_dead_letters_nothing(
    amqp_url: str,
    amqp_namespace: str,
    amqp: AbstractChannel,
    messaging_db: Any,
    messaging_url: str,
    new_envelope: Callable[..., Envelope],
    tcp_proxy: Any,
) -> None:
    """ARCADIA_TEST_DB_OUTAGE_SECONDS=60 for the failover of a minute (3 s by default)."""
    url = make_url(messaging_url)
    proxy = await tcp_proxy(url.host or "127.0.0.1", url.port or 5432)
    engine = create_engine(
        url.set(port=proxy.port).render_as_string(hide_password=False), schema="messaging_test"
    )
    policy = RetryPolicy(delays=(0.01,), transient_base=0.5, transient_cap=min(OUTAGE_SECONDS, 5))
    bus = RabbitBus(amqp_url, namespace=amqp_namespace, service="test", retry=policy)
    bus.subscribe(thing_consumer(messaging_db, engine))
    envelopes = [new_envelope(n=i) for i in range(40)]
    try:
        await bus.start()
        for envelope in envelopes[:10]:
            await bus.publish(envelope)
        await wait_for_count(messaging_db.applied_count, 10, 10)
        proxy.cut()  # the database goes away: connections drop, new ones are refused
        for envelope in envelopes[10:]:
            await bus.publish(envelope)
        await asyncio.sleep(OUTAGE_SECONDS)
        proxy.restore()
        await wait_for_count(messaging_db.applied_count, 40, 30 + policy.transient_cap)
        queue = f"{amqp_namespace}{QUEUE}"
        assert await ready_count(amqp, f"{queue}.dlq") == 0
        assert await messaging_db.applied_count() == 40
    finally:
        await bus.stop()
        await bus.delete_topology()
        await engine.dispose()


async def test_waiting_deliveries_are_applied_in_batches_and_a_poison_one_alone(
    amqp_url: str,
    amqp_namespace: str,
    amqp: AbstractChannel,
    buses: Callable[..., RabbitBus],
    messaging_db: Any,
    new_envelope: Callable[..., Envelope],
) -> None:
    async def apply(work: Work, payload: Thing, envelope: Envelope) -> None:
        if payload.n == 7:
            raise Unprocessable("thing 7 is unknown here")
        await work.session.execute(messaging_db.applied.insert().values(event_id=envelope.id))

    subscription = consume(
        "test",
        Thing,
        uow=lambda: Work(
            messaging_db.sessions, outbox=messaging_db.outbox, inbox=messaging_db.inbox
        ),
        apply=apply,
    )
    assert subscription.batch is not None
    batch_sizes: list[int] = []
    inner = subscription.batch

    async def counting(envelopes: Any) -> None:
        batch_sizes.append(len(envelopes))
        await inner(envelopes)

    await declare_topology(amqp_url, amqp_namespace, {QUEUE: "thing.happened"})
    producer = buses()
    await producer.start()
    envelopes = [new_envelope(n=i) for i in range(40)]
    for envelope in envelopes:  # all waiting before the consumer starts
        await producer.publish(envelope)
    consumer = buses()
    consumer.subscribe(dataclasses.replace(subscription, batch=counting))
    await consumer.start()
    await wait_for_count(messaging_db.applied_count, 39, 15)
    [message] = await take(amqp, f"{amqp_namespace}{QUEUE}.dlq")
    assert message.headers["x-error"] == "Unprocessable: thing 7 is unknown here"
    assert max(batch_sizes) > 1  # batches did form
    assert await messaging_db.applied_count() == 39
    assert await messaging_db.inbox_count() == 39
