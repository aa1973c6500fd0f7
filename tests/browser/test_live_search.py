"""The inventory's search box narrows the list as one types (htmx swaps the results in place,
under the page's CSP), and the address follows, so the narrowed list can be shared or reloaded."""

from __future__ import annotations

from tests.browser.conftest import OpenPage, Stack, all_items, sign_in, visit


async def test_typing_in_the_search_box_narrows_the_inventory_in_place(
    open_page: OpenPage, stack: Stack
) -> None:
    everything = await all_items(stack, stack.admin_token, "/api/v1/inventory")
    wanted = await all_items(stack, stack.admin_token, "/api/v1/inventory", q="web-01")
    assert 0 < len(wanted) < len(everything)

    page = await open_page()
    await sign_in(page, stack.admin_token)
    await visit(page, "/ui/inventory?limit=500")
    await page.evaluate("window.__same_document = true")
    rows = page.get_by_test_id("resource-row")
    assert await rows.count() == len(everything)

    await page.locator('[name="q"]').press_sequentially("web-01")
    await page.wait_for_url("**/ui/inventory?*q=web-01*")
    await page.wait_for_function(
        f"document.querySelectorAll('[data-testid=resource-row]').length === {len(wanted)}"
    )
    shown = await rows.evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert shown == [item["id"] for item in wanted]
    # swapped in place: still the same document, not a page load
    assert await page.evaluate("window.__same_document === true")
