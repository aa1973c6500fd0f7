"""One transaction per use case; the outbox rows and the inbox claim ride in it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from arcadia_core import uow
from drift.adapters.repository import (
    SqlDriftRepository,
    SqlLiveRepository,
    SqlProvisionedRepository,
)
from drift.adapters.tables import inbox, outbox
from drift.ports import DriftRepository, LiveRepository, ProvisionedRepository

PRODUCER = "drift"


class SqlUnitOfWork(uow.SqlUnitOfWork):
    producer = PRODUCER
    live: LiveRepository
    provisioned: ProvisionedRepository
    drifts: DriftRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        on_commit: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(sessions, outbox=outbox, inbox=inbox, on_commit=on_commit)

    def _repositories(self) -> None:
        self.live = SqlLiveRepository(self.session)
        self.provisioned = SqlProvisionedRepository(self.session)
        self.drifts = SqlDriftRepository(self.session)
