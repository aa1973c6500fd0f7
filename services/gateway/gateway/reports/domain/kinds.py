"""Which billing kind prices which provider kind, and the kind a tenant invoice line counts as.

Provider kinds are billing-ingest's (`billing_ingest/domain/kinds.py`: the kind a DigitalOcean
invoice line bills, in the inventory's words); billing kinds are metering's
(`metering/domain/billing.py`) and the catalog's (`invoicing/catalog/catalog.toml`). A backup
line bills `droplet_backup` (DigitalOcean names the droplet on it); metering meters each backup
as `droplet_backup_gb_month`.
"""

from __future__ import annotations

# provider kind → billing kind, for every provider kind a tenant is billed for
BILLING_KIND: dict[str, str] = {
    "droplet": "droplet_hours",
    "snapshot": "snapshot_gb_month",
    "droplet_backup": "droplet_backup_gb_month",
    "volume": "volume_gb_month",
    "spaces_bucket": "spaces_gb_month",
    "dns_zone": "dns_zones",
}
PROVIDER_KIND: dict[str, str] = {billing: provider for provider, billing in BILLING_KIND.items()}

DROPLET = "droplet"
DROPLET_BACKUP = "droplet_backup"
DROPLET_HOURS = BILLING_KIND[DROPLET]
PROVIDER_TAX = "tax"

# what a tenant invoice line that prices no usage counts as
PLAN = "plan"
ADDON = "addon"
# invoicing's line kinds (invoicing/domain/quote.py)
TENANT_PLAN_BASE = "plan_base"
TENANT_ADDON = "addon"
TENANT_TAX = "tax"


def cost_kind(provider_kind: str) -> str:
    """The kind a provider cost line is reported under: its billing kind where a tenant is
    billed for it, else the provider's own kind (`floating_ip`, `load_balancer`, ...)."""
    return BILLING_KIND.get(provider_kind, provider_kind)


def revenue_kind(line_kind: str, resource_kind: str | None) -> str:
    """The kind a tenant invoice line is reported under: the billing kind it prices (overage,
    adjustments), `plan` for the base fee, `addon` for add-ons, else its own kind."""
    if line_kind == TENANT_PLAN_BASE:
        return PLAN
    if line_kind == TENANT_ADDON:
        return ADDON
    return resource_kind or line_kind


def billing_kind_of(kind: str) -> str | None:
    """The billing kind a report kind stands for, or None (`plan`, `floating_ip`, ...)."""
    return kind if kind in PROVIDER_KIND else None
