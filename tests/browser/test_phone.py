"""The main pages at phone width (390x844): nothing pushes the page wider than the screen; wide
tables scroll inside their own box."""

from __future__ import annotations

from tests.browser.conftest import PHONE, OpenPage, Stack, shoot, sign_in, visit
from tests.browser.test_pages import admin_pages, tenant_pages

# the main pages: lists and the invoice, not every detail page
MAIN = {"overview", "billing", "invoices", "invoice", "usage", "inventory", "drift", "runs"}
OVERFLOW = """() => ({
    body: document.body.scrollWidth,
    page: document.documentElement.scrollWidth,
    screen: document.documentElement.clientWidth,
})"""


async def test_the_main_pages_fit_a_phone(open_page: OpenPage, stack: Stack) -> None:
    for role, as_token, pages in (
        ("admin", stack.admin_token, await admin_pages(stack)),
        ("tenant", stack.tenant_token, await tenant_pages(stack)),
    ):
        page = await open_page(viewport=PHONE)
        await sign_in(page, as_token)
        for name, path in pages:
            if name not in MAIN:
                continue
            await visit(page, path)
            widths = await page.evaluate(OVERFLOW)
            assert widths["screen"] == PHONE["width"], widths
            assert widths["body"] <= widths["screen"], f"{role} {path} overflows: {widths}"
            assert widths["page"] <= widths["screen"], f"{role} {path} overflows: {widths}"
            await shoot(page, f"phone-{role}-{name}")
