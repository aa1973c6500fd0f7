"""A stable digest of what a sync compares, so unchanged resources need no field-by-field diff."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from inventory.domain.model import Observation


def fingerprint(
    name: str | None,
    status: str | None,
    region: str | None,
    size_slug: str | None,
    attrs: dict[str, Any],
) -> str:
    text = json.dumps(
        [name, status, region, size_slug, attrs], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def of_observation(observation: Observation) -> str:
    return fingerprint(
        observation.name,
        observation.status,
        observation.region,
        observation.size_slug,
        observation.attrs,
    )
