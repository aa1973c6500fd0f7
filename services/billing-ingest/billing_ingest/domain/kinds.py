"""Which inventory kind an invoice line bills, and which resource (kind, name) it names.

Kinds are the inventory's: droplet, droplet_backup, snapshot, volume, floating_ip,
load_balancer, spaces_bucket, managed_db, k8s_cluster, app, dns_zone; plus `tax` and `unknown`.
Specific phrases are tried before generic products: "Droplet Snapshots" and "Droplet Backups"
both contain "Droplet", and must not be billed as droplets. Tax is product `Taxes` first; the
description fallback matches "GST" or "tax" as whole words only (`syntax-01` is a droplet).
"""

from __future__ import annotations

import re

from billing_ingest.domain.model import TAX

UNKNOWN = "unknown"
DROPLET = "droplet"
DROPLET_BACKUP = "droplet_backup"
SNAPSHOT = "snapshot"
VOLUME = "volume"
FLOATING_IP = "floating_ip"
LOAD_BALANCER = "load_balancer"
SPACES_BUCKET = "spaces_bucket"
MANAGED_DB = "managed_db"
K8S_CLUSTER = "k8s_cluster"
APP = "app"
DNS_ZONE = "dns_zone"

# (phrase, kind), most specific first; matched as a substring of the lower-cased product
PRODUCT_RULES: tuple[tuple[str, str], ...] = (
    ("droplet snapshot", SNAPSHOT),
    ("volume snapshot", SNAPSHOT),
    ("snapshot", SNAPSHOT),
    ("droplet backup", DROPLET_BACKUP),
    ("backup", DROPLET_BACKUP),
    ("droplet", DROPLET),
    ("block storage", VOLUME),
    ("volume", VOLUME),
    ("floating ip", FLOATING_IP),
    ("reserved ip", FLOATING_IP),
    ("load balancer", LOAD_BALANCER),
    ("spaces", SPACES_BUCKET),
    ("database", MANAGED_DB),
    ("kubernetes", K8S_CLUSTER),
    ("app platform", APP),
    ("apps", APP),
    ("domain", DNS_ZONE),
    ("dns", DNS_ZONE),
)
# phrases in a description that give the kind when the product does not
DESCRIPTION_RULES: tuple[tuple[str, str], ...] = (
    ("droplet snapshot", SNAPSHOT),
    ("weekly backup services", DROPLET_BACKUP),
    ("daily backup services", DROPLET_BACKUP),
    ("unused floating ip", FLOATING_IP),
    ("unused reserved ip", FLOATING_IP),
)
_TAX_WORD = re.compile(r"\b(?:gst|tax)\b", re.IGNORECASE)

_by_product: dict[str, str | None] = {}


def _product_kind(product: str) -> str | None:
    if product in _by_product:
        return _by_product[product]
    lowered = product.strip().lower()
    kind: str | None
    if lowered in ("taxes", "tax"):
        kind = TAX
    else:
        kind = next((k for phrase, k in PRODUCT_RULES if phrase in lowered), None)
    if len(_by_product) < 10_000:
        _by_product[product] = kind
    return kind


def derive_kind(product: str, description: str) -> str:
    kind = _product_kind(product)
    if kind is not None:
        return kind
    if _TAX_WORD.search(description):
        return TAX
    lowered = description.lower()
    return next((k for phrase, k in DESCRIPTION_RULES if phrase in lowered), UNKNOWN)


# "<name> (<detail>)": droplets "web-01 (s-1vcpu-2gb)", backups "web-01 (Weekly Backup Services)"
_PAREN = re.compile(r"^(?P<name>.+?) \((?P<detail>[^()]*)\)$")
# "<name> (<region>) <size>GB ...": snapshots and volumes
_REGIONAL = re.compile(r"^(?P<name>.+?) \((?P<region>[a-z]{2,4}\d)\) [\d.]+ ?GB\b")
_IP = re.compile(r"(?:floating|reserved) ip(?:v6)?\s*-\s*(?P<ip>\S+)", re.IGNORECASE)


def _paren_name(description: str) -> str | None:
    match = _PAREN.match(description)
    return match.group("name") if match else None


def target(kind: str, description: str, group_description: str = "") -> tuple[str, str] | None:
    """The (kind, name) of the resource a line names, or None when it names none.

    A backup line names its droplet; the Spaces subscription and taxes name nothing.
    """
    name: str | None
    match_kind = kind
    if kind in (DROPLET, APP):
        name = _paren_name(description) or description
    elif kind == DROPLET_BACKUP:
        match_kind, name = DROPLET, _paren_name(description)
    elif kind in (SNAPSHOT, VOLUME):
        match = _REGIONAL.match(description)
        name = match.group("name") if match else (_paren_name(description) or description)
    elif kind == FLOATING_IP:
        match = _IP.search(description)
        name = match.group("ip") if match else None
    elif kind in (K8S_CLUSTER, MANAGED_DB):
        name = group_description or _paren_name(description) or description
    elif kind == LOAD_BALANCER:
        name = _paren_name(description) or description
    elif kind == SPACES_BUCKET:
        name = group_description or None  # "Spaces ($5/mo ...)" is the account's plan
    elif kind == DNS_ZONE:
        name = description
    else:
        return None
    if not name or not name.strip():
        return None
    return match_kind, name.strip().lower()


def is_account_level(kind: str) -> bool:
    """A line of this kind that names no resource is billed to the account as a whole."""
    return kind == SPACES_BUCKET
