"""The dashboard in a real browser: Debian's Chromium, driven by Playwright, against the
all-in-one stack served by uvicorn on a real port, with the demo month told on a fresh database.

Playwright never downloads a browser here: it drives /usr/bin/chromium. Without Chromium or
Playwright these tests skip, and fail under ARCADIA_REQUIRE_BROKER=1 (CI), where the suite must
run whole.

Every page a test opens is watched: a request to anything but this machine, a script error or a
Content-Security-Policy violation fails the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from arcadia_core.auth import Principal, mint_token
from arcadia_core.testing.servers import broker_required

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, Request

    from arcadia.demo import DemoFacts

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / ".artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches Chromium phones home at start, and those
# connections are refused on machines without internet access.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET = "browser-tests-secret-that-is-at-least-32-bytes"
AUDIENCE = "arcadia"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"data", "blob", "about"}
PHONE = {"width": 390, "height": 844}


def token(principal: Principal) -> str:
    return mint_token(principal, secret=SECRET, audience=AUDIENCE)


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


@dataclass(frozen=True)
class Stack:
    """The running all-in-one stack: where it listens and who may sign in."""

    base_url: str
    facts: DemoFacts
    admin_token: str
    tenant_token: str

    def api(self, as_token: str) -> httpx.AsyncClient:
        """The gateway's REST API over HTTP, as the holder of `as_token`."""
        return httpx.AsyncClient(base_url=self.base_url, headers=bearer(as_token), timeout=60)


def _missing_browser() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError as exc:
        return f"Playwright's Python package is not installed: {exc}"
    if not os.access(CHROMIUM, os.X_OK):
        return f"Chromium is not installed at {CHROMIUM} (Debian: apt-get install chromium)"
    return None


def _unavailable(message: str) -> None:
    message = f"the browser tests need a browser: {message}"
    if broker_required():
        pytest.fail(message)
    pytest.skip(message)


class _Server(uvicorn.Server):
    """Served on the test's own event loop (the services' connections live on it); signals
    are left to pytest."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[str]:
    """`app` on a real port of 127.0.0.1 (bound here, so no other process can take it)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(app, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise AssertionError("uvicorn stopped before it started")
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture(scope="package")
async def stack(database_server_url: str) -> AsyncIterator[Stack]:
    """The demo month (as `arcadia up` tells it) on a fresh database, every service on the
    in-process bus, the gateway with its dashboard on a real port."""
    from arcadia import demo
    from arcadia.allinone import gateway_app
    from arcadia.testing import demo_month_on_new_database

    # the tokens minted here are for AUDIENCE, so the services' audience must be the default
    async with demo_month_on_new_database(
        database_server_url, "arcadia_browser", SECRET, unset=["ARCADIA_JWT_AUDIENCE"]
    ) as (running, facts):
        admin = token(Principal.platform_admin("ops@example.com"))
        tenant = token(Principal.tenant(facts.tenant_id))
        app = gateway_app(running, demo_tokens=demo.sign_in_tokens(running.settings, facts))
        async with serving(app) as base_url:
            yield Stack(base_url, facts, admin, tenant)


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    if (missing := _missing_browser()) is not None:
        _unavailable(missing)
    from playwright.async_api import Error, async_playwright

    async with async_playwright() as playwright:
        try:
            # Playwright gives every launch a fresh, temporary user-data directory
            launched = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
        except Error as exc:
            _unavailable(f"{CHROMIUM} did not start: {exc}")
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class Watch:
    """What the pages of one test did that they must not."""

    foreign_requests: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    policy_violations: list[str] = field(default_factory=list)

    def request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme not in LOCAL_SCHEMES and parts.hostname not in LOCAL_HOSTS:
            self.foreign_requests.append(request.url)

    def console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.policy_violations.append(message.text)

    def page_error(self, error: Any) -> None:
        self.script_errors.append(str(error))

    def watch(self, page: Page) -> None:
        page.on("console", self.console)
        page.on("pageerror", self.page_error)

    def check(self) -> None:
        assert not self.foreign_requests, f"requests to other hosts: {self.foreign_requests}"
        assert not self.script_errors, f"script errors: {self.script_errors}"
        assert not self.policy_violations, f"CSP violations: {self.policy_violations}"


OpenPage = Callable[..., Awaitable["Page"]]


@pytest.fixture
async def open_page(browser: Browser, stack: Stack) -> AsyncIterator[OpenPage]:
    """`await open_page(viewport=None)`: a page in a fresh browser context (its own cookies),
    watched for foreign requests, script errors and CSP violations."""
    watch = Watch()
    contexts: list[BrowserContext] = []

    async def open_(viewport: dict[str, int] | None = None) -> Page:
        options: dict[str, Any] = {"base_url": stack.base_url}
        if viewport is not None:
            options.update(viewport=viewport, is_mobile=True, has_touch=True)
        context = await browser.new_context(**options)
        context.set_default_timeout(20_000)
        context.on("request", watch.request)
        context.on("page", watch.watch)
        contexts.append(context)
        return await context.new_page()

    yield open_
    for context in contexts:
        await context.close()
    watch.check()


async def sign_in(page: Page, bearer_token: str) -> None:
    """Through the sign-in form, as a person would: paste the token, submit."""
    await page.goto("/ui/sign-in")
    await page.locator('[name="token"]').fill(bearer_token)
    await page.locator('form:has([name="token"]) [type="submit"]').click()
    await page.wait_for_load_state()


async def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def data_values(page: Page, testid: str) -> list[str]:
    """The raw `data-value` of every element with this data-testid, in page order."""
    values: list[str] = await page.locator(f'[data-testid="{testid}"]').evaluate_all(
        "elements => elements.map(e => e.dataset.value)"
    )
    return values


async def visit(page: Page, path: str) -> None:
    response = await page.goto(path)
    assert response is not None, path
    assert response.status == 200, f"{path} answered {response.status}"
    assert await page.get_by_test_id("error").count() == 0, path


async def all_items(stack: Stack, as_token: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paged API list, following its cursor to the end."""
    items: list[dict[str, Any]] = []
    cursor = None
    async with stack.api(as_token) as api:
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {})}
            answer = await api.get(path, params=query)
            assert answer.status_code == 200, answer.text
            body = answer.json()
            items += body["items"]
            cursor = body.get("next_cursor")
            if not cursor:
                return items


async def get_json(stack: Stack, as_token: str, path: str, **params: Any) -> Any:
    async with stack.api(as_token) as api:
        answer = await api.get(path, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


IDS = "rows => rows.map(r => r.dataset.id)"


async def across_pages(page: Page, testid: str, script: str = IDS) -> list[Any]:
    """`script` run over the rows with this testid, page after page, following the page's
    "next" links; by default the rows' data-id."""
    found: list[Any] = []
    while True:
        found += await page.locator(f'[data-testid="{testid}"]').evaluate_all(script)
        following = page.locator('a[rel="next"]')
        if await following.count() == 0:
            return found
        await following.first.click()
        await page.wait_for_load_state()


async def attribute_rows(page: Page, testid: str, *attributes: str) -> list[dict[str, str]]:
    """Each row with this data-testid as {attribute: value} for the named data-* attributes."""
    rows: list[dict[str, str]] = await page.locator(f'[data-testid="{testid}"]').evaluate_all(
        "(elements, names) => elements.map(e => Object.fromEntries("
        "names.map(n => [n, e.getAttribute('data-' + n)])))",
        list(attributes),
    )
    return rows


@dataclass(frozen=True)
class OtherTenant:
    tenant_id: str
    invoice_id: str
    token: str


@pytest.fixture(scope="package")
async def other_tenant(stack: Stack) -> OtherTenant:
    """A second tenant with an April invoice of its own, made through the API."""
    async with stack.api(stack.admin_token) as admin:
        created = await admin.post("/api/v1/tenants", json={"name": "harbour"})
        assert created.status_code == 201, created.text
        tenant_id = created.json()["id"]
        deployment = await admin.post(
            "/api/v1/deployments", json={"tenant_id": tenant_id, "name": "harbour-web"}
        )
        assert deployment.status_code == 201, deployment.text
        subscribed = await admin.post(
            "/api/v1/subscriptions",
            json={
                "deployment_id": deployment.json()["id"],
                "plan": "studio",
                "starts_on": "2026-04-01",
            },
        )
        assert subscribed.status_code == 201, subscribed.text
        rolled = await admin.post("/api/v1/invoices/rollup", json={"period": "2026-04"})
        assert rolled.status_code == 200, rolled.text
        [invoice] = (await admin.get("/api/v1/invoices", params={"tenant": tenant_id})).json()[
            "items"
        ]
    assert invoice["tenant_id"] == tenant_id
    return OtherTenant(tenant_id, invoice["id"], token(Principal.tenant(uuid.UUID(tenant_id))))
