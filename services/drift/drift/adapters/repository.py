"""SQL repositories of the drift schema (SQLAlchemy Core on the unit of work's session)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.projection import upsert_if_newer
from drift.adapters.tables import cloud_drift, cloud_provisioned, live_resources
from drift.domain.model import Drift, DriftStatus, LiveResource, Provisioned


def live_from_row(row: Any) -> LiveResource:
    return LiveResource(
        resource_id=row.resource_id,
        version=row.version,
        kind=row.kind,
        provider_id=row.provider_id,
        name=row.name,
        status=row.status,
        region=row.region,
        size_slug=row.size_slug,
        attrs=dict(row.attrs or {}),
        tenant_id=row.tenant_id,
        deleted_at=row.deleted_at,
    )


def provisioned_from_row(row: Any) -> Provisioned:
    return Provisioned(
        resource_id=row.resource_id,
        spec=dict(row.spec),
        spec_version=row.spec_version,
        kind=row.kind,
        recorded_at=row.recorded_at,
        updated_at=row.updated_at,
    )


def drift_from_row(row: Any) -> Drift:
    return Drift(
        id=row.id,
        resource_id=row.resource_id,
        field=row.field,
        expected=row.expected,
        actual=row.actual,
        status=DriftStatus(row.status),
        opened_at=row.opened_at,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        reason=row.reason,
    )


class SqlLiveRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, resource_id: UUID) -> LiveResource | None:
        row = (
            await self.session.execute(
                select(live_resources).where(live_resources.c.resource_id == resource_id)
            )
        ).first()
        return None if row is None else live_from_row(row)

    async def apply_synced(self, live: LiveResource, seen_at: datetime) -> bool:
        return await upsert_if_newer(
            self.session,
            live_resources,
            {
                "resource_id": live.resource_id,
                "version": live.version,
                "kind": live.kind,
                "provider_id": live.provider_id,
                "name": live.name,
                "status": live.status,
                "region": live.region,
                "size_slug": live.size_slug,
                "attrs": live.attrs,
                "tenant_id": live.tenant_id,
                "seen_at": seen_at,
                "deleted_at": None,
            },
            key=["resource_id"],
        )

    async def apply_deleted(self, live: LiveResource) -> bool:
        return await upsert_if_newer(
            self.session,
            live_resources,
            {
                "resource_id": live.resource_id,
                "version": live.version,
                "kind": live.kind,
                "provider_id": live.provider_id,
                "name": live.name,
                "tenant_id": live.tenant_id,
                "deleted_at": live.deleted_at,
            },
            key=["resource_id"],
        )

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(live_resources)) or 0)


class SqlProvisionedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, resource_id: UUID, *, lock: bool = False) -> Provisioned | None:
        statement = select(cloud_provisioned).where(cloud_provisioned.c.resource_id == resource_id)
        if lock:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).first()
        return None if row is None else provisioned_from_row(row)

    async def record(
        self, resource_id: UUID, spec: dict[str, Any], kind: str | None, at: datetime
    ) -> Provisioned:
        statement = insert(cloud_provisioned).values(
            resource_id=resource_id,
            kind=kind,
            spec=spec,
            spec_version=1,
            recorded_at=at,
            updated_at=at,
        )
        upsert = statement.on_conflict_do_update(
            index_elements=[cloud_provisioned.c.resource_id],
            set_={
                "spec": statement.excluded.spec,
                "spec_version": cloud_provisioned.c.spec_version + 1,
                "updated_at": statement.excluded.updated_at,
                "kind": func.coalesce(statement.excluded.kind, cloud_provisioned.c.kind),
            },
        ).returning(*cloud_provisioned.c)
        row = (await self.session.execute(upsert)).one()
        return provisioned_from_row(row)

    async def save(self, provisioned: Provisioned) -> None:
        await self.session.execute(
            update(cloud_provisioned)
            .where(cloud_provisioned.c.resource_id == provisioned.resource_id)
            .values(
                spec=provisioned.spec,
                spec_version=provisioned.spec_version,
                updated_at=provisioned.updated_at,
            )
        )

    async def resource_ids(self) -> list[UUID]:
        result = await self.session.execute(
            select(cloud_provisioned.c.resource_id).order_by(cloud_provisioned.c.resource_id)
        )
        return list(result.scalars())


class SqlDriftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, drift_id: UUID, *, lock: bool = False) -> Drift | None:
        statement = select(cloud_drift).where(cloud_drift.c.id == drift_id)
        if lock:
            statement = statement.with_for_update()
        row = (await self.session.execute(statement)).first()
        return None if row is None else drift_from_row(row)

    async def open_for(self, resource_id: UUID) -> dict[str, Drift]:
        rows = await self.session.execute(
            select(cloud_drift).where(
                cloud_drift.c.resource_id == resource_id, cloud_drift.c.status == "open"
            )
        )
        return {row.field: drift_from_row(row) for row in rows}

    async def insert_open(self, drift: Drift) -> bool:
        statement = (
            insert(cloud_drift)
            .values(
                id=drift.id,
                resource_id=drift.resource_id,
                field=drift.field,
                expected=bindparam("expected", drift.expected, type_=JSONB),
                actual=bindparam("actual", drift.actual, type_=JSONB),
                status=DriftStatus.OPEN.value,
                opened_at=drift.opened_at,
            )
            .on_conflict_do_nothing(
                index_elements=[cloud_drift.c.resource_id, cloud_drift.c.field],
                index_where=cloud_drift.c.status == "open",
            )
            .returning(cloud_drift.c.id)
        )
        return (await self.session.execute(statement)).first() is not None

    async def update_open(self, drift: Drift) -> bool:
        expected = bindparam("new_expected", drift.expected, type_=JSONB)
        actual = bindparam("new_actual", drift.actual, type_=JSONB)
        result = await self.session.execute(
            update(cloud_drift)
            .where(
                cloud_drift.c.id == drift.id,
                cloud_drift.c.status == "open",
                cloud_drift.c.expected.is_distinct_from(expected)
                | cloud_drift.c.actual.is_distinct_from(actual),
            )
            .values(expected=expected, actual=actual)
            .returning(cloud_drift.c.id)
        )
        return result.first() is not None

    async def close(self, drift: Drift) -> bool:
        result = await self.session.execute(
            update(cloud_drift)
            .where(cloud_drift.c.id == drift.id, cloud_drift.c.status == "open")
            .values(
                status=drift.status.value,
                resolved_at=drift.resolved_at,
                resolved_by=drift.resolved_by,
                reason=drift.reason,
            )
            .returning(cloud_drift.c.id)
        )
        return result.first() is not None
