"""Invoicing settings, on top of the settings every service reads."""

from __future__ import annotations

from pydantic import Field

from arcadia_core.settings import ArcadiaSettings


class InvoicingSettings(ArcadiaSettings):
    rollup_cron: str = Field(
        default="0 3 1 * *",
        alias="ARCADIA_INVOICING_ROLLUP_CRON",
        description="When the month just ended is rolled up (UTC; the seeds: 03:00 on the 1st)",
    )
