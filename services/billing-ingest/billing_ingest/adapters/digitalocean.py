"""DigitalOcean's billing API through the shared `do_api` client (paging, retries, budget).

Wire formats end here: dollar strings become integer cents, RFC 3339 strings aware datetimes,
`YYYY-MM` periods the first day of the month.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from billing_ingest.adapters.invoice_csv import AmountError, parse_cents, read_document
from billing_ingest.domain.model import (
    BalanceSnapshot,
    HistoryEntry,
    InvoiceDocument,
    InvoiceHeader,
    InvoiceListing,
    InvoiceSummary,
    InvoiceUnavailable,
    ProviderItem,
)
from billing_ingest.domain.plan import period_of
from do_api import DigitalOceanClient, InvalidResponse, NotFound
from do_api.paging import MAX_PER_PAGE, next_page_query, page_items

Json = dict[str, Any]
BASE = "/v2/customers/my"
MAX_PAGES = 10_000


def _time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _cents(value: Any, where: str) -> int:
    try:
        return parse_cents(str(value))
    except AmountError as exc:
        raise InvalidResponse(200, "invalid_response", f"{where}: {exc}") from exc


def _header(item: Json, where: str) -> InvoiceHeader:
    try:
        period = period_of(str(item["invoice_period"]))
        uuid = str(item["invoice_uuid"])
    except (KeyError, ValueError) as exc:
        raise InvalidResponse(200, "invalid_response", f"{where}: bad invoice {item}") from exc
    return InvoiceHeader(
        invoice_uuid=uuid,
        invoice_id=str(item["invoice_id"]) if item.get("invoice_id") else None,
        period=period,
        amount_cents=_cents(item.get("amount", "0"), where),
        updated_at=_time(item.get("updated_at")),
    )


class DigitalOceanBilling:
    def __init__(self, client: DigitalOceanClient) -> None:
        self.client = client

    async def balance(self) -> BalanceSnapshot:
        body = await self.client.get(f"{BASE}/balance")
        where = f"{BASE}/balance"
        return BalanceSnapshot(
            month_to_date_balance_cents=_cents(body.get("month_to_date_balance", "0"), where),
            account_balance_cents=_cents(body.get("account_balance", "0"), where),
            month_to_date_usage_cents=_cents(body.get("month_to_date_usage", "0"), where),
            generated_at=_time(body.get("generated_at")) or datetime.now(UTC),
        )

    async def billing_history(self) -> list[HistoryEntry]:
        path = f"{BASE}/billing_history"
        items = await self.client.list_all(path, "billing_history")
        return [
            HistoryEntry(
                occurred_at=_time(item.get("date")) or datetime.now(UTC),
                type=str(item.get("type") or ""),
                description=str(item.get("description") or ""),
                amount_cents=_cents(item.get("amount", "0"), path),
                invoice_uuid=item.get("invoice_uuid") or None,
                invoice_id=item.get("invoice_id") or None,
            )
            for item in items
        ]

    async def invoices(self) -> InvoiceListing:
        """Every issued invoice, and the month-to-date preview (outside the list)."""
        path = f"{BASE}/invoices"
        query: dict[str, str] = {"per_page": str(MAX_PER_PAGE), "page": "1"}
        issued: list[InvoiceHeader] = []
        preview: InvoiceHeader | None = None
        for _ in range(MAX_PAGES):
            body = await self.client.get(path, query)
            issued += [_header(item, path) for item in page_items(body, "invoices", path)]
            if preview is None and isinstance(body.get("invoice_preview"), dict):
                preview = _header(body["invoice_preview"], path)
            following = next_page_query(body, path)
            if following is None:
                return InvoiceListing(issued=issued, preview=preview)
            query = {**query, **following}
        raise InvalidResponse(200, "invalid_response", f"{path}: too many pages")

    async def invoice_csv(self, invoice_uuid: str) -> str:
        """The invoice's CSV as DigitalOcean sends it."""
        try:
            return await self.client.get_text(f"{BASE}/invoices/{invoice_uuid}/csv")
        except NotFound as exc:
            raise InvoiceUnavailable(
                f"DigitalOcean has no CSV for invoice {invoice_uuid} (404)"
            ) from exc

    async def invoice_document(self, invoice_uuid: str) -> InvoiceDocument:
        return read_document(await self.invoice_csv(invoice_uuid))

    async def invoice_items(self, invoice_uuid: str) -> list[ProviderItem]:
        path = f"{BASE}/invoices/{invoice_uuid}"
        items = await self.client.list_all(path, "invoice_items")
        return [
            ProviderItem(
                product=str(item.get("product") or "").strip(),
                description=str(item.get("description") or "").strip(),
                amount_cents=_cents(item.get("amount", "0"), path),
                start_at=_time(item.get("start_time")),
                resource_id=str(item["resource_id"]) if item.get("resource_id") else None,
                resource_uuid=str(item["resource_uuid"]) if item.get("resource_uuid") else None,
            )
            for item in items
        ]

    async def invoice_summary(self, invoice_uuid: str) -> InvoiceSummary:
        path = f"{BASE}/invoices/{invoice_uuid}/summary"
        body = await self.client.get(path)
        taxes = body.get("taxes")
        return InvoiceSummary(
            amount_cents=_cents(body.get("amount", "0"), path),
            taxes_cents=_cents(taxes.get("amount", "0"), path) if isinstance(taxes, dict) else 0,
            billing_period=body.get("billing_period"),
        )
