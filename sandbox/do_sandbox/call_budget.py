"""How many list calls a full inventory sync of an account needs, for benchmarks."""

from __future__ import annotations

import math

from do_sandbox.account import Account, is_gpu_droplet

LISTED_COLLECTIONS = (
    "domains",
    "snapshots",
    "volumes",
    "reserved_ips",
    "firewalls",
    "load_balancers",
    "projects",
    "apps",
    "kubernetes_clusters",
    "databases",
    "vpcs",
    "reserved_ipv6",
)


def expected_list_calls(account: Account, per_page: int = 200) -> int:
    """Pages fetched by a client that lists everything once, following ``links.pages.next``.

    Counted: ``/v2/droplets`` and ``/v2/droplets?type=gpus``; each collection in
    ``LISTED_COLLECTIONS`` (reserved IPs once, not again as floating IPs); every project's
    resources; the backups of every droplet whose ``features`` include ``"backups"``.
    An empty list still costs one call.
    """

    def pages(n: int) -> int:
        return max(1, math.ceil(n / per_page))

    droplets = account.items("droplets")
    gpus = sum(1 for d in droplets if is_gpu_droplet(d))
    calls = pages(len(droplets) - gpus) + pages(gpus)
    calls += sum(pages(len(account.items(name))) for name in LISTED_COLLECTIONS)
    calls += sum(pages(len(account.resources_of(p["id"]))) for p in account.items("projects"))
    calls += sum(pages(len(d["backup_ids"])) for d in droplets if "backups" in d["features"])
    return calls
