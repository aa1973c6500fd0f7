"""What every service exposes to the process that runs it: the registry's contract.

A service package declares one `ServiceDefinition` in its `bootstrap` module (its name,
schema, settings, migrations, the gateway routes it owns, the events it publishes and
consumes, and `build`). `arcadia up`, `arcadia serve`, `arcadia migrate`, the gateway's
routing and the test harness all iterate the registry of definitions (`arcadia.registry`),
so adding a service is one package and one line there.

`build(context)` wires the service's adapters and returns a `RunningService`: nothing is
started until `start()`. Shutdown runs in reverse: the bus's consumers stop first, then the
services they call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx
from fastapi import FastAPI

from arcadia_core.bus.ports import Bus, Subscription
from arcadia_core.events import EventPayload
from arcadia_core.settings import ArcadiaSettings

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceContext:
    """What the runner hands a service's `build`: nothing in it is started yet."""

    settings: ArcadiaSettings
    bus: Bus
    database_url: str
    # the DigitalOcean API (or the sandbox) in process; None means DO_API_URL over the network
    do_transport: httpx.AsyncBaseTransport | None = None
    # other outside HTTP services by name (e.g. "finance"), in process, for tests and the demo
    transports: dict[str, httpx.AsyncBaseTransport] = field(default_factory=dict)
    clock: Clock = utc_now


class RunningService(Protocol):
    """A built service: its HTTP app, its bus subscriptions, its background work."""

    def app(self) -> FastAPI: ...

    def subscriptions(self) -> list[Subscription]: ...

    async def start(self, *, run_jobs: bool = True) -> None:
        """Start the outbox relay and (unless `run_jobs` is off) the jobs and schedules."""

    async def stop(self) -> None:
        """Stop background work and release connections; safe to call twice."""

    def asyncapi(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    schema: str
    settings: type[ArcadiaSettings]
    migrate: Callable[[str], Awaitable[None]]
    build: Callable[[ServiceContext], RunningService]
    # path prefixes under /api/v1 this service answers, for the gateway (e.g. "/billing")
    routes: tuple[str, ...] = ()
    publishes: tuple[type[EventPayload], ...] = ()
    # event types this service consumes: each gets the queue `<name>.on-<event type>`
    consumes: tuple[str, ...] = ()
    # what `arcadia serve` requires: a DigitalOcean token for the services that call it
    calls_digitalocean: bool = False
    description: str = ""

    @property
    def queues(self) -> tuple[str, ...]:
        return tuple(f"{self.name}.on-{event_type}" for event_type in self.consumes)
