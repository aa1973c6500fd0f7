"""One transaction per use case; the outbox rows and the inbox claim ride in it."""

from __future__ import annotations

from arcadia_core.uow import SqlUnitOfWork as BaseUnitOfWork
from invoicing.adapters.repository import (
    SqlCatalog,
    SqlDocuments,
    SqlInvoices,
    SqlRegistry,
    SqlUsage,
)

PRODUCER = "invoicing"


class SqlUnitOfWork(BaseUnitOfWork):
    producer = PRODUCER
    registry: SqlRegistry
    catalog: SqlCatalog
    usage: SqlUsage
    invoices: SqlInvoices
    documents: SqlDocuments

    def _repositories(self) -> None:
        self.registry = SqlRegistry(self.session)
        self.catalog = SqlCatalog(self.session)
        self.usage = SqlUsage(self.session)
        self.invoices = SqlInvoices(self.session)
        self.documents = SqlDocuments(self.session)
