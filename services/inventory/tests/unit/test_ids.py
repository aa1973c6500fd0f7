import os
import uuid
from itertools import islice

import pytest

from inventory.domain import ids


@pytest.fixture
def randomness(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """The same bytes for every read of the system's randomness."""
    fixed = os.urandom(16 * ids.POOL)
    monkeypatch.setattr(ids.os, "urandom", lambda size: fixed[:size])
    return fixed


def test_random_uuids_are_what_the_uuid_constructor_makes_of_the_same_bytes(
    randomness: bytes,
) -> None:
    made = list(islice(ids.random_uuids(), ids.POOL))
    expected = [
        uuid.UUID(bytes=randomness[at : at + 16], version=4) for at in range(0, len(randomness), 16)
    ]
    assert made == expected
    assert [str(u) for u in made] == [str(u) for u in expected]
    assert [hash(u) for u in made] == [hash(u) for u in expected]
    assert all(u.version == 4 and u.variant == uuid.RFC_4122 for u in made)
    assert all(u.is_safe is uuid.SafeUUID.unknown for u in made)


def test_random_uuids_do_not_repeat() -> None:
    made = list(islice(ids.random_uuids(), 3 * ids.POOL))
    assert len(set(made)) == len(made)


def test_random_uuid_texts_are_the_text_of_the_uuids_of_the_same_bytes(
    randomness: bytes,
) -> None:
    texts = list(islice(ids.random_uuid_texts(), ids.POOL))
    assert texts == [str(u) for u in islice(ids.random_uuids(), ids.POOL)]
    assert all(uuid.UUID(text).version == 4 for text in texts)
