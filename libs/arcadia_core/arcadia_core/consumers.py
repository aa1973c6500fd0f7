"""The one way a service consumes an event: version check, payload, inbox claim, apply.

    subscription = consume(
        SERVICE, ResourceSynced, uow=container.uow, apply=projection.on_resource_synced
    )

`apply(work, payload, envelope)` runs inside the unit of work whose transaction also records
the event in the inbox, so a repeat is skipped and a failure leaves nothing behind. What the
helper does before `apply`:

- an envelope whose `schema_version` is newer than the payload model this consumer was built
  with is refused (`Unprocessable`: to the dead-letter queue at once, where it waits for the
  upgraded consumer and `arcadia dlq replay`); an older one is validated against the current
  model, which must keep reading it;
- a payload that does not validate is refused the same way;
- `apply` may raise `Unprocessable` itself (for example: an event about an entity this service
  has never heard of), and that too is dead-lettered with its reason, never silently acked.
Transient errors (the database away) propagate to the bus, which retries them with growing
delay; see `arcadia_core.bus.errors`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self, TypeVar
from uuid import UUID, uuid5

from pydantic import ValidationError

from arcadia_core.bus.errors import Unprocessable
from arcadia_core.bus.ports import Subscription
from arcadia_core.context import correlation
from arcadia_core.events import CatchUpRequested, Envelope, EventPayload
from arcadia_core.events.payloads import RESOURCE_TOPICS

P = TypeVar("P", bound=EventPayload)
W = TypeVar("W", bound="InboxUnitOfWork")


class InboxUnitOfWork(Protocol):
    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def claim_event(self, consumer: str, event_id: UUID) -> bool: ...

    async def commit(self) -> None: ...


def parse(envelope: Envelope, model: type[P]) -> P:
    """The typed payload, or `Unprocessable` for a wrong type, a newer version or bad data."""
    if envelope.type != model.EVENT_TYPE:
        raise Unprocessable(f"expected {model.EVENT_TYPE}, got {envelope.type}")
    if envelope.schema_version > model.SCHEMA_VERSION:
        raise Unprocessable(
            f"{envelope.type} schema_version {envelope.schema_version} is newer than "
            f"{model.SCHEMA_VERSION}, the newest this consumer reads; upgrade it, then replay"
        )
    if envelope.schema_version < 1:
        raise Unprocessable(f"{envelope.type} schema_version {envelope.schema_version} is invalid")
    try:
        return model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise Unprocessable(f"invalid {envelope.type} payload: {exc}") from exc


def consume(
    service: str,
    model: type[P],
    *,
    uow: Callable[[], W],
    apply: Callable[[W, P, Envelope], Awaitable[None]],
) -> Subscription:
    """A subscription of `service` to `model`'s event type, applied once per event id."""
    queue = f"{service}.on-{model.EVENT_TYPE}"

    async def handle(envelope: Envelope) -> None:
        # the cause's correlation id reaches this consumer's log lines, events and jobs
        with correlation(envelope.correlation_id or envelope.id):
            payload = parse(envelope, model)
            async with uow() as work:
                if not await work.claim_event(queue, envelope.id):
                    return
                await apply(work, payload, envelope)
                await work.commit()

    async def handle_batch(envelopes: Sequence[Envelope]) -> None:
        # several events, one transaction and one commit; on any error the bus handles each
        # event alone through `handle`, which sorts poison from transient failures
        payloads = [parse(envelope, model) for envelope in envelopes]
        async with uow() as work:
            for envelope, payload in zip(envelopes, payloads, strict=True):
                with correlation(envelope.correlation_id or envelope.id):
                    if await work.claim_event(queue, envelope.id):
                        await apply(work, payload, envelope)
            await work.commit()

    return Subscription(service, model.EVENT_TYPE, handle, batch=handle_batch)


_CATCH_UP = UUID("3f0f6a52-0c55-4a4b-9a57-1d7b0c1e6b90")
CATCH_UP_MARKER = "catch-up"


class _EmittingUnitOfWork(InboxUnitOfWork, Protocol):
    def emit(self, *payloads: EventPayload) -> None: ...


async def request_catch_up_once(
    service: str,
    uow: Callable[[], _EmittingUnitOfWork],
    now: datetime,
    topics: tuple[str, ...] = RESOURCE_TOPICS,
) -> bool:
    """On a service's first start, ask the producers of `topics` to republish their state.

    The request is remembered in the service's own inbox (a fixed marker id), so it is sent
    once per database however many replicas start together; the projection's version gate
    makes the replay harmless. To rebuild a projection later, run `arcadia republish`.
    """
    async with uow() as work:
        if not await work.claim_event(CATCH_UP_MARKER, uuid5(_CATCH_UP, service)):
            return False
        work.emit(CatchUpRequested(service=service, requested_at=now, topics=topics))
        await work.commit()
    return True
