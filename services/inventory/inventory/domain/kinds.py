"""Resource kinds, which ones have a dedicated sync, and each sync's schedule (UTC cron)."""

from __future__ import annotations

from dataclasses import dataclass

DROPLET = "droplet"
DROPLET_BACKUP = "droplet_backup"
PROJECTS = "projects"


@dataclass(frozen=True, slots=True)
class SyncSpec:
    kind: str
    cron: str


# The seeds' cadence: every 15 minutes, snapshots hourly at :33, backups hourly at :41.
SYNCS: dict[str, SyncSpec] = {
    spec.kind: spec
    for spec in (
        SyncSpec(DROPLET, "*/15 * * * *"),
        SyncSpec("dns_zone", "*/15 * * * *"),
        SyncSpec("volume", "*/15 * * * *"),
        SyncSpec("floating_ip", "*/15 * * * *"),
        SyncSpec("firewall", "*/15 * * * *"),
        SyncSpec("load_balancer", "*/15 * * * *"),
        SyncSpec("app", "*/15 * * * *"),
        SyncSpec("k8s_cluster", "*/15 * * * *"),
        SyncSpec("managed_db", "*/15 * * * *"),
        SyncSpec("vpc", "*/15 * * * *"),
        SyncSpec("snapshot", "33 * * * *"),
        SyncSpec(DROPLET_BACKUP, "41 * * * *"),
        SyncSpec(PROJECTS, "*/15 * * * *"),
    )
}

# Kinds a sync of their own is the source of truth for; project sweeps only attribute them.
DEDICATED_KINDS = frozenset(SYNCS) - {PROJECTS}

# Order for a full sync: projects first, so that each kind's sync finds the memberships and
# attributes what it discovers at once (a later sweep corrects whatever moved in between). Then
# the kinds an account holds most of, so that their writes overlap the fetches that follow and
# what is left to write once every listing is in is small.
FULL_SYNC_ORDER = (
    PROJECTS,
    DROPLET,
    "snapshot",
    "dns_zone",
    "volume",
    "floating_ip",
    "firewall",
    "load_balancer",
    "app",
    "k8s_cluster",
    "managed_db",
    "vpc",
    DROPLET_BACKUP,
)


# A kind whose listing reads inventory: it must be fetched after that kind is applied.
LISTING_READS = {DROPLET_BACKUP: DROPLET}


# the droplet attrs `wants_backups_listing` reads
BACKUPS_LISTING_ATTRS = ("backups_enabled", "backup_ids")


def wants_backups_listing(droplet_attrs: dict[str, object]) -> bool:
    """Listing backups costs one call per droplet; only droplets with backups are worth it."""
    return bool(droplet_attrs.get("backups_enabled") or droplet_attrs.get("backup_ids"))
