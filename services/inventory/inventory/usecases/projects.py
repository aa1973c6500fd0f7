"""The two-pass projects sweep, the internal project bootstrap, and project classification."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from inventory.domain import kinds, normalize
from inventory.domain.attribution import (
    Membership,
    direct_attributions,
    plan_attribution,
    target_attribution,
)
from inventory.domain.model import Observation
from inventory.domain.projects import Classification, Project, upsert_projects
from inventory.domain.sync_plan import plan_sync
from inventory.domain.urns import URN_KINDS, InvalidUrn, parse_urn
from inventory.ports import Clock, CloudProvider, Json, UnitOfWork, UnitOfWorkFactory
from inventory.usecases.apply import apply_attribution_plan, apply_sync_plan

log = logging.getLogger(__name__)

INTERNAL_PROJECT_PURPOSE = "Operational / Developer tooling"
PLACEHOLDER_KINDS = sorted(set(URN_KINDS.values()) - kinds.DEDICATED_KINDS)


async def ensure_internal_project(
    provider: CloudProvider, name: str, listing: list[Json]
) -> list[Json]:
    """The project listing, with the internal DO project created first if the account lacks it."""
    if any(p.get("name") == name for p in listing):
        return listing
    created = await provider.create_project(
        name, INTERNAL_PROJECT_PURPOSE, "Resources the platform runs for itself"
    )
    log.info("created the internal project %r", name)
    return [*listing, created]


@dataclass(frozen=True, slots=True)
class ProjectsListing:
    """Every project and every project's resources, as one complete listing."""

    projects: list[Json]
    members: dict[str, list[Json]]


async def list_projects(
    provider: CloudProvider, internal_project: str | None = None
) -> ProjectsListing:
    """Pass one's and pass two's listings, fetched before anything is written.

    With `internal_project`, that DO project is created first if the account lacks it.
    """
    listing = await provider.list_projects()
    if internal_project:
        listing = await ensure_internal_project(provider, internal_project, listing)
    members = {str(p["id"]): await provider.list_project_resources(str(p["id"])) for p in listing}
    return ProjectsListing(listing, members)


async def apply_projects(
    fetched: ProjectsListing, *, uow: UnitOfWorkFactory, clock: Clock
) -> dict[str, int]:
    async with uow() as work:
        now = clock()
        held = await work.projects.all()
        created, refreshed = upsert_projects(held, fetched.projects, now, uuid4)
        listed = {p.provider_id for p in created + refreshed}
        gone = [p for p in held.values() if p.provider_id not in listed and p.deleted_at is None]
        for project in gone:
            project.deleted_at = now
        projects = {p.provider_id: p for p in created + refreshed}

        memberships: list[Membership] = []
        placeholders: dict[str, list[Observation]] = defaultdict(list)
        for provider_id, resources in fetched.members.items():
            project = projects[provider_id]
            project.unrecognized_urns = []
            for item in resources:
                _read_membership(item["urn"], project, memberships, placeholders)
        await work.projects.save([*projects.values(), *gone])
        moved = await work.projects.replace_memberships(memberships)
        direct = direct_attributions({p.id: p for p in projects.values()}, memberships)

        summary = {"projects": len(projects), "memberships": len(memberships), "placeholders": 0}
        for kind in PLACEHOLDER_KINDS:
            plan = plan_sync(
                kind,
                await work.resources.by_kind(kind),
                placeholders[kind],
                now,
                attribute=lambda resource: target_attribution(resource, direct),
            )
            await apply_sync_plan(work, plan, now)
            summary["placeholders"] += len(plan.inserted)
        # resources are attributed as they are discovered; only moved memberships move them
        summary["attributed"] = await _attribute(work, now, memberships) if moved else 0
        await work.commit()
    log.info("swept projects: %s", summary)
    return summary


def _read_membership(
    urn: str,
    project: Project,
    memberships: list[Membership],
    placeholders: dict[str, list[Observation]],
) -> None:
    try:
        parsed = parse_urn(urn)
    except InvalidUrn:
        project.unrecognized_urns.append(urn)
        return
    kind = parsed.kind
    if kind is None:
        project.unrecognized_urns.append(urn)
        return
    memberships.append(Membership(project.id, kind, parsed.provider_id))
    if kind not in kinds.DEDICATED_KINDS:
        placeholders[kind].append(normalize.placeholder(kind, parsed.provider_id, urn))


async def _attribute(
    work: UnitOfWork, now: datetime, memberships: list[Membership] | None = None
) -> int:
    projects = {p.id: p for p in (await work.projects.all()).values() if p.deleted_at is None}
    if memberships is None:
        memberships = await work.projects.memberships()
    plan = plan_attribution(projects, memberships, await work.resources.attribution_view(), now)
    await apply_attribution_plan(work, plan)
    return len(plan.changed)


async def classify_project(
    project_id: UUID, classification: Classification, *, uow: UnitOfWorkFactory, clock: Clock
) -> Project | None:
    """An operator says whose a project is; its resources inherit that, each with an event."""
    async with uow() as work:
        project = await work.projects.get(project_id)
        if project is None:
            return None
        updated = classification.apply(project)
        await work.projects.save([updated])
        await _attribute(work, clock())
        await work.commit()
    return updated


async def reattribute(work: UnitOfWork, now: datetime) -> int:
    """Recompute every resource's attribution from the projects in `work`; returns how many
    moved. For use cases that change classifications inside their own unit of work."""
    return await _attribute(work, now)
