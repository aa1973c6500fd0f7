"""The desired state: what provisioning asked the provider for, one spec per resource."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from drift.domain.model import Provisioned
from drift.ports import Clock, UnitOfWorkFactory


class InvalidSpec(ValueError):
    pass


def validate_spec(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or not spec:
        raise InvalidSpec("a spec is a non-empty JSON object of field: desired value")
    for key in spec:
        if not isinstance(key, str) or not key.strip():
            raise InvalidSpec("every field of a spec is a non-empty name")
    return spec


async def record_provisioned(
    resource_id: UUID,
    spec: dict[str, Any],
    *,
    uow: UnitOfWorkFactory,
    clock: Clock,
    kind: str | None = None,
) -> Provisioned:
    """Upsert the desired spec of a resource (the inventory's id) and bump its version.

    The resource need not be mirrored yet: provisioning records the spec as it creates the
    resource, and detection compares once the inventory has seen it.
    """
    validate_spec(spec)
    async with uow() as work:
        if kind is None:
            live = await work.live.get(resource_id)
            kind = None if live is None else live.kind
        provisioned = await work.provisioned.record(resource_id, spec, kind, clock())
        await work.commit()
    return provisioned
