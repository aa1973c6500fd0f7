"""The customer registry as the inventory knows it, and the rule a classification obeys.

Invoicing owns tenants and deployments; the inventory keeps a projection of them, fed by
`tenant.changed` and `deployment.changed`. An operator's classification may only name ids that
projection knows: an active tenant, a live deployment, and a deployment of that very tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from inventory.domain.projects import Classification


@dataclass(frozen=True, slots=True)
class RegisteredTenant:
    tenant_id: UUID
    name: str
    active: bool
    version: int


@dataclass(frozen=True, slots=True)
class RegisteredDeployment:
    deployment_id: UUID
    tenant_id: UUID
    do_project: str | None
    active: bool
    version: int
    link_pending: bool = False


class UnknownToRegistry(ValueError):
    """A classification names a tenant or deployment the customer registry does not know, or
    pairs a deployment with another tenant than its own. Nothing is stored."""


def resulting(
    classification: Classification, current: tuple[UUID | None, UUID | None]
) -> tuple[UUID | None, UUID | None]:
    """(tenant, deployment) once `classification` is applied over `current`."""
    values = []
    for name, now in zip(("tenant_id", "deployment_id"), current, strict=True):
        given = getattr(classification, name)
        values.append(None if name in classification.clear else (now if given is None else given))
    return values[0], values[1]


def check_classification(
    classification: Classification,
    current: tuple[UUID | None, UUID | None],
    tenants: dict[UUID, RegisteredTenant],
    deployments: dict[UUID, RegisteredDeployment],
) -> None:
    """Raise UnknownToRegistry unless every id `classification` sets is known to the registry
    and the resulting deployment belongs to the resulting tenant.

    `tenants` and `deployments` hold the registry's rows for the ids involved (absent: unknown).
    A classification that sets neither tenant nor deployment (only the purpose, or clears)
    stores no id and is not checked.
    """
    sets = [
        n
        for n in ("tenant_id", "deployment_id")
        if getattr(classification, n) is not None and n not in classification.clear
    ]
    if not sets:
        return  # clearing stores no id
    if classification.tenant_id is not None and "tenant_id" not in classification.clear:
        tenant = tenants.get(classification.tenant_id)
        if tenant is None:
            raise UnknownToRegistry(
                f"tenant {classification.tenant_id} is not in the customer registry; "
                "register it in invoicing first"
            )
        if not tenant.active:
            raise UnknownToRegistry(
                f"tenant {classification.tenant_id} ({tenant.name}) is inactive in the "
                "customer registry"
            )
    if classification.deployment_id is not None and "deployment_id" not in classification.clear:
        deployment = deployments.get(classification.deployment_id)
        if deployment is None:
            raise UnknownToRegistry(
                f"deployment {classification.deployment_id} is not in the customer registry; "
                "register it in invoicing first"
            )
        if not deployment.active:
            raise UnknownToRegistry(
                f"deployment {classification.deployment_id} was removed from the customer registry"
            )
    tenant_id, deployment_id = resulting(classification, current)
    if deployment_id is None:
        return
    deployment = deployments.get(deployment_id)
    if deployment is None:
        return  # kept from before, not set now: nothing new is stored about it
    if deployment.tenant_id != tenant_id:
        owner = "no tenant" if tenant_id is None else f"tenant {tenant_id}"
        raise UnknownToRegistry(
            f"deployment {deployment_id} belongs to tenant {deployment.tenant_id}, "
            f"not to {owner}; give tenant_id {deployment.tenant_id} with it"
        )
