"""Signing in through the form, the session cookie, signing out, and what a tenant may not see."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import OpenPage, OtherTenant, Stack, Watch, shoot, sign_in

if TYPE_CHECKING:
    from playwright.async_api import Browser

ADMIN_ONLY = ["/ui/overview", "/ui/billing", "/ui/projects", "/ui/drift", "/ui/runs"]


def path_of(url: str) -> str:
    return urlsplit(url).path


async def test_signed_out_visitors_are_sent_to_the_sign_in_form(open_page: OpenPage) -> None:
    page = await open_page()
    for path in ["/ui/", "/ui/invoices", "/ui/overview"]:
        await page.goto(path)
        assert path_of(page.url) == "/ui/sign-in", path
    assert await page.locator('[name="token"]').count() == 1
    await shoot(page, "sign-in")


async def test_the_admin_signs_in_through_the_form(open_page: OpenPage, stack: Stack) -> None:
    page = await open_page()
    await sign_in(page, stack.admin_token)
    assert path_of(page.url) == "/ui/overview"
    [session] = [c for c in await page.context.cookies() if c["name"] == "arcadia_ui"]
    assert session["httpOnly"] and session["sameSite"] == "Strict" and session["path"] == "/ui"
    await page.goto("/ui/")
    assert path_of(page.url) == "/ui/overview"


async def test_a_tenant_signs_in_through_the_form_and_lands_on_its_invoices(
    open_page: OpenPage, stack: Stack
) -> None:
    page = await open_page()
    await sign_in(page, stack.tenant_token)
    assert path_of(page.url) == "/ui/invoices"


async def test_a_bad_token_shows_the_form_again_with_an_error(open_page: OpenPage) -> None:
    page = await open_page()
    await page.goto("/ui/sign-in")
    await page.locator('[name="token"]').fill("not-a-token")
    async with page.expect_response(
        lambda r: r.request.method == "POST" and path_of(r.url) == "/ui/sign-in"
    ) as answer:
        await page.locator('form:has([name="token"]) [type="submit"]').click()
    assert (await answer.value).status == 401
    await page.wait_for_load_state()
    assert await page.locator('[name="token"]').count() == 1
    assert not [c for c in await page.context.cookies() if c["name"] == "arcadia_ui"]
    await shoot(page, "sign-in-refused")


async def test_signing_out_ends_the_session(open_page: OpenPage, stack: Stack) -> None:
    page = await open_page()
    await sign_in(page, stack.tenant_token)
    await page.locator('form[action="/ui/sign-out"] [type="submit"]').click()
    await page.wait_for_load_state()
    assert not [c for c in await page.context.cookies() if c["name"] == "arcadia_ui"]
    await page.goto("/ui/invoices")
    assert path_of(page.url) == "/ui/sign-in"


async def test_a_tenant_is_refused_every_admin_page(open_page: OpenPage, stack: Stack) -> None:
    page = await open_page()
    await sign_in(page, stack.tenant_token)
    for path in [*ADMIN_ONLY, f"/ui/billing/{stack.facts.provider_invoice}"]:
        response = await page.goto(path)
        assert response is not None and response.status == 403, path
        # the page says so, and shows none of the admin's figures
        assert await page.locator('[data-testid^="margin-"]').count() == 0
        assert await page.locator('[data-testid="provider-invoice-row"]').count() == 0
    await page.goto("/ui/overview")
    await shoot(page, "tenant-forbidden")


async def test_a_tenant_cannot_reach_another_tenants_invoice(
    open_page: OpenPage, stack: Stack, other_tenant: OtherTenant
) -> None:
    page = await open_page()
    await sign_in(page, stack.tenant_token)
    for path in [
        f"/ui/invoices/{other_tenant.invoice_id}",
        f"/ui/invoices/{other_tenant.invoice_id}/pdf",
    ]:
        fetched = await page.request.get(path)
        assert fetched.status == 404, path
    response = await page.goto(f"/ui/invoices/{other_tenant.invoice_id}")
    assert response is not None and response.status == 404
    await shoot(page, "tenant-not-found")
    await page.goto("/ui/invoices")
    shown = await page.locator('[data-testid="invoice-row"]').evaluate_all(
        "rows => rows.map(r => r.dataset.id)"
    )
    assert shown == [str(stack.facts.tenant_invoice)]

    # and the other tenant sees its own, not the demo tenant's
    theirs = await open_page()
    await sign_in(theirs, other_tenant.token)
    response = await theirs.goto(f"/ui/invoices/{other_tenant.invoice_id}")
    assert response is not None and response.status == 200
    response = await theirs.goto(f"/ui/invoices/{stack.facts.tenant_invoice}")
    assert response is not None and response.status == 404


async def test_the_demo_sign_in_links_on_the_form(open_page: OpenPage) -> None:
    for role, home in (("admin", "/ui/overview"), ("tenant", "/ui/invoices")):
        page = await open_page()
        await page.goto("/ui/sign-in")
        await page.get_by_test_id(f"demo-sign-in-{role}").click()
        await page.wait_for_load_state()
        assert path_of(page.url) == home
        assert await page.get_by_test_id("role").inner_text() == (
            "platform admin" if role == "admin" else "tenant"
        )


async def test_the_guard_sees_a_request_to_another_host(browser: Browser) -> None:
    """The watch every page runs under is not blind: a request off this machine is caught."""
    watch = Watch()
    context = await browser.new_context()
    try:
        context.on("request", watch.request)
        await context.route("http://192.0.2.1/**", lambda route: route.abort())
        page = await context.new_page()
        async with page.expect_event("requestfailed"):
            await page.set_content('<img src="http://192.0.2.1/pixel.png">')
    finally:
        await context.close()
    assert watch.foreign_requests == ["http://192.0.2.1/pixel.png"]
    with pytest.raises(AssertionError, match="requests to other hosts"):
        watch.check()
