from __future__ import annotations

import uuid

import pytest

from do_sandbox import create_app


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "dop_v1_x"},
    ],
)
async def test_missing_or_malformed_token_is_unauthorized(app, make_client, headers):
    async with make_client(app, token=None) as http:
        response = await http.get("/v2/droplets", headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert {k: body[k] for k in ("id", "message")} == {
        "id": "unauthorized",
        "message": "Unable to authenticate you",
    }
    assert body["request_id"] == response.headers["x-request-id"]
    uuid.UUID(body["request_id"])


async def test_token_set_restricts_access(make_client):
    app = create_app("seeds", tokens={"dop_v1_good"}, rate_limit=None)

    async with make_client(app, token="dop_v1_good") as good, make_client(app, "dop_v1_bad") as bad:
        assert (await good.get("/v2/droplets")).status_code == 200
        assert (await bad.get("/v2/droplets")).status_code == 401


async def test_sandbox_controls_need_no_token(app, make_client):
    async with make_client(app, token=None) as http:
        assert (await http.get("/_sandbox/stats")).status_code == 200


async def test_unknown_id_is_not_found_with_request_id(api):
    response = await api.get("/v2/droplets/123")

    assert response.status_code == 404
    body = response.json()
    assert body["id"] == "not_found"
    assert body["message"] == "The resource you were accessing could not be found."
    assert body["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("path", ["/v2/droplets/not-a-number", "/v2/no_such_things"])
async def test_unknown_paths_are_not_found_in_the_api_shape(api, path):
    response = await api.get(path)

    assert response.status_code == 404
    assert response.json()["id"] == "not_found"


async def test_successful_responses_carry_a_request_id(api):
    response = await api.get("/v2/domains")

    uuid.UUID(response.headers["x-request-id"])


async def test_invalid_enum_is_a_bad_request(api):
    response = await api.get("/v2/droplets?type=bananas")

    assert response.status_code == 400
    assert response.json()["id"] == "bad_request"
