"""Pause Python's cyclic garbage collector around bulk work.

A sync allocates hundreds of thousands of short-lived objects (decoded pages, rows) while tens of
thousands of long-lived ones are alive. Each allocation burst triggers collections that rescan the
whole heap: a third of a large sync's time. Those objects hold no reference cycles, so reference
counting frees them anyway; the collector runs once the last paused section ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0


@contextmanager
def collector_paused() -> Iterator[None]:
    """Nested and concurrent sections share one pause; a collector disabled elsewhere stays so."""
    global _depth
    with _lock:
        owned = _depth > 0 or gc.isenabled()
        if owned:
            _depth += 1
            gc.disable()
    try:
        yield
    finally:
        if owned:
            with _lock:
                _depth -= 1
                if _depth == 0:
                    gc.enable()
                    gc.collect(1)
