"""Inventory settings, on top of the settings every service reads."""

from __future__ import annotations

from pydantic import Field

from arcadia_core.settings import ArcadiaSettings


class InventorySettings(ArcadiaSettings):
    internal_project_name: str = Field(
        default="skyai-internal",
        alias="ARCADIA_INTERNAL_PROJECT",
        description="The DigitalOcean project the platform keeps its own resources in",
    )
    do_token_purpose: str = Field(
        default="sync_full",
        alias="ARCADIA_INVENTORY_TOKEN_PURPOSE",
        description="Which DO_API_TOKEN_<PURPOSE> the inventory syncs use",
    )
