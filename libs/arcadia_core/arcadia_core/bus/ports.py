"""What services see of the bus: publish an envelope, subscribe a handler to an event type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from arcadia_core.events import Envelope

Handler = Callable[[Envelope], Awaitable[None]]
# applies several events in one transaction; raises if any fails (the bus then handles each
# event alone with `handler`, so one bad event never takes the others with it)
BatchHandler = Callable[[Sequence[Envelope]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Subscription:
    """One consumer use case: its own durable queue `<service>.on-<event_type>` and DLQ."""

    service: str
    event_type: str
    handler: Handler
    batch: BatchHandler | None = None

    @property
    def queue(self) -> str:
        return f"{self.service}.on-{self.event_type}"


class EventPublisher(Protocol):
    async def publish(self, envelope: Envelope) -> None:
        """Return only once the broker has confirmed the message (persistent)."""


class Bus(EventPublisher, Protocol):
    def subscribe(self, subscription: Subscription) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
