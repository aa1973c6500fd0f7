"""SQL repositories for resources and projects. All of the inventory's SQL lives here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any
from uuid import UUID

from sqlalchemy import any_, bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from arcadia_core.bulk import JsonText, driver_connection, json_text
from inventory.adapters.tables import (
    cloud_project_members,
    cloud_projects,
    cloud_resource_events,
    cloud_resources,
)
from inventory.domain.attribution import Key, Membership
from inventory.domain.model import (
    ATTRIBUTION_FIELDS,
    PROVIDER,
    Attribution,
    EventType,
    Resource,
    ResourceEvent,
)
from inventory.domain.projects import Project
from inventory.domain.sync_plan import DISCOVERED_FIELDS
from inventory.ports import ConcurrentUpdate

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
    "classified_tenant_id",
    "classified_deployment_id",
)
# what attribution reads (in this order), besides the parent references in attrs
ATTRIBUTION_VIEW_FIELDS = (
    "id",
    "kind",
    "provider_id",
    *ATTRIBUTION_FIELDS,
    "version",
    "classified_tenant_id",
    "classified_deployment_id",
)
CLASSIFICATION_FIELDS = ("classified_tenant_id", "classified_deployment_id")
# what a sync writes: never the attribution (only attribution writes that), never the operator's
CONTENT_FIELDS = tuple(
    f
    for f in RESOURCE_FIELDS
    if f not in ("id", "provider", "kind", "provider_id", "first_seen_at")
    and f not in ATTRIBUTION_FIELDS
    and f not in CLASSIFICATION_FIELDS
)
SMALL = 64
# A light resource (no attrs) is built from its row by position, the columns in the order of
# Resource's fields: one per resource of a kind, each sync
_RESOURCE_ORDER = [f.name for f in fields(Resource)]
_LIGHT_COLUMNS = {"complete": "false", "loaded_version": "version"}
_LIGHT_ORDER = [name for name in _RESOURCE_ORDER if name not in ("attrs", "attrs_json")]
LIGHT_QUERY = (
    f"SELECT {', '.join(_LIGHT_COLUMNS.get(name, name) for name in _LIGHT_ORDER)}"
    " FROM inventory.cloud_resources WHERE kind = $1"
)
_ATTRS_AT = _RESOURCE_ORDER.index("attrs")
_PROVIDER_ID_AT = _LIGHT_ORDER.index("provider_id")
MEMBERSHIPS_QUERY = "SELECT project_id, kind, provider_id FROM inventory.cloud_project_members"
WRITES_LOCK = 0x1A7C_0001  # pg_advisory_xact_lock key serializing the inventory's writes
# the first of the two keys of each kind's own lock (the second: the kind's hashtext); two-key
# locks are a key space of their own, apart from WRITES_LOCK's
KIND_WRITES_LOCKS = 0x1A7C
RECORD_RUN = (
    "INSERT INTO inventory.sync_runs (kind, finished_at, ok, summary, error)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind) DO UPDATE SET finished_at ="
    " excluded.finished_at, ok = excluded.ok, summary = excluded.summary, error = excluded.error"
)
# JSON values Python reads as false: an attr holding one of these is not set
UNSET_JSON = "('null', 'false', '0', '\"\"', '[]', '{}')"
PARENT_ATTRS = ("droplet_id", "resource_id", "resource_type")
ATTRIBUTION_VIEW_QUERY = (
    f"SELECT {', '.join(ATTRIBUTION_VIEW_FIELDS)}, "
    + ", ".join(f"attrs ->> '{key}'" for key in PARENT_ATTRS)
    + " FROM inventory.cloud_resources WHERE deleted_at IS NULL"
)
INSERT_COLUMNS = [name for name in RESOURCE_FIELDS if name != "attrs"]
_insert_values = attrgetter(*INSERT_COLUMNS)
# The columns a new resource holds at the table's defaults (a discovered one always does): a
# COPY of resources that all do leaves them out, and sends a third fewer values
AT_DEFAULTS = {
    "provider": PROVIDER,
    "deleted_at": None,
    "stale_strikes": 0,
    "version": 1,
    "classified_tenant_id": None,
    "classified_deployment_id": None,
}
_at_defaults = attrgetter(*AT_DEFAULTS)
_DEFAULT_VALUES = tuple(AT_DEFAULTS.values())
NEW_COLUMNS = [name for name in INSERT_COLUMNS if name not in AT_DEFAULTS]
_new_values = attrgetter(*NEW_COLUMNS)
# `discovered_event` of each resource just inserted ($1, in order), as the database writes it:
# jsonb_build_object writes an id as its text and NULL as null, as the domain's entry holds them
DISCOVERED_EVENTS = (
    "INSERT INTO inventory.cloud_resource_events (resource_id, type, data, occurred_at)"
    " SELECT r.id, $2, jsonb_build_object("
    + ", ".join(f"'{name}', r.{name}" for name in DISCOVERED_FIELDS)
    + "), r.first_seen_at"
    " FROM unnest($1::uuid[]) WITH ORDINALITY AS inserted (id, position)"
    " JOIN inventory.cloud_resources AS r ON r.id = inserted.id ORDER BY inserted.position"
)
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
PROJECTS_QUERY = f"SELECT {', '.join(PROJECT_FIELDS)} FROM inventory.cloud_projects"
LISTED_ATTRIBUTIONS_QUERY = (
    "SELECT m.kind, m.provider_id, p.id, p.tenant_id, p.deployment_id"
    " FROM inventory.cloud_project_members AS m"
    " JOIN inventory.cloud_projects AS p ON p.id = m.project_id"
    " WHERE p.deleted_at IS NULL AND m.kind = ANY($1)"
)


def _uuid(value: UUID | None) -> UUID | None:
    return None if value is None else UUID(bytes=value.bytes)


def resource_from_row(row: RowMapping) -> Resource:
    return Resource(**{name: row[name] for name in RESOURCE_FIELDS}, loaded_version=row["version"])


def resource_to_row(resource: Resource) -> dict[str, Any]:
    row = {name: getattr(resource, name) for name in RESOURCE_FIELDS}
    if resource.attrs_json is not None:
        row["attrs"] = JsonText(resource.attrs_json)  # serialized once, by the fingerprint
    return row


def _attrs_text(resource: Resource) -> str:
    return resource.attrs_json if resource.attrs_json is not None else json_text(resource.attrs)


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
        # every live or tombstoned row of a kind, each sync: read through the driver, in order
        driver = await driver_connection(self.session)
        records = await driver.fetch(LIGHT_QUERY, kind)
        return {
            # the columns are Resource's fields in order (see LIGHT_QUERY), attrs empty
            record[_PROVIDER_ID_AT]: Resource(*record[:_ATTRS_AT], {}, *record[_ATTRS_AT:])  # type: ignore[call-arg]
            for record in records
        }

    async def attribution_view(self) -> list[Resource]:
        """Live resources with only what attribution reads: no attrs beyond parent references."""
        # every live resource, every sweep: read through the driver
        driver = await driver_connection(self.session)
        parents = {"droplet_backup": ("droplet_id",), "snapshot": ("resource_id", "resource_type")}
        epoch = datetime.min.replace(tzinfo=UTC)
        view = []
        for row in await driver.fetch(ATTRIBUTION_VIEW_QUERY):
            (rid, kind, provider_id, project, tenant, deployment, version, ctenant, cdeploy) = row[
                :9
            ]
            wanted = parents.get(kind)
            attrs = (
                {
                    key: value
                    for key, value in zip(PARENT_ATTRS, row[9:], strict=True)
                    if key in wanted and value is not None
                }
                if wanted
                else {}
            )
            view.append(
                Resource(  # by position: every live resource, every sweep
                    rid,
                    kind,
                    provider_id,
                    None,  # name, status, region, size: not read
                    None,
                    None,
                    None,
                    attrs,
                    epoch,  # first and last seen: not read
                    epoch,
                    PROVIDER,
                    project,
                    tenant,
                    deployment,
                    None,  # deleted_at: live
                    0,  # strikes: not read
                    version,
                    "",  # fingerprint: not read
                    False,  # complete
                    version,  # loaded_version
                    ctenant,
                    cdeploy,
                )
            )
        return view

    async def get_many(self, resource_ids: Sequence[UUID]) -> list[Resource]:
        if not resource_ids:
            return []  # most syncs: nothing changed
        rows = await self.session.execute(
            select(cloud_resources).where(
                cloud_resources.c.id == any_(bindparam("ids", type_=ARRAY(PG_UUID)))
            ),
            {"ids": list(resource_ids)},
        )
        return [resource_from_row(row) for row in rows.mappings()]

    async def update_attribution(self, resources: Sequence[Resource]) -> None:
        await self._guarded(resources, (*ATTRIBUTION_FIELDS, "version"))

    async def update_classification(self, resource: Resource) -> None:
        await self._guarded([resource], (*CLASSIFICATION_FIELDS, *ATTRIBUTION_FIELDS, "version"))

    async def _guarded(self, resources: Sequence[Resource], fields: Sequence[str]) -> None:
        """UPDATE `fields` of each resource only where its version is still the one read.

        Raises ConcurrentUpdate (the transaction must be rolled back and redone) when any row
        was changed by someone else since it was read.
        """
        if not resources:
            return
        if any(r.loaded_version is None for r in resources):
            raise ValueError("only resources read from the database can be updated")
        if len(resources) < SMALL:
            c = cloud_resources.c
            for r in resources:
                result = await self.session.execute(
                    update(cloud_resources)
                    .where(c.id == r.id, c.version == r.loaded_version)
                    .values({name: getattr(r, name) for name in fields})
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    raise ConcurrentUpdate(f"resource {r.id} changed since it was read")
            return
        driver = await driver_connection(self.session)
        staging = "staging_resource_update"
        await driver.execute(f'DROP TABLE IF EXISTS "{staging}"')
        column_list = ", ".join(f'"{name}"' for name in ("id", *fields))
        await driver.execute(
            f'CREATE TEMP TABLE "{staging}" ON COMMIT DROP AS SELECT {column_list}, '
            "version AS loaded_version FROM inventory.cloud_resources WITH NO DATA"
        )
        json_fields = {"attrs"}
        await driver.copy_records_to_table(
            staging,
            columns=["id", *fields, "loaded_version"],
            records=[
                (
                    r.id,
                    *(
                        _attrs_text(r) if name in json_fields else getattr(r, name)
                        for name in fields
                    ),
                    r.loaded_version,
                )
                for r in resources
            ],
        )
        assignments = ", ".join(f'"{name}" = s."{name}"' for name in fields)
        status = await driver.execute(
            f'UPDATE inventory.cloud_resources AS t SET {assignments} FROM "{staging}" AS s '
            "WHERE t.id = s.id AND t.version = s.loaded_version"
        )
        await driver.execute(f'DROP TABLE "{staging}"')
        updated = int(status.split()[-1])
        if updated != len(resources):
            raise ConcurrentUpdate(
                f"{len(resources) - updated} of {len(resources)} resources changed since read"
            )

    async def record_run(
        self,
        kind: str,
        at: datetime,
        *,
        ok: bool,
        summary: dict[str, int],
        error: str | None,
    ) -> None:
        await (await driver_connection(self.session)).execute(
            RECORD_RUN, kind, at, ok, json_text(summary), error
        )

    async def live_attrs(self, kind: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        driver = await driver_connection(self.session)
        picked = [f"attrs -> ${at}" for at in range(2, len(keys) + 2)]
        records = await driver.fetch(
            f"SELECT provider_id, {', '.join(picked)} FROM inventory.cloud_resources"
            " WHERE kind = $1 AND deleted_at IS NULL AND ("
            + " OR ".join(f"{value} NOT IN {UNSET_JSON}" for value in picked)
            + ")",
            kind,
            *keys,
        )
        return {
            record[0]: {
                key: value for key, value in zip(keys, record[1:], strict=True) if value is not None
            }
            for record in records
        }

    async def lock_writes(self, kind: str | None = None) -> None:
        """Serialize the inventory's write phases until this transaction ends: every write
        takes the writes lock, exclusively but for one kind's sync, which shares it and takes
        its kind's own lock (two statements: always in this order, so never a deadlock)."""
        if kind is None:
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITES_LOCK}
            )
            return
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": WRITES_LOCK}
        )
        await self.session.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:kind))"),
            {"space": KIND_WRITES_LOCKS, "kind": kind},
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
        """COPY, with records built straight from the resources (a full sync inserts tens of
        thousands: no row dicts in between, the attrs text the fingerprint already made), as
        the COPY sends them: the database stores one part while the next is being built.

        Then each one's `discovered` audit entry, made by the database from the row just
        written (it holds every value the entry records), in the resources' order."""
        if not resources:
            return
        columns, values = (
            (NEW_COLUMNS, _new_values)
            if all(_at_defaults(r) == _DEFAULT_VALUES for r in resources)
            else (INSERT_COLUMNS, _insert_values)
        )
        driver = await driver_connection(self.session)
        await driver.copy_records_to_table(
            cloud_resources.name,
            schema_name=cloud_resources.schema,
            columns=[*columns, "attrs"],
            records=((*values(r), _attrs_text(r)) for r in resources),
        )
        await driver.execute(DISCOVERED_EVENTS, [r.id for r in resources], EventType.DISCOVERED)

    async def update(self, resources: Sequence[Resource], *, attribution: bool = False) -> None:
        if any(not r.complete for r in resources):
            raise ValueError("only resources loaded with their attrs can be written whole")
        fields = (*CONTENT_FIELDS, *ATTRIBUTION_FIELDS) if attribution else CONTENT_FIELDS
        await self._guarded(resources, fields)

    async def update_lifecycle(self, resources: Sequence[Resource]) -> None:
        await self._guarded(resources, ("stale_strikes", "deleted_at", "version"))

    async def mark_seen(self, resource_ids: Sequence[UUID], at: datetime) -> None:
        if resource_ids:
            # tens of thousands of ids on a no-change re-sync: one array, through the driver
            await (await driver_connection(self.session)).execute(
                "UPDATE inventory.cloud_resources SET last_seen_at = $1, stale_strikes = 0"
                " WHERE id = ANY($2::uuid[])",
                at,
                list(resource_ids),
            )

    async def append_events(self, events: Sequence[ResourceEvent]) -> None:
        if not events:
            return
        await (await driver_connection(self.session)).copy_records_to_table(
            cloud_resource_events.name,
            schema_name=cloud_resource_events.schema,
            columns=["resource_id", "type", "data", "occurred_at"],
            records=((e.resource_id, e.type, json_text(e.data), e.occurred_at) for e in events),
        )


class SqlProjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def all(self) -> dict[str, Project]:
        # read by every sweep: through the driver
        records = await (await driver_connection(self.session)).fetch(PROJECTS_QUERY)
        return {record["provider_id"]: Project(**dict(record.items())) for record in records}

    async def listed_attributions(self, kinds: Collection[str]) -> dict[Key, Attribution]:
        # read by each kind's sync, a row per membership: through the driver, joined by the
        # database, one Attribution per project
        records = await (await driver_connection(self.session)).fetch(
            LISTED_ATTRIBUTIONS_QUERY, sorted(kinds)
        )
        of_project: dict[UUID, Attribution] = {}
        listed: dict[Key, Attribution] = {}
        for kind, provider_id, project_id, tenant_id, deployment_id in records:
            attribution = of_project.get(project_id)
            if attribution is None:
                # as uuid.UUID, which the payloads' encoder writes natively (not the driver's)
                attribution = of_project[project_id] = Attribution(
                    _uuid(project_id), _uuid(tenant_id), _uuid(deployment_id)
                )
            listed[(kind, provider_id)] = attribution
        return listed

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
        # every membership of the account, each sweep: read through the driver
        driver = await driver_connection(self.session)
        if kinds is None:
            records = await driver.fetch(MEMBERSHIPS_QUERY)
        else:
            records = await driver.fetch(f"{MEMBERSHIPS_QUERY} WHERE kind = ANY($1)", sorted(kinds))
        return [Membership(r[0], r[1], r[2]) for r in records]

    async def replace_memberships(
        self, memberships: Collection[Membership], current: Collection[Membership] | None = None
    ) -> bool:
        """Make the stored memberships equal `memberships`, writing only the difference."""
        c = cloud_project_members.c
        held = set(await self.memberships() if current is None else current)
        wanted = set(memberships)  # a set given is copied with its hashes, not hashed again
        gone = held - wanted
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
        added = wanted - held
        if added:
            await (await driver_connection(self.session)).copy_records_to_table(
                cloud_project_members.name,
                schema_name=cloud_project_members.schema,
                columns=["project_id", "kind", "provider_id"],
                records=added,
            )
        return wanted != held
