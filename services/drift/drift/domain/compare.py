"""Field-level comparison of a desired spec with a live resource, without false positives.

Drift tools lose their users' trust the first time they flag a field that has not changed, so
equality here is deliberately loose where the provider (or a JSON round trip) changes the form
of a value but not its meaning:

- scalars compare by their text (2, 2.0 and "2" agree; True and "true" agree);
- lists compare as sets (order never matters; [1, 2] and ["2", "1"] agree);
- objects compare on the keys the desired side names (key order is irrelevant, and fields the
  provider adds to a rule, such as a load balancer's empty `certificate_id`, are not drift);
- null, "", [] and {} are one value: "nothing";
- keyed lists of objects (firewall rules, forwarding rules) are matched by their key, so rule
  order, and the order inside each rule, never matters;
- a per-kind table maps a spec's field names to the live fields (`size` is `size_slug`) and
  normalizes known equivalences (region slug case, firewall ports "0" / "" / "1-65535" for
  "all").

A field that DigitalOcean never returns after creation (ssh keys, user data, ...) or that the
inventory does not mirror is *unverifiable*, never drift. Any other field the live resource
lacks is drift.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from drift.domain.model import TOP_LEVEL_FIELDS, LiveResource

Normalizer = Callable[[Any], Any]
Derivation = Callable[[LiveResource], Any]


class Outcome(StrEnum):
    MATCH = "match"
    DRIFT = "drift"
    UNVERIFIABLE = "unverifiable"


@dataclass(frozen=True, slots=True)
class FieldCheck:
    field: str
    outcome: Outcome
    desired: Any
    actual: Any = None
    note: str | None = None


class KeyedItems(dict[str, list[Any]]):
    """A list of objects keyed by identity: equal only with the same keys (see `_keyed`)."""


# -- the per-kind tables --------------------------------------------------------------------------

CREATE_ONLY = "DigitalOcean does not return it after creation"
NOT_MIRRORED = "the inventory does not mirror it"

UNVERIFIABLE: dict[str, dict[str, str]] = {
    "droplet": {
        "ssh_keys": CREATE_ONLY,
        "user_data": CREATE_ONLY,
        "with_droplet_agent": CREATE_ONLY,
        "backup_policy": CREATE_ONLY,
        "password": CREATE_ONLY,
    },
    "volume": {
        "snapshot_id": CREATE_ONLY,
        "filesystem_label": NOT_MIRRORED,
    },
    "dns_zone": {"ip_address": CREATE_ONLY},
    "load_balancer": {
        "health_check": NOT_MIRRORED,
        "sticky_sessions": NOT_MIRRORED,
        "redirect_http_to_https": NOT_MIRRORED,
        "enable_proxy_protocol": NOT_MIRRORED,
        "enable_backend_keepalive": NOT_MIRRORED,
        "http_idle_timeout_seconds": NOT_MIRRORED,
        "disable_lets_encrypt_dns_records": NOT_MIRRORED,
        "firewall": NOT_MIRRORED,
        "project_id": NOT_MIRRORED,
    },
    "floating_ip": {"project_id": NOT_MIRRORED},
}

# spec field (as DigitalOcean's create request names it) -> live field
ALIASES: dict[str, dict[str, str]] = {
    "droplet": {"size": "size_slug", "backups": "backups_enabled", "volumes": "volume_ids"},
    "load_balancer": {"size": "size_slug"},
    "floating_ip": {"droplet": "droplet_id"},
}


def _feature(name: str) -> Derivation:
    def derive(live: LiveResource) -> Any:
        return name in (live.attrs.get("features") or [])

    return derive


DERIVED: dict[str, dict[str, Derivation]] = {
    "droplet": {
        "monitoring": _feature("monitoring"),
        "ipv6": _feature("ipv6"),
        "private_networking": _feature("private_networking"),
    },
}


def _slug(value: Any) -> Any:
    if isinstance(value, Mapping):
        value = value.get("slug")
    if isinstance(value, str):
        return value.strip().lower()
    return value


_ALL_PORTS = {"", "0", "all", "1-65535"}


def _ports(value: Any) -> str:
    text = "" if value is None else str(value).strip().lower()
    return "all" if text in _ALL_PORTS else text


def _firewall_rule(rule: Any) -> tuple[str, Any]:
    if not isinstance(rule, Mapping):
        return "", rule
    normalized = dict(rule)
    normalized["protocol"] = str(rule.get("protocol") or "").lower()
    normalized["ports"] = _ports(rule.get("ports"))
    if normalized["protocol"] == "icmp":
        normalized["ports"] = "all"  # ICMP has no ports; DO answers "0"
    return f"{normalized['protocol']}/{normalized['ports']}", normalized


def _forwarding_rule(rule: Any) -> tuple[str, Any]:
    if not isinstance(rule, Mapping):
        return "", rule
    normalized = dict(rule)
    for name in ("entry_protocol", "target_protocol"):
        if name in normalized and isinstance(normalized[name], str):
            normalized[name] = normalized[name].lower()
    return f"{normalized.get('entry_protocol')}/{normalized.get('entry_port')}", normalized


def _keyed(item: Callable[[Any], tuple[str, Any]]) -> Normalizer:
    def normalize(value: Any) -> Any:
        if value is None or value == []:
            return KeyedItems()
        if not isinstance(value, list):
            return value
        keyed = KeyedItems()
        for entry in value:
            key, normalized = item(entry)
            keyed.setdefault(key, []).append(normalized)
        return keyed

    return normalize


COMMON: dict[str, Normalizer] = {"region": _slug, "size_slug": _slug, "image": _slug}
NORMALIZERS: dict[str, dict[str, Normalizer]] = {
    "firewall": {
        "inbound_rules": _keyed(_firewall_rule),
        "outbound_rules": _keyed(_firewall_rule),
    },
    "load_balancer": {"forwarding_rules": _keyed(_forwarding_rule)},
}


def live_field(kind: str, field: str) -> str:
    """The live field a spec field is compared with."""
    return ALIASES.get(kind, {}).get(field, field)


def normalizer(kind: str, field: str) -> Normalizer | None:
    name = live_field(kind, field)
    return NORMALIZERS.get(kind, {}).get(name) or COMMON.get(name)


# -- loose equality -------------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _is_nothing(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict | tuple) and len(value) == 0)


def canonical(value: Any) -> Any:
    """A scalar's comparable form: numbers as Decimal, booleans and other text as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = str(value).strip()
    if _NUMBER.match(text):
        return Decimal(text)
    if text.lower() in ("true", "false"):
        return text.lower()
    return text


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, Mapping | list | tuple)


def _lists_equal(desired: list[Any], actual: list[Any]) -> bool:
    if all(_is_scalar(v) for v in desired) and all(_is_scalar(v) for v in actual):
        return {canonical(v) for v in desired if v is not None} == {
            canonical(v) for v in actual if v is not None
        }
    # as sets of objects: every item on each side has a loosely equal partner on the other
    return all(any(loose_equal(d, a) for a in actual) for d in desired) and all(
        any(loose_equal(d, a) for d in desired) for a in actual
    )


def loose_equal(desired: Any, actual: Any) -> bool:
    """True when `actual` means what `desired` asks for (see the module doc)."""
    if _is_nothing(desired) and _is_nothing(actual):
        return True
    if isinstance(desired, KeyedItems) or isinstance(actual, KeyedItems):
        if not (isinstance(desired, KeyedItems) and isinstance(actual, KeyedItems)):
            return False
        return desired.keys() == actual.keys() and all(
            _lists_equal(desired[key], actual[key]) for key in desired
        )
    if isinstance(desired, Mapping):
        if not isinstance(actual, Mapping):
            return False
        return all(loose_equal(value, actual.get(key)) for key, value in desired.items())
    if isinstance(desired, list | tuple) or isinstance(actual, list | tuple):
        if not (isinstance(desired, list | tuple) and isinstance(actual, list | tuple)):
            return False
        return _lists_equal(list(desired), list(actual))
    if isinstance(actual, Mapping) or desired is None or actual is None:
        return False
    return bool(canonical(desired) == canonical(actual))


# -- one field ------------------------------------------------------------------------------------

_MISSING = object()


def resolve(live: LiveResource, field: str) -> Any:
    """The live value for a spec field: a derivation, a top-level field, then attrs."""
    derive = DERIVED.get(live.kind, {}).get(field)
    if derive is not None:
        return derive(live)
    name = live_field(live.kind, field)
    if name in TOP_LEVEL_FIELDS:
        return getattr(live, name)
    return live.attrs.get(name, _MISSING)


def check_field(live: LiveResource, field: str, desired: Any) -> FieldCheck:
    note = UNVERIFIABLE.get(live.kind, {}).get(field)
    if note is not None:
        return FieldCheck(field, Outcome.UNVERIFIABLE, desired, note=note)
    actual = resolve(live, field)
    if actual is _MISSING:
        if _is_nothing(desired):
            return FieldCheck(field, Outcome.MATCH, desired)
        return FieldCheck(
            field, Outcome.DRIFT, desired, None, note="the live resource has no such field"
        )
    normalize = normalizer(live.kind, field)
    left, right = (normalize(desired), normalize(actual)) if normalize else (desired, actual)
    if loose_equal(left, right):
        return FieldCheck(field, Outcome.MATCH, desired, actual)
    return FieldCheck(field, Outcome.DRIFT, desired, actual)


def check_spec(live: LiveResource, spec: Mapping[str, Any]) -> list[FieldCheck]:
    return [check_field(live, field, desired) for field, desired in sorted(spec.items())]


def same_actual(kind: str, field: str, before: Any, after: Any) -> bool:
    """Whether a drift's observed value is unchanged (so no new `drift.detected`)."""
    normalize = normalizer(kind, field)
    if normalize is not None:
        before, after = normalize(before), normalize(after)
    return loose_equal(before, after) and loose_equal(after, before)
