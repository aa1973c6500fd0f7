"""The RabbitMQ topology, declared here once and reused by every service.

`ns` is `ARCADIA_AMQP_NAMESPACE`: a prefix on every exchange and queue name ("" in production)
so that several environments, or tests, can share one broker without seeing each other.

Per consumer queue `<service>.on-<event type>` there are three quorum queues (durable and
replicated; a queue's type cannot change after its first declaration, so it is decided here):

- the work queue, bound to `arcadia.events` by event type. `x-delivery-limit` only catches a
  message that keeps killing its consumer before it can be acked (a crash loop): after
  `DELIVERY_LIMIT` deliveries RabbitMQ dead-letters it to the DLQ;
- `<queue>.retry`, the delayed-retry queue: a message that failed for a transient reason is
  published there with a per-message `expiration` (growing with its retry count); when it
  expires RabbitMQ dead-letters it through the default exchange back to the work queue.
  Nothing consumes it;
- `<queue>.dlq`, bound to `arcadia.dlx` by the work queue's name: poison, handler bugs after a
  few retries, and crash loops end there with their reason in headers, for `arcadia dlq`.

`declare_topology` declares all of it for every known consumer queue (at migrate and at
start), so events are kept from the day a service is planned, not the day it first runs.
"""

from __future__ import annotations

from collections.abc import Mapping

import aio_pika
from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue

from arcadia_core.bus.ports import Subscription

EVENTS_EXCHANGE = "arcadia.events"
DEAD_LETTER_EXCHANGE = "arcadia.dlx"
DEAD_LETTER_SUFFIX = ".dlq"
RETRY_SUFFIX = ".retry"
DELIVERY_LIMIT = 20


def events_exchange(ns: str) -> RabbitExchange:
    """Durable topic exchange; the routing key is the event type (e.g. `resource.synced`)."""
    return RabbitExchange(f"{ns}{EVENTS_EXCHANGE}", type=ExchangeType.TOPIC, durable=True)


def dead_letter_exchange(ns: str) -> RabbitExchange:
    """Durable topic exchange; the routing key is the name of the queue a message died in."""
    return RabbitExchange(f"{ns}{DEAD_LETTER_EXCHANGE}", type=ExchangeType.TOPIC, durable=True)


def queue_name(ns: str, subscription: Subscription) -> str:
    return f"{ns}{subscription.queue}"


def work_queue_arguments(ns: str, name: str) -> dict[str, str | int]:
    """`name` is the namespaced queue name. Every declaration must pass exactly these."""
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": f"{ns}{DEAD_LETTER_EXCHANGE}",
        "x-dead-letter-routing-key": name,
        "x-delivery-limit": DELIVERY_LIMIT,
    }


def retry_queue_arguments(name: str) -> dict[str, str | int]:
    """Expired messages go back to the work queue `name` through the default exchange."""
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": name,
    }


DLQ_ARGUMENTS: dict[str, str | int] = {"x-queue-type": "quorum"}


def _work_queue(ns: str, name: str, event_type: str) -> RabbitQueue:
    arguments = dict(work_queue_arguments(ns, name))
    del arguments["x-queue-type"]
    queue: RabbitQueue = RabbitQueue(  # type: ignore[call-overload]
        name,
        queue_type=QueueType.QUORUM,
        durable=True,
        routing_key=event_type,
        arguments=arguments,
    )
    return queue


def consumer_queue(ns: str, subscription: Subscription) -> RabbitQueue:
    """The durable work queue of one consumer use case, bound to its event type."""
    return _work_queue(ns, queue_name(ns, subscription), subscription.event_type)


def retry_queue_name(ns: str, subscription: Subscription) -> str:
    return f"{queue_name(ns, subscription)}{RETRY_SUFFIX}"


def dead_letter_queue(ns: str, subscription: Subscription) -> RabbitQueue:
    """`<queue>.dlq`, bound to the DLX with the work queue's name; nothing consumes it."""
    name = queue_name(ns, subscription)
    return RabbitQueue(
        f"{name}{DEAD_LETTER_SUFFIX}",
        queue_type=QueueType.QUORUM,
        durable=True,
        routing_key=name,
    )


async def declare_queue_set(
    channel: aio_pika.abc.AbstractChannel, ns: str, queue: str, event_type: str
) -> None:
    """Declare and bind `queue` (un-namespaced name), its retry queue and its DLQ."""
    name = f"{ns}{queue}"
    events = await channel.declare_exchange(
        f"{ns}{EVENTS_EXCHANGE}", aio_pika.ExchangeType.TOPIC, durable=True
    )
    dlx = await channel.declare_exchange(
        f"{ns}{DEAD_LETTER_EXCHANGE}", aio_pika.ExchangeType.TOPIC, durable=True
    )
    work = await channel.declare_queue(
        name, durable=True, arguments=dict(work_queue_arguments(ns, name))
    )
    await work.bind(events, routing_key=event_type)
    await channel.declare_queue(
        f"{name}{RETRY_SUFFIX}", durable=True, arguments=dict(retry_queue_arguments(name))
    )
    dlq = await channel.declare_queue(
        f"{name}{DEAD_LETTER_SUFFIX}", durable=True, arguments=dict(DLQ_ARGUMENTS)
    )
    await dlq.bind(dlx, routing_key=name)


async def declare_topology(url: str, namespace: str, queues: Mapping[str, str]) -> None:
    """Declare the exchanges and, for every known consumer queue (queue name → event type, as
    `arcadia.registry.consumer_queues()` gives), its work queue, retry queue and DLQ.

    Idempotent, and the same arguments as `RabbitBus.start()`: call it at migrate and at start.
    """
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        await channel.declare_exchange(
            f"{namespace}{EVENTS_EXCHANGE}", aio_pika.ExchangeType.TOPIC, durable=True
        )
        await channel.declare_exchange(
            f"{namespace}{DEAD_LETTER_EXCHANGE}", aio_pika.ExchangeType.TOPIC, durable=True
        )
        for queue, event_type in queues.items():
            await declare_queue_set(channel, namespace, queue, event_type)
