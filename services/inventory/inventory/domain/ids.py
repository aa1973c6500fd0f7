"""Random (version 4) UUIDs in bulk: a full sync makes tens of thousands."""

from __future__ import annotations

import os
from collections.abc import Iterator
from uuid import UUID, SafeUUID

POOL = 1024
# UUID(bytes=..., version=4): the version nibble 4 and the RFC 4122 variant bits 10
_KEEP = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_SET = (0x4000 << 64) | (0x8000 << 48)


def random_uuids() -> Iterator[UUID]:
    """What uuid4() makes, one read of the system's randomness per `POOL` of them.

    Each is made as `UUID(bytes=..., version=4)` would make it, without that constructor's
    checks of its arguments: they cannot fail here, and cost more than the rest together.
    """
    new, assign, unknown = object.__new__, object.__setattr__, SafeUUID.unknown
    while True:
        pool = os.urandom(16 * POOL)
        for at in range(0, len(pool), 16):
            made = new(UUID)
            assign(made, "int", int.from_bytes(pool[at : at + 16]) & _KEEP | _SET)
            assign(made, "is_safe", unknown)
            yield made


# the variant nibble's hex digit after `UUID(..., version=4)` set its top bits to 10
_VARIANT = {digit: "89ab"[int(digit, 16) & 0x3] for digit in "0123456789abcdef"}


def random_uuid_texts() -> Iterator[str]:
    """The text of what `random_uuids` makes (one read of randomness per `POOL`), for ids that
    are only ever written out: no UUID object to make, and none to format."""
    while True:
        pool = os.urandom(16 * POOL).hex()
        for at in range(0, len(pool), 32):
            h = pool[at : at + 32]
            yield f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"
