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

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Protocol, Self, TypeVar
from uuid import UUID

from pydantic import ValidationError

from arcadia_core.bus.errors import Unprocessable
from arcadia_core.bus.ports import Subscription
from arcadia_core.events import Envelope, EventPayload

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
        payload = parse(envelope, model)
        async with uow() as work:
            if not await work.claim_event(queue, envelope.id):
                return
            await apply(work, payload, envelope)
            await work.commit()

    return Subscription(service, model.EVENT_TYPE, handle)
