"""Turn DigitalOcean API objects into observations, one function per resource kind.

Only fields worth an audit entry go into `attrs`: volatile ones (next backup window, zone file
serials) would turn every sync into an `updated` event. Lists are sorted so that the provider's
ordering never reads as a change; nulls where DO sends them become empty lists.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from inventory.domain.model import Observation

Json = dict[str, Any]


def _sorted(values: list[Any] | None) -> list[Any]:
    if not values:
        return []
    try:
        return sorted(values)
    except TypeError:  # mixed types: order by their text
        return sorted(values, key=str)


def _region_slug(value: Any) -> str | None:
    if isinstance(value, dict):
        slug = value.get("slug")
        return str(slug) if slug is not None else None
    return str(value) if value else None


def _decimal_text(value: Any) -> str | None:
    return None if value is None else str(Decimal(str(value)))


def droplet(item: Json) -> Observation:
    networks = item.get("networks") or {}
    v4 = networks.get("v4") or []
    v6 = networks.get("v6") or []
    size = item.get("size") or {}
    image = item.get("image") or {}
    features = _sorted(item.get("features"))
    attrs: Json = {
        "memory": item.get("memory"),
        "vcpus": item.get("vcpus"),
        "disk": item.get("disk"),
        "image": image.get("slug") or image.get("name"),
        "public_ipv4": next((n["ip_address"] for n in v4 if n.get("type") == "public"), None),
        "private_ipv4": next((n["ip_address"] for n in v4 if n.get("type") == "private"), None),
        "public_ipv6": next((n["ip_address"] for n in v6 if n.get("type") == "public"), None),
        "features": features,
        "backups_enabled": "backups" in features,
        "backup_ids": _sorted(item.get("backup_ids")),
        "snapshot_ids": _sorted(item.get("snapshot_ids")),
        "volume_ids": _sorted(item.get("volume_ids")),
        "tags": _sorted(item.get("tags")),
        "vpc_uuid": item.get("vpc_uuid"),
        "price_monthly": _decimal_text(size.get("price_monthly")),
        "price_hourly": _decimal_text(size.get("price_hourly")),
        "size_description": size.get("description"),
        "created_at": item.get("created_at"),
    }
    if item.get("gpu_info"):
        attrs["gpu_info"] = item["gpu_info"]
    return Observation(
        kind="droplet",
        provider_id=str(item["id"]),
        name=item.get("name"),
        status=item.get("status"),
        region=_region_slug(item.get("region")),
        size_slug=item.get("size_slug") or size.get("slug"),
        attrs=attrs,
    )


def dns_zone(item: Json) -> Observation:
    return Observation(
        kind="dns_zone",
        provider_id=item["name"],
        name=item["name"],
        status="active",
        attrs={"ttl": item.get("ttl")},
    )


def volume(item: Json) -> Observation:
    droplet_ids = _sorted(item.get("droplet_ids"))
    return Observation(
        kind="volume",
        provider_id=str(item["id"]),
        name=item.get("name"),
        status="attached" if droplet_ids else "detached",
        region=_region_slug(item.get("region")),
        attrs={
            "size_gigabytes": item.get("size_gigabytes"),
            "droplet_ids": droplet_ids,
            "tags": _sorted(item.get("tags")),
            "description": item.get("description") or "",
            "filesystem_type": item.get("filesystem_type") or "",
            "created_at": item.get("created_at"),
        },
    )


def snapshot(item: Json) -> Observation:
    regions = _sorted(item.get("regions"))
    return Observation(
        kind="snapshot",
        provider_id=str(item["id"]),
        name=item.get("name"),
        status="available",
        region=regions[0] if regions else None,
        attrs={
            "resource_type": item.get("resource_type"),
            "resource_id": None if item.get("resource_id") is None else str(item["resource_id"]),
            "size_gigabytes": _decimal_text(item.get("size_gigabytes")),
            "min_disk_size": item.get("min_disk_size"),
            "regions": regions,
            "tags": _sorted(item.get("tags")),
            "created_at": item.get("created_at"),
        },
    )


def floating_ip(item: Json) -> Observation:
    attached = item.get("droplet") or None
    return Observation(
        kind="floating_ip",
        provider_id=item["ip"],
        name=item["ip"],
        status="assigned" if attached else "unassigned",
        region=_region_slug(item.get("region") or item.get("region_slug")),
        attrs={
            "droplet_id": None if attached is None else str(attached.get("id")),
            "locked": item.get("locked"),
            "do_project_id": item.get("project_id"),
        },
    )


def firewall(item: Json) -> Observation:
    return Observation(
        kind="firewall",
        provider_id=str(item["id"]),
        name=item.get("name"),
        status=item.get("status"),
        attrs={
            "inbound_rules": item.get("inbound_rules") or [],
            "outbound_rules": item.get("outbound_rules") or [],
            "droplet_ids": _sorted(item.get("droplet_ids")),
            "tags": _sorted(item.get("tags")),
            "created_at": item.get("created_at"),
        },
    )


def load_balancer(item: Json) -> Observation:
    return Observation(
        kind="load_balancer",
        provider_id=str(item["id"]),
        name=item.get("name"),
        status=item.get("status"),
        region=_region_slug(item.get("region")),
        size_slug=item.get("size"),
        attrs={
            "size_unit": item.get("size_unit"),
            "algorithm": item.get("algorithm"),
            "forwarding_rules": item.get("forwarding_rules") or [],
            "ip": item.get("ip"),
            "droplet_ids": _sorted(item.get("droplet_ids")),
            "tag": item.get("tag") or "",
            "vpc_uuid": item.get("vpc_uuid"),
            "do_project_id": item.get("project_id"),
            "created_at": item.get("created_at"),
        },
    )


def droplet_backup(item: Json, droplet_id: str) -> Observation:
    regions = _sorted(item.get("regions"))
    return Observation(
        kind="droplet_backup",
        provider_id=str(item["id"]),
        name=item.get("name"),
        status="available",
        region=regions[0] if regions else None,
        attrs={
            "droplet_id": droplet_id,
            "size_gigabytes": _decimal_text(item.get("size_gigabytes")),
            "min_disk_size": item.get("min_disk_size"),
            "regions": regions,
            "created_at": item.get("created_at"),
        },
    )


def placeholder(kind: str, provider_id: str, urn: str) -> Observation:
    """A resource known only from a project membership URN (no API lists it)."""
    return Observation(
        kind=kind,
        provider_id=provider_id,
        name=provider_id,
        status="unknown",
        attrs={"urn": urn, "placeholder": True},
    )


NORMALIZERS: dict[str, Callable[[Json], Observation]] = {
    "droplet": droplet,
    "dns_zone": dns_zone,
    "volume": volume,
    "snapshot": snapshot,
    "floating_ip": floating_ip,
    "firewall": firewall,
    "load_balancer": load_balancer,
}
