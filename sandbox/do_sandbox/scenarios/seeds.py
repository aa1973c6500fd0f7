"""The account the seeds describe: a small team running its own hosts and a few tenants.

* 5 droplets (``web-01``, ``app-01``, ``git-01``, ``ci-01`` which is off, ``monitor-01``)
  plus the GPU droplet ``gpu-train-01``, listed only with ``type=gpus``.
* ``web-01`` and ``git-01`` have weekly backups, two each (4 backups in all).
* 7 DNS zones (``docs.example.com`` has null ``ttl`` and ``zone_file``).
* 12 snapshots: 8 of droplets (one of the destroyed ``repo-01``, one with null ``tags``)
  and 4 of volumes.
* 2 volumes (``archive-01`` is detached: null ``droplet_ids`` and ``tags``), 1 firewall,
  1 load balancer, 2 reserved IPv4s (one attached to ``web-01``).
* 5 projects: ``Default`` (the default), ``skyai-internal``, and the tenants
  ``pilot-tenant``, ``acme-prod`` and ``harbor-research`` (purpose ``"Other: ..."``).
  Memberships also hold 6 Spaces buckets, a database, a Kubernetes cluster, an app, a VPC,
  a ``do:volumesnapshot:``, a ``do:image:``, a reserved IPv6 (``do:floatingip:2a03:...``)
  and an unknown kind (``do:widget:123``).
* Listed too: the app ``pilot-portal``, the Kubernetes cluster ``acme-k8s`` (two node pools),
  the PostgreSQL cluster ``acme-pg``, the default VPCs of syd1, sgp1 and tor1, and the reserved
  IPv6 (unassigned).

All ids and timestamps are fixed; uuids are derived from names.
"""

from __future__ import annotations

import functools
import hashlib
import uuid

from do_sandbox.account import Account
from do_sandbox.scenarios import shapes
from do_sandbox.scenarios.shapes import IMAGES, REGIONS, SIZES

OWNER_UUID = hashlib.sha1(b"arcadia-sandbox-owner").hexdigest()
OWNER_ID = 8812345

_NAMESPACE = uuid.UUID("6f1d3c2e-8a4b-4e5f-9c7d-0b1a2e3f4d5c")


def seeded_uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


VPC_SYD1 = seeded_uuid("vpc", "syd1-default")
VPC_SGP1 = seeded_uuid("vpc", "sgp1-default")
VPC_TOR1 = seeded_uuid("vpc", "tor1-default")

DEFAULT_PROJECT = seeded_uuid("project", "Default")
INTERNAL_PROJECT = seeded_uuid("project", "skyai-internal")
PILOT_PROJECT = seeded_uuid("project", "pilot-tenant")
ACME_PROJECT = seeded_uuid("project", "acme-prod")
HARBOR_PROJECT = seeded_uuid("project", "harbor-research")

WEB_01, APP_01, GIT_01, CI_01, MONITOR_01, GPU_TRAIN_01 = range(512340101, 512340107)
REPO_01_DESTROYED = 512330099

GIT_DATA = seeded_uuid("volume", "git-data")
ARCHIVE_01 = seeded_uuid("volume", "archive-01")
GIT_DATA_SNAPSHOTS = [seeded_uuid("volumesnapshot", f"git-data-{n}") for n in (1, 2, 3)]
ARCHIVE_SNAPSHOT = seeded_uuid("volumesnapshot", "archive-01-1")
GIT_01_SNAPSHOT = 190000105

RESERVED_IP_WEB = "203.0.113.10"
RESERVED_IP_SPARE = "203.0.113.24"
RESERVED_IPV6 = "2a03:b0c0:2:d0::1f:6001"

LOAD_BALANCER = seeded_uuid("loadbalancer", "acme-lb")
FIREWALL = seeded_uuid("firewall", "web-fw")
DATABASE = seeded_uuid("dbaas", "acme-pg")
KUBERNETES = seeded_uuid("kubernetes", "acme-k8s")
APP = seeded_uuid("app", "pilot-portal")

SPACES = {
    "legacy-uploads": DEFAULT_PROJECT,
    "skyai-artifacts": INTERNAL_PROJECT,
    "skyai-backups": INTERNAL_PROJECT,
    "pilot-media": PILOT_PROJECT,
    "acme-assets": ACME_PROJECT,
    "acme-logs": ACME_PROJECT,
}

DOMAINS = {
    "example.net": DEFAULT_PROJECT,
    "skyai.example": INTERNAL_PROJECT,
    "example.org": INTERNAL_PROJECT,
    "pilot.example": PILOT_PROJECT,
    "example.com": PILOT_PROJECT,
    "acme.example": ACME_PROJECT,
    "docs.example.com": ACME_PROJECT,
}


def build() -> Account:
    account = Account()
    _projects(account)
    _droplets(account)
    _storage(account)
    _networking(account)
    _costly_kinds(account)
    _memberships(account)
    return account


def _projects(account: Account) -> None:
    project = functools.partial(shapes.project, owner_uuid=OWNER_UUID, owner_id=OWNER_ID)
    for item in (
        project(
            project_id=DEFAULT_PROJECT,
            name="Default",
            description="Default project",
            purpose="Just trying out DigitalOcean",
            environment="Development",
            created_at="2026-01-02T01:12:44Z",
            is_default=True,
        ),
        project(
            project_id=INTERNAL_PROJECT,
            name="skyai-internal",
            description="Internal hosts and tooling",
            purpose="Operational / Developer tooling",
            environment="Production",
            created_at="2026-01-06T03:40:10Z",
        ),
        project(
            project_id=PILOT_PROJECT,
            name="pilot-tenant",
            description="Pilot customer deployment",
            purpose="Web Application",
            environment="Staging",
            created_at="2026-01-12T09:30:00Z",
        ),
        project(
            project_id=ACME_PROJECT,
            name="acme-prod",
            description="Acme production API",
            purpose="Service or API",
            environment="Production",
            created_at="2026-02-02T22:15:31Z",
        ),
        project(
            project_id=HARBOR_PROJECT,
            name="harbor-research",
            description="GPU experiments",
            purpose="Other: Research sandbox",
            environment="Development",
            created_at="2026-03-09T05:02:17Z",
        ),
    ):
        account.put("projects", item)


def _droplets(account: Account) -> None:
    syd1, sgp1, tor1 = REGIONS["syd1"], REGIONS["sgp1"], REGIONS["tor1"]
    ubuntu, debian = IMAGES["ubuntu-24-04-x64"], IMAGES["debian-12-x64"]
    droplets = [
        shapes.droplet(
            droplet_id=WEB_01,
            name="web-01",
            size=SIZES["s-2vcpu-4gb"],
            region=syd1,
            image=ubuntu,
            created_at="2026-01-12T09:41:07Z",
            public_ip="192.0.2.11",
            private_ip="10.120.0.2",
            vpc_uuid=VPC_SYD1,
            tags=["env:prod", "web"],
            backups=True,
            backup_ids=[201100001, 201100002],
            snapshot_ids=[190000101, 190000102],
        ),
        shapes.droplet(
            droplet_id=APP_01,
            name="app-01",
            size=SIZES["s-4vcpu-8gb"],
            region=syd1,
            image=ubuntu,
            created_at="2026-02-02T22:20:48Z",
            public_ip="192.0.2.12",
            private_ip="10.120.0.3",
            vpc_uuid=VPC_SYD1,
            tags=["env:prod", "app"],
            snapshot_ids=[190000103, 190000104],
        ),
        shapes.droplet(
            droplet_id=GIT_01,
            name="git-01",
            size=SIZES["s-2vcpu-4gb"],
            region=syd1,
            image=debian,
            created_at="2026-01-06T04:02:55Z",
            public_ip="192.0.2.13",
            private_ip="10.120.0.4",
            vpc_uuid=VPC_SYD1,
            tags=["internal", "git"],
            backups=True,
            backup_ids=[201100003, 201100004],
            snapshot_ids=[190000105, 190000106],
            volume_ids=[GIT_DATA],
        ),
        shapes.droplet(
            droplet_id=CI_01,
            name="ci-01",
            size=SIZES["c-2"],
            region=sgp1,
            image=ubuntu,
            created_at="2026-01-20T11:18:36Z",
            public_ip="198.51.100.31",
            private_ip="10.130.0.2",
            vpc_uuid=VPC_SGP1,
            status="off",
            tags=["internal", "ci"],
            snapshot_ids=[190000107],
        ),
        shapes.droplet(
            droplet_id=MONITOR_01,
            name="monitor-01",
            size=SIZES["s-1vcpu-1gb"],
            region=sgp1,
            image=debian,
            created_at="2026-03-01T07:05:12Z",
            public_ip="198.51.100.32",
            private_ip="10.130.0.3",
            vpc_uuid=VPC_SGP1,
            ipv6="2400:6180:0:d2::4a:3001",
        ),
        shapes.droplet(
            droplet_id=GPU_TRAIN_01,
            name="gpu-train-01",
            size=SIZES["gpu-h100x1-80gb"],
            region=tor1,
            image=IMAGES["gpu-h100x1-base"],
            created_at="2026-03-09T05:10:44Z",
            public_ip="198.51.100.77",
            private_ip="10.140.0.2",
            vpc_uuid=VPC_TOR1,
            tags=["ml"],
        ),
    ]
    for item in droplets:
        account.put("droplets", item)
    web, git = droplets[0], droplets[2]
    for backup_id, of, created_at, size in (
        (201100001, web, "2026-04-05T21:37:12Z", 4.87),
        (201100002, web, "2026-04-12T21:35:58Z", 4.93),
        (201100003, git, "2026-04-05T19:02:41Z", 11.2),
        (201100004, git, "2026-04-12T19:04:09Z", 11.46),
    ):
        account.put(
            "backups",
            shapes.backup(backup_id=backup_id, of=of, created_at=created_at, size_gigabytes=size),
        )
    for snapshot_id, droplet_id, name, region, disk, epoch, size, tags in (
        (190000101, WEB_01, "web-01", "syd1", 80, 1770000000, 4.61, ["pre-upgrade"]),
        (190000102, WEB_01, "web-01", "syd1", 80, 1773500000, 4.8, []),
        (190000103, APP_01, "app-01", "syd1", 160, 1771200000, 9.35, []),
        (190000104, APP_01, "app-01", "syd1", 160, 1774600000, 9.82, None),
        (GIT_01_SNAPSHOT, GIT_01, "git-01", "syd1", 80, 1769300000, 10.15, ["internal"]),
        (190000106, GIT_01, "git-01", "syd1", 80, 1775000000, 11.02, ["internal"]),
        (190000107, CI_01, "ci-01", "sgp1", 25, 1772000000, 3.3, []),
        (190000108, REPO_01_DESTROYED, "repo-01", "syd1", 50, 1767500000, 6.74, []),
    ):
        account.put(
            "snapshots",
            shapes.droplet_snapshot(
                snapshot_id=snapshot_id,
                droplet_id=droplet_id,
                droplet_name=name,
                region_slug=region,
                disk=disk,
                epoch=epoch,
                size_gigabytes=size,
                tags=tags,
            ),
        )


def _storage(account: Account) -> None:
    git_data = shapes.volume(
        volume_id=GIT_DATA,
        name="git-data",
        size_gigabytes=100,
        region=REGIONS["syd1"],
        created_at="2026-01-06T04:10:19Z",
        droplet_ids=[GIT_01],
        tags=["internal"],
        description="Repositories and LFS objects",
    )
    archive = shapes.volume(
        volume_id=ARCHIVE_01,
        name="archive-01",
        size_gigabytes=250,
        region=REGIONS["syd1"],
        created_at="2026-03-10T02:44:51Z",
        droplet_ids=None,
        tags=None,
    )
    account.put("volumes", git_data)
    account.put("volumes", archive)
    for snapshot_id, of, epoch, size, tags in (
        (GIT_DATA_SNAPSHOTS[0], git_data, 1772300000, 38.5, ["internal"]),
        (GIT_DATA_SNAPSHOTS[1], git_data, 1773900000, 41.25, ["internal"]),
        (GIT_DATA_SNAPSHOTS[2], git_data, 1775100000, 43.0, None),
        (ARCHIVE_SNAPSHOT, archive, 1774000000, 120.75, []),
    ):
        account.put(
            "snapshots",
            shapes.volume_snapshot(
                snapshot_id=snapshot_id, of=of, epoch=epoch, size_gigabytes=size, tags=tags
            ),
        )


def _networking(account: Account) -> None:
    for name in DOMAINS:
        address = "192.0.2.11" if name in ("pilot.example", "example.com") else None
        ttl = None if name == "docs.example.com" else 1800
        account.put("domains", shapes.domain(name, ttl=ttl, address=address))
    account.put(
        "reserved_ips",
        shapes.reserved_ip(
            ip=RESERVED_IP_WEB, region=REGIONS["syd1"], droplet=account.get("droplets", WEB_01)
        ),
    )
    account.put(
        "reserved_ips",
        shapes.reserved_ip(ip=RESERVED_IP_SPARE, region=REGIONS["sgp1"], droplet=None),
    )
    account.put(
        "firewalls",
        shapes.firewall(
            firewall_id=FIREWALL,
            name="web-fw",
            created_at="2026-01-12T10:02:30Z",
            droplet_ids=[WEB_01, APP_01],
            tags=None,
        ),
    )
    account.put(
        "load_balancers",
        shapes.load_balancer(
            lb_id=LOAD_BALANCER,
            name="acme-lb",
            ip="203.0.113.50",
            region=REGIONS["syd1"],
            created_at="2026-02-03T01:26:05Z",
            droplet_ids=[APP_01],
            vpc_uuid=VPC_SYD1,
            certificate_id=seeded_uuid("certificate", "acme.example"),
        ),
    )


def _memberships(account: Account) -> None:
    members: list[tuple[str, str, str]] = [
        (DEFAULT_PROJECT, f"do:droplet:{MONITOR_01}", "2026-03-01T07:05:40Z"),
        (DEFAULT_PROJECT, f"do:floatingip:{RESERVED_IP_SPARE}", "2026-03-14T12:00:03Z"),
        (DEFAULT_PROJECT, f"do:floatingip:{RESERVED_IPV6}", "2026-03-14T12:01:19Z"),
        (DEFAULT_PROJECT, "do:widget:123", "2026-03-20T08:30:00Z"),
        (INTERNAL_PROJECT, f"do:droplet:{GIT_01}", "2026-01-06T04:03:20Z"),
        (INTERNAL_PROJECT, f"do:droplet:{CI_01}", "2026-01-20T11:19:02Z"),
        (INTERNAL_PROJECT, f"do:volume:{GIT_DATA}", "2026-01-06T04:10:45Z"),
        (INTERNAL_PROJECT, f"do:volumesnapshot:{GIT_DATA_SNAPSHOTS[0]}", "2026-02-28T17:33:50Z"),
        (INTERNAL_PROJECT, f"do:image:{GIT_01_SNAPSHOT}", "2026-01-25T00:13:41Z"),
        (INTERNAL_PROJECT, f"do:vpc:{VPC_SYD1}", "2026-01-06T03:41:00Z"),
        (PILOT_PROJECT, f"do:droplet:{WEB_01}", "2026-01-12T09:41:30Z"),
        (PILOT_PROJECT, f"do:floatingip:{RESERVED_IP_WEB}", "2026-01-12T09:55:12Z"),
        (PILOT_PROJECT, f"do:app:{APP}", "2026-02-14T03:20:00Z"),
        (ACME_PROJECT, f"do:droplet:{APP_01}", "2026-02-02T22:21:10Z"),
        (ACME_PROJECT, f"do:loadbalancer:{LOAD_BALANCER}", "2026-02-03T01:26:30Z"),
        (ACME_PROJECT, f"do:dbaas:{DATABASE}", "2026-02-03T02:05:09Z"),
        (ACME_PROJECT, f"do:kubernetes:{KUBERNETES}", "2026-02-10T06:47:55Z"),
        (HARBOR_PROJECT, f"do:droplet:{GPU_TRAIN_01}", "2026-03-09T05:11:02Z"),
        (HARBOR_PROJECT, f"do:volume:{ARCHIVE_01}", "2026-03-10T02:45:15Z"),
    ]
    members += [(p, f"do:domain:{name}", "2026-01-15T10:00:00Z") for name, p in DOMAINS.items()]
    members += [(p, f"do:space:{bucket}", "2026-01-18T04:30:00Z") for bucket, p in SPACES.items()]
    for project_id, urn, assigned_at in members:
        account.assign(project_id, urn, assigned_at)


def _costly_kinds(account: Account) -> None:
    """One app, one Kubernetes cluster, one database, the VPCs the droplets use, one IPv6."""
    account.put(
        "apps",
        shapes.app(
            app_id=APP,
            name="pilot-portal",
            region="syd",
            created_at="2026-02-14T03:12:09Z",
            owner_uuid=OWNER_UUID,
            services=[("web", "apps-s-1vcpu-1gb", 2)],
        ),
    )
    account.put(
        "kubernetes_clusters",
        shapes.kubernetes_cluster(
            cluster_id=KUBERNETES,
            name="acme-k8s",
            region="syd1",
            created_at="2026-02-10T06:40:31Z",
            vpc_uuid=VPC_SYD1,
            pools=[("acme-default", "s-2vcpu-4gb", 3), ("acme-batch", "c-4", 1)],
        ),
    )
    account.put(
        "databases",
        shapes.database_cluster(
            db_id=DATABASE,
            name="acme-pg",
            engine="pg",
            version="16",
            size="db-s-2vcpu-4gb",
            num_nodes=2,
            region="syd1",
            created_at="2026-02-03T01:58:44Z",
            private_network_uuid=VPC_SYD1,
            storage_size_mib=61440,
        ),
    )
    for vpc_id, region, ip_range, created_at in (
        (VPC_SYD1, "syd1", "10.126.0.0/20", "2026-01-02T01:12:44Z"),
        (VPC_SGP1, "sgp1", "10.104.0.0/20", "2026-01-20T11:02:10Z"),
        (VPC_TOR1, "tor1", "10.118.0.0/20", "2026-03-09T05:02:27Z"),
    ):
        account.put(
            "vpcs",
            shapes.vpc(
                vpc_id=vpc_id,
                name=f"default-{region}",
                region=region,
                ip_range=ip_range,
                created_at=created_at,
            ),
        )
    account.put(
        "reserved_ipv6",
        shapes.reserved_ipv6(
            ip=RESERVED_IPV6, region_slug="syd1", reserved_at="2026-03-14T12:01:02Z"
        ),
    )
