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

A subscription with a batch handler (every `consume(...)` one) gets the deliveries that are
waiting at the same time in one transaction (one inbox claim each, one commit for all); if the
batch fails, each of its deliveries is handled alone as above. Acks follow the commit.

Should the DLX or retry publish fail, the original is requeued after a pause; the quorum
queue's delivery limit ends a message that keeps failing that way (or keeps killing its
consumer) in the DLQ. Nothing is requeued in a hot loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Annotated, Any

import aio_pika
from faststream import AckPolicy
from faststream.message import StreamMessage
from faststream.rabbit import Channel, RabbitBroker
from faststream.rabbit.message import RabbitMessage as IncomingRabbitMessage
from faststream.specification import AsyncAPI
from pamqp.commands import Basic
from pydantic import BaseModel, ValidationError, WithJsonSchema, create_model

from arcadia_core.bus.errors import Unprocessable
from arcadia_core.bus.metrics import CONSUMER_FAILURES, DLQ_DEPTH
from arcadia_core.bus.ports import BatchHandler, Subscription
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
        batch_size: int = 100,
        dlq_poll_interval: float = 30.0,
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
            # FastStream logs every message it handles at this level: not at INFO in production
            log_level=logging.DEBUG,
        )
        self._events = events_exchange(namespace)
        self._dlx = dead_letter_exchange(namespace)
        self._subscriptions: dict[str, Subscription] = {}
        self._batchers: dict[str, _Batcher] = {}
        self._batch_size = batch_size
        self._dlq_poll_interval = dlq_poll_interval
        self._dlq_watch: asyncio.Task[None] | None = None
        self._started = False
        self._publisher: (
            tuple[aio_pika.abc.AbstractConnection, aio_pika.abc.AbstractExchange] | None
        ) = None
        self._publisher_lock = asyncio.Lock()
        self._closing: set[asyncio.Task[None]] = set()

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
        """Publish persistent and wait for the broker's confirm, `publish_timeout` at most.

        Publishing has a connection of its own (RabbitMQ blocks a publishing connection under
        a resource alarm, and consumers' acks must not wait behind it); many publishes may
        await their confirms on it at once.
        """
        try:
            async with asyncio.timeout(self._publish_timeout):
                exchange = await self._publisher_exchange()
                confirmation = await exchange.publish(
                    aio_pika.Message(
                        envelope.model_dump_json().encode(),
                        content_type="application/json",
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        message_id=str(envelope.id),
                        correlation_id=str(envelope.correlation_id or envelope.id),
                        type=envelope.type,
                        timestamp=envelope.occurred_at,
                        app_id=self.service or None,
                    ),
                    routing_key=envelope.type,
                    # no queue bound yet is normal for an event: the broker confirms and drops it
                    mandatory=False,
                )
        except Exception:
            self._reset_publisher()  # a timed-out or broken connection is not reused
            raise
        _ensure_confirmed(confirmation, f"{envelope.type} {envelope.id}")

    async def _publisher_exchange(self) -> aio_pika.abc.AbstractExchange:
        if self._publisher is None:
            async with self._publisher_lock:
                if self._publisher is None:
                    connection = await aio_pika.connect(
                        self._url,
                        client_properties={"connection_name": f"{self.service} publisher"},
                    )
                    try:
                        channel = await connection.channel(publisher_confirms=True)
                        exchange = await channel.get_exchange(self._events.name, ensure=False)
                    except BaseException:
                        await connection.close()
                        raise
                    self._publisher = (connection, exchange)
        return self._publisher[1]

    async def refresh_dlq_depths(self) -> dict[str, int]:
        """Read the depth of this bus's DLQs into `arcadia_dlq_depth`; also returns them."""
        await self._publisher_exchange()
        assert self._publisher is not None
        channel = await self._publisher[0].channel()
        depths: dict[str, int] = {}
        try:
            for subscription in self._subscriptions.values():
                name = dead_letter_queue(self._namespace, subscription).name
                declared = await channel.declare_queue(name, passive=True)
                depths[name] = int(declared.declaration_result.message_count or 0)
                DLQ_DEPTH.labels(name).set(depths[name])
        finally:
            with suppress(Exception):
                await channel.close()
        return depths

    async def _watch_dlqs(self) -> None:
        while True:
            await asyncio.sleep(self._dlq_poll_interval)
            try:
                await self.refresh_dlq_depths()
            except Exception as exc:
                logger.debug("DLQ depths not read: %s", exc)

    def _reset_publisher(self) -> None:
        if self._publisher is None:
            return
        connection, _ = self._publisher
        self._publisher = None
        task = asyncio.get_running_loop().create_task(_close_quietly(connection))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    def subscribe(self, subscription: Subscription) -> None:
        if self._started:
            raise RuntimeError("subscribe() must be called before start()")
        queue = consumer_queue(self._namespace, subscription)
        if queue.name in self._subscriptions:
            raise ValueError(f"queue {queue.name} already has a handler")
        self._subscriptions[queue.name] = subscription
        if subscription.batch is not None and self._batch_size > 1:
            self._batchers[queue.name] = _Batcher(subscription.batch, self._batch_size)
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
        for batcher in self._batchers.values():
            batcher.start()
        await self._broker.connect()
        await self._broker.start()
        if self._subscriptions and self._dlq_poll_interval > 0:
            self._dlq_watch = asyncio.create_task(self._watch_dlqs())
        self._started = True

    async def stop(self) -> None:
        """Stop consuming, wait up to `graceful_timeout` for running handlers, disconnect."""
        if self._dlq_watch is not None:
            self._dlq_watch.cancel()
            # a cancelled connect may linger: never let it hold up the shutdown
            await asyncio.wait({self._dlq_watch}, timeout=2)
            self._dlq_watch = None
        await self._broker.stop()
        for batcher in self._batchers.values():
            await batcher.stop()
        self._reset_publisher()
        for task in list(self._closing):
            await task

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

    def _consumer(self, subscription: Subscription) -> Callable[[bytes], Awaitable[None]]:
        queue = queue_name(self._namespace, subscription)
        retry_queue = retry_queue_name(self._namespace, subscription)

        async def consume(body: _RawEnvelope) -> None:
            # the message comes from the decoder: asking FastStream's dependency injection for
            # it costs a worker-thread round trip per message
            message = _current_message.get()
            try:
                envelope = Envelope.model_validate_json(body)
            except ValidationError as exc:
                CONSUMER_FAILURES.labels(queue, "poison").inc()
                await self._dead_letter(message, queue, exc)
                return
            batcher = self._batchers.get(queue)
            if batcher is not None and await batcher.submit(envelope):
                return  # applied with others in one transaction
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


class _Batcher:
    """Groups the deliveries waiting on one queue into batches for its `BatchHandler`.

    `submit` answers True once the envelope was applied in a batch that committed, and False
    when it is to be handled alone (it came alone, or its batch failed: the per-message path
    then sorts poison from transient errors, so one bad event never takes the others along).
    The delivery is acked by the caller only after that, so nothing is acked uncommitted.
    """

    def __init__(self, handler: BatchHandler, size: int, workers: int = 4) -> None:
        self._handler = handler
        self._size = size
        self._workers = workers
        self._waiting: asyncio.Queue[tuple[Envelope, asyncio.Future[bool]]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._work()) for _ in range(self._workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        while not self._waiting.empty():
            _, done = self._waiting.get_nowait()
            if not done.done():
                done.set_result(False)

    async def submit(self, envelope: Envelope) -> bool:
        if not self._tasks:
            return False
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        await self._waiting.put((envelope, done))
        return await done

    async def _work(self) -> None:
        while True:
            batch = [await self._waiting.get()]
            while len(batch) < self._size and not self._waiting.empty():
                batch.append(self._waiting.get_nowait())
            applied = False
            if len(batch) > 1:
                try:
                    await self._handler([envelope for envelope, _ in batch])
                    applied = True
                except Exception as exc:
                    logger.debug("batch of %d failed (%s); one by one", len(batch), exc)
            for _, done in batch:
                if not done.done():
                    done.set_result(applied)


async def _close_quietly(connection: aio_pika.abc.AbstractConnection) -> None:
    try:
        async with asyncio.timeout(5):
            await connection.close()
    except Exception as exc:  # a connection that broke is closed as far as we care
        logger.debug("closing a publisher connection: %s", exc)


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


_current_message: ContextVar[IncomingRabbitMessage] = ContextVar("arcadia_rabbit_message")


async def _raw_body(message: StreamMessage[Any]) -> bytes:
    assert isinstance(message, IncomingRabbitMessage)
    _current_message.set(message)
    return message.body


def _ensure_confirmed(confirmation: object, what: str) -> None:
    if not isinstance(confirmation, Basic.Ack):
        raise PublishNotConfirmed(f"{what}: broker answered {confirmation!r}")
