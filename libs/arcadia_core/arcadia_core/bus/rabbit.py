"""The RabbitMQ `Bus`, built on FastStream; FastStream stays behind this module.

Publishing: persistent messages to `arcadia.events`, routing key = event type, `message_id` = the
envelope id, and `publish` returns only after the broker's publisher confirm.

Consuming: one durable queue per `Subscription`, with a `<queue>.dlq` behind it. A handler that
raises is retried in-process (`RetryPolicy`); when it still fails, or the body is not an
`Envelope`, the message is published to the DLX with its error in headers and the original is
acked. Should that publish fail too, the original is rejected without requeue and RabbitMQ's own
dead-lettering (the queue's `x-dead-letter-*` arguments) moves it to the same DLQ. Nothing is
ever requeued, so a poison message cannot spin in a hot loop.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import aio_pika
from faststream import AckPolicy
from faststream.exceptions import RejectMessage
from faststream.message import StreamMessage
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.annotations import RabbitMessage
from faststream.rabbit.message import RabbitMessage as IncomingRabbitMessage
from faststream.specification import AsyncAPI
from pamqp.commands import Basic
from pydantic import BaseModel, ValidationError, WithJsonSchema, create_model

from arcadia_core.bus.ports import Subscription
from arcadia_core.bus.retry import RetryPolicy, call_with_retry, describe_error
from arcadia_core.bus.topology import (
    consumer_queue,
    dead_letter_exchange,
    dead_letter_queue,
    events_exchange,
    queue_name,
)
from arcadia_core.events import Envelope

logger = logging.getLogger(__name__)

# The consumer takes the raw body so that an undecodable one can still be dead-lettered with its
# error; the AsyncAPI document should nevertheless show consumers what they receive.
_RawEnvelope = Annotated[bytes, WithJsonSchema(Envelope.model_json_schema())]


class PublishNotConfirmed(RuntimeError):
    """The broker did not confirm a publish (it was returned as unroutable, or not confirmed)."""


class RabbitBus:
    def __init__(
        self,
        url: str,
        *,
        namespace: str = "",
        service: str = "",
        prefetch: int = 32,
        retry: RetryPolicy = RetryPolicy(),
        publish_timeout: float = 10.0,
        graceful_timeout: float = 15.0,
    ) -> None:
        self.service = service
        self._url = url
        self._namespace = namespace
        self._retry = retry
        self._publish_timeout = publish_timeout
        self._broker = RabbitBroker(
            url,
            default_channel=Channel(prefetch_count=prefetch, publisher_confirms=True),
            ack_policy=AckPolicy.REJECT_ON_ERROR,
            graceful_timeout=graceful_timeout,
            app_id=service or None,
        )
        self._events = events_exchange(namespace)
        self._dlx = dead_letter_exchange(namespace)
        self._subscriptions: dict[str, Subscription] = {}
        self._started = False

    @property
    def declared_queues(self) -> tuple[str, ...]:
        """Every work queue and DLQ this bus declares on `start()`."""
        return tuple(
            name
            for subscription in self._subscriptions.values()
            for name in (
                consumer_queue(self._namespace, subscription).name,
                dead_letter_queue(self._namespace, subscription).name,
            )
        )

    async def publish(self, envelope: Envelope) -> None:
        confirmation = await self._broker.publish(
            envelope.model_dump(mode="json"),
            exchange=self._events,
            routing_key=envelope.type,
            persist=True,
            # no queue bound yet is normal for an event: the broker confirms and drops it
            mandatory=False,
            message_id=str(envelope.id),
            correlation_id=str(envelope.correlation_id or envelope.id),
            message_type=envelope.type,
            timestamp=envelope.occurred_at,
            timeout=self._publish_timeout,
        )
        _ensure_confirmed(confirmation, f"{envelope.type} {envelope.id}")

    def subscribe(self, subscription: Subscription) -> None:
        if self._started:
            raise RuntimeError("subscribe() must be called before start()")
        queue = consumer_queue(self._namespace, subscription)
        if queue.name in self._subscriptions:
            raise ValueError(f"queue {queue.name} already has a handler")
        self._subscriptions[queue.name] = subscription
        self._broker.subscriber(
            queue,
            self._events,
            ack_policy=AckPolicy.REJECT_ON_ERROR,
            decoder=_raw_body,
            title=queue.name,
            description=f"{subscription.service} consumes {subscription.event_type}",
        )(self._consumer(subscription))

    def declare_publications(self, event_types: Mapping[str, type[BaseModel]]) -> None:
        """Document the events this service publishes (event type → payload model) in AsyncAPI."""
        for event_type, payload in event_types.items():
            self._broker.publisher(
                routing_key=event_type,
                exchange=self._events,
                persist=True,
                mandatory=False,
                title=event_type,
                description=payload.__doc__,
                schema=create_model(
                    f"{payload.__name__}Envelope", __base__=Envelope, payload=(payload, ...)
                ),
            )

    async def start(self) -> None:
        """Declare the exchanges, queues, DLQs and bindings (all idempotent), then consume."""
        if self._started:
            return
        await self._broker.connect()
        await self._broker.declare_exchange(self._events)
        dlx = await self._broker.declare_exchange(self._dlx)
        for subscription in self._subscriptions.values():
            dlq = dead_letter_queue(self._namespace, subscription)
            declared = await self._broker.declare_queue(dlq)
            await declared.bind(dlx, routing_key=dlq.routing_key)
        await self._broker.start()
        self._started = True

    async def stop(self) -> None:
        """Stop consuming, wait up to `graceful_timeout` for running handlers, disconnect."""
        await self._broker.stop()

    async def delete_topology(self) -> None:
        """Delete this bus's queues and its namespace's exchanges (for tests)."""
        if not self._namespace:
            raise RuntimeError("refusing to delete the un-namespaced (production) topology")
        connection = await aio_pika.connect(self._url)
        async with connection:
            channel = await connection.channel()
            for name in self.declared_queues:
                await channel.queue_delete(name)
            for exchange in (self._events, self._dlx):
                await channel.exchange_delete(exchange.name)

    def _consumer(
        self, subscription: Subscription
    ) -> Callable[[bytes, IncomingRabbitMessage], Awaitable[None]]:
        queue = queue_name(self._namespace, subscription)

        async def consume(body: _RawEnvelope, message: RabbitMessage) -> None:
            try:
                envelope = Envelope.model_validate_json(body)
            except ValidationError as exc:
                await self._dead_letter(message, queue, exc)
                return
            try:
                await call_with_retry(subscription.handler, envelope, self._retry, queue=queue)
            except Exception as exc:
                await self._dead_letter(message, queue, exc)

        return consume

    async def _dead_letter(
        self, message: IncomingRabbitMessage, queue: str, error: Exception
    ) -> None:
        """Publish the message to `<queue>.dlq` with its error; FastStream acks the original."""
        reason = describe_error(error)
        logger.error("%s: dead-lettering message %s: %s", queue, message.message_id, reason)
        headers: dict[str, Any] = {
            **message.headers,
            "x-error": reason,
            "x-error-at": datetime.now(UTC).isoformat(),
            "x-original-queue": queue,
        }
        try:
            confirmation = await self._broker.publish(
                message.body,
                exchange=self._dlx,
                routing_key=queue,
                persist=True,
                mandatory=True,
                headers=headers,
                message_id=message.message_id,
                correlation_id=message.correlation_id,
                content_type=message.content_type or None,
                timeout=self._publish_timeout,
            )
            _ensure_confirmed(confirmation, f"dead letter of {message.message_id}")
        except Exception as exc:
            logger.exception("%s: dead-letter publish failed; rejecting the message", queue)
            raise RejectMessage(requeue=False) from exc


def asyncapi_schema(bus: RabbitBus, *, version: str = "1.0.0") -> dict[str, Any]:
    """The AsyncAPI 3.0 document of a bus's subscriptions and declared publications."""
    specification = AsyncAPI(
        bus._broker, title=bus.service or "arcadia", version=version
    ).to_specification()
    document: dict[str, Any] = specification.to_jsonable()
    return document


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    return message.body


def _ensure_confirmed(confirmation: object, what: str) -> None:
    if not isinstance(confirmation, Basic.Ack):
        raise PublishNotConfirmed(f"{what}: broker answered {confirmation!r}")
