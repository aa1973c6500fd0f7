"""The finance service's cloud-invoice import, authenticated by a short-lived HS256 JWT.

Claims: `tenant_id: "platform-admin"` and `roles: ["admin"]` (the role finance's write check
wants), `sub`, `iat` and a 5-minute `exp`. Finance deduplicates on (tenant, source,
external_id) and answers `{"action": "created" | "updated", "id": ...}`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from billing_ingest.ports import FinanceRejected

IMPORT_PATH = "/api/v1/integrations/cloud/import-invoice"
DEFAULT_FINANCE_URL = "http://localhost:4010"
TOKEN_TTL = timedelta(minutes=5)


def finance_token(secret: str, now: datetime | None = None) -> str:
    issued = now or datetime.now(UTC)
    claims = {
        "sub": "arcadia-billing-ingest",
        "tenant_id": "platform-admin",
        "roles": ["admin"],
        "iat": issued,
        "exp": issued + TOKEN_TTL,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


class HttpFinanceClient:
    """`configured` is False without a secret: every push is then a logged skip."""

    def __init__(
        self,
        base_url: str | None,
        secret: str | None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.base_url = (base_url or DEFAULT_FINANCE_URL).rstrip("/")
        self._secret = secret or None
        self.configured = self._secret is not None
        self._http = httpx.AsyncClient(
            base_url=self.base_url, transport=transport, timeout=httpx.Timeout(timeout)
        )

    async def import_invoice(self, payload: dict[str, Any]) -> tuple[str, str]:
        if self._secret is None:
            raise RuntimeError("finance is not configured: SKYAI_FINANCE_JWT_SECRET is unset")
        response = await self._http.post(
            IMPORT_PATH,
            json=payload,
            headers={"Authorization": f"Bearer {finance_token(self._secret)}"},
        )
        if response.status_code >= 500 or response.status_code == 429:
            response.raise_for_status()
        if response.status_code >= 400:
            raise FinanceRejected(
                f"finance refused the invoice ({response.status_code}): {response.text[:500]}"
            )
        body = response.json()
        return str(body["action"]), str(body["id"])

    async def aclose(self) -> None:
        await self._http.aclose()
