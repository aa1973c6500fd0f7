"""Token selection and token fingerprints (a token itself never goes into labels or logs)."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping

_NOT_NAME = re.compile(r"[^A-Z0-9]+")


def token_for(purpose: str, env: Mapping[str, str] = os.environ) -> str | None:
    """`DO_API_TOKEN_<PURPOSE>` (e.g. `sync_full` -> `DO_API_TOKEN_SYNC_FULL`), else `DO_API_TOKEN`.

    Blank values count as unset. Returns None when neither is set.
    """
    suffix = _NOT_NAME.sub("_", purpose.strip().upper()).strip("_")
    if suffix:
        own = env.get(f"DO_API_TOKEN_{suffix}", "").strip()
        if own:
            return own
    shared = env.get("DO_API_TOKEN", "").strip()
    return shared or None


def token_fingerprint(token: str) -> str:
    """Full SHA-256 of the token: the key of the per-token registry."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_label(token: str) -> str:
    """A short, non-reversible name for a token, safe for metric labels and logs."""
    return f"sha256:{token_fingerprint(token)[:10]}"
