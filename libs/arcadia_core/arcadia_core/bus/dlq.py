"""Read, replay and purge a RabbitMQ dead-letter queue (`arcadia dlq` with a broker).

`queue` is the consumer queue's name without the namespace (`inventory.on-drift.detected`);
its DLQ is `<ns><queue>.dlq`. Listing takes messages without acknowledging them and closes the
channel, so RabbitMQ puts every one back. Replay publishes a message (with its headers, minus
the error and retry ones) to the work queue through the default exchange, waits for the
confirm, and only then acknowledges it in the DLQ: a crash in between duplicates it, which
the consumer's inbox absorbs, and never loses it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from arcadia_core.bus.deadletters import DeadLetter
from arcadia_core.bus.metrics import DLQ_DEPTH
from arcadia_core.bus.topology import DEAD_LETTER_SUFFIX
from arcadia_core.events import Envelope

_DROPPED_ON_REPLAY = {
    "x-error",
    "x-error-at",
    "x-original-queue",
    "x-arcadia-retries",
    "x-last-error",
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-delivery-count",
}


def _dead_letter(queue: str, message: AbstractIncomingMessage) -> DeadLetter:
    headers = dict(message.headers or {})
    error = headers.get("x-error")
    if error is None and headers.get("x-death"):
        reason = headers.get("x-first-death-reason", "unknown")
        error = f"dead-lettered by RabbitMQ: {reason!s}"
    body: dict[str, Any] | None
    try:
        envelope: Envelope | None = Envelope.model_validate_json(message.body)
        body = None
    except ValueError:
        envelope = None
        try:
            parsed = json.loads(message.body)
            body = parsed if isinstance(parsed, dict) else {"body": parsed}
        except ValueError:
            body = {"body": message.body.decode("utf-8", "replace")}
    failed_at = headers.get("x-error-at")
    return DeadLetter(
        queue=queue,
        envelope=envelope,
        error=str(error or "unknown"),
        id=message.message_id or "",
        failed_at=datetime.fromisoformat(failed_at) if isinstance(failed_at, str) else None,
        body=body,
    )


class RabbitDeadLetters:
    """The DLQs of one namespace on one broker."""

    def __init__(self, url: str, namespace: str = "") -> None:
        self._url = url
        self._ns = namespace

    def _dlq(self, queue: str) -> str:
        return f"{self._ns}{queue}{DEAD_LETTER_SUFFIX}"

    async def count(self, queue: str) -> int:
        connection = await aio_pika.connect(self._url)
        async with connection:
            channel = await connection.channel()
            declared = await channel.declare_queue(self._dlq(queue), passive=True)
            depth = int(declared.declaration_result.message_count or 0)
        DLQ_DEPTH.labels(self._dlq(queue)).set(depth)
        return depth

    async def read(self, queue: str, *, limit: int = 100) -> list[DeadLetter]:
        found: list[DeadLetter] = []

        def keep(message: AbstractIncomingMessage) -> bool:
            found.append(_dead_letter(queue, message))
            return False

        await self._walk(queue, limit, keep)
        return found

    async def get(self, queue: str, ident: str) -> DeadLetter | None:
        for letter in await self.read(queue, limit=100_000):
            if ident in (letter.id, str(letter.envelope.id) if letter.envelope else None):
                return letter
        return None

    async def replay(self, queue: str, ids: list[str] | None = None) -> int:
        """Move the given messages (by message id), or all, back to the work queue."""
        return await self._take(queue, ids, replay=True)

    async def purge(self, queue: str, ids: list[str] | None = None) -> int:
        return await self._take(queue, ids, replay=False)

    async def _walk(
        self, queue: str, limit: int, visit: Callable[[AbstractIncomingMessage], bool]
    ) -> None:
        """Get up to `limit` messages; `visit` returns True to keep (ack) one. The channel is
        closed at the end, which returns every message not acked to the queue."""
        connection = await aio_pika.connect(self._url)
        async with connection:
            channel = await connection.channel()
            dlq = await channel.declare_queue(self._dlq(queue), passive=True)
            depth = int(dlq.declaration_result.message_count or 0)
            for _ in range(min(limit, depth)):
                message = await dlq.get(no_ack=False, fail=False)
                if message is None:
                    break
                if visit(message):
                    await message.ack()
            await channel.close()

    async def _take(self, queue: str, ids: list[str] | None, *, replay: bool) -> int:
        wanted = set(ids) if ids is not None else None
        taken = 0
        connection = await aio_pika.connect(self._url)
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            dlq = await channel.declare_queue(self._dlq(queue), passive=True)
            depth = int(dlq.declaration_result.message_count or 0)
            for _ in range(depth):
                message = await dlq.get(no_ack=False, fail=False)
                if message is None:
                    break
                letter_ids = {message.message_id}
                if wanted is not None and not (wanted & letter_ids):
                    continue  # returned to the DLQ when the channel closes
                if replay:
                    headers = {
                        k: v
                        for k, v in (message.headers or {}).items()
                        if k not in _DROPPED_ON_REPLAY
                    }
                    await channel.default_exchange.publish(
                        aio_pika.Message(
                            message.body,
                            headers=headers,
                            message_id=message.message_id,
                            correlation_id=message.correlation_id,
                            content_type=message.content_type,
                            type=message.type,
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                        ),
                        routing_key=f"{self._ns}{queue}",
                        mandatory=True,
                    )
                await message.ack()
                taken += 1
            await channel.close()
        await self.count(queue)
        return taken
