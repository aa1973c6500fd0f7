"""Who carries a provider cost line: a deployment, or a named reason why nobody does.

A line matched to a resource belongs to the deployment billing-ingest matched it to, else to the
deployment the inventory attributes the resource to now. A line nobody carries is never spread
over deployments: it is `unmatched` (with billing-ingest's reason), `internal` (the resource's
project is the platform's own) or `unattributed` (in no deployment: `no_deployment`, or
`shared` when its project is shared by several tenants).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from gateway.reports.domain.sources import CostLine, PeriodSources, Project, Resource

DEPLOYMENT = "deployment"
UNMATCHED = "unmatched"
INTERNAL = "internal"
UNATTRIBUTED = "unattributed"

NO_DEPLOYMENT = "no_deployment"
SHARED = "shared"
UNEXPLAINED = "unexplained"  # a line with no resource and no reason from billing-ingest

PURPOSE_INTERNAL = "internal"
PURPOSE_SHARED = "shared"


@dataclass(frozen=True, slots=True)
class Allocation:
    category: str  # deployment | unmatched | internal | unattributed
    deployment_id: UUID | None = None
    tenant_id: UUID | None = None
    reason: str | None = None  # for every category but deployment

    @property
    def carried(self) -> bool:
        return self.category == DEPLOYMENT


class Attribution:
    """Allocates the cost lines of one period's sources."""

    def __init__(self, sources: PeriodSources) -> None:
        self.resources: dict[UUID, Resource] = {r.id: r for r in sources.resources}
        self._projects: dict[UUID, Project] = {p.id: p for p in sources.projects}
        self._projects_by_name: dict[str, Project] = {p.name: p for p in sources.projects}
        self._tenant_of: dict[UUID, UUID] = {d.id: d.tenant_id for d in sources.deployments}

    def of(self, line: CostLine) -> Allocation:
        if line.resource_id is None:
            return Allocation(UNMATCHED, reason=line.unmatched_reason or UNEXPLAINED)
        resource = self.resources.get(line.resource_id)
        deployment = line.deployment_id or (resource.deployment_id if resource else None)
        if deployment is not None:
            tenant = self._tenant_of.get(deployment) or line.tenant_id
            if tenant is None and resource is not None:
                tenant = resource.tenant_id
            return Allocation(DEPLOYMENT, deployment, tenant)
        purpose = self._purpose(line, resource)
        if purpose == PURPOSE_INTERNAL:
            return Allocation(INTERNAL, reason=PURPOSE_INTERNAL)
        return Allocation(
            UNATTRIBUTED, reason=SHARED if purpose == PURPOSE_SHARED else NO_DEPLOYMENT
        )

    def _purpose(self, line: CostLine, resource: Resource | None) -> str | None:
        """The purpose of the project the resource is in (the line's project when the inventory
        does not know the resource's)."""
        project = None
        if resource is not None and resource.project_id is not None:
            project = self._projects.get(resource.project_id)
        if project is None and line.project_name:
            project = self._projects_by_name.get(line.project_name)
        return project.purpose if project is not None else None
