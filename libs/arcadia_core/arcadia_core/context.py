"""The correlation id of the work in progress, carried from HTTP through the bus into jobs.

One id follows one cause through every service: an HTTP request sets it from its
`X-Request-Id` header (or a new one), a unit of work stamps it on the events it emits
(`Envelope.correlation_id`), a consumer sets it from the envelope it applies, and a job
carries it in its row and sets it while it runs. Every log line shows it (`arcadia_core.logging`).

    with correlation(envelope.correlation_id):
        await apply(...)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

_correlation_id: ContextVar[UUID | None] = ContextVar("arcadia_correlation_id", default=None)

# namespace for ids derived from a foreign request id that is not a UUID
_REQUEST_ID_NAMESPACE = uuid5(NAMESPACE_URL, "urn:arcadia:request-id")


def current_correlation_id() -> UUID | None:
    """The correlation id of the work in progress, or None outside any request/event/job."""
    return _correlation_id.get()


def new_correlation_id() -> UUID:
    return uuid4()


def correlation_id_from(value: str | UUID | None) -> UUID | None:
    """A UUID for a request id: itself when it is one, else a stable UUID derived from it."""
    if value is None or isinstance(value, UUID):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return UUID(text)
    except ValueError:
        return uuid5(_REQUEST_ID_NAMESPACE, text[:200])


@contextmanager
def correlation(value: str | UUID | None, *, new_if_missing: bool = False) -> Iterator[UUID | None]:
    """Set the correlation id for the enclosed block (and the tasks it creates), then restore.

    With `new_if_missing`, a missing id starts a new correlation instead of clearing it.
    """
    correlation_id = correlation_id_from(value)
    if correlation_id is None and new_if_missing:
        correlation_id = new_correlation_id()
    token = _correlation_id.set(correlation_id)
    try:
        yield correlation_id
    finally:
        _correlation_id.reset(token)
