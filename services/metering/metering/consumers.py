"""Bus subscribers: the resource projection, through the one consumer helper."""

from __future__ import annotations

from collections.abc import Callable

from arcadia_core.bus.ports import Subscription
from arcadia_core.consumers import consume
from arcadia_core.events import CatchUpRequested, ResourceDeleted, ResourceSynced
from metering.adapters.unit_of_work import MeteringUnitOfWork
from metering.usecases.projection import (
    on_catch_up_requested,
    on_resource_deleted,
    on_resource_synced,
)

SERVICE = "metering"


def subscriptions(uow: Callable[[], MeteringUnitOfWork]) -> list[Subscription]:
    return [
        consume(SERVICE, ResourceSynced, uow=uow, apply=on_resource_synced),
        consume(SERVICE, ResourceDeleted, uow=uow, apply=on_resource_deleted),
        consume(SERVICE, CatchUpRequested, uow=uow, apply=on_catch_up_requested),
    ]
