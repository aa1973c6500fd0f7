"""The fingerprint's text must stay byte for byte what it was: held rows' digests are made of it."""

import hashlib
import json
import random
import struct
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest

from do_sandbox import scenarios
from inventory.domain import normalize
from inventory.domain.fingerprint import _attrs_text, attrs_json, fingerprint, of_observation
from inventory.domain.model import Observation

# the encoding every held digest was made with
REFERENCE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


def reference_digest(observation: Observation) -> str:
    head = [observation.name, observation.status, observation.region, observation.size_slug]
    text = REFERENCE([*head, observation.attrs])
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


AWKWARD: list[Any] = [
    None,
    True,
    False,
    0,
    -7,
    2**63 - 1,
    2**70,  # beyond 64 bits
    1.5,
    100.0,
    -0.0,
    1e-05,
    2.5e-05,
    1e16,
    1e22,
    5e-324,
    "",
    "plain",
    'a "quoted" \\ text',
    "\n\t\b\f\r\x00\x1f",
    "\x7f",
    "café",
    "\u2028 \U0001f600",
    "10.0.0.1",
    "a,1.5",
    "2024-01-01T00:00:00.123Z",
    Decimal("1.10"),
    UUID("5e33d09d-539c-4330-944b-ec608f0527ba"),
    datetime(2024, 1, 1, 12, 30, tzinfo=UTC),
    date(2024, 1, 1),
    (1, "two"),
    [],
    {},
    {"z": 1, "a": {"y": [1, {"c": None, "b": 2.0}], "x": "é"}},
    {1: "integer key"},
]


@pytest.mark.parametrize("value", AWKWARD, ids=repr)
def test_attrs_text_is_the_reference_text_for_awkward_values(value: Any) -> None:
    attrs = {"value": value, "list": [value], "nested": {"v": value, "a": 1}}
    assert _attrs_text(attrs) == REFERENCE(attrs)


def test_attrs_text_is_the_reference_text_for_random_floats() -> None:
    rng = random.Random(20261202)
    for _ in range(5_000):
        number = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        if number != number or number in (float("inf"), float("-inf")):
            continue
        attrs = {"n": number, "m": [number, "x"]}
        assert _attrs_text(attrs) == REFERENCE(attrs)


def test_attrs_text_is_the_reference_text_at_every_exponent() -> None:
    for exponent in range(-325, 309):
        for mantissa in (1.0, 1.5, 2.2250738585072014, 9.999999999999999, 1.7976931348623157):
            number = float(f"{mantissa!r}e{exponent}")
            if number == float("inf"):
                continue
            attrs = {"n": number, "negative": -number}
            assert _attrs_text(attrs) == REFERENCE(attrs)


def test_non_finite_numbers_are_null() -> None:
    # json writes NaN and Infinity, which PostgreSQL refuses in a JSON column: no held row has
    # one, so there is no digest to keep, and such a resource is now stored with a null
    attrs = {"nan": float("nan"), "inf": float("inf"), "minus": float("-inf")}
    assert _attrs_text(attrs) == '{"inf":null,"minus":null,"nan":null}'


def test_every_generated_resource_keeps_its_digest() -> None:
    account = scenarios.load("generated", droplets=300)
    checked = 0
    for kind, normalizer in normalize.NORMALIZERS.items():
        listing = _listing_of(account, kind)
        for item in listing:
            observation = normalizer(item)
            assert attrs_json(observation) == REFERENCE(observation.attrs)
            assert of_observation(observation) == reference_digest(observation)
            checked += 1
    assert checked > 300


def test_fingerprint_of_fields_is_the_reference_digest() -> None:
    observation = Observation(
        kind="droplet",
        provider_id="1",
        name="web-1",
        status="active",
        region="nyc3",
        size_slug="s-1vcpu-1gb",
        attrs={"memory": 1024, "tags": ["b", "a"], "price_hourly": "0.00744", "ratio": 0.5},
    )
    assert fingerprint(
        "web-1", "active", "nyc3", "s-1vcpu-1gb", observation.attrs
    ) == reference_digest(observation)


def _listing_of(account: Any, kind: str) -> list[dict[str, Any]]:
    from inventory.adapters.digitalocean import LISTINGS

    items: list[dict[str, Any]] = []
    for path, key, _params in LISTINGS[kind]:
        try:
            items.extend(account.items(key))
        except KeyError:  # stored under the path's name
            items.extend(account.items(path.rsplit("/", 1)[1]))
    return items
