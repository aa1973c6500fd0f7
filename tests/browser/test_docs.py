"""The API documentation renders in a real browser with nothing fetched from outside this
machine: Swagger UI's assets are served by the gateway itself, and it lists every operation of
the merged OpenAPI document, the gateway's own reports included."""

from __future__ import annotations

from tests.browser.conftest import OpenPage, Stack, get_json, shoot


async def test_the_api_docs_render_offline_with_every_operation(
    open_page: OpenPage, stack: Stack
) -> None:
    document = await get_json(stack, stack.admin_token, "/openapi.json")
    expected = sum(
        1
        for item in document["paths"].values()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    )
    page = await open_page()
    response = await page.goto("/docs")
    assert response is not None and response.status == 200
    operations = page.locator(".swagger-ui .opblock")
    await operations.first.wait_for()
    assert await operations.count() == expected
    assert await page.locator('.opblock-summary-path[data-path="/api/v1/reports/margin"]').count()
    await shoot(page, "docs")
