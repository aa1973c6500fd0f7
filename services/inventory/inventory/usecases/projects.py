"""The two-pass projects sweep, the internal project bootstrap, and project classification.

Every classification is checked against the registry projection first: a tenant or deployment
the customer registry does not know is refused (`UnknownToRegistry`), never stored.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID, uuid4

from inventory.domain import kinds, normalize
from inventory.domain.attribution import (
    Membership,
    direct_attributions,
    parent_kinds,
    plan_attribution,
    project_attribution,
    target_attribution,
)
from inventory.domain.attribution import reattribute as attribute_one
from inventory.domain.fingerprint import of_observation
from inventory.domain.model import Actor, EventType, Observation, Resource, ResourceEvent
from inventory.domain.projects import Classification, Project, upsert_projects
from inventory.domain.sync_plan import is_mass_delete, plan_sync
from inventory.domain.urns import URN_KINDS, InvalidUrn, parse_urn
from inventory.ports import (
    Clock,
    CloudProvider,
    Json,
    ProviderForbidden,
    UnitOfWork,
    UnitOfWorkFactory,
)
from inventory.usecases.apply import apply_attribution_plan, apply_sync_plan
from inventory.usecases.events import resource_synced
from inventory.usecases.guard import report_mass_delete
from inventory.usecases.registry import check, link_pending
from inventory.usecases.writes import write

log = logging.getLogger(__name__)

INTERNAL_PROJECT_PURPOSE = "Operational / Developer tooling"
PLACEHOLDER_KINDS = sorted(set(URN_KINDS.values()) - kinds.DEDICATED_KINDS)


async def ensure_internal_project(
    provider: CloudProvider, name: str, listing: list[Json]
) -> list[Json]:
    """The project listing, with the internal DO project created first if the account lacks it."""
    if any(p.get("name") == name for p in listing):
        return listing
    try:
        created = await provider.create_project(
            name, INTERNAL_PROJECT_PURPOSE, "Resources the platform runs for itself"
        )
    except ProviderForbidden as exc:
        # a read-only token (least privilege): the sweep goes on without the internal project
        if name not in _forbidden_warned:
            _forbidden_warned.add(name)
            log.warning(
                "the internal project %r does not exist and this DigitalOcean token may not "
                "create it (%s); create it once by hand. Sweeping without it",
                name,
                exc,
            )
        return listing
    log.info("created the internal project %r", name)
    return [*listing, created]


_forbidden_warned: set[str] = set()


@dataclass(frozen=True, slots=True)
class ListedMembers:
    """One project's resources as listed, already read: the (kind, provider id) of each one
    inventory knows, the placeholders among them, and the URNs it does not understand."""

    listed: list[tuple[str, str]] = field(default_factory=list)
    placeholders: list[Observation] = field(default_factory=list)
    unrecognized: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ProjectsListing:
    """Every project and every project's resources, as one complete listing."""

    projects: list[Json]
    members: dict[str, ListedMembers]


async def list_projects(
    provider: CloudProvider, internal_project: str | None = None
) -> ProjectsListing:
    """Pass one's and pass two's listings, fetched before anything is written.

    With `internal_project`, that DO project is created first if the account lacks it.
    """
    listing = await provider.list_projects()
    if internal_project:
        listing = await ensure_internal_project(provider, internal_project, listing)
    members = {
        str(p["id"]): _read_members(await provider.list_project_resources(str(p["id"])))
        for p in listing
    }
    return ProjectsListing(listing, members)


def _read_members(resources: list[Json]) -> ListedMembers:
    members = ListedMembers()
    for item in resources:
        urn = item["urn"]
        try:
            parsed = parse_urn(urn)
        except InvalidUrn:
            members.unrecognized.append(urn)
            continue
        kind = parsed.kind
        if kind is None:
            members.unrecognized.append(urn)
            continue
        members.listed.append((kind, parsed.provider_id))
        if kind not in kinds.DEDICATED_KINDS:
            placeholder = normalize.placeholder(kind, parsed.provider_id, urn)
            of_observation(placeholder)  # its digest now, while listing
            members.placeholders.append(placeholder)
    return members


async def apply_projects(
    fetched: ProjectsListing,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    allow_mass_delete: bool = False,
) -> dict[str, int]:
    async def body(work: UnitOfWork) -> dict[str, int]:
        now = clock()
        summary = await _sweep(work, fetched, now, allow_mass_delete)
        await work.resources.record_run(kinds.PROJECTS, now, ok=True, summary=summary, error=None)
        return summary

    summary = await write(uow, body)
    log.info("swept projects: %s", summary)
    return summary


async def _sweep(
    work: UnitOfWork, fetched: ProjectsListing, now: datetime, allow_mass_delete: bool
) -> dict[str, int]:
    held = await work.projects.all()
    created, refreshed = upsert_projects(held, fetched.projects, now, uuid4)
    listed = {p.provider_id for p in created + refreshed}
    gone = [p for p in held.values() if p.provider_id not in listed and p.deleted_at is None]
    projects = {p.provider_id: p for p in created + refreshed}

    memberships: list[Membership] = []
    placeholders: dict[str, list[Observation]] = defaultdict(list)
    for provider_id, members in fetched.members.items():
        project = projects[provider_id]
        project.unrecognized_urns = list(members.unrecognized)
        memberships.extend(Membership(project.id, kind, rid) for kind, rid in members.listed)
        for placeholder in members.placeholders:
            placeholders[placeholder.kind].append(placeholder)

    # as sets once: a Membership hashes its UUID in Python, and an account has tens of thousands
    current = set(await work.projects.memberships())
    listed_now = set(memberships)
    lost = len(current - listed_now)
    if not allow_mass_delete and is_mass_delete(lost, len(current)):
        # every resource would lose its project at once: the same guard as for strikes
        report_mass_delete(kinds.PROJECTS, lost, len(current))
        return {"projects": len(projects), "memberships": len(memberships), "held_back": lost}

    for project in gone:
        project.deleted_at = now
    await work.projects.save([*projects.values(), *gone])
    await work.projects.replace_memberships(listed_now, current)
    # what a placeholder reads: placeholder kinds have no parents, so their own memberships
    direct = direct_attributions(
        {p.id: p for p in projects.values()},
        (m for m in memberships if m.kind in PLACEHOLDER_KINDS),
    )

    summary = {"projects": len(projects), "memberships": len(memberships), "placeholders": 0}
    for kind in PLACEHOLDER_KINDS:
        plan = plan_sync(
            kind,
            await work.resources.by_kind(kind),
            placeholders[kind],
            now,
            attribute=lambda resource: target_attribution(resource, direct),
            allow_mass_delete=allow_mass_delete,
        )
        await apply_sync_plan(work, plan, now)
        summary["placeholders"] += len(plan.inserted)
    # deployments announced before their project was mirrored are linked now
    summary["linked"] = await link_pending(work)
    # every live resource, every sweep: whatever a concurrent write left behind heals here
    summary["attributed"] = await _attribute(work, now, memberships)
    return summary


async def _attribute(
    work: UnitOfWork,
    now: datetime,
    memberships: list[Membership] | None = None,
    actor: Actor | None = None,
) -> int:
    projects = {p.id: p for p in (await work.projects.all()).values() if p.deleted_at is None}
    if memberships is None:
        memberships = await work.projects.memberships()
    plan = plan_attribution(
        projects, memberships, await work.resources.attribution_view(), now, actor
    )
    await apply_attribution_plan(work, plan)
    return len(plan.changed)


async def classify_project(
    project_id: UUID,
    classification: Classification,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    actor: Actor | None = None,
) -> Project | None:
    """An operator says whose a project is; its resources inherit that, each with an event.

    None if the inventory does not hold the project; raises UnknownToRegistry if the
    classification names a tenant or deployment the customer registry does not know."""

    async def body(work: UnitOfWork) -> Project | None:
        project = await work.projects.get(project_id)
        if project is None:
            return None
        await check(work, classification, (project.tenant_id, project.deployment_id))
        updated = classification.apply(project)
        await work.projects.save([updated])
        await _attribute(work, clock(), actor=actor)
        return updated

    return await write(uow, body)


async def reattribute(work: UnitOfWork, now: datetime) -> int:
    """Recompute every resource's attribution from the projects in `work`; returns how many
    moved. For use cases that change classifications inside their own unit of work.

    Takes the inventory's write lock (a no-op if the caller already holds it); callers should
    take it themselves before their reads: `await work.resources.lock_writes()`."""
    await work.resources.lock_writes()
    return await _attribute(work, now)


class ResourceInClassifiedProject(Exception):
    """The resource's project says whose it is; classify the project instead."""


async def classify_resource(
    resource_id: UUID,
    classification: Classification,
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    actor: Actor | None = None,
) -> Resource | None:
    """An operator says whose a resource in no (classified) project is, e.g. a stray DNS zone.

    None if inventory does not hold it; raises ResourceInClassifiedProject if its project
    already decides, UnknownToRegistry if the classification names a tenant or deployment the
    customer registry does not know. Writes a `classified` event, and an `attributed` one if
    that moved it.
    """

    async def body(work: UnitOfWork) -> Resource | None:
        resource = await work.resources.get(resource_id)
        if resource is None:
            return None
        projects = {p.id: p for p in (await work.projects.all()).values() if p.deleted_at is None}
        direct = direct_attributions(
            projects, await work.projects.memberships({resource.kind, *parent_kinds(resource.kind)})
        )
        if project_attribution(resource, direct).tenant_id is not None:
            raise ResourceInClassifiedProject(
                "the resource's project is classified; classify the project instead"
            )
        await check(
            work, classification, (resource.classified_tenant_id, resource.classified_deployment_id)
        )
        now = clock()
        before = (resource.classified_tenant_id, resource.classified_deployment_id)
        for name in ("tenant_id", "deployment_id"):
            value = getattr(classification, name)
            if name in classification.clear:
                setattr(resource, f"classified_{name}", None)
            elif value is not None:
                setattr(resource, f"classified_{name}", value)
        after = (resource.classified_tenant_id, resource.classified_deployment_id)
        if before == after:
            return resource
        data: dict[str, object] = {
            name: {"old": _text(old), "new": _text(new)}
            for name, old, new in zip(("tenant_id", "deployment_id"), before, after, strict=True)
            if old != new
        }
        if actor is not None:
            data |= actor.audit()
        events = [ResourceEvent(resource.id, EventType.CLASSIFIED, data, now)]
        moved = attribute_one(resource, target_attribution(resource, direct), now, actor)
        if moved is not None:
            resource, attributed = moved
            events.append(attributed)
        else:
            resource = replace(resource, version=resource.version + 1)
        await work.resources.update_classification(resource)
        await work.resources.append_events(events)
        work.emit(resource_synced(resource, "attributed"))
        return resource

    return await write(uow, body)


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)
