"""The dashboard's operations pages against the demo month, in one process: what each page
shows is what the API shows the same principal, and each action changes what the API then says.

One stack serves the module (the demo month takes seconds to tell); tests that change state
each work on their own resource, project or drift.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from arcadia import registry
from arcadia.allinone import gateway_app
from arcadia.testing import demo_month_on_new_database
from arcadia_core.auth import Principal, mint_token

SECRET = "ui-ops-tests-secret-that-is-at-least-32-bytes"
WEB_01 = "512340101"  # the demo tenant's droplet, in its classified project
STRAY_FIREWALL = "web-fw"  # in no project: classified by hand
ADMIN_PAGES = ("/ui/projects", "/ui/drift", "/ui/runs")


@dataclass
class Stack:
    app: FastAPI
    tenant_id: uuid.UUID
    deployment_id: uuid.UUID
    other_tenant_id: uuid.UUID

    def token(self, principal: Principal) -> str:
        return mint_token(principal, secret=SECRET, audience="arcadia")

    def api(self, principal: Principal) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://gw",
            headers={"Authorization": f"Bearer {self.token(principal)}"},
        )

    @asynccontextmanager
    async def browser(self, principal: Principal) -> AsyncIterator[httpx.AsyncClient]:
        """A signed-in dashboard session (the cookie set by the sign-in form)."""
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://gw"
        ) as client:
            signed = await client.post("/ui/sign-in", data={"token": self.token(principal)})
            assert signed.status_code == 303, signed.text
            yield client


@pytest.fixture(scope="module")
async def stack(database_server_url: str) -> AsyncIterator[Stack]:
    async with demo_month_on_new_database(database_server_url, "arcadia_t", SECRET) as (
        running,
        facts,
    ):
        app = gateway_app(running)
        admin = Principal.platform_admin()
        probe = Stack(app, facts.tenant_id, facts.deployment_id, uuid.uuid4())
        async with probe.api(admin) as api:
            other = await api.post("/api/v1/tenants", json={"name": "Other tenant"})
            assert other.status_code == 201, other.text
        yield Stack(app, facts.tenant_id, facts.deployment_id, uuid.UUID(other.json()["id"]))


# --- reading pages -----------------------------------------------------------------------------


class Page(HTMLParser):
    """Every start tag of a page with its attributes, and the text of the flash message."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)
        found = re.search(r'data-testid="flash"[^>]*>([^<]*)<', text)
        self.flash = html.unescape(found.group(1)).strip() if found else None
        meta = [a for t, a in self.tags if t == "meta" and a.get("name") == "csrf-token"]
        self.csrf = meta[0]["content"] if meta else ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def testid(self, name: str) -> list[dict[str, str]]:
        return [a for _, a in self.tags if a.get("data-testid") == name]

    def ids(self, name: str) -> list[str]:
        return [a["data-id"] for a in self.testid(name)]

    def references(self) -> list[str]:
        return [
            a[attr]
            for _, a in self.tags
            for attr in ("href", "src", "action", "formaction", "poster", "data")
            if attr in a
        ]

    def link(self, rel: str) -> str | None:
        found = [a["href"] for t, a in self.tags if t == "a" and a.get("rel") == rel]
        return html.unescape(found[0]) if found else None


async def page(client: httpx.AsyncClient, path: str, status: int = 200) -> Page:
    response = await client.get(path)
    assert response.status_code == status, (path, response.status_code, response.text[:2000])
    return Page(response.text)


async def follow(client: httpx.AsyncClient, response: httpx.Response) -> Page:
    """The page an action redirected to (where its flash message is shown)."""
    assert response.status_code == 303, (response.status_code, response.text[:2000])
    return await page(client, response.headers["location"])


async def api_items(api: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    response = await api.get(path, params={"limit": 500, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def resource(api: httpx.AsyncClient, *, provider_id: str = "", name: str = "") -> Any:
    items = await api_items(api, "/api/v1/inventory")
    return next(r for r in items if r["provider_id"] == provider_id or r["name"] == name)


# --- inventory ---------------------------------------------------------------------------------


async def test_inventory_shows_each_role_what_the_api_does(stack: Stack) -> None:
    admin, tenant = Principal.platform_admin(), Principal.tenant(stack.tenant_id)
    other = Principal.tenant(stack.other_tenant_id)
    for principal in (admin, tenant, other):
        async with stack.api(principal) as api, stack.browser(principal) as ui:
            expected = [r["id"] for r in await api_items(api, "/api/v1/inventory")]
            shown = await page(ui, "/ui/inventory")
            assert shown.ids("resource-row") == expected
            # only an admin is offered the tenant filter and sees the tenant column
            tenant_filter = [
                a for t, a in shown.tags if t == "select" and a.get("name") == "tenant"
            ]
            assert bool(tenant_filter) == principal.is_platform_admin
    async with stack.api(tenant) as api:
        mine = await api_items(api, "/api/v1/inventory")
    assert mine and all(r["tenant_id"] == str(stack.tenant_id) for r in mine)
    async with stack.browser(other) as ui:
        assert (await page(ui, "/ui/inventory")).ids("resource-row") == []
        # a tenant's filter for another tenant is not passed on: it still sees only its own
        assert (await page(ui, f"/ui/inventory?tenant={stack.tenant_id}")).ids("resource-row") == []


async def test_inventory_filters_are_the_apis(stack: Stack) -> None:
    admin = Principal.platform_admin()
    async with stack.api(admin) as api, stack.browser(admin) as ui:
        droplets = await api_items(api, "/api/v1/inventory", kind="droplet")
        shown = await page(ui, "/ui/inventory?kind=droplet")
        assert shown.ids("resource-row") == [r["id"] for r in droplets]
        assert {a["data-kind"] for a in shown.testid("resource-row")} == {"droplet"}

        off = await page(ui, "/ui/inventory?kind=droplet&status=off")
        assert off.ids("resource-row") == [r["id"] for r in droplets if r["status"] == "off"] != []

        owned = await api_items(api, "/api/v1/inventory", tenant=str(stack.tenant_id))
        by_tenant = await page(ui, f"/ui/inventory?tenant={stack.tenant_id}")
        assert by_tenant.ids("resource-row") == [r["id"] for r in owned]
        by_deployment = await page(ui, f"/ui/inventory?deployment={stack.deployment_id}")
        assert by_deployment.ids("resource-row") == [
            r["id"]
            for r in await api_items(api, "/api/v1/inventory", deployment=str(stack.deployment_id))
        ]

        unattributed = await page(ui, "/ui/inventory?attribution=unattributed")
        assert unattributed.ids("resource-row") == [
            r["id"] for r in await api_items(api, "/api/v1/inventory", unattributed=True)
        ]
        assert set(unattributed.ids("resource-row")).isdisjoint(r["id"] for r in owned)

        searched = await page(ui, "/ui/inventory?q=web-01")
        assert WEB_01 in {
            r["provider_id"]
            for r in await api_items(api, "/api/v1/inventory", q="web-01")
            if r["id"] in searched.ids("resource-row")
        }

        # a filter the API refuses is a message above the form, never a server error
        refused = await ui.get("/ui/inventory?kind=teapot")
        assert refused.status_code == 400
        assert "unknown kind" in refused.text
        assert Page(refused.text).ids("resource-row") == []
        bad_id = await ui.get("/ui/inventory?tenant=not-an-id")
        assert bad_id.status_code == 400 and "refused" in bad_id.text
        assert (await ui.get("/ui/inventory?limit=0")).status_code == 400
        assert (await ui.get("/ui/inventory?attribution=maybe")).status_code == 400


async def test_inventory_pages_through_the_apis_cursor(stack: Stack) -> None:
    admin = Principal.platform_admin()
    async with stack.api(admin) as api, stack.browser(admin) as ui:
        everything = [r["id"] for r in await api_items(api, "/api/v1/inventory", kind="snapshot")]
        assert len(everything) > 4
        seen: list[str] = []
        path: str | None = "/ui/inventory?kind=snapshot&limit=4"
        while path:
            shown = await page(ui, path)
            rows = shown.ids("resource-row")
            assert 0 < len(rows) <= 4
            seen += rows
            path = shown.link("next")
            if path:
                assert "kind=snapshot" in path and "limit=4" in path and "cursor=" in path
        assert seen == everything
        # a cursor the API did not hand out is refused as bad input
        assert (await ui.get("/ui/inventory?cursor=bm9wZQ")).status_code == 400


async def test_a_resource_and_its_history(stack: Stack) -> None:
    admin, tenant = Principal.platform_admin(), Principal.tenant(stack.tenant_id)
    async with stack.api(admin) as api:
        web = await resource(api, provider_id=WEB_01)
        detail = (await api.get(f"/api/v1/inventory/{web['id']}")).json()
    assert detail["events"]
    async with stack.browser(admin) as ui:
        shown = await page(ui, f"/ui/inventory/{web['id']}")
        assert [a["data-type"] for a in shown.testid("event-row")] == [
            e["type"] for e in reversed(detail["events"])
        ]
        assert shown.testid("classify-resource")
        assert shown.testid("resource-tenant")[0]["data-value"] == str(stack.tenant_id)
    async with stack.api(tenant) as api, stack.browser(tenant) as ui:
        own = (await api.get(f"/api/v1/inventory/{web['id']}")).json()
        shown = await page(ui, f"/ui/inventory/{web['id']}")
        assert len(shown.testid("event-row")) == len(own["events"])
        assert not shown.testid("classify-resource")  # classification is for admins
        assert shown.testid("resource-deployment")[0]["data-value"] == str(stack.deployment_id)
    async with stack.browser(Principal.tenant(stack.other_tenant_id)) as ui:
        refused = await ui.get(f"/ui/inventory/{web['id']}")
        assert refused.status_code == 404
        assert "web-01" not in refused.text
    async with stack.browser(admin) as ui:
        assert (await ui.get(f"/ui/inventory/{uuid.uuid4()}")).status_code == 404
        assert (await ui.get("/ui/inventory/not-an-id")).status_code == 404


# --- classification ----------------------------------------------------------------------------


async def test_classifying_a_stray_resource(stack: Stack) -> None:
    admin = Principal.platform_admin()
    async with stack.api(admin) as api, stack.browser(admin) as ui:
        stray = await resource(api, name=STRAY_FIREWALL)
        assert stray["tenant_id"] is None and stray["project_id"] is None
        csrf = (await page(ui, f"/ui/inventory/{stray['id']}")).csrf
        done = await ui.post(
            f"/ui/inventory/{stray['id']}/classify",
            data={
                "csrf": csrf,
                "tenant_id": str(stack.tenant_id),
                "deployment_id": str(stack.deployment_id),
            },
        )
        shown = await follow(ui, done)
        assert shown.flash == "Resource classification saved."
        after = (await api.get(f"/api/v1/inventory/{stray['id']}")).json()
        assert (after["tenant_id"], after["deployment_id"]) == (
            str(stack.tenant_id),
            str(stack.deployment_id),
        )
        assert shown.testid("resource-tenant")[0]["data-value"] == str(stack.tenant_id)
        # the classification and the attribution it made are in the resource's history,
        # newest first on the page
        assert [e["type"] for e in after["events"][-2:]] == ["classified", "attributed"]
        assert [a["data-type"] for a in shown.testid("event-row")][:2] == [
            "attributed",
            "classified",
        ]

        # the API's refusals come back as messages; nothing changes
        unknown = await ui.post(
            f"/ui/inventory/{stray['id']}/classify",
            data={"csrf": csrf, "tenant_id": str(uuid.uuid4()), "deployment_id": ""},
        )
        shown = await follow(ui, unknown)
        assert shown.flash and shown.flash.startswith("Not saved:")
        assert (await api.get(f"/api/v1/inventory/{stray['id']}")).json()["tenant_id"] == str(
            stack.tenant_id
        )
        garbled = await ui.post(
            f"/ui/inventory/{stray['id']}/classify",
            data={"csrf": csrf, "tenant_id": "not-an-id"},
        )
        assert (await follow(ui, garbled)).flash == "The tenant id is not an id."

        # clearing: empty pickers send nulls
        cleared = await ui.post(
            f"/ui/inventory/{stray['id']}/classify",
            data={"csrf": csrf, "tenant_id": "", "deployment_id": ""},
        )
        assert (await follow(ui, cleared)).flash == "Resource classification saved."
        after = (await api.get(f"/api/v1/inventory/{stray['id']}")).json()
        assert (after["tenant_id"], after["deployment_id"]) == (None, None)


async def test_a_resource_in_a_classified_project_is_refused_with_a_message(
    stack: Stack,
) -> None:
    admin = Principal.platform_admin()
    async with stack.api(admin) as api, stack.browser(admin) as ui:
        web = await resource(api, provider_id=WEB_01)
        before = (await api.get(f"/api/v1/inventory/{web['id']}")).json()
        response = await ui.get(f"/ui/inventory/{web['id']}")
        assert "classify the project instead" in response.text
        shown = Page(response.text)
        project_link = f"/ui/projects#project-{web['project_id']}"
        assert project_link in shown.references()
        answer = await ui.post(
            f"/ui/inventory/{web['id']}/classify",
            data={"csrf": shown.csrf, "tenant_id": str(stack.other_tenant_id)},
        )
        after_page = await follow(ui, answer)
        assert after_page.flash and after_page.flash.startswith("Not saved:")
        assert "project" in after_page.flash  # the API's 409 says why
        after = (await api.get(f"/api/v1/inventory/{web['id']}")).json()
        assert after["tenant_id"] == before["tenant_id"] == str(stack.tenant_id)


async def test_classifying_a_project(stack: Stack) -> None:
    admin = Principal.platform_admin()
    async with stack.api(admin) as api, stack.browser(admin) as ui:
        projects = await api_items(api, "/api/v1/projects")
        shown = await page(ui, "/ui/projects")
        assert shown.ids("project-row") == [p["id"] for p in projects]
        internal = next(p for p in projects if p["name"] == "skyai-internal")
        assert internal["purpose"] is None

        done = await ui.post(
            f"/ui/projects/{internal['id']}/classify",
            data={"csrf": shown.csrf, "tenant_id": "", "deployment_id": "", "purpose": "internal"},
        )
        assert done.headers["location"].startswith("/ui/projects")
        after_page = await follow(ui, done)
        assert after_page.flash == "Project skyai-internal classified."
        after = next(
            p for p in await api_items(api, "/api/v1/projects") if p["id"] == internal["id"]
        )
        assert (after["purpose"], after["tenant_id"]) == ("internal", None)
        row = [a for a in after_page.testid("project-purpose")]
        assert "internal" in {a["data-value"] for a in row}

        refused = await ui.post(
            f"/ui/projects/{internal['id']}/classify",
            data={"csrf": shown.csrf, "deployment_id": str(uuid.uuid4()), "purpose": "internal"},
        )
        flash = (await follow(ui, refused)).flash
        assert flash and flash.startswith("Not saved:")
        wrong_purpose = await ui.post(
            f"/ui/projects/{internal['id']}/classify",
            data={"csrf": shown.csrf, "purpose": "fun"},
        )
        flash = (await follow(ui, wrong_purpose)).flash
        assert flash and flash.startswith("Not saved:")
        unknown = await ui.post(
            f"/ui/projects/{uuid.uuid4()}/classify", data={"csrf": shown.csrf, "purpose": ""}
        )
        flash = (await follow(ui, unknown)).flash
        assert flash and "not found" in flash
        final = next(
            p for p in await api_items(api, "/api/v1/projects") if p["id"] == internal["id"]
        )
        assert final["purpose"] == "internal"


# --- drift -------------------------------------------------------------------------------------


async def test_accepting_drift_from_the_inbox(stack: Stack) -> None:
    admin = Principal.platform_admin()
    async with stack.api(admin) as api, stack.browser(admin) as ui:
        monitor = await resource(api, name="monitor-01")
        recorded = await api.post(
            "/api/v1/provisioned",
            json={"resource_id": monitor["id"], "spec": {"region": "nowhere-1"}},
        )
        assert recorded.status_code == 200, recorded.text
        assert (await api.post("/api/v1/drift/detect")).status_code == 200
        [drift] = await api_items(api, "/api/v1/drift", resource=monitor["id"])
        assert drift["status"] == "open"

        inbox = await page(ui, "/ui/drift")
        assert drift["id"] in inbox.ids("drift-row")
        assert inbox.ids("drift-row") == [d["id"] for d in await api_items(api, "/api/v1/drift")]

        # no CSRF token, or another session's: refused, nothing changes
        for token in ("", "0" * 64):
            refused = await ui.post(
                f"/ui/drift/{drift['id']}/accept", data={"csrf": token, "reason": "x"}
            )
            assert refused.status_code == 403
        assert (await api.get(f"/api/v1/drift/{drift['id']}")).json()["status"] == "open"

        no_reason = await ui.post(
            f"/ui/drift/{drift['id']}/accept", data={"csrf": inbox.csrf, "reason": "  "}
        )
        assert (await follow(ui, no_reason)).flash == (
            "Not accepted: say why the live value is right."
        )

        accepted = await ui.post(
            f"/ui/drift/{drift['id']}/accept",
            data={
                "csrf": inbox.csrf,
                "reason": "moved on purpose",
                "back": "/ui/drift?status=open",
            },
        )
        assert accepted.headers["location"] == "/ui/drift?status=open"
        after = await follow(ui, accepted)
        assert after.flash == "Accepted the live value of monitor-01 region."
        assert drift["id"] not in after.ids("drift-row")
        state = (await api.get(f"/api/v1/drift/{drift['id']}")).json()
        assert (state["status"], state["reason"]) == ("accepted", "moved on purpose")
        history = await page(ui, "/ui/drift?status=accepted")
        assert drift["id"] in history.ids("drift-row")

        # accepting twice: the API's 409 is a message, not an error page
        again = await ui.post(
            f"/ui/drift/{drift['id']}/accept",
            data={"csrf": inbox.csrf, "reason": "again", "back": "/ui/inventory"},
        )
        assert again.headers["location"] == "/ui/drift"  # back only ever to the inbox
        flash = (await follow(ui, again)).flash
        assert flash and flash.startswith("Not accepted:")
        missing = await ui.post(
            f"/ui/drift/{uuid.uuid4()}/accept", data={"csrf": inbox.csrf, "reason": "why"}
        )
        assert (await follow(ui, missing)).flash == "Not accepted: drift not found"
        assert (await ui.get("/ui/drift?status=sideways")).status_code == 400


# --- runs --------------------------------------------------------------------------------------


async def test_runs_show_the_latest_run_of_each_name(stack: Stack) -> None:
    admin = Principal.platform_admin()
    async with stack.api(admin) as api, stack.browser(admin) as ui:
        shown = await page(ui, "/ui/runs")
        rows = shown.testid("run-row")
        none = {a["data-service"] for a in shown.testid("run-none")}
        for service in ("inventory", "billing-ingest", "metering", "invoicing", "drift"):
            answer = await api.get(f"/api/v1/runs/{service}")
            latest = (
                [r["name"] for r in answer.json()["items"] if r.get("latest", True)]
                if answer.status_code == 200
                else []
            )
            assert [a["data-name"] for a in rows if a["data-service"] == service] == latest
            assert (service in none) == (not latest)
        # the demo's sync is recorded by the inventory, with how it went
        outcomes = shown.testid("run-outcome")
        assert any(a["data-service"] == "inventory" for a in rows)
        assert len(outcomes) == len(rows) and {a["data-value"] for a in outcomes} <= {
            "ok",
            "failed",
            "running",
        }


async def test_a_service_without_a_run_log_shows_no_run_recorded(stack: Stack) -> None:
    # every service of the registry routes a run log; one more that answers 404
    known = stack.app.state.ui_run_logs
    assert set(known) == set(registry.names())
    stack.app.state.ui_run_logs = (*known, "ghost")
    try:
        async with stack.browser(Principal.platform_admin()) as ui:
            response = await ui.get("/ui/runs")
    finally:
        stack.app.state.ui_run_logs = known
    assert response.status_code == 200
    ghosts = [a for a in Page(response.text).testid("run-none") if a["data-service"] == "ghost"]
    assert len(ghosts) == 1
    assert re.search(
        r'data-service="ghost">\s*<td>ghost</td>\s*<td colspan="6">no run recorded<', response.text
    )


# --- permissions and hygiene -------------------------------------------------------------------


async def test_admin_pages_and_actions_refuse_a_tenant(stack: Stack) -> None:
    tenant = Principal.tenant(stack.tenant_id)
    async with stack.api(Principal.platform_admin()) as api, stack.browser(tenant) as ui:
        csrf = (await page(ui, "/ui/inventory")).csrf
        for path in ADMIN_PAGES:
            refused = await ui.get(path)
            assert refused.status_code == 403, path
            assert Page(refused.text).testid("error")[0]["data-status"] == "403"
        stray = await resource(api, name="default-tor1")
        project = (await api_items(api, "/api/v1/projects"))[0]
        for action, form in (
            (f"/ui/inventory/{stray['id']}/classify", {"tenant_id": str(stack.tenant_id)}),
            (f"/ui/projects/{project['id']}/classify", {"purpose": "shared"}),
            (f"/ui/drift/{uuid.uuid4()}/accept", {"reason": "mine now"}),
        ):
            assert (await ui.post(action, data={"csrf": csrf, **form})).status_code == 403
        assert (await api.get(f"/api/v1/inventory/{stray['id']}")).json()["tenant_id"] is None


async def test_actions_need_the_sessions_csrf_token(stack: Stack) -> None:
    admin = Principal.platform_admin()
    async with stack.api(admin) as api, stack.browser(admin) as ui:
        stray = await resource(api, name="default-sgp1")
        for data in ({}, {"csrf": "forged"}):
            refused = await ui.post(
                f"/ui/inventory/{stray['id']}/classify",
                data={**data, "tenant_id": str(stack.tenant_id)},
            )
            assert refused.status_code == 403
        project = next(
            p for p in await api_items(api, "/api/v1/projects") if p["name"] == "Default"
        )
        refused = await ui.post(
            f"/ui/projects/{project['id']}/classify", data={"purpose": "shared"}
        )
        assert refused.status_code == 403
        assert (await api.get(f"/api/v1/inventory/{stray['id']}")).json()["tenant_id"] is None
        assert (
            next(p for p in await api_items(api, "/api/v1/projects") if p["id"] == project["id"])[
                "purpose"
            ]
            is None
        )
        # another signed-in user's token is not this session's
        async with stack.browser(Principal.platform_admin("someone-else")) as elsewhere:
            theirs = (await page(elsewhere, "/ui/projects")).csrf
        assert (
            await ui.post(
                f"/ui/projects/{project['id']}/classify", data={"csrf": theirs, "purpose": "shared"}
            )
        ).status_code == 403


async def test_pages_need_a_sign_in(stack: Stack) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.app), base_url="http://gw"
    ) as anonymous:
        for path in ("/ui/inventory", f"/ui/inventory/{uuid.uuid4()}", *ADMIN_PAGES):
            answer = await anonymous.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith(
                "/ui/sign-in"
            )
        answer = await anonymous.post(f"/ui/drift/{uuid.uuid4()}/accept", data={"reason": "x"})
        assert answer.status_code == 303


async def test_every_ops_page_references_only_this_origin(stack: Stack) -> None:
    admin, tenant = Principal.platform_admin(), Principal.tenant(stack.tenant_id)
    async with stack.api(admin) as api:
        web = await resource(api, provider_id=WEB_01)
        stray = await resource(api, name="default-tor1")
    pages = {
        admin: [
            "/ui/inventory",
            "/ui/inventory?include_deleted=true&kind=droplet",
            f"/ui/inventory/{web['id']}",
            f"/ui/inventory/{stray['id']}",
            "/ui/projects",
            "/ui/drift",
            "/ui/drift?status=all",
            "/ui/runs",
        ],
        tenant: ["/ui/inventory", f"/ui/inventory/{web['id']}"],
    }
    for principal, paths in pages.items():
        async with stack.browser(principal) as ui:
            for path in paths:
                answer = await ui.get(path)
                assert answer.status_code == 200, path
                assert "default-src 'self'" in answer.headers["content-security-policy"]
                shown = Page(answer.text)
                for reference in shown.references():
                    assert reference.startswith(("/", "#", "data:")) and not reference.startswith(
                        "//"
                    ), (
                        path,
                        reference,
                    )
                assert "<script>" not in answer.text and " style=" not in answer.text, path
                assert not re.search(r"\son[a-z]+=", answer.text), path
