"""What an admin does in the dashboard: accept a drift, issue an invoice and download its PDF."""

from __future__ import annotations

import io
from decimal import Decimal

from pypdf import PdfReader

from tests.browser.conftest import (
    OpenPage,
    Stack,
    all_items,
    data_values,
    get_json,
    shoot,
    sign_in,
    visit,
)

WEB_01 = "web-01"
WRONG_SIZE = "s-1vcpu-2gb"


async def test_an_admin_accepts_a_drift_and_it_leaves_the_inbox(
    open_page: OpenPage, stack: Stack
) -> None:
    droplets = await all_items(stack, stack.admin_token, "/api/v1/inventory", kind="droplet")
    web_01 = next(d for d in droplets if d["name"] == WEB_01)
    async with stack.api(stack.admin_token) as api:
        desired = {"resource_id": web_01["id"], "spec": {"size": WRONG_SIZE}}
        recorded = await api.post("/api/v1/provisioned", json=desired)
        assert recorded.status_code == 200, recorded.text
        detected = await api.post("/api/v1/drift/detect")
        assert detected.status_code == 200, detected.text
        inbox = (await api.get("/api/v1/drift", params={"resource": web_01["id"]})).json()
    [drift] = inbox["items"]
    assert drift["expected"] == WRONG_SIZE

    page = await open_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the accept button asks to confirm
    await sign_in(page, stack.admin_token)
    await visit(page, "/ui/drift")
    row = page.locator(f'[data-testid="drift-row"][data-id="{drift["id"]}"]')
    assert await row.count() == 1
    await shoot(page, "admin-drift-open")
    reason = row.locator('[name="reason"]')
    if await reason.count():
        await reason.fill("web-01 was resized on purpose")
    await row.locator('form[action$="/accept"] [type="submit"]').click()
    await page.wait_for_load_state()

    assert await page.get_by_test_id("flash").count() == 1
    assert await page.locator(f'[data-testid="drift-row"][data-id="{drift["id"]}"]').count() == 0
    after = await get_json(stack, stack.admin_token, f"/api/v1/drift/{drift['id']}")
    assert after["status"] == "accepted"
    open_now = await all_items(stack, stack.admin_token, "/api/v1/drift")
    assert drift["id"] not in {d["id"] for d in open_now}


async def test_an_admin_issues_a_draft_and_downloads_its_pdf(
    open_page: OpenPage, stack: Stack
) -> None:
    invoice_id = str(stack.facts.tenant_invoice)
    before = await get_json(stack, stack.admin_token, f"/api/v1/invoices/{invoice_id}")
    assert before["status"] == "draft"

    page = await open_page()
    page.on("dialog", lambda dialog: dialog.accept())
    await sign_in(page, stack.admin_token)
    await visit(page, "/ui/invoices")
    row = page.locator(f'[data-testid="invoice-row"][data-id="{invoice_id}"]')
    await row.locator(f'form[action="/ui/invoices/{invoice_id}/issue"] [type="submit"]').click()
    await page.wait_for_load_state()
    assert await page.get_by_test_id("flash").count() == 1

    after = await get_json(stack, stack.admin_token, f"/api/v1/invoices/{invoice_id}")
    assert after["status"] == "issued" and after["number"]
    await visit(page, f"/ui/invoices/{invoice_id}")
    assert await data_values(page, "invoice-status") == ["issued"]
    await shoot(page, "admin-invoice-issued")

    async with page.expect_download() as downloading:
        await page.locator(f'a[href="/ui/invoices/{invoice_id}/pdf"]').click()
    download = await downloading.value
    path = await download.path()
    content = path.read_bytes()
    assert content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    total = Decimal(after["total_cents"]) / 100
    assert f"{total:,.2f}" in text, text
    assert after["number"] in text, text


async def test_a_tenant_downloads_its_own_invoice_pdf(open_page: OpenPage, stack: Stack) -> None:
    invoice_id = str(stack.facts.tenant_invoice)
    invoice = await get_json(stack, stack.tenant_token, f"/api/v1/invoices/{invoice_id}")
    page = await open_page()
    await sign_in(page, stack.tenant_token)
    await visit(page, f"/ui/invoices/{invoice_id}")
    # a tenant sees no admin action on its invoice
    assert await page.locator('form[action$="/issue"], form[action$="/void"]').count() == 0
    async with page.expect_download() as downloading:
        await page.locator(f'a[href="/ui/invoices/{invoice_id}/pdf"]').click()
    content = (await (await downloading.value).path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert f"{Decimal(invoice['total_cents']) / 100:,.2f}" in text, text
