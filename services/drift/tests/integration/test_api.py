"""The drift API: admin only, bad input is a 4xx, filters and paging."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from uuid import uuid4

import httpx

from arcadia_core.auth import Principal
from drift.bootstrap import Drift as DriftService
from drift.domain.model import LiveResource

T0 = datetime(2026, 4, 20, 10, 15, tzinfo=UTC)
JSON = {"content-type": "application/json"}


async def seed(service: DriftService, kind: str, count: int) -> list[str]:
    ids = []
    async with service.uow() as work:
        for n in range(count):
            rid = uuid4()
            ids.append(str(rid))
            await work.live.apply_synced(
                LiveResource(rid, 1, kind, f"{kind}-{n}", name=f"{kind}-{n}", region="syd1"), T0
            )
        await work.commit()
    return ids


async def test_tenants_are_refused(
    api: httpx.AsyncClient, bearer: Callable[[Principal], dict[str, str]]
) -> None:
    tenant = bearer(Principal.tenant(uuid4()))
    rid = uuid4()
    assert (await api.get("/api/v1/drift", headers=tenant)).status_code == 403
    assert (await api.get(f"/api/v1/drift/{rid}", headers=tenant)).status_code == 403
    assert (await api.post("/api/v1/drift/detect", headers=tenant)).status_code == 403
    assert (
        await api.post(f"/api/v1/drift/{rid}/accept", json={"reason": "x"}, headers=tenant)
    ).status_code == 403
    assert (
        await api.post(
            "/api/v1/provisioned", json={"resource_id": str(rid), "spec": {"a": 1}}, headers=tenant
        )
    ).status_code == 403
    assert (await api.get("/api/v1/drift")).status_code == 401


async def test_bad_input_is_a_4xx(api: httpx.AsyncClient, admin: dict[str, str]) -> None:
    rid = str(uuid4())
    for body in (
        {"resource_id": rid, "spec": {}},
        {"resource_id": rid, "spec": []},
        {"resource_id": "not-a-uuid", "spec": {"a": 1}},
        {"resource_id": rid, "spec": {"a": 1}, "surprise": True},
        {"resource_id": rid, "spec": {"a": "nul \u0000 byte"}},
        {"resource_id": rid, "spec": {"a\u0000": 1}},
        {"resource_id": rid, "spec": {"a": 1}, "kind": "\u0000"},
        {"resource_id": rid, "spec": {"a": 1}, "kind": ""},
        {"resource_id": rid, "spec": {"a": "lone \ud800 surrogate"}},
        {"resource_id": rid, "spec": {"a": 1}, "kind": "\ud800"},
    ):
        response = await api.post(  # json.dumps escapes a lone surrogate as \ud800
            "/api/v1/provisioned", content=json.dumps(body), headers={**admin, **JSON}
        )
        assert response.status_code == 422, (body, response.text)
    assert (await api.get("/api/v1/drift?status=nope", headers=admin)).status_code == 422
    assert (await api.get("/api/v1/drift?cursor=@@@", headers=admin)).status_code == 400
    naive = base64.urlsafe_b64encode(json.dumps(["2026-04-20T10:00:00", rid]).encode()).decode()
    assert (await api.get(f"/api/v1/drift?cursor={naive}", headers=admin)).status_code == 400
    assert (await api.get("/api/v1/drift?kind=%00", headers=admin)).status_code == 422
    not_a_number = await api.post(
        "/api/v1/provisioned",
        content=f'{{"resource_id": "{rid}", "spec": {{"a": NaN}}}}',
        headers={**admin, "content-type": "application/json"},
    )
    assert not_a_number.status_code == 422, not_a_number.text
    assert (await api.get(f"/api/v1/drift/{uuid4()}", headers=admin)).status_code == 404
    assert (await api.get(f"/api/v1/provisioned/{uuid4()}", headers=admin)).status_code == 404
    missing = await api.post(f"/api/v1/drift/{uuid4()}/accept", json={"reason": "x"}, headers=admin)
    assert missing.status_code == 404
    no_reason = await api.post(f"/api/v1/drift/{uuid4()}/accept", json={}, headers=admin)
    assert no_reason.status_code == 422
    nul = await api.post(
        f"/api/v1/drift/{uuid4()}/accept", json={"reason": "\u0000"}, headers=admin
    )
    assert nul.status_code == 422


async def test_inbox_filters_and_pages(
    api: httpx.AsyncClient, admin: dict[str, str], drift_service: DriftService
) -> None:
    droplets = await seed(drift_service, "droplet", 3)
    volumes = await seed(drift_service, "volume", 2)
    for rid in droplets + volumes:
        recorded = await api.post(
            "/api/v1/provisioned",
            json={"resource_id": rid, "spec": {"region": "sgp1"}},
            headers=admin,
        )
        assert recorded.status_code == 200
    detected = (await api.post("/api/v1/drift/detect", headers=admin)).json()
    assert detected["opened"] == 5

    only_volumes = (await api.get("/api/v1/drift?kind=volume", headers=admin)).json()["items"]
    assert sorted(d["resource_id"] for d in only_volumes) == sorted(volumes)
    one = (await api.get(f"/api/v1/drift?resource={droplets[0]}", headers=admin)).json()["items"]
    assert [(d["field"], d["expected"], d["actual"]) for d in one] == [("region", "sgp1", "syd1")]

    seen: list[str] = []
    cursor = None
    while True:
        query = "/api/v1/drift?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.get(query, headers=admin)).json()
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5

    accepted = await api.post(
        f"/api/v1/drift/{seen[0]}/accept", json={"reason": "fine"}, headers=admin
    )
    assert accepted.status_code == 200
    again = await api.post(
        f"/api/v1/drift/{seen[0]}/accept", json={"reason": "fine"}, headers=admin
    )
    assert again.status_code == 409
    assert len((await api.get("/api/v1/drift", headers=admin)).json()["items"]) == 4
    accepted_only = (await api.get("/api/v1/drift?status=accepted", headers=admin)).json()["items"]
    assert [d["id"] for d in accepted_only] == [seen[0]]
    assert len((await api.get("/api/v1/drift?status=all", headers=admin)).json()["items"]) == 5
