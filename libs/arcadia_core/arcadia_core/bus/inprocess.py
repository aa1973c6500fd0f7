"""The all-in-one `Bus`: the same handlers, outboxes and relays as with RabbitMQ, in one process.

`publish` awaits every subscription of the event type (concurrently, each as its own "queue"),
so when it returns the event has been handled or dead-lettered: the in-process counterpart of
a publisher confirm, and the relay marks the row sent only then. The relay holds no database
lock while it publishes (it leases rows with a committed `claimed_until`), so a handler that
writes to an outbox never waits on the relay.

Failures follow `arcadia_core.bus.retry`: poison is dead-lettered at once, a bug after a few
quick retries, and a transient error makes `publish` raise, so the relay keeps the row and
publishes it again later (handlers that already applied it skip it through their inbox).

Dead letters go to the consuming service's `dead_letters` table once `store_dead_letters`
has been called for that service (they survive a restart, `arcadia dlq` reads them); without a
store they are kept in memory and logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict

from arcadia_core.bus.deadletters import DeadLetter, SqlDeadLetterStore
from arcadia_core.bus.errors import Unprocessable
from arcadia_core.bus.metrics import CONSUMER_FAILURES
from arcadia_core.bus.ports import Subscription
from arcadia_core.bus.retry import (
    RetryPolicy,
    TransientFailure,
    call_with_retry,
    describe_error,
)
from arcadia_core.events import Envelope

logger = logging.getLogger(__name__)

__all__ = ["DeadLetter", "InProcessBus"]


class InProcessBus:
    # the relay publishes this many rows at once: handlers share the service's connection pool
    max_in_flight = 8

    def __init__(self, *, retry: RetryPolicy = RetryPolicy()) -> None:
        self._retry = retry
        self._subscriptions: dict[str, list[Subscription]] = defaultdict(list)
        self._queues: set[str] = set()
        self._stores: dict[str, SqlDeadLetterStore] = {}
        self._running = False
        self.dead_letters: list[DeadLetter] = []

    def store_dead_letters(self, service: str, store: SqlDeadLetterStore) -> None:
        """Write the dead letters of `service`'s queues to `store` (its `dead_letters`)."""
        self._stores[service] = store

    def subscribe(self, subscription: Subscription) -> None:
        if subscription.queue in self._queues:
            raise ValueError(f"queue {subscription.queue} already has a handler")
        self._queues.add(subscription.queue)
        self._subscriptions[subscription.event_type].append(subscription)

    async def start(self) -> None:
        self._running = True

    async def stop(self) -> None:
        self._running = False

    async def publish(self, envelope: Envelope) -> None:
        if not self._running:
            raise RuntimeError("InProcessBus is not started")
        subscriptions = self._subscriptions.get(envelope.type, [])
        results = await asyncio.gather(
            *(self._deliver(s, envelope) for s in subscriptions), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _deliver(self, subscription: Subscription, envelope: Envelope) -> None:
        queue = subscription.queue
        try:
            await call_with_retry(subscription.handler, envelope, self._retry, queue=queue)
        except TransientFailure:
            CONSUMER_FAILURES.labels(queue, "transient").inc()
            raise
        except Exception as exc:
            outcome = "poison" if isinstance(exc, Unprocessable) else "error"
            CONSUMER_FAILURES.labels(queue, outcome).inc()
            error = describe_error(exc)
            logger.error("%s: dead-lettering %s %s: %s", queue, envelope.type, envelope.id, error)
            store = self._stores.get(subscription.service)
            if store is not None:
                # a failure here propagates: the relay keeps the row and delivers it again
                await store.add(queue, envelope, error)
            self.dead_letters.append(DeadLetter(queue, envelope, error))
