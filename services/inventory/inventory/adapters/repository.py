"""SQL repositories for resources and projects. All of the inventory's SQL lives here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import any_, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.bulk import copy_insert, copy_update
from inventory.adapters.tables import (
    cloud_project_members,
    cloud_projects,
    cloud_resource_events,
    cloud_resources,
)
from inventory.domain.attribution import Membership
from inventory.domain.model import Resource, ResourceEvent
from inventory.domain.projects import Project

RESOURCE_FIELDS = (
    "id",
    "provider",
    "kind",
    "provider_id",
    "name",
    "status",
    "region",
    "size_slug",
    "attrs",
    "project_id",
    "tenant_id",
    "deployment_id",
    "first_seen_at",
    "last_seen_at",
    "deleted_at",
    "stale_strikes",
    "version",
    "fingerprint",
)
MUTABLE_FIELDS = tuple(
    f for f in RESOURCE_FIELDS if f not in ("id", "provider", "kind", "provider_id")
)
PARENT_ATTRS = ("droplet_id", "resource_id", "resource_type")
PROJECT_FIELDS = (
    "id",
    "provider_id",
    "name",
    "attrs",
    "tenant_id",
    "deployment_id",
    "purpose",
    "unrecognized_urns",
    "first_seen_at",
    "last_seen_at",
    "deleted_at",
)


def resource_from_row(row: RowMapping) -> Resource:
    return Resource(**{name: row[name] for name in RESOURCE_FIELDS})


def resource_to_row(resource: Resource) -> dict[str, Any]:
    return {name: getattr(resource, name) for name in RESOURCE_FIELDS}


def project_from_row(row: RowMapping) -> Project:
    return Project(**{name: row[name] for name in PROJECT_FIELDS})


class SqlResourceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_kind(self, kind: str, *, full: bool = True) -> dict[str, Resource]:
        c = cloud_resources.c
        if full:
            rows = await self.session.execute(select(cloud_resources).where(c.kind == kind))
            return {row["provider_id"]: resource_from_row(row) for row in rows.mappings()}
        light = [name for name in RESOURCE_FIELDS if name != "attrs"]
        rows = await self.session.execute(select(*(c[n] for n in light)).where(c.kind == kind))
        return {
            row["provider_id"]: Resource(
                **{name: row[name] for name in light}, attrs={}, complete=False
            )
            for row in rows.mappings()
        }

    async def attribution_view(self) -> list[Resource]:
        """Live resources with only what attribution reads: no attrs beyond parent references."""
        c = cloud_resources.c
        rows = await self.session.execute(
            select(
                *(c[name] for name in RESOURCE_FIELDS if name != "attrs"),
                *(c.attrs[key].astext.label(key) for key in PARENT_ATTRS),
            ).where(c.deleted_at.is_(None))
        )
        return [
            Resource(
                **{name: row[name] for name in RESOURCE_FIELDS if name != "attrs"},
                attrs={key: row[key] for key in PARENT_ATTRS if row[key] is not None},
                complete=False,
            )
            for row in rows.mappings()
        ]

    async def get_many(self, resource_ids: Sequence[UUID]) -> list[Resource]:
        rows = await self.session.execute(
            select(cloud_resources).where(
                cloud_resources.c.id == any_(bindparam("ids", type_=ARRAY(PG_UUID)))
            ),
            {"ids": list(resource_ids)},
        )
        return [resource_from_row(row) for row in rows.mappings()]

    async def update_attribution(self, resources: Sequence[Resource]) -> None:
        await copy_update(
            self.session,
            cloud_resources,
            [
                {
                    "id": r.id,
                    "project_id": r.project_id,
                    "tenant_id": r.tenant_id,
                    "deployment_id": r.deployment_id,
                    "version": r.version,
                }
                for r in resources
            ],
        )

    async def get(self, resource_id: UUID) -> Resource | None:
        row = (
            (
                await self.session.execute(
                    select(cloud_resources).where(cloud_resources.c.id == resource_id)
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else resource_from_row(row)

    async def insert(self, resources: Sequence[Resource]) -> None:
        await copy_insert(self.session, cloud_resources, [resource_to_row(r) for r in resources])

    async def update(self, resources: Sequence[Resource]) -> None:
        if any(not r.complete for r in resources):
            raise ValueError("only resources loaded with their attrs can be written whole")
        await copy_update(
            self.session,
            cloud_resources,
            [{"id": r.id} | {name: getattr(r, name) for name in MUTABLE_FIELDS} for r in resources],
        )

    async def update_lifecycle(self, resources: Sequence[Resource]) -> None:
        await copy_update(
            self.session,
            cloud_resources,
            [
                {
                    "id": r.id,
                    "stale_strikes": r.stale_strikes,
                    "deleted_at": r.deleted_at,
                    "version": r.version,
                }
                for r in resources
            ],
        )

    async def mark_seen(self, resource_ids: Sequence[UUID], at: datetime) -> None:
        if resource_ids:
            await self.session.execute(
                update(cloud_resources)
                .where(cloud_resources.c.id == any_(bindparam("ids", type_=ARRAY(PG_UUID))))
                .values(last_seen_at=at, stale_strikes=0),
                {"ids": list(resource_ids)},
            )

    async def append_events(self, events: Sequence[ResourceEvent]) -> None:
        await copy_insert(
            self.session,
            cloud_resource_events,
            [
                {
                    "resource_id": e.resource_id,
                    "type": e.type,
                    "data": e.data,
                    "occurred_at": e.occurred_at,
                }
                for e in events
            ],
        )


class SqlProjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> dict[str, Project]:
        rows = await self.session.execute(select(cloud_projects))
        return {row["provider_id"]: project_from_row(row) for row in rows.mappings()}

    async def get(self, project_id: UUID) -> Project | None:
        row = (
            (
                await self.session.execute(
                    select(cloud_projects).where(cloud_projects.c.id == project_id)
                )
            )
            .mappings()
            .first()
        )
        return None if row is None else project_from_row(row)

    async def save(self, projects: Sequence[Project]) -> None:
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        if not projects:
            return
        statement = pg_insert(cloud_projects)
        statement = statement.on_conflict_do_update(
            index_elements=[cloud_projects.c.id],
            set_={name: statement.excluded[name] for name in PROJECT_FIELDS if name != "id"},
        )
        await self.session.execute(
            statement, [{name: getattr(p, name) for name in PROJECT_FIELDS} for p in projects]
        )

    async def memberships(self, kinds: Collection[str] | None = None) -> list[Membership]:
        statement = select(cloud_project_members)
        if kinds is not None:
            statement = statement.where(cloud_project_members.c.kind.in_(sorted(kinds)))
        rows = await self.session.execute(statement)
        return [Membership(r["project_id"], r["kind"], r["provider_id"]) for r in rows.mappings()]

    async def replace_memberships(self, memberships: Sequence[Membership]) -> bool:
        """Make the stored memberships equal `memberships`, writing only the difference."""
        c = cloud_project_members.c
        current = set(await self.memberships())
        wanted = set(memberships)
        gone = current - wanted
        if gone:
            await self.session.execute(
                delete(cloud_project_members).where(
                    c.project_id == bindparam("b_project_id"),
                    c.kind == bindparam("b_kind"),
                    c.provider_id == bindparam("b_provider_id"),
                ),
                [
                    {"b_project_id": m.project_id, "b_kind": m.kind, "b_provider_id": m.provider_id}
                    for m in gone
                ],
            )
        await copy_insert(
            self.session,
            cloud_project_members,
            [
                {"project_id": m.project_id, "kind": m.kind, "provider_id": m.provider_id}
                for m in wanted - current
            ],
        )
        return wanted != current
