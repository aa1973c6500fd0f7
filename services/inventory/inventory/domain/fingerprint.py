"""A stable digest of what a sync compares, so unchanged resources need no field-by-field diff.

The digest of an observation is computed once and kept on it, with the JSON text of its attrs
(which the writes then store as they are, rather than serializing the attrs a second time).
"""

from __future__ import annotations

import hashlib
import json
from json.encoder import encode_basestring_ascii
from typing import Any

from inventory.domain.model import Observation

# json.dumps(value, sort_keys=True, separators=(",", ":"), default=str), with one encoder made
# once (json.dumps makes one per call) and no bookkeeping for cycles (a listing has none)
_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), default=str, check_circular=False
).encode


def _head_json(head: list[Any]) -> str:
    """`_json(head)`: for texts and nulls (the usual), without the general encoder."""
    try:
        texts = ["null" if value is None else encode_basestring_ascii(value) for value in head]
    except TypeError:  # not a text: a number, say
        return _json(head)
    return f"[{','.join(texts)}]"


def _digest(head: list[Any], attrs_json: str) -> str:
    # the same text as _json([*head, attrs]): a digest stays what it was before this split
    text = f"{_head_json(head)[:-1]},{attrs_json}]"
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def fingerprint(
    name: str | None,
    status: str | None,
    region: str | None,
    size_slug: str | None,
    attrs: dict[str, Any],
) -> str:
    return _digest([name, status, region, size_slug], _json(attrs))


def attrs_json(observation: Observation) -> str:
    """The observation's attrs as JSON text (sorted keys), computed once."""
    cached = observation.attrs_json
    if cached is None:
        cached = _json(observation.attrs)
        object.__setattr__(observation, "attrs_json", cached)
    return cached


def of_observation(observation: Observation) -> str:
    cached = observation.digest
    if cached is None:
        head = [observation.name, observation.status, observation.region, observation.size_slug]
        cached = _digest(head, attrs_json(observation))
        object.__setattr__(observation, "digest", cached)
    return cached
