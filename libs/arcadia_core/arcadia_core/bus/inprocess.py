"""The all-in-one `Bus`: the same handlers, outboxes and relays as with RabbitMQ, in one process.

`publish` awaits every subscription of the event type (concurrently, each as its own "queue"),
so when it returns the event has been handled or dead-lettered: the in-process counterpart of
a publisher confirm, and the relay marks the row sent only then. Calling handlers from inside
the relay is safe: the relay holds row locks on the rows it is sending and nothing else; a
handler works in its own session and transaction, and a handler that writes to an outbox only
inserts new rows (never waiting on those locks) and `wake()`s a relay, which just sets an event.
The cost is that a slow handler keeps the relay's transaction open; this mode is for
development and single-node installs, not for throughput.

Dead letters are kept in memory (and logged): they do not survive a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass

from arcadia_core.bus.ports import Subscription
from arcadia_core.bus.retry import RetryPolicy, call_with_retry, describe_error
from arcadia_core.events import Envelope

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    queue: str
    envelope: Envelope
    error: str


class InProcessBus:
    def __init__(self, *, retry: RetryPolicy = RetryPolicy()) -> None:
        self._retry = retry
        self._subscriptions: dict[str, list[Subscription]] = defaultdict(list)
        self._queues: set[str] = set()
        self._running = False
        self.dead_letters: list[DeadLetter] = []

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
        await asyncio.gather(*(self._deliver(s, envelope) for s in subscriptions))

    async def _deliver(self, subscription: Subscription, envelope: Envelope) -> None:
        try:
            await call_with_retry(
                subscription.handler, envelope, self._retry, queue=subscription.queue
            )
        except Exception as exc:
            error = describe_error(exc)
            logger.error(
                "%s: dead-lettering %s %s: %s",
                subscription.queue,
                envelope.type,
                envelope.id,
                error,
            )
            self.dead_letters.append(DeadLetter(subscription.queue, envelope, error))
