"""Leakage: where what DigitalOcean bills and what tenants are metered for disagree.

- `billed_not_metered`: a resource a provider line names that no tenant is metered for in the
  month (`no_deployment`: in no deployment; `shared`: in a shared project; `kind_not_metered`:
  its kind has no billing kind; `not_metered`: attributed and billable, yet no usage). The
  platform's own (internal) resources are not leakage and are left out.
- `metered_not_billed`: a resource metered for a deployment (quantity above zero) that no
  provider line names. A droplet's backups count as billed when a backup line names the droplet.
- `hours_variance`: per droplet of a deployment (metered, or billed to one), the metered
  `droplet_hours` against the hours the provider billed for it (`variance = metered - billed`).

Every row names the resource (id, kind, name); its API link is `/api/v1/inventory/{id}`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from gateway.reports.domain import kinds
from gateway.reports.domain.attribution import (
    INTERNAL,
    UNATTRIBUTED,
    Attribution,
)
from gateway.reports.domain.sources import CostLine, PeriodSources

KIND_NOT_METERED = "kind_not_metered"
NOT_METERED = "not_metered"
ZERO = Decimal(0)


def resource_link(resource_id: UUID) -> str:
    return f"/api/v1/inventory/{resource_id}"


@dataclass(frozen=True, slots=True)
class ResourceRef:
    id: UUID
    kind: str
    name: str | None

    @property
    def link(self) -> str:
        return resource_link(self.id)


@dataclass(frozen=True, slots=True)
class BilledNotMetered:
    resource: ResourceRef
    reason: str
    tenant_id: UUID | None
    deployment_id: UUID | None
    provider_kinds: tuple[str, ...]
    cost_cents: int
    lines: int


@dataclass(frozen=True, slots=True)
class MeteredNotBilled:
    resource: ResourceRef
    tenant_id: UUID | None
    deployment_id: UUID
    billing_kind: str
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class HoursVariance:
    resource: ResourceRef
    tenant_id: UUID | None
    deployment_id: UUID | None
    metered_hours: Decimal
    billed_hours: Decimal
    billed_cents: int

    @property
    def variance_hours(self) -> Decimal:
        return self.metered_hours - self.billed_hours


@dataclass(frozen=True, slots=True)
class Leakage:
    billed_not_metered: tuple[BilledNotMetered, ...] = ()
    metered_not_billed: tuple[MeteredNotBilled, ...] = ()
    hours_variance: tuple[HoursVariance, ...] = ()


def _name_from(line: CostLine) -> str:
    """A resource's name as the provider line gives it: `web-01 (s-2vcpu-4gb)` → `web-01`."""
    text = line.description
    return text.split(" (", 1)[0] if " (" in text else text


def find_leakage(sources: PeriodSources, attribution: Attribution) -> Leakage:
    period = sources.period.replace(day=1)
    lines = [
        line
        for invoice in sources.provider_invoices
        if invoice.period == period
        for line in invoice.lines
        if not line.is_tax and line.resource_id is not None
    ]
    resources = attribution.resources

    def ref(resource_id: UUID, fallback_kind: str, line: CostLine | None = None) -> ResourceRef:
        known = resources.get(resource_id)
        if known is not None:
            return ResourceRef(resource_id, known.kind, known.name)
        return ResourceRef(resource_id, fallback_kind, _name_from(line) if line else None)

    billed: dict[UUID, list[CostLine]] = defaultdict(list)
    for line in lines:
        assert line.resource_id is not None
        billed[line.resource_id].append(line)
    metered: dict[UUID, Decimal] = defaultdict(lambda: ZERO)
    for usage in sources.usage:
        metered[usage.resource_id] += usage.quantity

    billed_not_metered = []
    for resource_id, its_lines in billed.items():
        if metered.get(resource_id, ZERO) > 0:
            continue
        allocation = attribution.of(its_lines[0])
        if allocation.category == INTERNAL:
            continue
        provider_kinds = tuple(sorted({line.kind for line in its_lines}))
        if allocation.category == UNATTRIBUTED:
            assert allocation.reason is not None
            reason = allocation.reason
        elif all(k not in kinds.BILLING_KIND for k in provider_kinds):
            reason = KIND_NOT_METERED
        else:
            reason = NOT_METERED
        first = its_lines[0]
        billed_not_metered.append(
            BilledNotMetered(
                resource=ref(resource_id, first.kind, first),
                reason=reason,
                tenant_id=allocation.tenant_id,
                deployment_id=allocation.deployment_id,
                provider_kinds=provider_kinds,
                cost_cents=sum(line.amount_cents for line in its_lines),
                lines=len(its_lines),
            )
        )

    # droplets whose backups a provider line bills (the line names the droplet)
    backed_up = {
        resources[line.resource_id].provider_id
        for line in lines
        if line.kind == kinds.DROPLET_BACKUP and line.resource_id in resources
    }

    def provider_billed(resource_id: UUID) -> bool:
        if resource_id in billed:
            return True
        known = resources.get(resource_id)
        return (
            known is not None
            and known.kind == kinds.DROPLET_BACKUP
            and known.parent_provider_id in backed_up
        )

    metered_not_billed = [
        MeteredNotBilled(
            resource=ref(usage.resource_id, kinds.PROVIDER_KIND.get(usage.billing_kind, "")),
            tenant_id=usage.tenant_id,
            deployment_id=usage.deployment_id,
            billing_kind=usage.billing_kind,
            quantity=usage.quantity,
        )
        for usage in sources.usage
        if usage.quantity > 0 and not provider_billed(usage.resource_id)
    ]

    metered_hours: dict[UUID, Decimal] = defaultdict(lambda: ZERO)
    tenant_of: dict[UUID, UUID | None] = {}
    deployment_of: dict[UUID, UUID | None] = {}
    for usage in sources.usage:
        if usage.billing_kind == kinds.DROPLET_HOURS:
            metered_hours[usage.resource_id] += usage.quantity
            tenant_of[usage.resource_id] = usage.tenant_id
            deployment_of[usage.resource_id] = usage.deployment_id
    droplet_lines: dict[UUID, list[CostLine]] = defaultdict(list)
    for line in lines:
        if line.kind == kinds.DROPLET:
            assert line.resource_id is not None
            droplet_lines[line.resource_id].append(line)
    hours_variance = []
    for resource_id in set(metered_hours) | set(droplet_lines):
        its_lines = droplet_lines.get(resource_id, [])
        carrier = attribution.of(its_lines[0]) if its_lines else None
        if resource_id not in metered_hours and not (carrier and carrier.carried):
            continue  # a droplet of no deployment: in billed_not_metered, or internal
        hours_variance.append(
            HoursVariance(
                resource=ref(resource_id, kinds.DROPLET, its_lines[0] if its_lines else None),
                tenant_id=tenant_of.get(resource_id, carrier.tenant_id if carrier else None),
                deployment_id=deployment_of.get(
                    resource_id, carrier.deployment_id if carrier else None
                ),
                metered_hours=metered_hours.get(resource_id, ZERO),
                billed_hours=sum((line.hours or ZERO for line in its_lines), ZERO),
                billed_cents=sum(line.amount_cents for line in its_lines),
            )
        )

    def order(item: BilledNotMetered | MeteredNotBilled | HoursVariance) -> tuple[str, str, str]:
        return (item.resource.kind, item.resource.name or "", str(item.resource.id))

    return Leakage(
        billed_not_metered=tuple(sorted(billed_not_metered, key=order)),
        metered_not_billed=tuple(sorted(metered_not_billed, key=order)),
        hours_variance=tuple(sorted(hours_variance, key=order)),
    )
