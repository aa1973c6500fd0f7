"""`make run` (`arcadia up`) as a person starts it: the banner names the dashboard and, in the
demo, one-click sign-in links for the demo admin and the demo tenant, and those links work.
Without the demo (no initial sync, so no demo facts) there is no demo sign-in at all."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from arcadia.testing import OUTSIDE_WORLD

from ..conftest import Process, free_port

SECRET = "demo-sign-in-secret-that-is-at-least-32-bytes"
UP_SECONDS = 180


@pytest.fixture(autouse=True)
def _demo_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a fresh machine: the in-process bus, the sandbox, the finance stand-in."""
    for name in OUTSIDE_WORLD:
        monkeypatch.delenv(name, raising=False)


async def start_up(
    processes: Callable[[str, list[str], dict[str, str]], Process],
    database_url: str,
    *options: str,
) -> tuple[str, str]:
    """`arcadia up` on a free port; (its base URL, everything it printed until it served)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"ARCADIA_DATABASE_URL": database_url, "ARCADIA_JWT_SECRET": SECRET}
    up = processes("up", ["up", "--port", str(port), *options], env)
    await asyncio.to_thread(up.wait_healthy, f"{base}/healthz", UP_SECONDS)
    return base, up.log.read_text(errors="replace")


async def test_the_demo_banner_links_sign_in_the_demo_admin_and_the_demo_tenant(
    migrated_database: Callable[..., Awaitable[str]],
    processes: Callable[[str, list[str], dict[str, str]], Process],
) -> None:
    base, banner = await start_up(processes, await migrated_database())
    assert f"Dashboard: {base}/ui/" in banner, banner
    for role, home in (("admin", "/ui/overview"), ("tenant", "/ui/invoices")):
        link = f"{base}/ui/demo/sign-in/{role}"
        assert link in banner, banner
        async with httpx.AsyncClient(base_url=base, timeout=30) as browser:
            signed_in = await browser.get(link)
            assert signed_in.status_code == 303, signed_in.text
            assert signed_in.headers["location"] == "/ui/"
            assert "arcadia_ui" in signed_in.cookies
            front = await browser.get("/ui/")
            assert (front.status_code, front.headers["location"]) == (303, home)
            page = await browser.get(home)
            assert page.status_code == 200, page.text
        # the tenant's session is the tenant's: an admin page is refused
        if role == "tenant":
            async with httpx.AsyncClient(base_url=base, timeout=30) as browser:
                await browser.get(link)
                assert (await browser.get("/ui/overview")).status_code == 403


async def test_without_the_demo_there_is_no_demo_sign_in(
    migrated_database: Callable[..., Awaitable[str]],
    processes: Callable[[str, list[str], dict[str, str]], Process],
) -> None:
    base, banner = await start_up(processes, await migrated_database(), "--no-initial-sync")
    assert f"Dashboard: {base}/ui/" in banner, banner
    assert "/ui/demo/sign-in/" not in banner, banner
    async with httpx.AsyncClient(base_url=base, timeout=30) as browser:
        for role in ("admin", "tenant"):
            answer = await browser.get(f"/ui/demo/sign-in/{role}")
            assert answer.status_code == 404
            assert "arcadia_ui" not in answer.cookies
        assert (await browser.get("/ui/sign-in")).status_code == 200
