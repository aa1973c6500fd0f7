"""The failure policy both buses share: a few quick in-process retries, then dead-letter."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from arcadia_core.bus.ports import Handler
from arcadia_core.events import Envelope

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`delays[i]` is the pause before attempt i + 2, so there are `len(delays) + 1` attempts.

    The retries only ride out short transient errors (a deadlock, a dropped connection);
    anything longer belongs in the dead-letter queue, where it can be inspected and replayed.
    """

    delays: tuple[float, ...] = (0.2, 1.0)

    @property
    def attempts(self) -> int:
        return len(self.delays) + 1


async def call_with_retry(
    handler: Handler, envelope: Envelope, policy: RetryPolicy, *, queue: str
) -> None:
    """Run `handler`, retrying on `Exception`; the last attempt's exception propagates."""
    for attempt, delay in enumerate(policy.delays, start=1):
        try:
            await handler(envelope)
        except Exception as exc:
            logger.warning(
                "%s: attempt %d/%d for %s %s failed (%s); retrying in %.2fs",
                queue,
                attempt,
                policy.attempts,
                envelope.type,
                envelope.id,
                describe_error(exc),
                delay,
            )
            await asyncio.sleep(delay)
        else:
            return
    await handler(envelope)


def describe_error(exc: BaseException) -> str:
    """`Type: message`, truncated so that it fits in a message header."""
    return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_LENGTH]
