"""What an admin does in the dashboard: accept a drift, issue an invoice and download its PDF,
classify a project, roll the month up and take the payment."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from playwright.async_api import Page

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


async def download_pdf(page: Page, invoice_id: str) -> str:
    """Click "Download PDF" on the invoice's page; the PDF's text, once checked it is one."""
    await visit(page, f"/ui/invoices/{invoice_id}")
    async with page.expect_download() as downloading:
        await page.get_by_test_id("invoice-pdf").click()
    content = (await (await downloading.value).path()).read_bytes()
    assert content.startswith(b"%PDF")
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


async def test_an_admin_issues_a_draft_and_both_roles_download_its_pdf(
    open_page: OpenPage, stack: Stack
) -> None:
    invoice_id = str(stack.facts.tenant_invoice)
    before = await get_json(stack, stack.admin_token, f"/api/v1/invoices/{invoice_id}")
    assert before["status"] == "draft"

    page = await open_page()
    page.on("dialog", lambda dialog: dialog.accept())
    await sign_in(page, stack.admin_token)
    await visit(page, f"/ui/invoices/{invoice_id}")
    assert await page.get_by_test_id("invoice-pdf").count() == 0  # a draft has no PDF yet
    await visit(page, "/ui/invoices")
    row = page.locator(f'[data-testid="invoice-row"][data-id="{invoice_id}"]')
    await row.locator(f'form[action="/ui/invoices/{invoice_id}/issue"] [type="submit"]').click()
    await page.wait_for_load_state()
    assert await page.get_by_test_id("flash").count() == 1

    after = await get_json(stack, stack.admin_token, f"/api/v1/invoices/{invoice_id}")
    assert after["status"] == "issued" and after["number"]
    await visit(page, f"/ui/invoices/{invoice_id}")
    assert await data_values(page, "invoice-status") == ["issued"]
    assert await data_values(page, "invoice-total") == [str(after["total_cents"])]
    await shoot(page, "admin-invoice-issued")
    total = f"{Decimal(after['total_cents']) / 100:,.2f}"
    text = await download_pdf(page, invoice_id)
    assert total in text and after["number"] in text, text

    # the tenant downloads the same invoice, and has no admin action on it
    tenant = await open_page()
    await sign_in(tenant, stack.tenant_token)
    text = await download_pdf(tenant, invoice_id)
    assert total in text and after["number"] in text, text
    actions = 'form[action$="/issue"], form[action$="/pay"], form[action$="/void"]'
    assert await tenant.locator(actions).count() == 0


async def test_an_admin_closes_the_month_in_the_browser(open_page: OpenPage, stack: Stack) -> None:
    """Mark the platform's own project internal, see its cost leave the unattributed rows for
    the internal ones, roll the month up again (nothing issued changes), and take the payment."""
    projects = await all_items(stack, stack.admin_token, "/api/v1/projects")
    internal = next(p for p in projects if p["name"] == "skyai-internal")
    invoice_id = str(stack.facts.tenant_invoice)
    async with stack.api(stack.admin_token) as api:
        if (await api.get(f"/api/v1/invoices/{invoice_id}")).json()["status"] == "draft":
            issued = await api.post(f"/api/v1/invoices/{invoice_id}/issue")
            assert issued.status_code == 200, issued.text

    page = await open_page()
    page.on("dialog", lambda dialog: dialog.accept())
    await sign_in(page, stack.admin_token)

    await visit(page, "/ui/projects")
    row = page.locator(f'[data-testid="project-row"][data-id="{internal["id"]}"]')
    await row.locator('[name="purpose"]').select_option("internal")
    await row.locator('[type="submit"]').click()
    await page.wait_for_load_state()
    assert await page.get_by_test_id("flash").count() == 1
    after = await all_items(stack, stack.admin_token, "/api/v1/projects")
    assert next(p for p in after if p["id"] == internal["id"])["purpose"] == "internal"
    report = await get_json(stack, stack.admin_token, "/api/v1/reports/margin", period="2026-04")
    assert report["reconciliation"]["ok"]
    assert any(r["category"] == "internal" for r in report["unallocated"])
    await visit(page, "/ui/overview?period=2026-04")
    assert await data_values(page, "margin-reconciled") == ["true"]
    kind_cost = [int(v) for v in await data_values(page, "kind-cost")]
    assert sum(kind_cost) == report["reconciliation"]["provider_net_cents"]

    await visit(page, "/ui/invoices")
    await page.locator('form[action="/ui/invoices/rollup"] [name="period"]').fill("2026-04")
    await page.get_by_test_id("rollup").click()
    await page.wait_for_load_state()
    assert await page.get_by_test_id("flash").count() == 1
    still = await get_json(stack, stack.admin_token, f"/api/v1/invoices/{invoice_id}")
    assert still["status"] == "issued"  # an issued invoice is never regenerated

    row = page.locator(f'[data-testid="invoice-row"][data-id="{invoice_id}"]')
    await row.locator(f'form[action="/ui/invoices/{invoice_id}/pay"] [type="submit"]').click()
    await page.wait_for_load_state()
    paid = await get_json(stack, stack.admin_token, f"/api/v1/invoices/{invoice_id}")
    assert paid["status"] == "paid" and paid["total_cents"] == still["total_cents"]
    await visit(page, f"/ui/invoices/{invoice_id}")
    assert await data_values(page, "invoice-status") == ["paid"]
    await shoot(page, "admin-invoice-paid")
