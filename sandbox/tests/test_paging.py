from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from do_sandbox import create_app, scenarios

BASE = "https://api.digitalocean.com"


@pytest.fixture
def app():
    return create_app(scenarios.load("generated", droplets=450), rate_limit=None)


async def test_following_next_visits_every_page_once(api, list_all):
    droplets, calls = await list_all(api, "/v2/droplets?per_page=200", "droplets")

    assert calls == 3
    assert len(droplets) == 450
    assert len({d["id"] for d in droplets}) == 450


async def test_middle_page_links_and_total(api):
    body = (await api.get("/v2/droplets", params={"page": 2, "per_page": 200})).json()

    assert body["meta"] == {"total": 450}
    assert len(body["droplets"]) == 200
    assert body["links"]["pages"] == {
        "first": f"{BASE}/v2/droplets?page=1&per_page=200",
        "prev": f"{BASE}/v2/droplets?page=1&per_page=200",
        "next": f"{BASE}/v2/droplets?page=3&per_page=200",
        "last": f"{BASE}/v2/droplets?page=3&per_page=200",
    }


async def test_first_and_last_pages_carry_only_their_side(api):
    first = (await api.get("/v2/droplets?per_page=200")).json()["links"]["pages"]
    last = (await api.get("/v2/droplets?page=3&per_page=200")).json()

    assert set(first) == {"next", "last"}
    assert set(last["links"]["pages"]) == {"first", "prev"}
    assert len(last["droplets"]) == 50


async def test_default_per_page_is_20(api):
    body = (await api.get("/v2/domains")).json()

    assert len(body["domains"]) == 20
    assert body["meta"]["total"] == 180
    assert body["links"]["pages"]["last"] == f"{BASE}/v2/domains?page=9&per_page=20"


async def test_per_page_above_200_is_clamped(api):
    body = (await api.get("/v2/droplets?per_page=1000")).json()

    assert len(body["droplets"]) == 200
    assert body["links"]["pages"]["next"] == f"{BASE}/v2/droplets?page=2&per_page=200"


async def test_links_keep_filters(api):
    body = (await api.get("/v2/droplets?type=gpus&per_page=2")).json()

    next_query = parse_qs(urlsplit(body["links"]["pages"]["next"]).query)
    assert next_query == {"page": ["2"], "per_page": ["2"], "type": ["gpus"]}
    assert body["meta"]["total"] == 4


async def test_links_use_the_request_base_url(app, make_client):
    async with make_client(app) as http:
        http.base_url = "http://127.0.0.1:8700"
        body = (await http.get("/v2/droplets?per_page=200")).json()

    assert body["links"]["pages"]["next"] == "http://127.0.0.1:8700/v2/droplets?page=2&per_page=200"


async def test_single_page_has_empty_links(api):
    body = (await api.get("/v2/firewalls?per_page=200")).json()

    assert body["links"] == {}
    assert body["meta"] == {"total": 9}


async def test_projects_show_first_and_last_on_a_single_page(api):
    body = (await api.get("/v2/projects")).json()

    assert body["meta"]["total"] == 22
    assert "next" in body["links"]["pages"]
    single = (await api.get("/v2/projects?per_page=200")).json()
    assert single["links"]["pages"] == {
        "first": f"{BASE}/v2/projects?page=1&per_page=200",
        "last": f"{BASE}/v2/projects?page=1&per_page=200",
    }


async def test_page_past_the_end_is_empty(api):
    body = (await api.get("/v2/firewalls?page=5")).json()

    assert body["firewalls"] == []
    assert body["meta"] == {"total": 9}
    assert "next" not in body["links"]["pages"]


@pytest.mark.parametrize("query", ["page=0", "per_page=0", "page=x"])
async def test_invalid_paging_is_a_bad_request(api, query):
    response = await api.get(f"/v2/droplets?{query}")

    assert response.status_code == 400
    assert response.json()["id"] == "bad_request"
