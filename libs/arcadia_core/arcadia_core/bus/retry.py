"""The failure policy both buses share (see `arcadia_core.bus.errors` for the three kinds).

- `Unprocessable` (poison): no retry, dead-lettered at once with its reason.
- a transient error: retried with growing delay (`transient_delay(n)`: 1 s, 2 s, 4 s, ... capped
  at `transient_cap`), up to `transient_attempts` times (with the defaults: more than an hour),
  so a failover of a minute or two dead-letters nothing. On RabbitMQ the wait happens in the
  queue's delayed-retry queue, not in the consumer; in process, the relay retries the row.
- anything else (a bug): `quick_delays` in-process retries, then dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from arcadia_core.bus.errors import (
    MAX_ERROR_LENGTH,
    Unprocessable,
    describe_error,
    is_transient,
)
from arcadia_core.bus.ports import Handler
from arcadia_core.events import Envelope

logger = logging.getLogger(__name__)

__all__ = [
    "MAX_ERROR_LENGTH",
    "RetryPolicy",
    "TransientFailure",
    "call_with_retry",
    "describe_error",
]


class TransientFailure(Exception):
    """The handler failed for a transient reason: retry later, do not dead-letter."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """`delays[i]` is the pause before quick attempt i + 2 (for errors that are neither
    transient nor poison); `len(delays) + 1` quick attempts in all."""

    delays: tuple[float, ...] = (0.2, 1.0)
    transient_base: float = 1.0
    transient_cap: float = 30.0
    transient_attempts: int = 200

    @property
    def attempts(self) -> int:
        return len(self.delays) + 1

    def transient_delay(self, retries: int) -> float:
        """The wait before transient retry number `retries + 1` (no overflow for any count)."""
        return min(self.transient_cap, self.transient_base * 2.0 ** min(max(retries, 0), 32))


async def call_with_retry(
    handler: Handler, envelope: Envelope, policy: RetryPolicy, *, queue: str
) -> None:
    """Run `handler` with the quick retries for bugs.

    `Unprocessable` propagates at once; a transient error is raised as `TransientFailure`
    (its cause chained) for the caller to retry later; any other error is retried
    `policy.delays` times and the last one propagates.
    """
    for attempt in range(policy.attempts):
        try:
            await handler(envelope)
        except Unprocessable:
            raise
        except Exception as exc:
            if is_transient(exc):
                raise TransientFailure(describe_error(exc)) from exc
            if attempt == len(policy.delays):
                raise
            delay = policy.delays[attempt]
            logger.warning(
                "%s: attempt %d/%d for %s %s failed (%s); retrying in %.2fs",
                queue,
                attempt + 1,
                policy.attempts,
                envelope.type,
                envelope.id,
                describe_error(exc),
                delay,
            )
            await asyncio.sleep(delay)
        else:
            return
