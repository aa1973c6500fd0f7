"""Project resource URNs as the Projects API emits them: ``do:<kind>:<id>``.

The id part may itself contain colons (reserved IPv6 addresses), so a URN is split on its
first two colons only. Reserved IPs are reported with the legacy ``floatingip`` kind.
"""

from __future__ import annotations

from typing import Any

URN_COLLECTIONS = {
    "droplet": "droplets",
    "domain": "domains",
    "floatingip": "reserved_ips",
    "loadbalancer": "load_balancers",
    "volume": "volumes",
    "volumesnapshot": "snapshots",
    "app": "apps",
    "kubernetes": "kubernetes_clusters",
    "dbaas": "databases",
    "vpc": "vpcs",
}

_SELF_PATHS = {
    "droplet": "droplets",
    "domain": "domains",
    "floatingip": "floating_ips",
    "loadbalancer": "load_balancers",
    "volume": "volumes",
    "volumesnapshot": "snapshots",
    "image": "images",
    "space": "spaces",
    "dbaas": "databases",
    "kubernetes": "kubernetes/clusters",
    "app": "apps",
    "vpc": "vpcs",
}


def split_urn(urn: str) -> tuple[str, str]:
    """``(kind, id)`` of a URN; raises ``ValueError`` when it is not ``do:<kind>:<id>``."""
    parts = urn.split(":", 2)
    if len(parts) != 3 or parts[0] != "do" or not parts[1] or not parts[2]:
        raise ValueError(f"not a resource URN: {urn!r}")
    return parts[1], parts[2]


def self_path(urn: str) -> str:
    kind, ident = split_urn(urn)
    return f"/v2/{_SELF_PATHS.get(kind, kind)}/{ident}"


def urn_of(collection: str, item: dict[str, Any]) -> str | None:
    """The URN the Projects API uses for ``item``, or ``None`` for kinds it never lists."""
    match collection:
        case "droplets":
            return f"do:droplet:{item['id']}"
        case "domains":
            return f"do:domain:{item['name']}"
        case "reserved_ips":
            return f"do:floatingip:{item['ip']}"
        case "load_balancers":
            return f"do:loadbalancer:{item['id']}"
        case "volumes":
            return f"do:volume:{item['id']}"
        case "snapshots" if item["resource_type"] == "volume":
            return f"do:volumesnapshot:{item['id']}"
        case "snapshots":
            return f"do:image:{item['id']}"
        case "apps":
            return f"do:app:{item['id']}"
        case "kubernetes_clusters":
            return f"do:kubernetes:{item['id']}"
        case "databases":
            return f"do:dbaas:{item['id']}"
        case "vpcs":
            return f"do:vpc:{item['id']}"
        case "reserved_ipv6":  # the Projects API keeps the floating IP kind for these too
            return f"do:floatingip:{item['ip']}"
    return None
