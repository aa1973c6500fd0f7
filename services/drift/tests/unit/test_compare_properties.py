"""Property: the forms a value takes through JSON, the provider and a spec file are never drift."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from drift.domain.compare import loose_equal

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.text(alphabet="abcdefghij-_:./ ", max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(st.text(alphabet="abcdef_", min_size=1, max_size=6), inner, max_size=5),
    ),
    max_leaves=20,
)


def disguise(value: Any, rng: random.Random) -> Any:
    """Reorder lists and keys, turn numbers into text: what a round trip may do to a value."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: disguise(v, rng) for k, v in items}
    if isinstance(value, list):
        items = [disguise(v, rng) for v in value]
        rng.shuffle(items)
        return items
    if isinstance(value, int) and not isinstance(value, bool) and rng.random() < 0.5:
        return str(value)
    return value


@settings(max_examples=200, deadline=None)
@given(values, st.integers(min_value=0, max_value=2**32))
def test_disguised_values_are_equal(value: Any, seed: int) -> None:
    rng = random.Random(seed)
    twin = json.loads(json.dumps(disguise(value, rng), sort_keys=bool(seed % 2)))
    assert loose_equal(value, twin)
    assert loose_equal(twin, value)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=-(10**6), max_value=10**6), st.integers(min_value=1, max_value=9))
def test_a_different_number_is_drift(number: int, delta: int) -> None:
    assert not loose_equal(number, str(number + delta))
