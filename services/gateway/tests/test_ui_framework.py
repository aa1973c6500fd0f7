"""The dashboard's framework without the services: money shown from cents, sign-in and its
cookie, CSRF, the security headers, error pages, demo sign-in only when configured, and the
vendored libraries' checksums."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.responses import HTMLResponse, JSONResponse

from arcadia_core.auth import Principal, mint_token
from arcadia_core.settings import ArcadiaSettings
from gateway.app import create_app, upstream_clients
from gateway.ui import formatting
from gateway.ui.backend import ApiResult
from gateway.ui.pages_overview import margin_view
from gateway.ui.security import CONTENT_SECURITY_POLICY
from gateway.ui.session import COOKIE, Keys

SECRET = "ui-framework-tests-secret-at-least-32-bytes"
VENDOR = Path(__file__).resolve().parents[1] / "gateway" / "ui" / "static" / "vendor"


def token(principal: Principal | None = None, ttl: timedelta = timedelta(hours=1)) -> str:
    return mint_token(
        principal or Principal.platform_admin(), secret=SECRET, audience="arcadia", ttl=ttl
    )


def signed_in(session: str) -> dict[str, str]:
    return {"Cookie": f"{COOKIE}={session}"}


INVOICE_ID = "0b6f3c1e-1d2a-4c4e-9f59-6f1f3f0f0a01"
MALFORMED_ID = "0b6f3c1e-1d2a-4c4e-9f59-6f1f3f0f0a02"
INVOICE = {
    "id": INVOICE_ID,
    "tenant_id": "7d3f1f52-9a52-4a53-8d38-2d8f8f5b7c11",
    "period_start": "2026-04-01",
    "currency": "USD",
    "tax_rate": "0.10",
    "subtotal_cents": 6422,
    "tax_cents": 642,
    "total_cents": 7064,
    "status": "draft",
    "number": None,
    "created_at": "2026-05-01T03:00:00Z",
    "issued_at": None,
    "paid_at": None,
    "voided_at": None,
    "lines": [
        {
            "kind": "overage",
            "description": "droplet_hours over allowance",
            "deployment_id": None,
            "resource_kind": "droplet_hours",
            "quantity": "672",
            "unit_price": "1",
            "amount_cents": 672,
            "corrects_period": None,
        }
    ],
}


def invoicing_stand_in(document: str | None) -> FastAPI:
    """Answers one invoice as invoicing does; its document as given (None: 404, as before
    invoicing served documents)."""
    upstream = FastAPI()

    @upstream.get("/api/v1/invoices/{invoice_id}")
    async def invoice(invoice_id: str) -> Response:
        if invoice_id == MALFORMED_ID:
            return JSONResponse(["not", "an", "invoice"])
        if invoice_id != INVOICE_ID:
            return JSONResponse({"detail": "invoice not found"}, status_code=404)
        return JSONResponse(INVOICE)

    @upstream.get("/api/v1/invoices/{invoice_id}/document")
    async def rendered(invoice_id: str) -> Response:
        if document is None or invoice_id != INVOICE_ID:
            return JSONResponse({"detail": "not found"}, status_code=404)
        return HTMLResponse(document)

    return upstream


def build(demo_tokens: dict[str, str] | None = None, document: str | None = None) -> FastAPI:
    settings = ArcadiaSettings(ARCADIA_JWT_SECRET=SECRET)
    upstream = invoicing_stand_in(document)
    clients = upstream_clients(
        settings, ["invoicing"], {"invoicing": httpx.ASGITransport(app=upstream)}
    )
    return create_app(settings, clients, {"/api/v1/invoices": "invoicing"}, demo_tokens=demo_tokens)


@pytest.fixture
async def ui() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=build())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


def assert_secured(response: httpx.Response) -> None:
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


# --- figures -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "currency", "shown"),
    [
        (7064, "USD", "$70.64"),
        (-150, "USD", "-$1.50"),
        (0, "USD", "$0.00"),
        (1, "USD", "$0.01"),
        (123456789, "USD", "$1,234,567.89"),
        ("642", "USD", "$6.42"),
        (99999999999999999, "USD", "$999,999,999,999,999.99"),
        (5, "AUD", "A$0.05"),
        (5, "JPY", "JPY 0.05"),
        (None, "USD", "—"),
        ("12.5", "USD", "—"),
        (1.5, "USD", "—"),
        (True, "USD", "—"),
    ],
)
def test_money_is_shown_from_integer_cents(cents: object, currency: str, shown: str) -> None:
    assert formatting.money(cents, currency) == shown


def test_quantities_and_percentages_stay_decimal() -> None:
    assert formatting.quantity("671.995") == "672.00"  # half-up, where float would give 671.99
    assert formatting.quantity("1234.5") == "1,234.50"
    assert formatting.quantity(0.1) == "—"  # never float
    assert formatting.percent("43.455", 2) == "43.46%"
    assert formatting.ratio_percent("0.10", 0) == "10%"
    assert formatting.when("2026-04-30T23:30:00-02:00") == "2026-05-01 01:30 UTC"
    assert formatting.when("2026-04-01") == "2026-04-01"


# --- sessions ------------------------------------------------------------------------------


def test_csrf_token_is_bound_to_the_session_token() -> None:
    keys = Keys(SECRET, "arcadia")
    first, second = token(), token(Principal.tenant(uuid.uuid4()))
    assert keys.csrf_ok(first, keys.csrf(first))
    assert not keys.csrf_ok(first, keys.csrf(second))
    assert not keys.csrf_ok(first, "")
    assert not keys.csrf_ok(first, None)
    assert not keys.csrf_ok(first, "é" * 64)  # non-ASCII input never raises
    assert not Keys("another-secret-of-at-least-32-bytes!!", "arcadia").csrf_ok(
        first, keys.csrf(first)
    )


def test_flash_messages_are_signed() -> None:
    keys = Keys(SECRET, "arcadia")
    signed = keys.signed_flash('Invoice INV-2026-000001 issued; ünïcode; "quoted"')
    assert keys.flash_text(signed) == 'Invoice INV-2026-000001 issued; ünïcode; "quoted"'
    mac, _, encoded = signed.partition(".")
    assert keys.flash_text(f"{mac}.{encoded}x") is None
    assert keys.flash_text("forged.text") is None
    assert keys.flash_text(None) is None


async def test_good_token_signs_in_with_a_strict_cookie(ui: httpx.AsyncClient) -> None:
    good = token()
    response = await ui.post("/ui/sign-in", data={"token": f"Bearer {good}"})
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={good};")
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/ui", "samesite=strict"} <= flags
    assert "secure" not in flags  # plain http: a Secure cookie would never come back
    assert_secured(response)

    home = await ui.get("/ui/", headers=signed_in(good))
    assert home.status_code == 303 and home.headers["location"] == "/ui/overview"
    tenant = token(Principal.tenant(uuid.uuid4()))
    home = await ui.get("/ui/", headers=signed_in(tenant))
    assert home.headers["location"] == "/ui/invoices"


async def test_cookie_is_secure_over_https() -> None:
    transport = httpx.ASGITransport(app=build())
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        response = await client.post("/ui/sign-in", data={"token": token()})
    assert response.status_code == 303
    assert "secure" in {p.strip().lower() for p in response.headers["set-cookie"].split(";")}


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not-a-token",
        token(ttl=timedelta(seconds=-30)),  # expired
        mint_token(Principal.platform_admin(), secret="x" * 40, audience="arcadia"),  # forged
        mint_token(Principal.platform_admin(), secret=SECRET, audience="elsewhere"),
    ],
)
async def test_bad_or_expired_token_gets_the_form_again(ui: httpx.AsyncClient, bad: str) -> None:
    response = await ui.post("/ui/sign-in", data={"token": bad})
    assert response.status_code == 401
    assert "set-cookie" not in response.headers
    assert 'data-testid="sign-in-error"' in response.text
    assert 'name="token"' in response.text
    assert_secured(response)


async def test_an_expired_session_goes_back_to_sign_in(ui: httpx.AsyncClient) -> None:
    expired = token(ttl=timedelta(seconds=-1))
    response = await ui.get("/ui/invoices", headers=signed_in(expired))
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/sign-in?expired=1"
    assert response.headers["set-cookie"].startswith(f'{COOKIE}=""')  # cleared
    page = await ui.get("/ui/sign-in?expired=1")
    assert "session has ended" in page.text


async def test_not_signed_in_goes_to_sign_in(ui: httpx.AsyncClient) -> None:
    for path in ("/ui", "/ui/", "/ui/invoices", "/ui/overview", "/ui/usage"):
        response = await ui.get(path, follow_redirects=True)
        assert response.url.path == "/ui/sign-in", path
        assert response.status_code == 200
        assert_secured(response)


async def test_sign_in_from_another_site_is_refused(ui: httpx.AsyncClient) -> None:
    response = await ui.post(
        "/ui/sign-in", data={"token": token()}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
    same = await ui.post(
        "/ui/sign-in", data={"token": token()}, headers={"Origin": "http://testserver"}
    )
    assert same.status_code == 303


async def test_sign_out_needs_the_csrf_token(ui: httpx.AsyncClient) -> None:
    session = token()
    keys = Keys(SECRET, "arcadia")
    refused = await ui.post("/ui/sign-out", headers=signed_in(session), data={})
    assert refused.status_code == 403
    assert "set-cookie" not in refused.headers
    assert_secured(refused)
    wrong = await ui.post("/ui/sign-out", headers=signed_in(session), data={"csrf": "0" * 64})
    assert wrong.status_code == 403
    done = await ui.post(
        "/ui/sign-out", headers=signed_in(session), data={"csrf": keys.csrf(session)}
    )
    assert done.status_code == 303 and done.headers["location"] == "/ui/sign-in"
    assert done.headers["set-cookie"].startswith(f'{COOKIE}=""')
    by_header = await ui.post(
        "/ui/sign-out", headers={**signed_in(session), "X-CSRF-Token": keys.csrf(session)}
    )
    assert by_header.status_code == 303


async def test_demo_sign_in_exists_only_when_configured(ui: httpx.AsyncClient) -> None:
    for role in ("admin", "tenant"):
        response = await ui.get(f"/ui/demo/sign-in/{role}")
        assert response.status_code == 404
        assert "set-cookie" not in response.headers
    page = await ui.get("/ui/sign-in")
    assert "/ui/demo/" not in page.text

    admin = token()
    transport = httpx.ASGITransport(app=build({"admin": admin}))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/ui/demo/sign-in/admin")
        assert response.status_code == 303
        assert response.headers["set-cookie"].startswith(f"{COOKIE}={admin};")
        assert (await client.get("/ui/demo/sign-in/tenant")).status_code == 404
        assert 'href="/ui/demo/sign-in/admin"' in (await client.get("/ui/sign-in")).text
    with pytest.raises(ValueError, match="roles"):
        build({"root": admin})


async def test_unknown_pages_and_static_files_carry_the_headers(ui: httpx.AsyncClient) -> None:
    missing = await ui.get("/ui/no/such/page", headers=signed_in(token()))
    assert missing.status_code == 404
    assert 'data-testid="error"' in missing.text
    assert_secured(missing)
    for path in ("/ui/static/app.css", "/ui/static/app.js", "/ui/static/vendor/htmx-2.0.11.min.js"):
        response = await ui.get(path)
        assert response.status_code == 200, path
        assert_secured(response)
    assert (await ui.get("/ui/static/../../gateway/app.py")).status_code == 404
    # the API keeps its own answers: no dashboard headers outside /ui
    assert "content-security-policy" not in (await ui.get("/healthz")).headers


# --- vendored libraries --------------------------------------------------------------------


def vendored() -> list[tuple[str, str, str]]:
    """(file, version, sha256) from VENDORED.md's table."""
    rows = []
    for line in (VENDOR / "VENDORED.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"[0-9a-f]{64}", cells[4]):
            rows.append((cells[0], cells[2], cells[4]))
    return rows


def test_vendored_files_match_their_recorded_checksums() -> None:
    rows = vendored()
    assert {name for name, _, _ in rows} == {
        p.name for p in VENDOR.iterdir() if p.name != "VENDORED.md"
    }
    for name, version, digest in rows:
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
        if name.endswith((".js", ".css")):
            assert version in name, f"{name} does not say its version {version}"


# --- pages over stand-ins ------------------------------------------------------------------


async def test_overview_says_so_when_the_report_and_balance_cannot_be_read(
    ui: httpx.AsyncClient,
) -> None:
    """Here no service behind the report or the balance exists: the page still answers, with
    a notice for each, and shows no made-up figure."""
    response = await ui.get("/ui/overview?period=2026-04", headers=signed_in(token()))
    assert response.status_code == 200
    assert_secured(response)
    assert 'data-testid="margin-notice"' in response.text
    status = re.search(r'data-testid="margin-notice" data-status="(\d+)"', response.text)
    assert status is not None and status.group(1) in {"404", "503"}
    assert 'data-testid="margin-row"' not in response.text
    assert 'data-testid="balance-mtd"' not in response.text
    assert "balance could not be read" in response.text


def test_the_margin_report_is_shown_whatever_members_it_grows() -> None:
    report = {
        "period": "2026-04",
        "currencies": ["USD"],
        "rows": [
            {
                "deployment_id": "d1",
                "kind": "droplet_hours",
                "revenue_cents": 672,
                "cost_cents": 2400,
            },
        ],
        "totals": {"revenue_cents": 672, "cost_cents": 2400, "margin_pct": "-257.14"},
        "reconciliation": {"difference_cents": 0},
        "forecast": {"next_month_cents": 1200, "items": [{"kind": "x", "cost_cents": 5}]},
        "note": "provisional",
    }
    view = margin_view(ApiResult(200, report, b"", httpx.Headers()))
    assert view.notice is None
    assert view.rows[0]["margin_cents"] == 672 - 2400  # computed exactly when not sent
    assert view.reconciled is True  # from the difference, when no flag is sent
    keys = [section.key for section in view.sections]
    assert keys == ["totals", "reconciliation", "forecast"]
    forecast = view.sections[-1]
    assert [f.key for f in forecast.figures] == ["next_month_cents"]
    assert forecast.tables[0][1].columns == ["kind", "cost_cents"]
    assert [f.key for f in view.loose] == ["note"]
    for status in (404, 503):
        unavailable = margin_view(ApiResult(status, {"detail": "x"}, b"", httpx.Headers()))
        assert unavailable.notice and unavailable.rows == []
    failed = margin_view(ApiResult(502, {"detail": "invoicing closed"}, b"", httpx.Headers()))
    assert failed.notice is not None and "invoicing closed" in failed.notice


async def test_invoice_lines_are_shown_when_there_is_no_document(ui: httpx.AsyncClient) -> None:
    response = await ui.get(f"/ui/invoices/{INVOICE_ID}", headers=signed_in(token()))
    assert response.status_code == 200
    assert_secured(response)
    html = response.text
    assert 'data-testid="invoice-total" data-value="7064">$70.64<' in html
    assert 'data-testid="invoice-subtotal" data-value="6422">$64.22<' in html
    assert 'data-testid="invoice-tax" data-value="642">$6.42<' in html
    assert "droplet_hours over allowance" in html
    assert 'data-testid="invoice-line-amount" data-value="672">$6.72<' in html
    assert "Download PDF" not in html  # a draft has none
    missing = await ui.get(f"/ui/invoices/{uuid.uuid4()}", headers=signed_in(token()))
    assert missing.status_code == 404


async def test_the_invoice_document_is_embedded_without_anything_that_would_run() -> None:
    document = (
        '<article class="arcadia-invoice"><style>.x{}</style><p>Tax invoice</p>'
        "<SCRIPT type=text/javascript>alert(1)</script ></article>"
    )
    transport = httpx.ASGITransport(app=build(document=document))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get(f"/ui/invoices/{INVOICE_ID}", headers=signed_in(token()))
    assert response.status_code == 200
    assert '<article class="arcadia-invoice"><p>Tax invoice</p></article>' in response.text
    assert "<style" not in response.text.lower() and "alert(1)" not in response.text


async def test_a_page_that_fails_answers_an_error_page(ui: httpx.AsyncClient) -> None:
    response = await ui.get(f"/ui/invoices/{MALFORMED_ID}", headers=signed_in(token()))
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert 'data-testid="error" data-status="500"' in response.text
    assert_secured(response)
