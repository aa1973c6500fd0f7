"""Who each resource belongs to, from project memberships and the projects' classification.

A resource listed in a project takes that project, and the project's tenant and deployment.
Droplet-based resources that DigitalOcean does not put in projects (backups, snapshots) follow
the droplet or volume they were taken from. A resource whose project says nothing (no project,
or a project with no tenant) takes the operator's own classification of that resource, if any.
Everything else is unattributed. Every change is an `attributed` event in the resource's log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from inventory.domain.model import (
    ATTRIBUTION_FIELDS,
    NONE,
    Actor,
    Attribution,
    EventType,
    Resource,
    ResourceEvent,
)
from inventory.domain.projects import Project


class Membership(NamedTuple):
    """A project lists a resource. A tuple: sweeps compare tens of thousands of them as sets."""

    project_id: UUID
    kind: str
    provider_id: str


@dataclass(slots=True)
class AttributionPlan:
    changed: list[Resource] = field(default_factory=list)
    events: list[ResourceEvent] = field(default_factory=list)


def _parent_key(resource: Resource) -> tuple[str, str] | None:
    if resource.kind == "droplet_backup":
        droplet_id = resource.attrs.get("droplet_id")
        return ("droplet", str(droplet_id)) if droplet_id else None
    if resource.kind == "snapshot":
        parent_id = resource.attrs.get("resource_id")
        parent_type = resource.attrs.get("resource_type")
        if parent_id and parent_type in ("droplet", "volume"):
            return (str(parent_type), str(parent_id))
    return None


Key = tuple[str, str]


def direct_attributions(
    projects: Mapping[UUID, Project], memberships: Iterable[Membership]
) -> dict[Key, Attribution]:
    """(kind, provider id) → the attribution of the project that lists it: the project itself,
    its tenant and its deployment (one Attribution per project)."""
    of_project = {p.id: Attribution(p.id, p.tenant_id, p.deployment_id) for p in projects.values()}
    direct: dict[Key, Attribution] = {}
    for membership in memberships:
        attribution = of_project.get(membership.project_id)
        if attribution is not None:
            direct[(membership.kind, membership.provider_id)] = attribution
    return direct


def project_attribution(resource: Resource, direct: Mapping[Key, Attribution]) -> Attribution:
    """What the resource's project (or its parent's project) says, NONE outside every project."""
    key = (resource.kind, resource.provider_id)
    if key in direct:
        return direct[key]
    parent = _parent_key(resource)
    if parent is not None and parent in direct:
        return direct[parent]
    return NONE


def target_attribution(resource: Resource, direct: Mapping[Key, Attribution]) -> Attribution:
    from_project = project_attribution(resource, direct)
    if from_project.tenant_id is not None:
        return from_project
    if resource.classified_tenant_id is not None:
        return Attribution(
            from_project.project_id,
            resource.classified_tenant_id,
            resource.classified_deployment_id,
        )
    return from_project


def parent_kinds(kind: str) -> frozenset[str]:
    """Kinds whose membership decides the attribution of a `kind` resource."""
    return {
        "droplet_backup": frozenset({"droplet"}),
        "snapshot": frozenset({"droplet", "volume"}),
    }.get(kind, frozenset())


def plan_attribution(
    projects: Mapping[UUID, Project],
    memberships: Iterable[Membership],
    resources: Iterable[Resource],
    now: datetime,
    actor: Actor | None = None,
) -> AttributionPlan:
    """Re-attribute every live resource: whatever drifted is corrected, each with an event."""
    direct: dict[Key, Attribution] | None = None  # made for the first live resource
    plan = AttributionPlan()
    for resource in resources:
        if resource.is_deleted:
            continue
        if direct is None:
            direct = direct_attributions(projects, memberships)
        moved = reattribute(resource, target_attribution(resource, direct), now, actor)
        if moved is not None:
            plan.changed.append(moved[0])
            plan.events.append(moved[1])
    return plan


def reattribute(
    resource: Resource, wanted: Attribution, now: datetime, actor: Actor | None = None
) -> tuple[Resource, ResourceEvent] | None:
    """The resource under its new attribution and the `attributed` event; None if unchanged."""
    if (
        wanted.project_id == resource.project_id
        and wanted.tenant_id == resource.tenant_id
        and wanted.deployment_id == resource.deployment_id
    ):
        return None  # the usual case, every sweep, for every resource: no objects made
    current = Attribution.of(resource)
    moved = replace(
        resource,
        project_id=wanted.project_id,
        tenant_id=wanted.tenant_id,
        deployment_id=wanted.deployment_id,
        version=resource.version + 1,
    )
    data: dict[str, object] = {
        name: {"old": _text(getattr(current, name)), "new": _text(getattr(wanted, name))}
        for name in ATTRIBUTION_FIELDS
        if getattr(current, name) != getattr(wanted, name)
    }
    if actor is not None:
        data |= actor.audit()
    return moved, ResourceEvent(resource.id, EventType.ATTRIBUTED, data, now)


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)
