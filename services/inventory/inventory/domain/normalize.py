"""Turn DigitalOcean API objects into observations, one function per resource kind.

Only fields worth an audit entry go into `attrs`: volatile ones (next backup window, zone file
serials) would turn every sync into an `updated` event. Lists are sorted so that the provider's
ordering never reads as a change; nulls where DO sends them become empty lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import lru_cache
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
    if value is None:
        return None
    if type(value) in (int, float, str):
        return _number_text(value)  # prices repeat: one per size
    return str(Decimal(str(value)))


@lru_cache(maxsize=1024, typed=True)
def _number_text(value: float | str) -> str:
    return str(Decimal(str(value)))


def _first_addresses(networks: Iterable[Json], *types: str) -> list[str | None]:
    """The first address of each network type, in the order of `types` (None where absent)."""
    found: list[str | None] = [None] * len(types)
    for network in networks:
        kind = network.get("type")
        if kind in types:
            at = types.index(kind)
            if found[at] is None:
                found[at] = network["ip_address"]
    return found


def droplet(item: Json) -> Observation:
    networks = item.get("networks") or {}
    public_ipv4, private_ipv4 = _first_addresses(networks.get("v4") or (), "public", "private")
    (public_ipv6,) = _first_addresses(networks.get("v6") or (), "public")
    size = item.get("size") or {}
    image = item.get("image") or {}
    features = _sorted(item.get("features"))
    attrs: Json = {
        "memory": item.get("memory"),
        "vcpus": item.get("vcpus"),
        "disk": item.get("disk"),
        "image": image.get("slug") or image.get("name"),
        "public_ipv4": public_ipv4,
        "private_ipv4": private_ipv4,
        "public_ipv6": public_ipv6,
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
    """A reserved IPv4 (`/v2/reserved_ips`) or IPv6 (`/v2/reserved_ipv6`: flat region slug)."""
    attached = item.get("droplet") or None
    attrs: Json = {
        "droplet_id": None if attached is None else str(attached.get("id")),
        "locked": item.get("locked"),
        "do_project_id": item.get("project_id"),
    }
    if ":" in item["ip"]:
        attrs |= {"ipv6": True, "reserved_at": item.get("reserved_at")}
    return Observation(
        kind="floating_ip",
        provider_id=item["ip"],
        name=item["ip"],
        status="assigned" if attached else "unassigned",
        region=_region_slug(item.get("region") or item.get("region_slug")),
        attrs=attrs,
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


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


APP_COMPONENTS = ("services", "workers", "jobs", "static_sites", "functions")


def app(item: Json) -> Observation:
    """An App Platform app: its components (size and count each) and its live deployment."""
    spec = item.get("spec") or {}
    components = sorted(
        (
            {
                "type": group,
                "name": component.get("name"),
                "instance_size_slug": component.get("instance_size_slug"),
                "instance_count": component.get("instance_count"),
            }
            for group in APP_COMPONENTS
            for component in spec.get(group) or []
        ),
        key=lambda c: (c["type"], str(c["name"])),
    )
    active = item.get("active_deployment") or {}
    return Observation(
        kind="app",
        provider_id=str(item["id"]),
        name=spec.get("name"),
        status=_lower(active.get("phase")) or "unknown",
        region=_region_slug(item.get("region")) or spec.get("region"),
        attrs={
            "tier_slug": item.get("tier_slug"),
            "components": components,
            "instance_count": sum(int(c["instance_count"] or 0) for c in components),
            "live_url": item.get("live_url"),
            "default_ingress": item.get("default_ingress"),
            "created_at": item.get("created_at"),
        },
    )


def k8s_cluster(item: Json) -> Observation:
    """A DOKS cluster with each node pool's droplet size and node count."""
    pools = sorted(
        (
            {
                "name": pool.get("name"),
                "size": pool.get("size"),
                "count": pool.get("count"),
                "auto_scale": bool(pool.get("auto_scale")),
                "min_nodes": pool.get("min_nodes"),
                "max_nodes": pool.get("max_nodes"),
            }
            for pool in item.get("node_pools") or []
        ),
        key=lambda p: str(p["name"]),
    )
    status = item.get("status") or {}
    return Observation(
        kind="k8s_cluster",
        provider_id=str(item["id"]),
        name=item.get("name"),
        status=_lower(status.get("state")) or "unknown",
        region=_region_slug(item.get("region")),
        attrs={
            "version": item.get("version"),
            "node_pools": pools,
            "node_count": sum(int(p["count"] or 0) for p in pools),
            "ha": bool(item.get("ha")),
            "auto_upgrade": bool(item.get("auto_upgrade")),
            "vpc_uuid": item.get("vpc_uuid"),
            "tags": _sorted(item.get("tags")),
            "created_at": item.get("created_at"),
        },
    )


def managed_db(item: Json) -> Observation:
    """A managed database cluster: engine, size slug and node count."""
    return Observation(
        kind="managed_db",
        provider_id=str(item["id"]),
        name=item.get("name"),
        status=_lower(item.get("status")) or "unknown",
        region=_region_slug(item.get("region")),
        size_slug=item.get("size"),
        attrs={
            "engine": item.get("engine"),
            "version": item.get("version"),
            "num_nodes": item.get("num_nodes"),
            "storage_size_mib": item.get("storage_size_mib"),
            "private_network_uuid": item.get("private_network_uuid"),
            "tags": _sorted(item.get("tags")),
            "created_at": item.get("created_at"),
        },
    )


def vpc(item: Json) -> Observation:
    return Observation(
        kind="vpc",
        provider_id=str(item["id"]),
        name=item.get("name"),
        status="available",
        region=_region_slug(item.get("region")),
        attrs={
            "ip_range": item.get("ip_range"),
            "default": bool(item.get("default")),
            "description": item.get("description") or "",
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
    "app": app,
    "k8s_cluster": k8s_cluster,
    "managed_db": managed_db,
    "vpc": vpc,
}
