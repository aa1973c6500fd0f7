"""SQL repositories of the metering schema.

The hot paths (loading a day's resources with their history, the day's rows, writing the
plan) go straight to the session's asyncpg connection inside the unit of work's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.bulk import driver_connection
from arcadia_core.db import dumps
from arcadia_core.events import CatchUpRequested
from arcadia_core.projection import upsert_if_newer
from metering.adapters.tables import (
    SCHEMA,
    metered_days,
    metering_config,
    outbox,
    resource_history,
    resources,
)
from metering.domain.billing import BY_KIND, Granularity, KindConfig
from metering.domain.model import HistoryEntry, MeteredResource, UsageLine
from metering.domain.plan import Announcement, DayTotals, Key, MeterPlan
from metering.domain.projection import ResourceState

DELETED = "deleted"


class SqlResourceProjection:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, state: ResourceState) -> bool:
        added = await self.session.execute(
            insert(resource_history)
            .values(
                resource_id=state.id,
                version=state.version,
                at=state.at,
                change=state.change,
                status=state.status,
                size_gb=state.size_gb,
                tenant_id=state.tenant_id,
                deployment_id=state.deployment_id,
            )
            .on_conflict_do_nothing()
            .returning(resource_history.c.version)
        )
        if added.first() is None:
            return False
        row: dict[str, Any] = {
            "id": state.id,
            "version": state.version,
            "kind": state.kind,
            "provider_id": state.provider_id,
            "name": state.name,
            "tenant_id": state.tenant_id,
            "deployment_id": state.deployment_id,
            "deleted_at": state.deleted_at,
        }
        if state.change != DELETED:
            row |= {
                "status": state.status,
                "size_gb": state.size_gb,
                "provider_created_at": state.provider_created_at,
                "first_seen_at": state.first_seen_at,
                "last_seen_at": state.last_seen_at,
            }
        await upsert_if_newer(self.session, resources, row, key=["id"])
        # what an older or partial event still tells: earliest sighting, creation time, ...
        c = resources.c
        await self.session.execute(
            update(resources)
            .where(c.id == state.id)
            .values(
                first_seen_at=func.least(c.first_seen_at, state.first_seen_at),
                last_seen_at=func.greatest(c.last_seen_at, state.last_seen_at),
                provider_created_at=func.coalesce(c.provider_created_at, state.provider_created_at),
                status=func.coalesce(c.status, state.status),
                size_gb=func.coalesce(c.size_gb, state.size_gb),
                ever_attributed=c.ever_attributed | (state.deployment_id is not None),
            )
        )
        return True

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(resources)) or 0)

    async def catch_up_requested(self) -> bool:
        found = await self.session.scalar(
            select(exists().where(outbox.c.event_type == CatchUpRequested.EVENT_TYPE))
        )
        return bool(found)


RESOURCES_SQL = f"""
SELECT r.id, r.kind, coalesce(r.provider_created_at, r.first_seen_at) AS starts_at,
       CASE WHEN r.deleted_at IS NOT NULL THEN r.last_seen_at END AS ends_at,
       h.version, h.at, h.status, h.tenant_id, h.deployment_id, h.size_gb
FROM {SCHEMA}.resources r
JOIN {SCHEMA}.resource_history h ON h.resource_id = r.id AND h.change <> '{DELETED}'
WHERE r.ever_attributed
  AND r.kind = ANY($1::text[])
  AND coalesce(r.provider_created_at, r.first_seen_at) < $3
  AND (r.deleted_at IS NULL OR r.last_seen_at >= $2)
ORDER BY r.id, h.version
"""

EXISTING_SQL = f"""
SELECT deployment_id, resource_id, period_start, granularity, resource_kind, qty, tenant_id
FROM {SCHEMA}.usage_records
WHERE period_start >= $1 AND period_start < $2 AND ($3::text IS NULL OR granularity = $3)
"""

UPDATE_SQL = f"""
UPDATE {SCHEMA}.usage_records u
SET qty = v.qty, resource_kind = v.kind, tenant_id = v.tenant, metered_at = $8
FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[], $5::numeric[],
            $6::text[], $7::uuid[]) AS v(d, r, p, g, qty, kind, tenant)
WHERE u.deployment_id = v.d AND u.resource_id = v.r AND u.period_start = v.p
  AND u.granularity = v.g
"""

DELETE_SQL = f"""
DELETE FROM {SCHEMA}.usage_records u
USING unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::text[]) AS v(d, r, p, g)
WHERE u.deployment_id = v.d AND u.resource_id = v.r AND u.period_start = v.p
  AND u.granularity = v.g
"""

PUBLISHED_SQL = f"""
INSERT INTO {SCHEMA}.metered_days (deployment_id, day, tenant_id, version, totals, metered_at)
SELECT d, day, t, v, totals::jsonb, $6
FROM unnest($1::uuid[], $2::date[], $3::uuid[], $4::int[], $5::text[]) AS x(d, day, t, v, totals)
ON CONFLICT (deployment_id, day) DO UPDATE
SET version = excluded.version, totals = excluded.totals, tenant_id = excluded.tenant_id,
    metered_at = excluded.metered_at
"""

INSERT_COLUMNS = [
    "deployment_id",
    "resource_id",
    "period_start",
    "granularity",
    "resource_kind",
    "qty",
    "tenant_id",
    "metered_at",
]


class SqlUsageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def metered_resources(self, start: datetime, end: datetime) -> list[MeteredResource]:
        connection = await driver_connection(self.session)
        rows = await connection.fetch(RESOURCES_SQL, list(BY_KIND), start, end)
        out: list[MeteredResource] = []
        current: MeteredResource | None = None
        for row in rows:
            if current is None or current.id != row[0]:
                current = MeteredResource(row[0], row[1], row[2], row[3], [])
                out.append(current)
            current.history.append(HistoryEntry(row[4], row[5], row[6], row[7], row[8], row[9]))
        return out

    async def existing(
        self, start: datetime, end: datetime, granularity: str | None = None
    ) -> dict[Key, UsageLine]:
        connection = await driver_connection(self.session)
        rows = await connection.fetch(EXISTING_SQL, start, end, granularity)
        return {
            (r[0], r[1], r[2], r[3]): UsageLine(
                r[0], r[1], r[2], Granularity(r[3]), r[4], r[5], r[6]
            )
            for r in rows
        }

    async def apply(self, plan: MeterPlan, now: datetime) -> None:
        connection = await driver_connection(self.session)
        if plan.delete:
            columns = list(zip(*plan.delete, strict=True))
            await connection.execute(DELETE_SQL, *(list(c) for c in columns))
        if plan.update:
            u = plan.update
            await connection.execute(
                UPDATE_SQL,
                [x.deployment_id for x in u],
                [x.resource_id for x in u],
                [x.period_start for x in u],
                [x.granularity for x in u],
                [x.qty for x in u],
                [x.billing_kind for x in u],
                [x.tenant_id for x in u],
                now,
            )
        if plan.insert:
            await connection.copy_records_to_table(
                "usage_records",
                schema_name=SCHEMA,
                columns=INSERT_COLUMNS,
                records=[
                    (
                        x.deployment_id,
                        x.resource_id,
                        x.period_start,
                        x.granularity,
                        x.billing_kind,
                        x.qty,
                        x.tenant_id,
                        now,
                    )
                    for x in plan.insert
                ],
            )

    async def lock_period(self, period_start: datetime) -> None:
        """Serialize metering of one period (a job and a backfill running at once)."""
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"metering:{period_start.isoformat()}"},
        )

    async def published(self, day: date) -> dict[UUID, tuple[int, dict[str, Decimal]]]:
        rows = await self.session.execute(
            select(
                metered_days.c.deployment_id, metered_days.c.version, metered_days.c.totals
            ).where(metered_days.c.day == day)
        )
        return {
            deployment: (version, {k: Decimal(v) for k, v in totals.items()})
            for deployment, version, totals in rows
        }

    async def all_published(self) -> list[Announcement]:
        """Every (deployment, day) last published, at its version: what a catch-up re-sends."""
        rows = await self.session.execute(
            select(
                metered_days.c.deployment_id,
                metered_days.c.tenant_id,
                metered_days.c.day,
                metered_days.c.version,
                metered_days.c.totals,
            ).order_by(metered_days.c.day, metered_days.c.deployment_id)
        )
        return [
            Announcement(
                DayTotals(deployment, tenant, day, {k: Decimal(v) for k, v in totals.items()}),
                version,
            )
            for deployment, tenant, day, version, totals in rows
        ]

    async def record_published(self, sent: Sequence[Announcement], now: datetime) -> None:
        if not sent:
            return
        connection = await driver_connection(self.session)
        await connection.execute(
            PUBLISHED_SQL,
            [a.totals.deployment_id for a in sent],
            [a.totals.day for a in sent],
            [a.totals.tenant_id for a in sent],
            [a.version for a in sent],
            [dumps({k: str(v) for k, v in a.totals.totals.items()}) for a in sent],
            now,
        )

    async def purge(self, billing_kind: str, before: datetime) -> int:
        result = await self.session.execute(
            text(
                f"DELETE FROM {SCHEMA}.usage_records"
                " WHERE resource_kind = :kind AND period_start < :before"
            ),
            {"kind": billing_kind, "before": before},
        )
        return int(getattr(result, "rowcount", 0) or 0)


class SqlConfigRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def load(self) -> dict[str, KindConfig]:
        rows = await self.session.execute(
            select(
                metering_config.c.billing_kind,
                metering_config.c.granularity,
                metering_config.c.retention_days,
            )
        )
        return {
            kind: KindConfig(kind, Granularity(granularity), retention)
            for kind, granularity, retention in rows
        }

    async def save(self, config: KindConfig, now: datetime) -> None:
        statement = insert(metering_config).values(
            billing_kind=config.billing_kind,
            granularity=config.granularity.value,
            retention_days=config.retention_days,
            updated_at=now,
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[metering_config.c.billing_kind],
                set_={
                    "granularity": statement.excluded.granularity,
                    "retention_days": statement.excluded.retention_days,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )
