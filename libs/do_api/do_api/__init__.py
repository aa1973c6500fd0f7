"""DigitalOcean API v2 transport: paging, retries, per-token rate budget, typed errors."""

from do_api.budget import RATE_BUDGET_REMAINING, RateBudget, budget_for, forget_budgets
from do_api.client import DEFAULT_BASE_URL, DigitalOceanClient
from do_api.errors import (
    DigitalOceanError,
    Forbidden,
    IncompleteListing,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
)
from do_api.paging import MAX_PER_PAGE, Page
from do_api.retry import RetryPolicy, is_retryable_status
from do_api.tokens import token_fingerprint, token_for, token_label

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PER_PAGE",
    "RATE_BUDGET_REMAINING",
    "DigitalOceanClient",
    "DigitalOceanError",
    "Forbidden",
    "IncompleteListing",
    "InvalidResponse",
    "NotFound",
    "Page",
    "RateBudget",
    "RateLimited",
    "RetryPolicy",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "budget_for",
    "forget_budgets",
    "is_retryable_status",
    "token_fingerprint",
    "token_for",
    "token_label",
]
