"""Every cost line matched to a resource, or explained.

A line matches by resource id when DigitalOcean gave one (the JSON line items only), else by
(kind, name) case-insensitively, the name taken from the description. Deleted resources are
kept in the index, so a line of a resource destroyed after the mirror began still matches.

An unmatched line says why: `tax`; `account_level` (the Spaces subscription names no bucket);
`destroyed_before_mirror` when the line stopped billing before the mirror saw its first
resource (anything alive when the mirror began would be in the index); else
`no_such_resource`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from billing_ingest.domain import kinds
from billing_ingest.domain.model import (
    ACCOUNT_LEVEL,
    BY_ID,
    BY_NAME,
    DESTROYED_BEFORE_MIRROR,
    NO_SUCH_RESOURCE,
    NONE,
    TAX,
    CostLine,
    CsvLine,
    ResourceRef,
)


@dataclass
class ResourceIndex:
    """The projection, looked up by (kind, provider id) and by (kind, lower-cased name)."""

    by_id: dict[tuple[str, str], ResourceRef] = field(default_factory=dict)
    by_name: dict[tuple[str, str], ResourceRef] = field(default_factory=dict)
    mirror_began: datetime | None = None

    @classmethod
    def of(cls, resources: Iterable[ResourceRef], mirror_began: datetime | None) -> ResourceIndex:
        index = cls(mirror_began=mirror_began)
        # live resources win a name over deleted ones of the same name
        for resource in sorted(resources, key=lambda r: not r.deleted):
            index.by_id[(resource.kind, resource.provider_id)] = resource
            if resource.name:
                index.by_name[(resource.kind, resource.name.lower())] = resource
        return index


def unmatched_reason(
    kind: str, named: tuple[str, str] | None, end_at: datetime | None, began: datetime | None
) -> str:
    if kind == TAX:
        return TAX
    if named is None and kinds.is_account_level(kind):
        return ACCOUNT_LEVEL
    if named is not None and began is not None and end_at is not None and end_at <= began:
        return DESTROYED_BEFORE_MIRROR
    return NO_SUCH_RESOURCE


def cost_lines(lines: Sequence[CsvLine], index: ResourceIndex) -> list[CostLine]:
    """Kind, target and match (or reason) of every line, in file order."""
    derive = kinds.derive_kind
    aim = kinds.target
    by_id, by_name, began = index.by_id, index.by_name, index.mirror_began
    result: list[CostLine] = []
    append = result.append
    # lines repeat their product and description: derive kind and target once for each
    targets: dict[tuple[str, str, str], tuple[str, tuple[str, str] | None]] = {}
    for line in lines:
        key = (line.product, line.description, line.group_description)
        aimed = targets.get(key)
        if aimed is None:
            kind = derive(line.product, line.description)
            aimed = targets[key] = (kind, aim(kind, line.description, line.group_description))
        kind, named = aimed
        resource: ResourceRef | None = None
        method = NONE
        if named is not None:
            match_kind = named[0]
            found = None
            if line.resource_id:
                found = by_id.get((match_kind, line.resource_id))
            if found is None and line.resource_uuid:
                found = by_id.get((match_kind, line.resource_uuid))
            if found is not None:
                resource, method = found, BY_ID
            elif (found := by_name.get(named)) is not None:
                resource, method = found, BY_NAME
        resource_id: UUID | None = None
        tenant: UUID | None = None
        deployment: UUID | None = None
        reason: str | None = None
        if resource is not None:
            resource_id = resource.id
            tenant, deployment = resource.tenant_id, resource.deployment_id
        else:
            reason = unmatched_reason(kind, named, line.end_at, began)
        append(
            CostLine(
                line.line_no,
                line.product,
                line.group_description,
                line.description,
                kind,
                line.amount_cents,
                line.hours,
                line.start_at,
                line.end_at,
                line.project_name,
                line.category,
                line.resource_id,
                line.resource_uuid,
                named[0] if named else None,
                named[1] if named else None,
                resource_id,
                method,
                reason,
                tenant,
                deployment,
            )
        )
    return result
