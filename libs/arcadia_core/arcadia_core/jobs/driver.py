"""A PgQueuer driver over an asyncpg pool whose LISTEN connection is its own and watched.

PgQueuer's `AsyncpgPoolDriver` borrows a pool connection for LISTEN and keeps it for the life
of the worker: after a PostgreSQL restart that connection is dead, no NOTIFY arrives again,
and job pickup silently falls back to the poll interval; releasing it then fails and leaks
the pool slot. This driver (PgQueuer's public `Driver` protocol) queries through the pool
but listens on a dedicated connection, reports the moment that connection closes
(`on_lost`), and closes it on exit whatever its state. The runner then starts a new worker
cycle with a new driver, so pickup is back within seconds of the database.

The runner calls `listen(channel)` before the worker starts, so LISTEN is in place before
PgQueuer sends anything on the channel. Otherwise PgQueuer's first listener health check
(started alongside `add_listener`) would NOTIFY through the pool while the dedicated
connection is still being opened; that probe would never arrive and fail after 10 s,
ending every healthy worker cycle. Payloads that arrive on a channel before any callback is
registered for it are kept (up to `BACKLOG`) and handed to the first callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Self

import asyncpg
from pgqueuer.db import Driver

logger = logging.getLogger("arcadia.jobs")

NotifyCallback = Callable[[str | bytes | bytearray], None]
Payload = str | bytes | bytearray

# payloads kept per channel while no callback is registered for it yet
BACKLOG = 1000


class ListeningPoolDriver(Driver):
    """Queries over `pool`; LISTEN over its own connection to `dsn`, watched for loss."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        *,
        on_lost: Callable[[], None] = lambda: None,
        connect_timeout: float = 10.0,
        server_settings: dict[str, str] | None = None,
    ) -> None:
        self._pool = pool
        self._dsn = dsn
        self._on_lost = on_lost
        self._connect_timeout = connect_timeout
        self._server_settings = server_settings or {}
        self._shutdown = asyncio.Event()
        self._lock = asyncio.Lock()
        self._listener: asyncpg.Connection | None = None
        self._channels: dict[str, _Subscription] = {}
        self._closing = False
        self._entered = 0
        self._tasks = _Tasks()

    async def fetch(self, query: str, *args: object) -> list[dict[str, object]]:
        return [dict(row) for row in await self._pool.fetch(query, *args)]

    async def execute(self, query: str, *args: object) -> str:
        result: str = await self._pool.execute(query, *args)
        return result

    async def notify(self, channel: str, payload: str) -> None:
        await self._pool.execute("SELECT pg_notify($1, $2)", channel, payload)

    async def listen(self, channel: str) -> None:
        """Open the LISTEN connection and LISTEN on `channel` now, before anyone sends on it.

        Payloads arriving before a callback is added for `channel` are kept for that callback.
        """
        async with self._lock:
            await self._listen(channel)

    async def add_listener(self, channel: str, callback: NotifyCallback) -> None:
        async with self._lock:
            subscription = await self._listen(channel)
            subscription.add(callback)

    async def remove_listener(self, channel: str, callback: NotifyCallback) -> None:
        async with self._lock:
            subscription = self._channels.get(channel)
            if subscription is None or not subscription.remove(callback):
                return
            del self._channels[channel]
            if self._listener is not None and not self._listener.is_closed():
                await self._listener.remove_listener(channel, subscription)

    async def _listen(self, channel: str) -> _Subscription:
        """LISTEN on `channel` over the dedicated connection, opened first if need be."""
        if self._listener is None:
            self._listener = await asyncpg.connect(
                self._dsn,
                timeout=self._connect_timeout,
                server_settings=self._server_settings,
            )
            self._listener.add_termination_listener(self._terminated)
        subscription = self._channels.get(channel)
        if subscription is None:
            subscription = _Subscription()
            await self._listener.add_listener(channel, subscription)
            self._channels[channel] = subscription
        return subscription

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    def _terminated(self, _connection: object) -> None:
        if not self._closing:
            self._on_lost()

    @property
    def shutdown(self) -> asyncio.Event:
        return self._shutdown

    @property
    def tm(self) -> _Tasks:
        return self._tasks

    async def __aenter__(self) -> Self:
        self._entered += 1
        return self

    async def __aexit__(self, *_: object) -> None:
        # a queue manager and a scheduler may both enter one driver; the last exit closes
        self._entered -= 1
        if self._entered <= 0:
            await self.close()

    async def close(self) -> None:
        async with self._lock:
            listener, self._listener = self._listener, None
            self._channels.clear()
            if listener is None:
                return
            self._closing = True
            if listener.is_closed():
                return
            try:
                async with asyncio.timeout(5):
                    await listener.close()
            except Exception:
                with contextlib.suppress(Exception):
                    listener.terminate()


class _Subscription:
    """The asyncpg listener of one channel: passes payloads to its callbacks, or keeps them.

    Until the first callback is added, payloads wait in a bounded backlog, which that callback
    then receives in order; PgQueuer's callbacks only queue events or resolve futures.
    """

    __slots__ = ("backlog", "callbacks")

    def __init__(self) -> None:
        self.callbacks: list[NotifyCallback] = []
        self.backlog: deque[Payload] = deque(maxlen=BACKLOG)

    def add(self, callback: NotifyCallback) -> None:
        self.callbacks.append(callback)
        while self.backlog:
            self._deliver(callback, self.backlog.popleft())

    def remove(self, callback: NotifyCallback) -> bool:
        """Drop `callback`; True when no callback is left."""
        if callback in self.callbacks:
            self.callbacks.remove(callback)
        return not self.callbacks

    def __call__(self, _connection: Any, _pid: Any, _channel: Any, payload: Any) -> None:
        if not isinstance(payload, (str, bytes, bytearray)):
            return
        if not self.callbacks:
            self.backlog.append(payload)
            return
        for callback in list(self.callbacks):
            self._deliver(callback, payload)

    @staticmethod
    def _deliver(callback: NotifyCallback, payload: Payload) -> None:
        try:
            callback(payload)
        except Exception:
            logger.exception("job worker: a notification callback failed")


class _Tasks:
    """The driver's background tasks (the protocol asks for one; this driver starts none)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task[object]] = set()

    def add(self, task: asyncio.Task[object]) -> None:
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def gather_tasks(self, return_exceptions: bool = True) -> list[object]:
        return list(await asyncio.gather(*self.tasks, return_exceptions=return_exceptions))

    async def __aenter__(self) -> _Tasks:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.gather_tasks()
