"""Every page of the dashboard for each role, and the figures it shows against the API's."""

from __future__ import annotations

import json
from collections import Counter

from arcadia.demo import DEMO_PERIOD
from tests.browser.conftest import (
    OpenPage,
    Stack,
    across_pages,
    all_items,
    attribute_rows,
    data_values,
    get_json,
    shoot,
    sign_in,
    visit,
)


async def pilot_resource(stack: Stack) -> str:
    """A resource of the demo tenant's deployment: both roles may open it."""
    mine = await all_items(stack, stack.tenant_token, "/api/v1/inventory")
    assert mine, "the demo tenant has no resources"
    return str(mine[0]["id"])


async def admin_pages(stack: Stack) -> list[tuple[str, str]]:
    facts = stack.facts
    return [
        ("overview", f"/ui/overview?period={DEMO_PERIOD}"),
        ("billing", "/ui/billing"),
        ("billing-invoice", f"/ui/billing/{facts.provider_invoice}"),
        ("invoices", "/ui/invoices"),
        ("invoice", f"/ui/invoices/{facts.tenant_invoice}"),
        ("usage", f"/ui/usage?deployment_id={facts.deployment_id}&period={DEMO_PERIOD}"),
        ("inventory", "/ui/inventory"),
        ("inventory-resource", f"/ui/inventory/{await pilot_resource(stack)}"),
        ("projects", "/ui/projects"),
        ("drift", "/ui/drift"),
        ("runs", "/ui/runs"),
    ]


async def tenant_pages(stack: Stack) -> list[tuple[str, str]]:
    facts = stack.facts
    return [
        ("invoices", "/ui/invoices"),
        ("invoice", f"/ui/invoices/{facts.tenant_invoice}"),
        ("usage", f"/ui/usage?deployment_id={facts.deployment_id}&period={DEMO_PERIOD}"),
        ("inventory", "/ui/inventory"),
        ("inventory-resource", f"/ui/inventory/{await pilot_resource(stack)}"),
    ]


async def test_every_admin_page_opens(open_page: OpenPage, stack: Stack) -> None:
    page = await open_page()
    await sign_in(page, stack.admin_token)
    for name, path in await admin_pages(stack):
        await visit(page, path)
        await shoot(page, f"admin-{name}")
    # and every link of the admin's navigation leads to a page
    for href in await page.locator("nav a").evaluate_all("links => links.map(a => a.pathname)"):
        await visit(page, href)


async def test_every_tenant_page_opens(open_page: OpenPage, stack: Stack) -> None:
    page = await open_page()
    await sign_in(page, stack.tenant_token)
    for name, path in await tenant_pages(stack):
        await visit(page, path)
        await shoot(page, f"tenant-{name}")
    links = await page.locator("nav a").evaluate_all("links => links.map(a => a.pathname)")
    assert "/ui/overview" not in links and "/ui/drift" not in links
    for href in links:
        await visit(page, href)


async def test_invoice_figures_match_the_api(open_page: OpenPage, stack: Stack) -> None:
    for role, as_token in (("admin", stack.admin_token), ("tenant", stack.tenant_token)):
        page = await open_page()
        await sign_in(page, as_token)
        listed = await all_items(stack, as_token, "/api/v1/invoices")
        await visit(page, "/ui/invoices")
        assert sorted(await across_pages(page, "invoice-row")) == sorted(
            str(i["id"]) for i in listed
        ), role

        invoice = await get_json(stack, as_token, f"/api/v1/invoices/{stack.facts.tenant_invoice}")
        await visit(page, f"/ui/invoices/{stack.facts.tenant_invoice}")
        shown = {
            testid: await data_values(page, testid)
            for testid in ("invoice-subtotal", "invoice-tax", "invoice-total", "invoice-status")
        }
        assert shown == {
            "invoice-subtotal": [str(invoice["subtotal_cents"])],
            "invoice-tax": [str(invoice["tax_cents"])],
            "invoice-total": [str(invoice["total_cents"])],
            "invoice-status": [invoice["status"]],
        }, role


async def test_the_overview_shows_the_margin_report(open_page: OpenPage, stack: Stack) -> None:
    report = await get_json(stack, stack.admin_token, "/api/v1/reports/margin", period=DEMO_PERIOD)
    assert report["rows"], "the demo month has margin rows"
    page = await open_page()
    await sign_in(page, stack.admin_token)
    await visit(page, f"/ui/overview?period={DEMO_PERIOD}")

    rows = page.get_by_test_id("margin-row")
    shown: Counter[tuple[str | None, str | None, str | None, str | None]] = Counter()
    for index in range(await rows.count()):
        row = rows.nth(index)
        shown[
            (
                await row.get_attribute("data-deployment") or None,
                await row.get_attribute("data-kind"),
                await row.get_by_test_id("margin-revenue").get_attribute("data-value"),
                await row.get_by_test_id("margin-cost").get_attribute("data-value"),
            )
        ] += 1
    expected = Counter(
        (r["deployment_id"], r["kind"], str(r["revenue_cents"]), str(r["cost_cents"]))
        for r in report["rows"]
    )
    assert shown == expected
    flag = "true" if report["reconciliation"]["ok"] else "false"
    assert await data_values(page, "margin-reconciled") == [flag]


async def test_the_provider_bills_match_the_api(open_page: OpenPage, stack: Stack) -> None:
    invoices = await all_items(stack, stack.admin_token, "/api/v1/billing/invoices")
    page = await open_page()
    await sign_in(page, stack.admin_token)
    await visit(page, "/ui/billing")
    shown = await across_pages(
        page,
        "provider-invoice-row",
        "rows => rows.map(r => [r.dataset.id,"
        " r.querySelector('[data-testid=provider-invoice-amount]').dataset.value])",
    )
    assert sorted(shown) == sorted([i["invoice_uuid"], str(i["amount_cents"])] for i in invoices)

    april = await get_json(
        stack, stack.admin_token, f"/api/v1/billing/invoices/{stack.facts.provider_invoice}"
    )
    await visit(page, f"/ui/billing/{stack.facts.provider_invoice}")
    lines = await attribute_rows(page, "cost-line-row", "id", "match")
    assert sorted(int(line["id"]) for line in lines) == sorted(
        line["id"] for line in april["lines"]
    )
    assert len(lines) == april["line_count"] == 33
    assert Counter(line["match"] for line in lines) == {
        "matched": april["matched_count"],
        "unmatched": april["line_count"] - april["matched_count"],
    }
    # the filter shows only the unmatched lines
    await visit(page, f"/ui/billing/{stack.facts.provider_invoice}?match=unmatched")
    unmatched = await attribute_rows(page, "cost-line-row", "match")
    assert unmatched and {line["match"] for line in unmatched} == {"unmatched"}


async def test_the_inventory_shows_what_the_api_shows(open_page: OpenPage, stack: Stack) -> None:
    for role, as_token in (("admin", stack.admin_token), ("tenant", stack.tenant_token)):
        resources = await all_items(stack, as_token, "/api/v1/inventory")
        page = await open_page()
        await sign_in(page, as_token)
        await visit(page, "/ui/inventory")
        shown = await across_pages(page, "resource-row")
        assert len(shown) == len(resources), role
        assert sorted(shown) == sorted(str(r["id"]) for r in resources), role

    droplets = await all_items(stack, stack.admin_token, "/api/v1/inventory", kind="droplet")
    page = await open_page()
    await sign_in(page, stack.admin_token)
    await visit(page, "/ui/inventory?kind=droplet")
    assert sorted(await across_pages(page, "resource-row")) == sorted(
        str(r["id"]) for r in droplets
    )


async def test_the_usage_chart_is_drawn_from_the_apis_figures(
    open_page: OpenPage, stack: Stack
) -> None:
    deployment = str(stack.facts.deployment_id)
    for role, as_token in (("admin", stack.admin_token), ("tenant", stack.tenant_token)):
        usage = await get_json(
            stack,
            as_token,
            "/api/v1/usage",
            deployment_id=deployment,
            **{"from": "2026-04-01", "to": "2026-05-01", "granularity": "day"},
        )
        assert usage["totals"], "April was metered for the demo deployment"
        page = await open_page()
        await sign_in(page, as_token)
        await visit(page, f"/ui/usage?deployment_id={deployment}&period={DEMO_PERIOD}")
        shown = await attribute_rows(page, "usage-total", "kind", "value")
        assert {r["kind"]: r["value"] for r in shown} == usage["totals"], role
        # the chart is drawn (by the vendored chart library, under the page's CSP) from the
        # page's data block: every day of April, every kind
        await page.get_by_test_id("usage-chart").locator("canvas").first.wait_for()
        data = json.loads(await page.locator("#usage-data").text_content() or "{}")
        assert len(data["days"]) == 30 and sorted(data["kinds"]) == sorted(usage["totals"])
        # the picker offers only the deployments this principal may see
        offered = await page.locator('select[name="deployment_id"] option').evaluate_all(
            "options => options.map(o => o.value)"
        )
        visible = await all_items(stack, as_token, "/api/v1/deployments", include_removed=True)
        assert sorted(offered) == sorted(str(d["id"]) for d in visible), role
        if role == "tenant":
            assert offered == [deployment]


async def test_the_runs_page_shows_each_services_latest_runs(
    open_page: OpenPage, stack: Stack
) -> None:
    from arcadia import registry

    expected: dict[tuple[str, str], str] = {}
    async with stack.api(stack.admin_token) as api:
        for service in registry.names():
            answer = await api.get(f"/api/v1/runs/{service}", params={"limit": 200})
            assert answer.status_code == 200, f"{service}: {answer.text}"
            for run in answer.json()["items"]:
                expected.setdefault((service, run["name"]), run["outcome"])
    assert expected, "the demo's sync is recorded"
    page = await open_page()
    await sign_in(page, stack.admin_token)
    await visit(page, "/ui/runs")
    shown = await page.get_by_test_id("run-row").evaluate_all(
        "rows => rows.map(r => [r.dataset.service, r.dataset.name,"
        " r.querySelector('[data-testid=run-outcome]').dataset.value])"
    )
    assert {(s, n): o for s, n, o in shown} == expected
    assert len(shown) == len(expected)
