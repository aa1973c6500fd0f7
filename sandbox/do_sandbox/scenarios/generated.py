"""Large deterministic accounts for benchmarks: ``load("generated", droplets=N, seed=0)``.

``N`` is the number of regular droplets (what ``GET /v2/droplets`` lists). Everything else
scales with it, per 1000 regular droplets (each count is ``N * rate // 1000``):

====================================================  =====
GPU droplets, extra to ``N`` (``type=gpus``)             10
droplets with weekly backups, 2 backups each             20
domains                                                 400
snapshots (3/4 of droplets, 1/4 of volumes)             800
volumes (half attached to a droplet)                    200
reserved IPs (half attached to a droplet)               100
firewalls                                                20
load balancers                                           20
projects (``Default``, ``skyai-internal``, tenants)      50 (at least 3)
Spaces buckets / databases / k8s clusters / apps          6 / 5 / 2 / 5 (URNs only)
====================================================  =====

Every droplet, domain, volume, reserved IP, load balancer and URN-only resource belongs
to one project picked by ``random.Random(seed)``; an attached reserved IP shares its
droplet's project. Timestamps run from 2026-01-01. ``do_sandbox.expected_list_calls``
gives the number of list calls a full sync of the result needs.
"""

from __future__ import annotations

import random
import uuid

from do_sandbox.account import Account, Json
from do_sandbox.scenarios import shapes
from do_sandbox.scenarios.shapes import IMAGES, REGIONS, SIZES
from do_sandbox.timestamps import rfc3339

PER_THOUSAND = {
    "gpu_droplets": 10,
    "backed_up_droplets": 20,
    "domains": 400,
    "snapshots": 800,
    "volumes": 200,
    "reserved_ips": 100,
    "firewalls": 20,
    "load_balancers": 20,
    "projects": 50,
    "spaces": 6,
    "databases": 5,
    "kubernetes": 2,
    "apps": 5,
}
BACKUPS_PER_DROPLET = 2
MIN_PROJECTS = 3

_START = 1767225600
_ROLES = ("web", "app", "api", "worker", "db", "cache", "ci", "git")
_STANDARD_SIZES = [s for s in SIZES.values() if "gpu_info" not in s]
_REGIONS = [r for slug, r in REGIONS.items() if slug != "tor1"]
_IMAGES = [IMAGES["ubuntu-24-04-x64"], IMAGES["ubuntu-22-04-x64"], IMAGES["debian-12-x64"]]
_TENANT_PURPOSES = (
    "Web Application",
    "Service or API",
    "Website or blog",
    "Machine learning / AI / Data processing",
    "Other: Reseller tenant",
)
_ENVIRONMENTS = ("Production", "Staging", "Development")


def counts(droplets: int) -> dict[str, int]:
    """How many of each kind ``build(droplets)`` makes."""
    result = {kind: droplets * rate // 1000 for kind, rate in PER_THOUSAND.items()}
    result["projects"] = max(MIN_PROJECTS, result["projects"])
    return result


def build(droplets: int = 1000, seed: int = 0, invoice_lines: int | None = None) -> Account:
    """``invoice_lines``: the April 2026 invoice's size (default: one line per resource)."""
    if droplets < 0:
        raise ValueError("droplets must not be negative")
    account = _Builder(droplets, seed).build()
    from do_sandbox.scenarios import generated_billing

    account.billing = generated_billing.build(account, lines=invoice_lines, seed=seed)
    return account


class _Builder:
    def __init__(self, droplets: int, seed: int) -> None:
        self.n = droplets
        self.seed = seed
        self.counts = counts(droplets)
        self.rng = random.Random(seed)
        self.account = Account()
        self.project_ids: list[str] = []
        self.droplets: list[Json] = []
        self.volumes: list[Json] = []

    def build(self) -> Account:
        self._projects()
        self._droplets()
        self._backups()
        self._volumes()
        self._snapshots()
        self._domains()
        self._reserved_ips()
        self._firewalls()
        self._load_balancers()
        self._urn_only_resources()
        self._costly_kinds()
        return self.account

    def _uuid(self, kind: int, index: int) -> str:
        return str(uuid.UUID(int=(self.seed & 0xFFFF) << 96 | kind << 64 | index, version=4))

    def _member(self, urn: str, assigned_at: str, project_id: str | None = None) -> None:
        self.account.assign(project_id or self.rng.choice(self.project_ids), urn, assigned_at)

    def _projects(self) -> None:
        owner_uuid = f"{self.seed:040x}"
        names = ["Default", "skyai-internal"]
        names += [f"tenant-{k:03d}" for k in range(1, self.counts["projects"] - 1)]
        for k, name in enumerate(names):
            project_id = self._uuid(1, k)
            purpose, environment = "Operational / Developer tooling", "Production"
            if k == 0:
                purpose, environment = "Just trying out DigitalOcean", "Development"
            elif k > 1:
                purpose = _TENANT_PURPOSES[k % len(_TENANT_PURPOSES)]
                environment = _ENVIRONMENTS[k % len(_ENVIRONMENTS)]
            self.account.put(
                "projects",
                shapes.project(
                    project_id=project_id,
                    owner_uuid=owner_uuid,
                    owner_id=7000000 + self.seed,
                    name=name,
                    purpose=purpose,
                    environment=environment,
                    created_at=rfc3339(_START + k * 3600),
                    is_default=k == 0,
                ),
            )
            self.project_ids.append(project_id)

    def _droplets(self) -> None:
        rng = self.rng
        gpu_size, gpu_region, gpu_image = (
            SIZES["gpu-h100x1-80gb"],
            REGIONS["tor1"],
            IMAGES["gpu-h100x1-base"],
        )
        for i in range(self.n + self.counts["gpu_droplets"]):
            gpu = i >= self.n
            role = "gpu" if gpu else rng.choice(_ROLES)
            created_at = rfc3339(_START + 86400 + i * 300)
            droplet = shapes.droplet(
                droplet_id=600000000 + i,
                name=f"{role}-{i:05d}",
                size=gpu_size if gpu else rng.choice(_STANDARD_SIZES),
                region=gpu_region if gpu else rng.choice(_REGIONS),
                image=gpu_image if gpu else rng.choice(_IMAGES),
                created_at=created_at,
                public_ip=f"198.{18 + (i >> 16)}.{(i >> 8) & 255}.{i & 255}",
                private_ip=f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
                vpc_uuid=self._uuid(2, 0),
                status="off" if i % 97 == 96 else "active",
                tags=[f"env:{_ENVIRONMENTS[i % 3].lower()}", role],
            )
            self.account.put("droplets", droplet)
            self.droplets.append(droplet)
            self._member(f"do:droplet:{droplet['id']}", created_at)

    def _backups(self) -> None:
        backup_id = 300000000
        for droplet in self.rng.sample(self.droplets[: self.n], self.counts["backed_up_droplets"]):
            droplet["features"].insert(0, "backups")
            droplet["next_backup_window"] = shapes.NEXT_BACKUP_WINDOW
            for week in range(BACKUPS_PER_DROPLET):
                backup_id += 1
                self.account.put(
                    "backups",
                    shapes.backup(
                        backup_id=backup_id,
                        of=droplet,
                        created_at=rfc3339(_START + 90 * 86400 + week * 7 * 86400),
                        size_gigabytes=round(droplet["disk"] * 0.12, 2),
                    ),
                )
                droplet["backup_ids"].append(backup_id)

    def _volumes(self) -> None:
        rng = self.rng
        for j in range(self.counts["volumes"]):
            owner = rng.choice(self.droplets) if j % 2 == 0 else None
            created_at = rfc3339(_START + 2 * 86400 + j * 900)
            volume = shapes.volume(
                volume_id=self._uuid(3, j),
                name=f"vol-{j:05d}",
                size_gigabytes=rng.choice((10, 50, 100, 250, 500)),
                region=owner["region"] if owner else rng.choice(_REGIONS),
                created_at=created_at,
                droplet_ids=[owner["id"]] if owner else None,
                tags=None if j % 4 == 1 else ["data"],
            )
            if owner:
                owner["volume_ids"].append(volume["id"])
            self.account.put("volumes", volume)
            self.volumes.append(volume)
            self._member(f"do:volume:{volume['id']}", created_at)

    def _snapshots(self) -> None:
        rng = self.rng
        for j in range(self.counts["snapshots"]):
            epoch = _START + 30 * 86400 + j * 600
            size = round(rng.uniform(0.5, 60.0), 2)
            tags: list[str] | None = None if j % 10 == 9 else []
            if j % 4 == 3 and self.volumes:
                volume = rng.choice(self.volumes)
                snapshot = shapes.volume_snapshot(
                    snapshot_id=self._uuid(4, j),
                    of=volume,
                    epoch=epoch,
                    size_gigabytes=size,
                    tags=tags,
                )
            else:
                droplet = rng.choice(self.droplets)
                snapshot_id = 400000000 + j
                droplet["snapshot_ids"].append(snapshot_id)
                snapshot = shapes.droplet_snapshot(
                    snapshot_id=snapshot_id,
                    droplet_id=droplet["id"],
                    droplet_name=droplet["name"],
                    region_slug=droplet["region"]["slug"],
                    disk=droplet["disk"],
                    epoch=epoch,
                    size_gigabytes=size,
                    tags=tags,
                )
            self.account.put("snapshots", snapshot)

    def _domains(self) -> None:
        for j in range(self.counts["domains"]):
            name = f"site-{j:05d}.example"
            address = self.droplets[j % len(self.droplets)]["networks"]["v4"][1]["ip_address"]
            ttl = None if j % 50 == 49 else 1800
            self.account.put("domains", shapes.domain(name, ttl=ttl, address=address))
            self._member(f"do:domain:{name}", rfc3339(_START + 3 * 86400 + j * 600))

    def _reserved_ips(self) -> None:
        rng = self.rng
        for j in range(self.counts["reserved_ips"]):
            ip = f"100.{64 + (j >> 16)}.{(j >> 8) & 255}.{j & 255}"
            droplet = rng.choice(self.droplets) if j % 2 == 0 else None
            region = droplet["region"] if droplet else rng.choice(_REGIONS)
            reserved_ip = shapes.reserved_ip(ip=ip, region=region, droplet=droplet)
            self.account.put("reserved_ips", reserved_ip)
            project_id = self.account.project_of(f"do:droplet:{droplet['id']}") if droplet else None
            self._member(f"do:floatingip:{ip}", rfc3339(_START + 4 * 86400 + j * 600), project_id)

    def _firewalls(self) -> None:
        for j in range(self.counts["firewalls"]):
            members = self.rng.sample(self.droplets, min(10, self.n))
            self.account.put(
                "firewalls",
                shapes.firewall(
                    firewall_id=self._uuid(5, j),
                    name=f"fw-{j:04d}",
                    created_at=rfc3339(_START + 5 * 86400 + j * 600),
                    droplet_ids=None if j % 5 == 4 else [d["id"] for d in members],
                    tags=None if j % 2 else ["web"],
                ),
            )

    def _load_balancers(self) -> None:
        for j in range(self.counts["load_balancers"]):
            members = self.rng.sample(self.droplets, min(3, self.n))
            created_at = rfc3339(_START + 6 * 86400 + j * 600)
            lb = shapes.load_balancer(
                lb_id=self._uuid(6, j),
                name=f"lb-{j:04d}",
                ip=f"192.0.2.{j % 250 + 1}",
                region=members[0]["region"],
                created_at=created_at,
                droplet_ids=[d["id"] for d in members],
                vpc_uuid=self._uuid(2, 0),
                certificate_id=self._uuid(7, j),
                size_unit=1 + j % 3,
            )
            self.account.put("load_balancers", lb)
            self._member(f"do:loadbalancer:{lb['id']}", created_at)

    def _urn_only_resources(self) -> None:
        assigned_at = rfc3339(_START + 7 * 86400)
        for j in range(self.counts["spaces"]):
            self._member(f"do:space:bucket-{j:04d}", assigned_at)
        for kind, urn_kind, count_key in (
            (8, "dbaas", "databases"),
            (9, "kubernetes", "kubernetes"),
            (10, "app", "apps"),
        ):
            for j in range(self.counts[count_key]):
                self._member(f"do:{urn_kind}:{self._uuid(kind, j)}", assigned_at)

    def _costly_kinds(self) -> None:
        """The databases, clusters and apps the memberships name, as their list endpoints
        show them, and one VPC (the one every load balancer uses). Draws nothing from rng."""
        created_at = rfc3339(_START + 7 * 86400)
        region = _REGIONS[0]["slug"]
        vpc_id = self._uuid(2, 0)
        self.account.put(
            "vpcs",
            shapes.vpc(
                vpc_id=vpc_id,
                name=f"default-{region}",
                region=region,
                ip_range="10.10.0.0/20",
                created_at=created_at,
            ),
        )
        for j in range(self.counts["databases"]):
            self.account.put(
                "databases",
                shapes.database_cluster(
                    db_id=self._uuid(8, j),
                    name=f"db-{j:04d}",
                    engine=("pg", "mysql", "valkey")[j % 3],
                    version="16",
                    size="db-s-2vcpu-4gb",
                    num_nodes=1 + j % 3,
                    region=region,
                    created_at=created_at,
                    private_network_uuid=vpc_id,
                    storage_size_mib=61440,
                ),
            )
        for j in range(self.counts["kubernetes"]):
            self.account.put(
                "kubernetes_clusters",
                shapes.kubernetes_cluster(
                    cluster_id=self._uuid(9, j),
                    name=f"k8s-{j:04d}",
                    region=region,
                    created_at=created_at,
                    vpc_uuid=vpc_id,
                    pools=[("default", "s-2vcpu-4gb", 3), ("burst", "c-4", 1 + j % 2)],
                ),
            )
        for j in range(self.counts["apps"]):
            self.account.put(
                "apps",
                shapes.app(
                    app_id=self._uuid(10, j),
                    name=f"app-{j:04d}",
                    region="syd",
                    created_at=created_at,
                    owner_uuid=f"{self.seed:040x}",
                    services=[("web", "apps-s-1vcpu-1gb", 1 + j % 3)],
                ),
            )
