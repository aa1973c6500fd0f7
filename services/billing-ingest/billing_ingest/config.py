"""Billing ingest settings, on top of the settings every service reads."""

from __future__ import annotations

from pydantic import Field

from arcadia_core.settings import ArcadiaSettings


class BillingSettings(ArcadiaSettings):
    do_token_purpose: str = Field(
        default="billing",
        alias="ARCADIA_BILLING_TOKEN_PURPOSE",
        description="Which DO_API_TOKEN_<PURPOSE> billing ingest uses",
    )
