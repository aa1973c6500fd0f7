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
    targets: dict[tuple[str, str, str], tuple[str, str] | None] = {}
    for line in lines:
        kind = derive(line.product, line.description)
        key = (kind, line.description, line.group_description)
        if key in targets:
            named = targets[key]
        else:
            named = targets[key] = aim(kind, line.description, line.group_description)
        resource: ResourceRef | None = None
        method = NONE
        if named is not None:
            match_kind = named[0]
            for provider_id in (line.resource_id, line.resource_uuid):
                if provider_id and (found := by_id.get((match_kind, provider_id))) is not None:
                    resource, method = found, BY_ID
                    break
            if resource is None and (found := by_name.get(named)) is not None:
                resource, method = found, BY_NAME
        append(
            CostLine(
                line_no=line.line_no,
                product=line.product,
                group_description=line.group_description,
                description=line.description,
                kind=kind,
                amount_cents=line.amount_cents,
                hours=line.hours,
                start_at=line.start_at,
                end_at=line.end_at,
                project_name=line.project_name,
                category=line.category,
                provider_resource_id=line.resource_id,
                provider_resource_uuid=line.resource_uuid,
                match_kind=named[0] if named else None,
                match_name=named[1] if named else None,
                resource_id=resource.id if resource else None,
                match_method=method,
                unmatched_reason=None
                if resource
                else unmatched_reason(kind, named, line.end_at, began),
                tenant_id=resource.tenant_id if resource else None,
                deployment_id=resource.deployment_id if resource else None,
            )
        )
    return result
