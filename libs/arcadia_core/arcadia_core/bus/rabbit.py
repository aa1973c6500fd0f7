"""The RabbitMQ `Bus`, built on FastStream; FastStream stays behind this module.

Publishing: persistent messages to `arcadia.events`, routing key = event type, `message_id` = the
envelope id; `publish` returns only after the broker's publisher confirm, and gives up after
`publish_timeout` (enforced here with `asyncio.timeout`: FastStream 0.7.8 applies its own
`timeout` to requests only). Many publishes may await their confirms at once.

Consuming: the queues of `arcadia_core.bus.topology` (quorum work queue, delayed-retry queue,
DLQ). A delivery that fails is sorted by `arcadia_core.bus.retry`:

- poison (an undecodable body, `Unprocessable`): published to the DLX at once, with the error in
  headers, and the original acked;
- transient (the database or the network away): published to `<queue>.retry` with a
  per-message expiration growing with its retry count (`x-arcadia-retries`); it comes back to
  the work queue when it expires. After `RetryPolicy.transient_attempts` retries (over an hour
  with the defaults) it is dead-lettered;
- anything else: a few quick in-process retries, then the DLX.

Should the DLX or retry publish fail, the original is requeued after a pause; the quorum
queue's delivery limit ends a message that keeps failing that way (or keeps killing its
consumer) in the DLQ. Nothing is requeued in a hot loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import aio_pika
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.annotations import RabbitMessage
from faststream.rabbit.message import RabbitMessage as IncomingRabbitMessage
from faststream.specification import AsyncAPI
from pamqp.commands import Basic
from pydantic import BaseModel, ValidationError, WithJsonSchema, create_model

from arcadia_core.bus.errors import Unprocessable
from arcadia_core.bus.metrics import CONSUMER_FAILURES, DLQ_DEPTH
from arcadia_core.bus.ports import Subscription
from arcadia_core.bus.retry import (
    RetryPolicy,
    TransientFailure,
    call_with_retry,
    describe_error,
)
from arcadia_core.bus.topology import (
    consumer_queue,
    dead_letter_exchange,
    dead_letter_queue,
    declare_topology,
    events_exchange,
    queue_name,
    retry_queue_name,
)
from arcadia_core.events import Envelope

logger = logging.getLogger(__name__)

RETRIES_HEADER = "x-arcadia-retries"

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
        self.max_in_flight = 256  # publishes awaiting their confirm at once (for the relay)
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
                retry_queue_name(self._namespace, subscription),
                dead_letter_queue(self._namespace, subscription).name,
            )
        )

    async def publish(self, envelope: Envelope) -> None:
        async with asyncio.timeout(self._publish_timeout):
            confirmation = await self._publish(envelope)
        _ensure_confirmed(confirmation, f"{envelope.type} {envelope.id}")

    async def _publish(self, envelope: Envelope) -> Any:
        return await self._broker.publish(
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
        )

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
        await declare_topology(
            self._url,
            self._namespace,
            {s.queue: s.event_type for s in self._subscriptions.values()},
        )
        await self._broker.connect()
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
                await channel.queue_delete(name, if_unused=False, if_empty=False)
            for exchange in (self._events, self._dlx):
                await channel.exchange_delete(exchange.name)

    def _consumer(
        self, subscription: Subscription
    ) -> Callable[[bytes, IncomingRabbitMessage], Awaitable[None]]:
        queue = queue_name(self._namespace, subscription)
        retry_queue = retry_queue_name(self._namespace, subscription)

        async def consume(body: _RawEnvelope, message: RabbitMessage) -> None:
            try:
                envelope = Envelope.model_validate_json(body)
            except ValidationError as exc:
                CONSUMER_FAILURES.labels(queue, "poison").inc()
                await self._dead_letter(message, queue, exc)
                return
            try:
                await call_with_retry(subscription.handler, envelope, self._retry, queue=queue)
            except TransientFailure as exc:
                CONSUMER_FAILURES.labels(queue, "transient").inc()
                await self._retry_later(message, queue, retry_queue, exc)
            except Exception as exc:
                outcome = "poison" if isinstance(exc, Unprocessable) else "error"
                CONSUMER_FAILURES.labels(queue, outcome).inc()
                await self._dead_letter(message, queue, exc)

        return consume

    async def _retry_later(
        self, message: IncomingRabbitMessage, queue: str, retry_queue: str, error: Exception
    ) -> None:
        """Park the message in `<queue>.retry` until its delay expires, then it comes back."""
        retries = _int_header(message.headers.get(RETRIES_HEADER))
        if retries >= self._retry.transient_attempts:
            await self._dead_letter(message, queue, error)
            return
        delay = self._retry.transient_delay(retries)
        logger.info(
            "%s: message %s failed transiently (%s); retry %d in %.1fs",
            queue,
            message.message_id,
            error,
            retries + 1,
            delay,
        )
        headers: dict[str, Any] = {
            **message.headers,
            RETRIES_HEADER: retries + 1,
            "x-last-error": str(error)[:1000],
        }
        try:
            async with asyncio.timeout(self._publish_timeout):
                confirmation = await self._broker.publish(
                    message.body,
                    routing_key=retry_queue,
                    persist=True,
                    mandatory=True,
                    headers=headers,
                    expiration=delay,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    content_type=message.content_type or None,
                )
            _ensure_confirmed(confirmation, f"retry of {message.message_id}")
        except Exception:
            logger.warning("%s: retry publish failed; requeueing after a pause", queue)
            await asyncio.sleep(min(delay, 5.0))
            await message.nack(requeue=True)

    async def _dead_letter(
        self, message: IncomingRabbitMessage, queue: str, error: Exception
    ) -> None:
        """Publish the message to `<queue>.dlq` with its error; FastStream acks the original."""
        reason = (
            describe_error(error.__cause__ or error)
            if isinstance(error, TransientFailure)
            else describe_error(error)
        )
        logger.error("%s: dead-lettering message %s: %s", queue, message.message_id, reason)
        headers: dict[str, Any] = {
            **message.headers,
            "x-error": reason,
            "x-error-at": datetime.now(UTC).isoformat(),
            "x-original-queue": queue,
        }
        try:
            async with asyncio.timeout(self._publish_timeout):
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
                )
            _ensure_confirmed(confirmation, f"dead letter of {message.message_id}")
            DLQ_DEPTH.labels(f"{queue}.dlq").inc()
        except Exception:
            # the quorum queue counts this delivery: a message that keeps failing to be
            # dead-lettered reaches the delivery limit and RabbitMQ dead-letters it itself
            logger.exception("%s: dead-letter publish failed; requeueing after a pause", queue)
            await asyncio.sleep(1.0)
            await message.nack(requeue=True)


def _int_header(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload,no-any-return]
    except (TypeError, ValueError):
        return 0


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
