"""A PgQueuer driver over an asyncpg pool whose LISTEN connection is its own and watched.

PgQueuer's `AsyncpgPoolDriver` borrows a pool connection for LISTEN and keeps it for the life
of the worker: after a PostgreSQL restart that connection is dead, no NOTIFY arrives again,
and job pickup silently falls back to the poll interval; releasing it then fails and leaks
the pool slot. This driver (PgQueuer's public `Driver` protocol) queries through the pool
but listens on a dedicated connection, reports the moment that connection closes
(`on_lost`), and closes it on exit whatever its state. The runner then starts a new worker
cycle with a new driver, so pickup is back within seconds of the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Self

import asyncpg
from pgqueuer.db import Driver

logger = logging.getLogger("arcadia.jobs")

NotifyCallback = Callable[[str | bytes | bytearray], None]


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

    async def add_listener(self, channel: str, callback: NotifyCallback) -> None:
        async with self._lock:
            if self._listener is None:
                self._listener = await asyncpg.connect(
                    self._dsn,
                    timeout=self._connect_timeout,
                    server_settings=self._server_settings,
                )
                self._listener.add_termination_listener(self._terminated)
            await self._listener.add_listener(channel, _Relay(callback))

    async def remove_listener(self, channel: str, callback: NotifyCallback) -> None:
        async with self._lock:
            if self._listener is not None and not self._listener.is_closed():
                await self._listener.remove_listener(channel, _Relay(callback))

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


class _Relay:
    """asyncpg listener passing only the payload on; equal for one callback (for removal)."""

    __slots__ = ("callback",)

    def __init__(self, callback: NotifyCallback) -> None:
        self.callback = callback

    def __call__(self, _connection: Any, _pid: Any, _channel: Any, payload: Any) -> None:
        if isinstance(payload, (str, bytes, bytearray)):
            self.callback(payload)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Relay) and other.callback == self.callback

    def __hash__(self) -> int:
        return hash(self.callback)


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
