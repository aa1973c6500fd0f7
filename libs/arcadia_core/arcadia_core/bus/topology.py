"""The RabbitMQ topology, declared here once and reused by every service.

`ns` is `ARCADIA_AMQP_NAMESPACE`: a prefix on every exchange and queue name ("" in production)
so that several environments, or tests, can share one broker without seeing each other.
"""

from __future__ import annotations

from faststream.rabbit import ExchangeType, RabbitExchange, RabbitQueue

from arcadia_core.bus.ports import Subscription

EVENTS_EXCHANGE = "arcadia.events"
DEAD_LETTER_EXCHANGE = "arcadia.dlx"
DEAD_LETTER_SUFFIX = ".dlq"


def events_exchange(ns: str) -> RabbitExchange:
    """Durable topic exchange; the routing key is the event type (e.g. `resource.synced`)."""
    return RabbitExchange(f"{ns}{EVENTS_EXCHANGE}", type=ExchangeType.TOPIC, durable=True)


def dead_letter_exchange(ns: str) -> RabbitExchange:
    """Durable topic exchange; the routing key is the name of the queue a message died in."""
    return RabbitExchange(f"{ns}{DEAD_LETTER_EXCHANGE}", type=ExchangeType.TOPIC, durable=True)


def queue_name(ns: str, subscription: Subscription) -> str:
    return f"{ns}{subscription.queue}"


def consumer_queue(ns: str, subscription: Subscription) -> RabbitQueue:
    """The durable work queue of one consumer use case, bound to its event type.

    A message the consumer rejects goes to the DLX under the queue's own name. Only the
    consuming service declares it, so its arguments cannot drift between declarations.
    """
    name = queue_name(ns, subscription)
    return RabbitQueue(
        name,
        durable=True,
        routing_key=subscription.event_type,
        arguments={
            "x-dead-letter-exchange": f"{ns}{DEAD_LETTER_EXCHANGE}",
            "x-dead-letter-routing-key": name,
        },
    )


def dead_letter_queue(ns: str, subscription: Subscription) -> RabbitQueue:
    """`<queue>.dlq`, durable, bound to the DLX with the work queue's name; nothing consumes it."""
    name = queue_name(ns, subscription)
    return RabbitQueue(f"{name}{DEAD_LETTER_SUFFIX}", durable=True, routing_key=name)
