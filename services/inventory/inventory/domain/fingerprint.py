"""A stable digest of what a sync compares, so unchanged resources need no field-by-field diff.

The digest of an observation is computed once and kept on it, with the JSON text of its attrs
(which the writes then store as they are, rather than serializing the attrs a second time).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import orjson

from inventory.domain.model import Observation

# json.dumps(value, sort_keys=True, separators=(",", ":"), default=str), with one encoder made
# once (json.dumps makes one per call) and no bookkeeping for cycles (a listing has none)
_json = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), default=str, check_circular=False
).encode


_FAST_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
# Both write a float's shortest round-trip digits, but where Python writes a two-digit exponent
# (1e-09 < |x| < 1e-04: 1e-05, 1.5e-07) orjson writes 0.00001 or 1.5e-7
_SHORT_EXPONENT = re.compile(rb"e-[1-9](?![0-9])")


def _reference_bytes(value: Any) -> bytes:
    """`_json(value)` as bytes, made by orjson where it writes the same text.

    The digests of held resources are made of this text, so it must never change. orjson
    writes otherwise only text outside printable ASCII (json escapes it, orjson writes UTF-8),
    floats in the range above, and refuses integers beyond 64 bits and keys that are not
    text: for those, the json encoder. (A plain Enum would differ too; attrs are read from
    JSON and hold none.) NaN and infinities are written as null: json writes NaN and Infinity,
    which PostgreSQL refuses in a JSON column, so no held row's digest was made of them.
    """
    try:
        fast = orjson.dumps(value, default=str, option=_FAST_OPTIONS)
    except TypeError:
        return _json(value).encode()
    if (
        not fast.isascii()
        or b"\x7f" in fast
        or b"0.0000" in fast
        or (b"e-" in fast and _SHORT_EXPONENT.search(fast))
    ):
        return _json(value).encode()
    return fast


def _attrs_text(attrs: dict[str, Any]) -> str:
    """`_json(attrs)`, the same text (see `_reference_bytes`)."""
    return _reference_bytes(attrs).decode()


def _digest(head: list[Any], attrs_json: bytes) -> str:
    # the same text as _json([*head, attrs]): a digest stays what it was before this split
    text = b"%b,%b]" % (_reference_bytes(head)[:-1], attrs_json)
    return hashlib.blake2b(text, digest_size=16).hexdigest()


def fingerprint(
    name: str | None,
    status: str | None,
    region: str | None,
    size_slug: str | None,
    attrs: dict[str, Any],
) -> str:
    return _digest([name, status, region, size_slug], _reference_bytes(attrs))


def attrs_json(observation: Observation) -> str:
    """The observation's attrs as JSON text (sorted keys), computed once."""
    cached = observation.attrs_json
    if cached is None:
        cached = _attrs_text(observation.attrs)
        object.__setattr__(observation, "attrs_json", cached)
    return cached


def of_observation(observation: Observation) -> str:
    cached = observation.digest
    if cached is None:
        head = [observation.name, observation.status, observation.region, observation.size_slug]
        if observation.attrs_json is None:
            text = _reference_bytes(observation.attrs)
            object.__setattr__(observation, "attrs_json", text.decode())
        else:
            text = observation.attrs_json.encode()
        cached = _digest(head, text)
        object.__setattr__(observation, "digest", cached)
    return cached
