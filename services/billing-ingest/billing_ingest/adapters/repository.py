"""SQL repositories of the billing schema, bound to one unit of work's session."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Text, and_, case, cast, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.bulk import driver_connection
from arcadia_core.projection import upsert_if_newer
from billing_ingest.adapters.tables import (
    COST_LINE_COLUMNS,
    cloud_balance_snapshots,
    cloud_billing_history,
    cloud_cost_lines,
    cloud_invoice_previews,
    cloud_invoices,
    resources,
)
from billing_ingest.domain.model import (
    BY_ID,
    BY_NAME,
    DESTROYED_BEFORE_MIRROR,
    FAILED,
    INGESTED,
    NO_SUCH_RESOURCE,
    NONE,
    BalanceSnapshot,
    CostLine,
    HistoryEntry,
    InvoiceHeader,
    InvoiceStats,
    Reconciliation,
    ResourceRef,
)

Json = dict[str, Any]


class SqlInvoiceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert_headers(self, headers: Sequence[InvoiceHeader], now: datetime) -> int:
        if not headers:
            return 0
        statement = insert(cloud_invoices).values(
            [
                {
                    "invoice_uuid": h.invoice_uuid,
                    "invoice_id": h.invoice_id,
                    "invoice_period": h.period,
                    "amount_cents": h.amount_cents,
                    "first_seen_at": now,
                    "updated_at": now,
                }
                for h in headers
            ]
        )
        c = cloud_invoices.c
        result = await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[c.invoice_uuid],
                set_={
                    "invoice_id": statement.excluded.invoice_id,
                    "invoice_period": statement.excluded.invoice_period,
                    "amount_cents": statement.excluded.amount_cents,
                    "updated_at": statement.excluded.updated_at,
                },
                where=or_(
                    c.invoice_id.is_distinct_from(statement.excluded.invoice_id),
                    c.invoice_period != statement.excluded.invoice_period,
                    c.amount_cents != statement.excluded.amount_cents,
                ),
            ).returning(c.invoice_uuid)
        )
        return len(result.all())

    async def upsert_preview(self, header: InvoiceHeader, now: datetime) -> None:
        row = {
            "invoice_uuid": header.invoice_uuid,
            "invoice_id": header.invoice_id,
            "invoice_period": header.period,
            "amount_cents": header.amount_cents,
            "updated_at": header.updated_at,
            "fetched_at": now,
        }
        statement = insert(cloud_invoice_previews).values(**row)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[cloud_invoice_previews.c.invoice_uuid],
                set_={k: statement.excluded[k] for k in row if k != "invoice_uuid"},
            )
        )

    async def get(self, invoice_uuid: str, *, lock: bool = False) -> Json | None:
        statement = select(cloud_invoices).where(cloud_invoices.c.invoice_uuid == invoice_uuid)
        if lock:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).mappings().first()
        return dict(row) if row else None

    async def uuids(self, *, not_ingested: bool) -> list[str]:
        c = cloud_invoices.c
        statement = select(c.invoice_uuid).order_by(c.invoice_period, c.invoice_uuid)
        if not_ingested:
            statement = statement.where(c.status != INGESTED)
        return list((await self.session.execute(statement)).scalars())

    async def unpushed(self) -> list[tuple[str, int]]:
        c = cloud_invoices.c
        rows = await self.session.execute(
            select(c.invoice_uuid, c.version).where(
                c.status == INGESTED,
                c.reconciled.is_(True),
                or_(c.finance_pushed_version.is_(None), c.finance_pushed_version < c.version),
            )
        )
        return [(row.invoice_uuid, row.version) for row in rows]

    async def mark_failed(self, invoice_uuid: str, reason: str, now: datetime) -> None:
        await self.session.execute(
            update(cloud_invoices)
            .where(cloud_invoices.c.invoice_uuid == invoice_uuid)
            .values(status=FAILED, failure_reason=reason, updated_at=now)
        )

    async def record_ingest(
        self,
        invoice_uuid: str,
        stats: InvoiceStats,
        reconciliation: Reconciliation,
        content_sha256: str,
        now: datetime,
    ) -> int:
        c = cloud_invoices.c
        version = await self.session.scalar(
            update(cloud_invoices)
            .where(c.invoice_uuid == invoice_uuid)
            .values(
                status=INGESTED,
                failure_reason=None,
                line_count=stats.line_count,
                matched_count=stats.matched_count,
                match_rate=stats.match_rate,
                net_cents=stats.net_cents,
                tax_cents=stats.tax_cents,
                reconciled=reconciliation.ok,
                reconciliation=reconciliation.as_json(),
                content_sha256=content_sha256,
                version=c.version + 1,
                ingested_at=now,
                updated_at=now,
            )
            .returning(c.version)
        )
        return int(version or 0)

    async def record_rematch(self, invoice_uuid: str, stats: InvoiceStats, now: datetime) -> int:
        c = cloud_invoices.c
        version = await self.session.scalar(
            update(cloud_invoices)
            .where(c.invoice_uuid == invoice_uuid)
            .values(
                matched_count=stats.matched_count,
                match_rate=stats.match_rate,
                version=c.version + 1,
                # amounts did not change: what finance holds stays current
                finance_pushed_version=case(
                    (c.finance_pushed_version == c.version, c.version + 1),
                    else_=c.finance_pushed_version,
                ),
                updated_at=now,
            )
            .returning(c.version)
        )
        return int(version or 0)

    async def mark_pushed(
        self, invoice_uuid: str, version: int, finance_id: str, action: str, now: datetime
    ) -> None:
        c = cloud_invoices.c
        await self.session.execute(
            update(cloud_invoices)
            .where(c.invoice_uuid == invoice_uuid)
            .values(
                pushed_to_finance_at=now,
                finance_invoice_id=finance_id,
                finance_action=action,
                finance_pushed_version=func.greatest(
                    func.coalesce(c.finance_pushed_version, 0), version
                ),
            )
        )


def _line_from_row(row: Any) -> CostLine:
    return CostLine(
        line_no=row.line_no,
        product=row.product,
        group_description=row.group_description,
        description=row.description,
        kind=row.kind,
        amount_cents=row.amount_cents,
        hours=row.hours,
        start_at=row.start_at,
        end_at=row.end_at,
        project_name=row.project_name,
        category=row.category,
        provider_resource_id=row.provider_resource_id,
        provider_resource_uuid=row.provider_resource_uuid,
        match_kind=row.match_kind,
        match_name=row.match_name,
        resource_id=row.resource_id,
        match_method=row.match_method,
        unmatched_reason=row.unmatched_reason,
        tenant_id=row.tenant_id,
        deployment_id=row.deployment_id,
    )


class SqlLineRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace(self, invoice_uuid: str, lines: Sequence[CostLine]) -> None:
        await self.session.execute(
            delete(cloud_cost_lines).where(cloud_cost_lines.c.invoice_uuid == invoice_uuid)
        )
        if not lines:
            return
        # the line's fields, in the table's column order, taken in one C call per line
        fields = attrgetter(*COST_LINE_COLUMNS[1:])
        head = (invoice_uuid,)
        records = [head + fields(line) for line in lines]
        connection = await driver_connection(self.session)
        await connection.copy_records_to_table(
            cloud_cost_lines.name,
            schema_name=cloud_cost_lines.schema,
            columns=list(COST_LINE_COLUMNS),
            records=records,
        )

    async def of_invoice(self, invoice_uuid: str) -> list[CostLine]:
        rows = await self.session.execute(
            select(cloud_cost_lines)
            .where(cloud_cost_lines.c.invoice_uuid == invoice_uuid)
            .order_by(cloud_cost_lines.c.line_no)
        )
        return [_line_from_row(row) for row in rows]

    async def stats(self, invoice_uuid: str) -> InvoiceStats:
        c = cloud_cost_lines.c
        where = c.invoice_uuid == invoice_uuid
        head = (
            await self.session.execute(
                select(
                    func.count(),
                    func.count(c.resource_id),
                    func.coalesce(func.sum(c.amount_cents), 0),
                    func.coalesce(func.sum(c.amount_cents).filter(c.kind == "tax"), 0),
                ).where(where)
            )
        ).one()
        deployment = func.coalesce(cast(c.deployment_id, Text), "unattributed")
        by_deployment = await self.session.execute(
            select(deployment, func.sum(c.amount_cents)).where(where).group_by(deployment)
        )
        by_kind = await self.session.execute(
            select(c.kind, func.sum(c.amount_cents)).where(where).group_by(c.kind)
        )
        reasons = await self.session.execute(
            select(c.unmatched_reason, func.count())
            .where(where, c.resource_id.is_(None), c.unmatched_reason.is_not(None))
            .group_by(c.unmatched_reason)
        )
        return InvoiceStats(
            line_count=int(head[0]),
            matched_count=int(head[1]),
            amount_cents=int(head[2]),
            tax_cents=int(head[3]),
            cost_by_deployment={str(k): int(v) for k, v in by_deployment},
            cost_by_kind={str(k): int(v) for k, v in by_kind},
            unmatched_by_reason={str(k): int(v) for k, v in reasons},
        )

    async def match_waiting(self, resource: ResourceRef) -> set[str]:
        c = cloud_cost_lines.c
        touched: set[str] = set()
        values = {
            "resource_id": resource.id,
            "unmatched_reason": None,
            "tenant_id": resource.tenant_id,
            "deployment_id": resource.deployment_id,
        }
        waiting = and_(c.match_method == NONE, c.match_kind == resource.kind)
        by_id = await self.session.execute(
            update(cloud_cost_lines)
            .where(
                waiting,
                or_(
                    c.provider_resource_id == resource.provider_id,
                    c.provider_resource_uuid == resource.provider_id,
                ),
            )
            .values(match_method=BY_ID, **values)
            .returning(c.invoice_uuid)
        )
        touched.update(by_id.scalars())
        if resource.name:
            by_name = await self.session.execute(
                update(cloud_cost_lines)
                .where(waiting, c.match_name == resource.name.lower())
                .values(match_method=BY_NAME, **values)
                .returning(c.invoice_uuid)
            )
            touched.update(by_name.scalars())
        return touched

    async def fill_attribution(self, resource: ResourceRef) -> set[str]:
        if resource.tenant_id is None and resource.deployment_id is None:
            return set()
        c = cloud_cost_lines.c
        result = await self.session.execute(
            update(cloud_cost_lines)
            .where(c.resource_id == resource.id, c.tenant_id.is_(None), c.deployment_id.is_(None))
            .values(tenant_id=resource.tenant_id, deployment_id=resource.deployment_id)
            .returning(c.invoice_uuid)
        )
        return set(result.scalars())

    async def explain_unmatched(self, mirror_began: datetime) -> int:
        """Re-explain lines naming a resource nobody has: before the mirror or not."""
        result = await self.session.execute(
            text(
                "UPDATE billing.cloud_cost_lines SET unmatched_reason = CASE "
                "WHEN end_at IS NOT NULL AND end_at <= :began THEN :destroyed ELSE :missing END "
                "WHERE match_method = 'none' AND match_kind IS NOT NULL "
                "AND unmatched_reason IN (:destroyed, :missing)"
            ),
            {
                "began": mirror_began,
                "destroyed": DESTROYED_BEFORE_MIRROR,
                "missing": NO_SUCH_RESOURCE,
            },
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SqlProjectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def upsert(self, row: Json) -> bool:
        return await upsert_if_newer(self.session, resources, row, key=["resource_id"])

    async def all(self) -> list[ResourceRef]:
        c = resources.c
        rows = await self.session.execute(
            select(
                c.resource_id,
                c.kind,
                c.provider_id,
                c.name,
                c.tenant_id,
                c.deployment_id,
                c.deleted_at,
            )
        )
        return [
            ResourceRef(
                id=row.resource_id,
                kind=row.kind,
                provider_id=row.provider_id,
                name=row.name,
                tenant_id=row.tenant_id,
                deployment_id=row.deployment_id,
                deleted=row.deleted_at is not None,
            )
            for row in rows
        ]

    async def mirror_began(self) -> datetime | None:
        began: datetime | None = await self.session.scalar(
            select(func.min(resources.c.first_seen_at))
        )
        return began


class SqlRecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_history(self, entries: Sequence[HistoryEntry], now: datetime) -> int:
        if not entries:
            return 0
        result = await self.session.execute(
            insert(cloud_billing_history)
            .values(
                [
                    {
                        "occurred_at": e.occurred_at,
                        "type": e.type,
                        "description": e.description,
                        "amount_cents": e.amount_cents,
                        "invoice_uuid": e.invoice_uuid,
                        "invoice_id": e.invoice_id,
                        "first_seen_at": now,
                    }
                    for e in entries
                ]
            )
            .on_conflict_do_nothing()
            .returning(cloud_billing_history.c.id)
        )
        return len(result.all())

    async def add_balance(self, snapshot: BalanceSnapshot, now: datetime) -> bool:
        result = await self.session.execute(
            insert(cloud_balance_snapshots)
            .values(
                month_to_date_balance_cents=snapshot.month_to_date_balance_cents,
                account_balance_cents=snapshot.account_balance_cents,
                month_to_date_usage_cents=snapshot.month_to_date_usage_cents,
                generated_at=snapshot.generated_at,
                fetched_at=now,
            )
            .on_conflict_do_nothing()
            .returning(cloud_balance_snapshots.c.id)
        )
        return result.first() is not None
