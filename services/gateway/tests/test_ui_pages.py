"""The dashboard's core pages on the demo month, every service in process as `arcadia up` runs
them: each page for both roles (nothing loaded from elsewhere, nothing inline, the security
headers), the figures shown equal to the API's, tenant scoping, and the invoice actions."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal, localcontext
from html.parser import HTMLParser

import httpx
import pytest
from fastapi import FastAPI

from arcadia import demo
from arcadia.allinone import gateway_app
from arcadia.testing import demo_month_on_new_database
from arcadia_core.auth import Principal, mint_token
from gateway.ui.security import CONTENT_SECURITY_POLICY
from gateway.ui.session import COOKIE, Keys

SECRET = "ui-pages-tests-secret-that-is-at-least-32-bytes"
EXTERNAL = ("http:", "https:", "//")
URL_ATTRIBUTES = {"src", "href", "action", "formaction", "poster", "srcset", "data", "xlink:href"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class Page(HTMLParser):
    """Every element of a page with its attributes; `data-testid` ones with their text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self._script: dict[str, str] | None = None
        self._script_text = ""
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag == "script":
            self._script, self._script_text = element.attrs, ""
        if tag not in {"input", "meta", "link", "br", "img", "hr"}:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, self._script_text))
            self._script = None
        while self._open:
            if self._open.pop().tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script_text += data
        for element in self._open:
            element.text += data

    def testid(self, name: str) -> list[Element]:
        return [e for e in self.elements if e.attrs.get("data-testid") == name]

    def one(self, name: str) -> Element:
        found = self.testid(name)
        assert len(found) == 1, f"{len(found)} elements with data-testid={name}"
        return found[0]


def assert_self_contained(path: str, response: httpx.Response) -> Page:
    """The CSP and headers are set, nothing is loaded from elsewhere, nothing runs inline."""
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
    assert response.headers["x-content-type-options"] == "nosniff", path
    assert response.headers["referrer-policy"] == "same-origin", path
    page = Page(response.text)
    for element in page.elements:
        for name, value in element.attrs.items():
            if name in URL_ATTRIBUTES:
                assert not value.strip().lower().startswith(EXTERNAL), (
                    f"{path}: <{element.tag} {name}={value!r}> points outside"
                )
            assert not name.startswith("on"), f"{path}: inline handler {name} on {element.tag}"
            assert name != "style", f"{path}: inline style on <{element.tag}>"
        assert element.tag != "style", f"{path}: a <style> element (blocked by the CSP)"
    for attrs, text in page.scripts:
        assert "src" in attrs or attrs.get("type") == "application/json", f"{path}: inline script"
        if "src" in attrs:
            assert not text.strip(), path
    lowered = response.text.lower()
    assert "javascript:" not in lowered, path
    for marker in ('="http://', "='http://", '="https://', "='https://", '="//', "url(http"):
        assert marker not in lowered, f"{path}: {marker}"
    return page


@dataclass
class Demo:
    app: FastAPI
    facts: demo.DemoFacts
    admin: str
    tenant: str
    other_tenant: str
    keys: Keys

    def client(self, token: str | None) -> httpx.AsyncClient:
        headers = {"Cookie": f"{COOKIE}={token}"} if token else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://gw", headers=headers
        )

    def api(self, token: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://gw",
            headers={"Authorization": f"Bearer {token}"},
        )


@pytest.fixture(scope="module")
async def the_demo(database_server_url: str) -> AsyncIterator[Demo]:
    """The demo's month told once for the module (it is the expensive part)."""
    async with demo_month_on_new_database(database_server_url, "arcadia_ui", SECRET) as (
        running,
        facts,
    ):
        tokens = demo.sign_in_tokens(running.settings, facts)
        app = gateway_app(running, demo_tokens=tokens)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://gw",
            headers={"Authorization": f"Bearer {tokens['admin']}"},
        ) as api:
            created = await api.post("/api/v1/tenants", json={"name": "someone else"})
            assert created.status_code == 201, created.text
        other = mint_token(
            Principal.tenant(uuid.UUID(created.json()["id"])),
            secret=SECRET,
            audience="arcadia",
        )
        yield Demo(app, facts, tokens["admin"], tokens["tenant"], other, Keys(SECRET, "arcadia"))


def admin_pages(d: Demo) -> list[str]:
    invoice = d.facts.tenant_invoice
    provider = d.facts.provider_invoice
    return [
        "/ui/overview",
        "/ui/overview?period=2026-04",
        "/ui/overview?period=2026-03",
        "/ui/billing",
        "/ui/billing?status=ingested",
        f"/ui/billing/{provider}",
        f"/ui/billing/{provider}?match=matched",
        f"/ui/billing/{provider}?match=unmatched",
        "/ui/invoices",
        "/ui/invoices?period=2026-04&status=draft",
        f"/ui/invoices/{invoice}",
        "/ui/usage",
        f"/ui/usage?deployment_id={d.facts.deployment_id}&period=2026-04",
        f"/ui/usage?deployment_id={d.facts.deployment_id}&period=2026-05",
    ]


def tenant_pages(d: Demo) -> list[str]:
    return [
        "/ui/invoices",
        f"/ui/invoices/{d.facts.tenant_invoice}",
        "/ui/usage",
        f"/ui/usage?deployment_id={d.facts.deployment_id}&period=2026-04",
    ]


async def test_every_page_renders_self_contained_for_both_roles(the_demo: Demo) -> None:
    d = the_demo
    async with d.client(d.admin) as admin, d.client(d.tenant) as tenant, d.client(None) as anon:
        for path in admin_pages(d):
            response = await admin.get(path)
            assert response.status_code == 200, (path, response.text[-2000:])
            page = assert_self_contained(path, response)
            assert page.one("role").text.strip() == "platform admin"
            assert page.testid("error") == []
        for path in tenant_pages(d):
            response = await tenant.get(path)
            assert response.status_code == 200, (path, response.text[-2000:])
            page = assert_self_contained(path, response)
            assert page.one("role").text.strip() == "tenant"
            hrefs = {e.attrs.get("href") for e in page.elements if e.tag == "a"}
            assert "/ui/overview" not in hrefs and "/ui/billing" not in hrefs  # nav per role
        for path in ("/ui/sign-in", "/ui/sign-in?expired=1", "/ui/no-such-page"):
            assert_self_contained(path, await anon.get(path))
        assert_self_contained("404", await admin.get("/ui/no-such-page"))


async def test_a_tenant_gets_403_on_admin_pages(the_demo: Demo) -> None:
    d = the_demo
    async with d.client(d.tenant) as tenant:
        for path in (
            "/ui/overview",
            "/ui/billing",
            f"/ui/billing/{d.facts.provider_invoice}",
        ):
            response = await tenant.get(path)
            assert response.status_code == 403, path
            page = assert_self_contained(path, response)
            assert page.one("error").attrs["data-status"] == "403"
        csrf = d.keys.csrf(d.tenant)
        for action in ("issue", "pay", "void"):
            response = await tenant.post(
                f"/ui/invoices/{d.facts.tenant_invoice}/{action}", data={"csrf": csrf}
            )
            assert response.status_code == 403, action
        rollup = await tenant.post("/ui/invoices/rollup", data={"csrf": csrf, "period": "2026-04"})
        assert rollup.status_code == 403


async def test_another_tenants_invoice_is_404(the_demo: Demo) -> None:
    d = the_demo
    invoice = d.facts.tenant_invoice
    async with d.client(d.other_tenant) as other:
        for path in (f"/ui/invoices/{invoice}", f"/ui/invoices/{invoice}/pdf"):
            response = await other.get(path)
            assert response.status_code == 404, path
            assert_self_contained(path, response)
        listing = Page((await other.get("/ui/invoices")).text)
        assert listing.testid("invoice-row") == []
        usage = await other.get(f"/ui/usage?deployment_id={d.facts.deployment_id}")
        assert usage.status_code == 400  # not one of its deployments
    async with d.client(d.tenant) as mine:
        assert (await mine.get(f"/ui/invoices/{uuid.uuid4()}")).status_code == 404
        assert (await mine.get("/ui/invoices/not-a-uuid")).status_code == 404


async def test_invoice_figures_equal_the_api(the_demo: Demo) -> None:
    d = the_demo
    invoice_id = d.facts.tenant_invoice
    for token in (d.admin, d.tenant):
        async with d.api(token) as api, d.client(token) as ui:
            invoice = (await api.get(f"/api/v1/invoices/{invoice_id}")).json()
            listed = (await api.get("/api/v1/invoices")).json()["items"]
            page = Page((await ui.get(f"/ui/invoices/{invoice_id}")).text)
            for name in ("subtotal", "tax", "total"):
                element = page.one(f"invoice-{name}")
                assert element.attrs["data-value"] == str(invoice[f"{name}_cents"])
                cents = invoice[f"{name}_cents"]
                assert element.text.strip() == f"${cents // 100:,}.{cents % 100:02d}"
            assert page.one("invoice-status").attrs["data-value"] == invoice["status"]
            document = page.one("invoice-document")
            assert invoice["lines"] and all(
                line["description"] in document.text for line in invoice["lines"]
            )
            listing = Page((await ui.get("/ui/invoices")).text)
            rows = listing.testid("invoice-row")
            assert [r.attrs["data-id"] for r in rows] == [i["id"] for i in listed]
            assert [r.attrs["data-status"] for r in rows] == [i["status"] for i in listed]
            for name in ("subtotal", "tax", "total"):
                shown = [e.attrs["data-value"] for e in listing.testid(f"invoice-{name}")]
                assert shown == [str(i[f"{name}_cents"]) for i in listed]
    # the seeds' figures: the demo month's invoice adds up
    assert invoice["total_cents"] == invoice["subtotal_cents"] + invoice["tax_cents"]


async def test_provider_bills_equal_the_api(the_demo: Demo) -> None:
    d = the_demo
    uuid_ = d.facts.provider_invoice
    async with d.api(d.admin) as api, d.client(d.admin) as ui:
        invoices = (await api.get("/api/v1/billing/invoices")).json()["items"]
        rows = Page((await ui.get("/ui/billing")).text).testid("provider-invoice-row")
        assert [r.attrs["data-id"] for r in rows] == [i["invoice_uuid"] for i in invoices]
        detail = (await api.get(f"/api/v1/billing/invoices/{uuid_}")).json()
        page = Page((await ui.get(f"/ui/billing/{uuid_}")).text)
        assert page.one("provider-invoice-amount").attrs["data-value"] == str(
            detail["amount_cents"]
        )
        lines = page.testid("cost-line-row")
        assert [int(r.attrs["data-id"]) for r in lines] == [line["id"] for line in detail["lines"]]
        for row, line in zip(lines, detail["lines"], strict=True):
            expected = "unmatched" if line["match_method"] == "none" else "matched"
            assert row.attrs["data-match"] == expected
        assert {r.attrs["data-match"] for r in lines} == {"matched", "unmatched"}
        for match in ("matched", "unmatched"):
            shown = Page((await ui.get(f"/ui/billing/{uuid_}?match={match}")).text)
            filtered = shown.testid("cost-line-row")
            assert filtered and {r.attrs["data-match"] for r in filtered} == {match}
            assert shown.one("cost-lines-shown").attrs["data-value"] == str(
                sum(
                    line["amount_cents"]
                    for line in detail["lines"]
                    if (line["match_method"] == "none") == (match == "unmatched")
                )
            )
        assert (await ui.get(f"/ui/billing/{uuid_}?match=bogus")).status_code == 400
        assert (await ui.get("/ui/billing/no-such-invoice")).status_code == 404


async def test_overview_shows_the_report_and_the_balance(the_demo: Demo) -> None:
    d = the_demo
    async with d.api(d.admin) as api, d.client(d.admin) as ui:
        report = await api.get("/api/v1/reports/margin", params={"period": "2026-04"})
        balance = (await api.get("/api/v1/billing/balance")).json()
        page = Page((await ui.get("/ui/overview?period=2026-04")).text)
        assert page.one("balance-mtd").attrs["data-value"] == str(
            balance["balance"]["month_to_date_usage_cents"]
        )
        assert report.status_code == 200, report.text
        body = report.json()
        rows = page.testid("margin-row")
        assert len(rows) == len(body["rows"]) > 0
        for row, expected in zip(rows, body["rows"], strict=True):
            assert row.attrs["data-kind"] == expected["kind"]
            assert row.attrs["data-deployment"] == (expected.get("deployment_id") or "")
        revenue = [int(e.attrs["data-value"]) for e in page.testid("margin-revenue")]
        cost = [int(e.attrs["data-value"]) for e in page.testid("margin-cost")]
        assert revenue == [r["revenue_cents"] for r in body["rows"]]
        assert cost == [r["cost_cents"] for r in body["rows"]]
        assert page.one("margin-reconciled").attrs["data-value"] == "true"
        # by kind: the cost column adds up to DigitalOcean's bill excluding tax, the revenue
        # column to the tenant invoices' subtotals
        kind_cost = [int(e.attrs["data-value"]) for e in page.testid("kind-cost")]
        kind_revenue = [int(e.attrs["data-value"]) for e in page.testid("kind-revenue")]
        assert sum(kind_cost) == body["reconciliation"]["provider_net_cents"] > 0
        assert sum(kind_revenue) == body["totals"]["revenue_cents"] > 0
        kinds = [row.attrs["data-kind"] for row in page.testid("kind-row")]
        assert len(kinds) == len(set(kinds))
        assert {r["kind"] for r in body["rows"]} <= set(kinds)
        assert (await ui.get("/ui/overview?period=2026-13")).status_code == 400
        assert (await ui.get("/ui/overview?period=April")).status_code == 400


async def test_usage_chart_data_and_totals_equal_the_api(the_demo: Demo) -> None:
    d = the_demo
    params = {
        "deployment_id": str(d.facts.deployment_id),
        "from": "2026-04-01",
        "to": "2026-05-01",
        "granularity": "day",
    }
    for token in (d.admin, d.tenant):
        async with d.api(token) as api, d.client(token) as ui:
            usage = (await api.get("/api/v1/usage", params=params)).json()
            response = await ui.get(
                f"/ui/usage?deployment_id={d.facts.deployment_id}&period=2026-04"
            )
            page = Page(response.text)
            page.one("usage-chart")
            totals = {
                e.attrs["data-kind"]: e.attrs["data-value"] for e in page.testid("usage-total")
            }
            assert totals == {k: str(v) for k, v in usage["totals"].items()} and totals
            blocks = [t for a, t in page.scripts if a.get("id") == "usage-data"]
            assert len(blocks) == 1
            chart = json.loads(blocks[0])
            assert len(chart["days"]) == 30 and chart["days"][0] == "2026-04-01"
            assert sorted(chart["kinds"]) == sorted(usage["totals"])
            with localcontext() as exact:
                exact.prec = 80  # the API's sums carry more digits than the default 28
                for kind in chart["kinds"]:
                    total = Decimal(str(usage["totals"][kind]))
                    assert sum(Decimal(v) for v in chart["series"][kind]) == total
            src = {a.get("src") for a, _ in page.scripts}
            assert "/ui/static/vendor/uplot-1.6.32.min.js" in src


async def test_invoice_actions_need_csrf_and_follow_the_lifecycle(the_demo: Demo) -> None:
    d = the_demo
    invoice_id = d.facts.tenant_invoice
    csrf = d.keys.csrf(d.admin)
    async with d.api(d.admin) as api, d.client(d.admin) as ui, d.client(d.tenant) as tenant:
        before = (await api.get(f"/api/v1/invoices/{invoice_id}")).json()
        assert before["status"] == "draft"
        no_pdf = await tenant.get(f"/ui/invoices/{invoice_id}/pdf")
        assert no_pdf.status_code == 400  # a draft has no PDF

        for data in ({}, {"csrf": "f" * 64}, {"csrf": d.keys.csrf(d.tenant)}):
            refused = await ui.post(f"/ui/invoices/{invoice_id}/issue", data=data)
            assert refused.status_code == 403
            assert_self_contained("refused", refused)
        assert (await api.get(f"/api/v1/invoices/{invoice_id}")).json()["status"] == "draft"

        paying_a_draft = await ui.post(f"/ui/invoices/{invoice_id}/pay", data={"csrf": csrf})
        assert paying_a_draft.status_code == 303
        flashed = await ui.get(paying_a_draft.headers["location"], headers=_carry(paying_a_draft))
        assert "Not marked paid" in Page(flashed.text).one("flash").text

        issued = await ui.post(
            f"/ui/invoices/{invoice_id}/issue", data={"csrf": csrf, "back": "/ui/invoices"}
        )
        assert issued.status_code == 303 and issued.headers["location"] == "/ui/invoices"
        after = (await api.get(f"/api/v1/invoices/{invoice_id}")).json()
        assert after["status"] == "issued" and after["number"]
        shown = await ui.get("/ui/invoices", headers=_carry(issued))
        assert f"Invoice {after['number']} issued." in Page(shown.text).one("flash").text

        pdf = await tenant.get(f"/ui/invoices/{invoice_id}/pdf")
        assert pdf.status_code == 200
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        assert "attachment" in pdf.headers["content-disposition"]
        api_pdf = await api.get(f"/api/v1/invoices/{invoice_id}/pdf")
        assert pdf.content == api_pdf.content

        rolled = await ui.post(
            "/ui/invoices/rollup", data={"csrf": csrf, "period": "2026-04", "force": "1"}
        )
        assert rolled.status_code == 303
        message = Page((await ui.get("/ui/invoices", headers=_carry(rolled))).text).one("flash")
        assert "Rolled up 2026-04" in message.text and "1 locked" in message.text
        bad = await ui.post("/ui/invoices/rollup", data={"csrf": csrf, "period": "26-4"})
        assert bad.status_code == 400

        paid = await ui.post(f"/ui/invoices/{invoice_id}/pay", data={"csrf": csrf})
        assert paid.status_code == 303
        assert (await api.get(f"/api/v1/invoices/{invoice_id}")).json()["status"] == "paid"
        assert (
            await ui.post(f"/ui/invoices/{invoice_id}/delete", data={"csrf": csrf})
        ).status_code == 400


def _carry(response: httpx.Response) -> dict[str, str]:
    """The session cookie plus the flash cookie an action set, for the next request."""
    cookies = [response.request.headers["cookie"]]
    flash = response.cookies.get("arcadia_ui_flash")
    if flash:
        cookies.append(f"arcadia_ui_flash={flash}")
    return {"Cookie": "; ".join(cookies)}


async def test_demo_sign_in_lands_on_each_roles_home(the_demo: Demo) -> None:
    d = the_demo
    async with d.client(None) as anon:
        for role, home in (("admin", "/ui/overview"), ("tenant", "/ui/invoices")):
            response = await anon.get(f"/ui/demo/sign-in/{role}", follow_redirects=True)
            assert response.status_code == 200
            assert response.url.path == home
            anon.cookies.clear()
