"""Which fields of a resource changed between what we hold and what the provider reports."""

from __future__ import annotations

from typing import Any

from inventory.domain.model import Observation, Resource

TRACKED_FIELDS = ("name", "status", "region", "size_slug")

FieldDiff = dict[str, dict[str, Any]]


def field_diff(resource: Resource, observation: Observation) -> FieldDiff:
    """`{field: {"old": ..., "new": ...}}`; attrs keys are compared one by one as `attrs.<key>`."""
    diff: FieldDiff = {}
    for name in TRACKED_FIELDS:
        old, new = getattr(resource, name), getattr(observation, name)
        if old != new:
            diff[name] = {"old": old, "new": new}
    for key in sorted(resource.attrs.keys() | observation.attrs.keys()):
        old, new = resource.attrs.get(key), observation.attrs.get(key)
        if old != new:
            diff[f"attrs.{key}"] = {"old": old, "new": new}
    return diff
