"""Random (version 4) UUIDs in bulk: a full sync makes tens of thousands."""

from __future__ import annotations

import os
from collections.abc import Iterator
from uuid import UUID

POOL = 1024


def random_uuids() -> Iterator[UUID]:
    """What uuid4() makes, one read of the system's randomness per `POOL` of them."""
    while True:
        pool = os.urandom(16 * POOL)
        for at in range(0, len(pool), 16):
            yield UUID(bytes=pool[at : at + 16], version=4)
