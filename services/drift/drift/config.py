"""Drift settings: only what every service reads (drift calls no outside API)."""

from __future__ import annotations

from arcadia_core.settings import ArcadiaSettings


class DriftSettings(ArcadiaSettings):
    pass
