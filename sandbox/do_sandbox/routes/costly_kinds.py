"""The kinds that cost money beyond droplets: apps, Kubernetes clusters, managed databases, VPCs
and reserved IPv6 addresses, each with its list and single-item routes in DigitalOcean's shapes.

Every list pages with ``page``/``per_page`` and answers ``links``/``meta.total``. A reserved
IPv6's ``droplet`` is the current full droplet object (null when unassigned), as for IPv4.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from do_sandbox.account import Account, Json
from do_sandbox.deps import CurrentAccount, get_or_404
from do_sandbox.paging import Paging, envelope

router = APIRouter()


def _ipv6(account: Account, item: Json) -> Json:
    attached = item.get("droplet")
    droplet = account.get("droplets", attached["id"]) if attached else None
    return {**item, "droplet": droplet}


@router.get("/v2/apps")
async def list_apps(request: Request, account: CurrentAccount, paging: Paging) -> JSONResponse:
    return JSONResponse(envelope(request, "apps", account.items("apps"), paging))


@router.get("/v2/apps/{app_id}")
async def get_app(app_id: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"app": get_or_404(account, "apps", app_id)})


@router.get("/v2/kubernetes/clusters")
async def list_kubernetes_clusters(
    request: Request, account: CurrentAccount, paging: Paging
) -> JSONResponse:
    items = account.items("kubernetes_clusters")
    return JSONResponse(envelope(request, "kubernetes_clusters", items, paging))


@router.get("/v2/kubernetes/clusters/{cluster_id}")
async def get_kubernetes_cluster(cluster_id: str, account: CurrentAccount) -> JSONResponse:
    cluster = get_or_404(account, "kubernetes_clusters", cluster_id)
    return JSONResponse({"kubernetes_cluster": cluster})


@router.get("/v2/databases")
async def list_databases(request: Request, account: CurrentAccount, paging: Paging) -> JSONResponse:
    return JSONResponse(envelope(request, "databases", account.items("databases"), paging))


@router.get("/v2/databases/{database_id}")
async def get_database(database_id: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"database": get_or_404(account, "databases", database_id)})


@router.get("/v2/vpcs")
async def list_vpcs(request: Request, account: CurrentAccount, paging: Paging) -> JSONResponse:
    return JSONResponse(envelope(request, "vpcs", account.items("vpcs"), paging))


@router.get("/v2/vpcs/{vpc_id}")
async def get_vpc(vpc_id: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"vpc": get_or_404(account, "vpcs", vpc_id)})


@router.get("/v2/reserved_ipv6")
async def list_reserved_ipv6(
    request: Request, account: CurrentAccount, paging: Paging
) -> JSONResponse:
    items = [_ipv6(account, item) for item in account.items("reserved_ipv6")]
    return JSONResponse(envelope(request, "reserved_ipv6s", items, paging))


@router.get("/v2/reserved_ipv6/{ip}")
async def get_reserved_ipv6(ip: str, account: CurrentAccount) -> JSONResponse:
    return JSONResponse({"reserved_ipv6": _ipv6(account, get_or_404(account, "reserved_ipv6", ip))})
