"""One transaction per use case; the outbox rows and the inbox claim ride in it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core.uow import SqlUnitOfWork
from metering.adapters.repository import (
    SqlConfigRepository,
    SqlResourceProjection,
    SqlUsageRepository,
)
from metering.adapters.tables import inbox, outbox
from metering.ports import ConfigRepository, ResourceProjection, UsageRepository

PRODUCER = "metering"


class MeteringUnitOfWork(SqlUnitOfWork):
    producer = PRODUCER
    resources: ResourceProjection
    usage: UsageRepository
    config: ConfigRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(sessions, outbox=outbox, inbox=inbox, on_commit=on_commit)

    def _repositories(self) -> None:
        self.resources = SqlResourceProjection(self.session)
        self.usage = SqlUsageRepository(self.session)
        self.config = SqlConfigRepository(self.session)
