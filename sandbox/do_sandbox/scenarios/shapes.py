"""Builders for JSON-shaped resources, and the shared regions, sizes and images they embed.

Sub-objects (regions, sizes, images, firewall rules) are shared between items rather than
copied, which keeps large generated accounts cheap to build.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from do_sandbox.timestamps import rfc3339

Json = dict[str, Any]

_STANDARD_SIZES = ("s-1vcpu-1gb", "s-1vcpu-2gb", "s-2vcpu-4gb", "s-4vcpu-8gb", "c-2")
_REGION_FEATURES = ["backups", "ipv6", "metadata", "install_agent", "storage", "image_transfer"]


def _region(slug: str, name: str, *, gpus: bool = False) -> Json:
    sizes = [*_STANDARD_SIZES, "gpu-h100x1-80gb"] if gpus else list(_STANDARD_SIZES)
    return {
        "name": name,
        "slug": slug,
        "features": _REGION_FEATURES,
        "available": True,
        "sizes": sizes,
    }


REGIONS: dict[str, Json] = {
    region["slug"]: region
    for region in (
        _region("syd1", "Sydney 1"),
        _region("sgp1", "Singapore 1"),
        _region("blr1", "Bangalore 1"),
        _region("fra1", "Frankfurt 1"),
        _region("ams3", "Amsterdam 3"),
        _region("lon1", "London 1"),
        _region("nyc3", "New York 3"),
        _region("sfo3", "San Francisco 3"),
        _region("tor1", "Toronto 1", gpus=True),
    )
}


def _size(
    slug: str,
    memory: int,
    vcpus: int,
    disk: int,
    transfer: float,
    prices: tuple[float, float],
    description: str,
    disk_info: list[Json] | None = None,
    gpu_info: Json | None = None,
) -> Json:
    size = {
        "slug": slug,
        "memory": memory,
        "vcpus": vcpus,
        "disk": disk,
        "transfer": transfer,
        "price_monthly": prices[0],
        "price_hourly": prices[1],
        "regions": ["tor1"] if gpu_info else [s for s in REGIONS if s != "tor1"],
        "available": True,
        "description": description,
        "disk_info": disk_info or [_disk("local", disk)],
    }
    if gpu_info:
        size["gpu_info"] = gpu_info
    return size


def _disk(kind: str, gib: int) -> Json:
    return {"type": kind, "size": {"amount": gib, "unit": "gib"}}


SIZES: dict[str, Json] = {
    size["slug"]: size
    for size in (
        _size("s-1vcpu-1gb", 1024, 1, 25, 1.0, (6.0, 0.00893), "Basic"),
        _size("s-1vcpu-2gb", 2048, 1, 50, 2.0, (12.0, 0.01786), "Basic"),
        _size("s-2vcpu-4gb", 4096, 2, 80, 4.0, (24.0, 0.03571), "Basic"),
        _size("s-4vcpu-8gb", 8192, 4, 160, 5.0, (48.0, 0.07143), "Basic"),
        _size("c-2", 4096, 2, 25, 4.0, (42.0, 0.0625), "CPU-Optimized"),
        _size(
            "gpu-h100x1-80gb",
            245760,
            20,
            720,
            15.0,
            (2522.16, 3.39),
            "H100 GPU - 1X",
            disk_info=[_disk("boot", 720), _disk("scratch", 5120)],
            gpu_info={"count": 1, "model": "nvidia_h100", "vram": {"amount": 80, "unit": "gib"}},
        ),
    )
}


def _image(
    image_id: int,
    name: str,
    distribution: str,
    slug: str,
    created_at: str,
    min_disk: int,
    size_gb: float,
) -> Json:
    return {
        "id": image_id,
        "name": name,
        "type": "base",
        "distribution": distribution,
        "slug": slug,
        "public": True,
        "regions": list(REGIONS),
        "created_at": created_at,
        "min_disk_size": min_disk,
        "size_gigabytes": size_gb,
        "description": f"{distribution} {name}",
        "tags": [],
        "status": "available",
        "error_message": "",
    }


IMAGES: dict[str, Json] = {
    image["slug"]: image
    for image in (
        _image(
            164262930,
            "24.04 (LTS) x64",
            "Ubuntu",
            "ubuntu-24-04-x64",
            "2025-09-17T14:12:40Z",
            7,
            2.44,
        ),
        _image(
            164263288,
            "22.04 (LTS) x64",
            "Ubuntu",
            "ubuntu-22-04-x64",
            "2025-09-17T14:20:05Z",
            7,
            2.36,
        ),
        _image(164102765, "12 x64", "Debian", "debian-12-x64", "2025-09-02T10:31:54Z", 7, 1.12),
        _image(
            165540211,
            "AI/ML Ready H100",
            "Ubuntu",
            "gpu-h100x1-base",
            "2025-11-04T08:00:00Z",
            30,
            11.6,
        ),
    )
}

NEXT_BACKUP_WINDOW = {"start": "2026-04-19T20:00:00Z", "end": "2026-04-20T00:00:00Z"}


def droplet(
    *,
    droplet_id: int,
    name: str,
    size: Json,
    region: Json,
    image: Json,
    created_at: str,
    public_ip: str,
    private_ip: str,
    vpc_uuid: str,
    status: str = "active",
    ipv6: str | None = None,
    tags: Sequence[str] = (),
    backups: bool = False,
    backup_ids: Sequence[int] = (),
    snapshot_ids: Sequence[int] = (),
    volume_ids: Sequence[str] = (),
) -> Json:
    features = ["monitoring", "private_networking"]
    if backups:
        features.insert(0, "backups")
    if ipv6:
        features.append("ipv6")
    item = {
        "id": droplet_id,
        "name": name,
        "memory": size["memory"],
        "vcpus": size["vcpus"],
        "disk": size["disk"],
        "disk_info": size["disk_info"],
        "locked": False,
        "status": status,
        "kernel": None,
        "created_at": created_at,
        "features": features,
        "backup_ids": list(backup_ids),
        "next_backup_window": NEXT_BACKUP_WINDOW if backups else None,
        "snapshot_ids": list(snapshot_ids),
        "image": image,
        "volume_ids": list(volume_ids),
        "size": size,
        "size_slug": size["slug"],
        "networks": {
            "v4": [
                {
                    "ip_address": private_ip,
                    "netmask": "255.255.240.0",
                    "gateway": "10.120.0.1",
                    "type": "private",
                },
                {
                    "ip_address": public_ip,
                    "netmask": "255.255.240.0",
                    "gateway": public_ip.rsplit(".", 1)[0] + ".1",
                    "type": "public",
                },
            ],
            "v6": [
                {
                    "ip_address": ipv6,
                    "netmask": 64,
                    "gateway": ipv6.rsplit(":", 1)[0] + ":1",
                    "type": "public",
                }
            ]
            if ipv6
            else [],
        },
        "region": region,
        "tags": list(tags),
        "vpc_uuid": vpc_uuid,
    }
    if "gpu_info" in size:
        item["gpu_info"] = size["gpu_info"]
    return item


def backup(*, backup_id: int, of: Json, created_at: str, size_gigabytes: float) -> Json:
    """A droplet backup, named ``"<droplet> <date>"``."""
    return {
        "id": backup_id,
        "name": f"{of['name']} {created_at[:10]}",
        "distribution": of["image"]["distribution"],
        "slug": None,
        "public": False,
        "regions": [of["region"]["slug"]],
        "created_at": created_at,
        "min_disk_size": of["disk"],
        "size_gigabytes": size_gigabytes,
        "type": "backup",
    }


def droplet_snapshot(
    *,
    snapshot_id: int,
    droplet_id: int,
    droplet_name: str,
    region_slug: str,
    disk: int,
    epoch: int,
    size_gigabytes: float,
    tags: list[str] | None = None,
) -> Json:
    """A ``/v2/snapshots`` droplet snapshot, named ``"<droplet>-<epoch ms>"``."""
    return {
        "id": str(snapshot_id),
        "name": f"{droplet_name}-{epoch * 1000}",
        "created_at": rfc3339(epoch),
        "regions": [region_slug],
        "min_disk_size": disk,
        "size_gigabytes": size_gigabytes,
        "resource_id": str(droplet_id),
        "resource_type": "droplet",
        "tags": tags,
    }


def volume_snapshot(
    *, snapshot_id: str, of: Json, epoch: int, size_gigabytes: float, tags: list[str] | None
) -> Json:
    created_at = rfc3339(epoch)
    return {
        "id": snapshot_id,
        "name": f"{of['name']}-{created_at[:10]}",
        "created_at": created_at,
        "regions": [of["region"]["slug"]],
        "min_disk_size": of["size_gigabytes"],
        "size_gigabytes": size_gigabytes,
        "resource_id": of["id"],
        "resource_type": "volume",
        "tags": tags,
    }


def volume(
    *,
    volume_id: str,
    name: str,
    size_gigabytes: int,
    region: Json,
    created_at: str,
    droplet_ids: list[int] | None,
    tags: list[str] | None,
    description: str = "",
) -> Json:
    return {
        "id": volume_id,
        "droplet_ids": droplet_ids,
        "name": name,
        "description": description,
        "size_gigabytes": size_gigabytes,
        "created_at": created_at,
        "tags": tags,
        "region": region,
        "filesystem_type": "ext4",
        "filesystem_label": "",
    }


def domain(name: str, *, ttl: int | None = 1800, address: str | None = None) -> Json:
    """A DNS zone; ``ttl=None`` gives a zone whose ``ttl`` and ``zone_file`` are null."""
    if ttl is None:
        return {"name": name, "ttl": None, "zone_file": None}
    records = [
        f"$ORIGIN {name}.",
        f"$TTL {ttl}",
        f"{name}. IN SOA ns1.digitalocean.com. hostmaster.{name}. "
        f"1775390400 10800 3600 604800 {ttl}",
        *(f"{name}. {ttl} IN NS ns{n}.digitalocean.com." for n in (1, 2, 3)),
    ]
    if address:
        records += [f"{name}. 3600 IN A {address}", f"www.{name}. 3600 IN CNAME {name}."]
    return {"name": name, "ttl": ttl, "zone_file": "\n".join(records) + "\n"}


def reserved_ip(*, ip: str, region: Json, droplet: Json | None) -> Json:
    return {"ip": ip, "region": region, "droplet": droplet, "locked": False, "project_id": ""}


WEB_INBOUND_RULES: list[Json] = [
    {"protocol": "tcp", "ports": "80", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
    {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
    {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["198.51.100.0/24"]}},
]
OPEN_OUTBOUND_RULES: list[Json] = [
    {"protocol": proto, "ports": ports, "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}}
    for proto, ports in (("tcp", "all"), ("udp", "all"), ("icmp", "0"))
]


def firewall(
    *,
    firewall_id: str,
    name: str,
    created_at: str,
    droplet_ids: list[int] | None,
    tags: list[str] | None,
) -> Json:
    return {
        "id": firewall_id,
        "name": name,
        "status": "succeeded",
        "created_at": created_at,
        "pending_changes": [],
        "droplet_ids": droplet_ids,
        "tags": tags,
        "inbound_rules": WEB_INBOUND_RULES,
        "outbound_rules": OPEN_OUTBOUND_RULES,
    }


def load_balancer(
    *,
    lb_id: str,
    name: str,
    ip: str,
    region: Json,
    created_at: str,
    droplet_ids: list[int],
    vpc_uuid: str,
    certificate_id: str,
    size_unit: int = 1,
) -> Json:
    return {
        "id": lb_id,
        "name": name,
        "project_id": "",
        "ip": ip,
        "ipv6": "",
        "size_unit": size_unit,
        "size": "lb-small",
        "algorithm": "round_robin",
        "status": "active",
        "created_at": created_at,
        "forwarding_rules": [
            {
                "entry_protocol": "https",
                "entry_port": 443,
                "target_protocol": "http",
                "target_port": 8080,
                "certificate_id": certificate_id,
                "tls_passthrough": False,
            },
            {
                "entry_protocol": "http",
                "entry_port": 80,
                "target_protocol": "http",
                "target_port": 8080,
                "certificate_id": "",
                "tls_passthrough": False,
            },
        ],
        "health_check": {
            "protocol": "http",
            "port": 8080,
            "path": "/healthz",
            "check_interval_seconds": 10,
            "response_timeout_seconds": 5,
            "unhealthy_threshold": 3,
            "healthy_threshold": 5,
        },
        "sticky_sessions": {"type": "none"},
        "redirect_http_to_https": True,
        "enable_proxy_protocol": False,
        "enable_backend_keepalive": False,
        "http_idle_timeout_seconds": 60,
        "vpc_uuid": vpc_uuid,
        "disable_lets_encrypt_dns_records": False,
        "firewall": {"deny": [], "allow": []},
        "network": "EXTERNAL",
        "network_stack": "IPV4",
        "type": "REGIONAL",
        "domains": [],
        "target_load_balancer_ids": [],
        "tls_cipher_policy": "DEFAULT",
        "region": region,
        "droplet_ids": droplet_ids,
        "tag": "",
    }


def project(
    *,
    project_id: str,
    owner_uuid: str,
    owner_id: int,
    name: str,
    purpose: str,
    environment: str,
    created_at: str,
    description: str = "",
    is_default: bool = False,
) -> Json:
    return {
        "id": project_id,
        "owner_uuid": owner_uuid,
        "owner_id": owner_id,
        "name": name,
        "description": description,
        "purpose": purpose,
        "environment": environment,
        "created_at": created_at,
        "updated_at": created_at,
        "is_default": is_default,
    }


# --- the kinds that cost money beyond droplets (apps, Kubernetes, databases, VPCs, IPv6) ---------
# Shapes from DigitalOcean's public API reference; see docs/inventory.md for the fields relied on.


def app(
    *,
    app_id: str,
    name: str,
    region: str,
    created_at: str,
    owner_uuid: str,
    services: list[tuple[str, str, int]],
    phase: str = "ACTIVE",
    tier_slug: str = "basic",
) -> Json:
    """`GET /v2/apps` item: the spec's components and the active deployment's phase.

    `services` is (component name, instance size slug, instance count)."""
    components = [
        {"name": n, "instance_size_slug": size, "instance_count": count, "http_port": 8080}
        for n, size, count in services
    ]
    ingress = f"https://{name}-{app_id[:5]}.ondigitalocean.app"
    return {
        "id": app_id,
        "owner_uuid": owner_uuid,
        "spec": {"name": name, "region": region, "services": components},
        "default_ingress": ingress,
        "created_at": created_at,
        "updated_at": created_at,
        "active_deployment": {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{app_id}/deployment/1")),
            "phase": phase,
            "created_at": created_at,
            "updated_at": created_at,
            "cause": "initial deployment",
        },
        "last_deployment_active_at": created_at,
        "live_url": ingress,
        "live_url_base": ingress,
        "live_domain": ingress.removeprefix("https://"),
        "region": {
            "slug": region,
            "label": {"syd": "Sydney", "sgp": "Singapore", "tor": "Toronto"}.get(region, region),
            "flag": "australia" if region == "syd" else "",
            "continent": "Australia" if region == "syd" else "",
            "data_centers": [f"{region}1"],
        },
        "tier_slug": tier_slug,
    }


def kubernetes_cluster(
    *,
    cluster_id: str,
    name: str,
    region: str,
    created_at: str,
    vpc_uuid: str,
    pools: list[tuple[str, str, int]],
    version: str = "1.31.1-do.3",
    state: str = "running",
) -> Json:
    """`GET /v2/kubernetes/clusters` item; `pools` is (pool name, droplet size slug, count)."""
    node_pools = []
    for pool_name, size, count in pools:
        pool_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{cluster_id}/{pool_name}"))
        node_pools.append(
            {
                "id": pool_id,
                "name": pool_name,
                "size": size,
                "count": count,
                "tags": ["k8s", f"k8s:{cluster_id}", "k8s:worker"],
                "labels": None,
                "taints": [],
                "auto_scale": False,
                "min_nodes": 0,
                "max_nodes": 0,
                "nodes": [
                    {
                        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{pool_id}/{n}")),
                        "name": f"{pool_name}-{n:05x}",
                        "status": {"state": "running"},
                        "droplet_id": str(513000000 + n),
                        "created_at": created_at,
                        "updated_at": created_at,
                    }
                    for n in range(count)
                ],
            }
        )
    return {
        "id": cluster_id,
        "name": name,
        "region": region,
        "version": version,
        "cluster_subnet": "10.244.0.0/16",
        "service_subnet": "10.245.0.0/16",
        "vpc_uuid": vpc_uuid,
        "ipv4": "203.0.113.80",
        "endpoint": f"https://{cluster_id}.k8s.ondigitalocean.com",
        "tags": ["k8s", f"k8s:{cluster_id}"],
        "node_pools": node_pools,
        "maintenance_policy": {"start_time": "00:00", "duration": "4h0m0s", "day": "any"},
        "auto_upgrade": False,
        "status": {"state": state, "message": "Cluster is up and running"},
        "created_at": created_at,
        "updated_at": created_at,
        "surge_upgrade": True,
        "registry_enabled": False,
        "ha": False,
    }


def database_cluster(
    *,
    db_id: str,
    name: str,
    engine: str,
    version: str,
    size: str,
    num_nodes: int,
    region: str,
    created_at: str,
    private_network_uuid: str,
    storage_size_mib: int,
    status: str = "online",
) -> Json:
    """`GET /v2/databases` item (connection details trimmed to what a client reads)."""
    host = f"{name}-do-user-0-0.k.db.ondigitalocean.com"
    return {
        "id": db_id,
        "name": name,
        "engine": engine,
        "version": version,
        "semantic_version": f"{version}.4",
        "num_nodes": num_nodes,
        "size": size,
        "region": region,
        "status": status,
        "created_at": created_at,
        "private_network_uuid": private_network_uuid,
        "tags": None,
        "db_names": ["defaultdb"],
        "connection": {
            "protocol": "postgresql" if engine == "pg" else engine,
            "uri": "",
            "database": "defaultdb",
            "host": host,
            "port": 25060,
            "user": "doadmin",
            "password": "",
            "ssl": True,
        },
        "maintenance_window": {"day": "sunday", "hour": "03:00:00", "pending": False},
        "storage_size_mib": storage_size_mib,
    }


def vpc(
    *,
    vpc_id: str,
    name: str,
    region: str,
    ip_range: str,
    created_at: str,
    default: bool = True,
    description: str = "",
) -> Json:
    """`GET /v2/vpcs` item."""
    return {
        "id": vpc_id,
        "urn": f"do:vpc:{vpc_id}",
        "name": name,
        "description": description,
        "region": region,
        "ip_range": ip_range,
        "default": default,
        "created_at": created_at,
    }


def reserved_ipv6(*, ip: str, region_slug: str, reserved_at: str) -> Json:
    """`GET /v2/reserved_ipv6` item: a flat region slug; `droplet` is rendered on read."""
    return {"ip": ip, "region_slug": region_slug, "reserved_at": reserved_at, "droplet": None}
