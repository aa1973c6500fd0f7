"""Bus subscribers: `usage.metered` feeds the usage projection; `catchup.requested` asking for
the registry re-sends every tenant and deployment."""

from __future__ import annotations

from collections.abc import Callable

from arcadia_core.bus.ports import Subscription
from arcadia_core.consumers import consume
from arcadia_core.events import CatchUpRequested, Envelope, UsageMetered
from invoicing.adapters.unit_of_work import SqlUnitOfWork
from invoicing.ports import Clock
from invoicing.usecases.registry import on_catch_up_requested
from invoicing.usecases.usage import record_usage

SERVICE = "invoicing"


def subscriptions(uow: Callable[[], SqlUnitOfWork], clock: Clock) -> list[Subscription]:
    async def apply(work: SqlUnitOfWork, payload: UsageMetered, envelope: Envelope) -> None:
        await record_usage(work, payload, clock)

    async def catch_up(work: SqlUnitOfWork, request: CatchUpRequested, envelope: Envelope) -> None:
        await on_catch_up_requested(work, request, envelope)

    return [
        consume(SERVICE, UsageMetered, uow=uow, apply=apply),
        consume(SERVICE, CatchUpRequested, uow=uow, apply=catch_up),
    ]
