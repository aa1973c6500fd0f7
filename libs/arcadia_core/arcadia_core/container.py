"""What every service's built container shares: its background work (the outbox relay and the
jobs), shutdown in the right order, readiness, its AsyncAPI document, and its migrations.

A service's `bootstrap` defines a dataclass with `engine`, `relay` and `jobs` that inherits
`ServiceContainer`, sets `SERVICE` and `PUBLICATIONS`, and overrides the hooks it needs:
`subscriptions()`, `before_start()` (catch-up requests, loading a catalog) and `after_stop()`
(closing its own HTTP clients).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, ClassVar

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from arcadia_core.bus.ports import Subscription
from arcadia_core.db import asyncpg_dsn
from arcadia_core.jobs import JobRunner
from arcadia_core.migrations import upgrade_async
from arcadia_core.outbox import OutboxRelay

STOP_TIMEOUT = 10.0


async def migrate_service(
    migrations: Path, database_url: str, *, schema: str, service: str
) -> None:
    """Apply a service's Alembic migrations and install its job tables (idempotent)."""
    await upgrade_async(migrations, database_url, schema)
    runner = JobRunner(asyncpg_dsn(database_url), schema=schema, service=service)
    try:
        await runner.install()
    finally:
        await runner.close()


class ServiceContainer:
    SERVICE: ClassVar[str]
    PUBLICATIONS: ClassVar[Mapping[str, type[BaseModel]]] = {}

    engine: AsyncEngine
    relay: OutboxRelay
    jobs: JobRunner

    def subscriptions(self) -> list[Subscription]:
        return []

    async def before_start(self) -> None:
        """Work to do before the background work starts (first-start catch-up, say)."""

    async def after_stop(self) -> None:
        """Release what the service holds besides its engine (HTTP clients, say)."""

    def _background(self) -> list[asyncio.Task[None]]:
        tasks: list[asyncio.Task[None]] = self.__dict__.setdefault("_background_tasks", [])
        return tasks

    def _spawn(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self._background().append(asyncio.create_task(work, name=f"{self.SERVICE}-{name}"))

    async def start(self, *, run_jobs: bool = True) -> None:
        """Relay the outbox and (unless `run_jobs` is off) run the jobs and schedules."""
        await self.before_start()
        self._spawn(self.relay.run(), "outbox-relay")
        if run_jobs:
            self._spawn(self.jobs.run(), "jobs")

    async def stop(self) -> None:
        """Stop the background work, then release connections; a second call does nothing."""
        if self.__dict__.get("_stopped"):
            return
        self.__dict__["_stopped"] = True
        self.relay.stop()
        await self.jobs.stop()
        for task in self._background():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, timeout=STOP_TIMEOUT)
        self._background().clear()
        await self.jobs.close()
        await self.after_stop()
        await self.engine.dispose()

    async def ready(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    def asyncapi(self) -> dict[str, Any]:
        """This service's AsyncAPI document: what it publishes and what it consumes."""
        cached: dict[str, Any] | None = self.__dict__.get("_asyncapi_document")
        if cached is None:
            from arcadia_core.bus.rabbit import RabbitBus, asyncapi_schema

            bus = RabbitBus("amqp://documentation-only/", service=self.SERVICE)
            for subscription in self.subscriptions():
                bus.subscribe(subscription)
            bus.declare_publications(self.PUBLICATIONS)
            cached = self.__dict__["_asyncapi_document"] = asyncapi_schema(bus)
        return cached

    def publish_asyncapi(self, app: FastAPI) -> FastAPI:
        """Serve `asyncapi()` at `/asyncapi.json` of `app`."""

        @app.get("/asyncapi.json", tags=["operations"], summary="AsyncAPI document of the events")
        async def asyncapi() -> dict[str, Any]:
            return self.asyncapi()

        return app
