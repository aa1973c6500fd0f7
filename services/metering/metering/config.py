"""Metering settings: what every service reads (no more yet)."""

from __future__ import annotations

from arcadia_core.settings import ArcadiaSettings


class MeteringSettings(ArcadiaSettings):
    pass
