"""The desired state: what provisioning asked the provider for, one spec per resource."""

from __future__ import annotations

import math
from typing import Any
from uuid import UUID

from drift.domain.model import Provisioned
from drift.ports import Clock, UnitOfWorkFactory


class InvalidSpec(ValueError):
    pass


MAX_DEPTH = 32


def storable_text(value: str) -> bool:
    """PostgreSQL text holds neither NUL nor lone surrogates (which are not UTF-8)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_value(value: Any, depth: int = 0) -> None:
    """What PostgreSQL's JSONB cannot store is refused here, as bad input."""
    if depth > MAX_DEPTH:
        raise InvalidSpec(f"a spec nests at most {MAX_DEPTH} levels")
    if isinstance(value, str):
        if not storable_text(value):
            raise InvalidSpec("a spec's text must be valid Unicode without NUL characters")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidSpec("a spec's numbers must be finite")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, depth + 1)
            _check_value(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_value(item, depth + 1)


def validate_spec(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict) or not spec:
        raise InvalidSpec("a spec is a non-empty JSON object of field: desired value")
    for key in spec:
        if not isinstance(key, str) or not key.strip():
            raise InvalidSpec("every field of a spec is a non-empty name")
    _check_value(spec)
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
    if kind is not None and (not storable_text(kind) or not kind.strip()):
        raise InvalidSpec("kind must be a non-empty name")
    async with uow() as work:
        if kind is None:
            live = await work.live.get(resource_id)
            kind = None if live is None else live.kind
        provisioned = await work.provisioned.record(resource_id, spec, kind, clock())
        await work.commit()
    return provisioned
