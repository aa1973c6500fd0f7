"""How a consumer's failure is told apart: poison, a transient blip, or a bug.

- `Unprocessable` (poison): the event can never be applied as it is: invalid JSON or payload,
  a `schema_version` newer than the consumer knows, an entity the consumer has never heard of.
  It goes to the dead-letter queue at once, with its reason.
- transient: the database or the network is away (a failover, a restart, a dropped
  connection, a deadlock). It is retried with growing delay and never dead-lettered while the
  outage is short.
- anything else is a bug in the handler: a few quick retries, then the dead-letter queue,
  where it can be read and replayed once fixed.
"""

from __future__ import annotations

import asyncio

MAX_ERROR_LENGTH = 1000

# SQLSTATE classes that mean "try again": connection exceptions, insufficient resources,
# operator intervention (shutdown, failover), and the serialization failure / deadlock pair.
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "57P")
_TRANSIENT_SQLSTATES = {"40001", "40P01", "55P03"}


# aiormq/aio-pika names for a connection or channel that went away (by name, so that this
# module imports nothing from the broker client)
_TRANSIENT_BROKER_ERRORS = {
    "AMQPConnectionError",
    "ConnectionClosed",
    "ChannelClosed",
    "ChannelInvalidStateError",
    "ConnectionResourceError",
    "ConnectionNotAllowed",
    "ChannelLockedResource",
    "IncompatibleProtocolError",
}


class Unprocessable(Exception):
    """This event can never be applied as it is: dead-letter it now with this reason."""


def describe_error(exc: BaseException) -> str:
    """`Type: message`, truncated so that it fits in a message header."""
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]


def _sqlstate(exc: BaseException) -> str | None:
    for candidate in (exc, getattr(exc, "orig", None), getattr(exc, "__cause__", None)):
        state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(state, str):
            return state
    return None


def is_transient(exc: BaseException) -> bool:
    """True for errors of the infrastructure that go away by themselves."""
    if isinstance(exc, Unprocessable):
        return False
    if isinstance(exc, OSError | ConnectionError | asyncio.TimeoutError | TimeoutError):
        return True
    state = _sqlstate(exc)
    if state is not None and (
        state in _TRANSIENT_SQLSTATES or state.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    ):
        return True
    # SQLAlchemy wraps driver errors; a lost connection is flagged on the wrapper
    if getattr(exc, "connection_invalidated", False):
        return True
    name = type(exc).__name__
    if any(cls.__name__ in _TRANSIENT_BROKER_ERRORS for cls in type(exc).__mro__):
        return True
    if name in {
        "InterfaceError",
        "OperationalError",
        "ConnectionDoesNotExistError",
        "CannotConnectNowError",
        "ConnectionFailureError",
        "InternalClientError",
        "TooManyConnectionsError",
        "AdminShutdownError",
    }:
        return True
    cause = exc.__cause__ or exc.__context__
    return cause is not None and cause is not exc and is_transient(cause)
