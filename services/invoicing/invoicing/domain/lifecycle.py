"""Tenant invoice lifecycle: draft → issued → paid; draft or issued → void."""

from __future__ import annotations

DRAFT = "draft"
ISSUED = "issued"
PAID = "paid"
VOID = "void"
STATUSES = (DRAFT, ISSUED, PAID, VOID)

ISSUE = "issue"
PAY = "pay"
VOID_ACTION = "void"

TRANSITIONS: dict[str, dict[str, str]] = {
    ISSUE: {DRAFT: ISSUED},
    PAY: {ISSUED: PAID},
    VOID_ACTION: {DRAFT: VOID, ISSUED: VOID},
}


class IllegalTransition(Exception):
    """The action is not allowed from the invoice's current status (HTTP 409)."""


def next_status(current: str, action: str) -> str:
    allowed = TRANSITIONS.get(action)
    if allowed is None:
        raise IllegalTransition(f"unknown action {action!r}")
    target = allowed.get(current)
    if target is None:
        sources = " or ".join(sorted(allowed))
        raise IllegalTransition(
            f"cannot {action} an invoice that is {current} (allowed from: {sources})"
        )
    return target


def invoice_number(year: int, sequence: int) -> str:
    """`INV-2026-000042`: the sequence is gap-free per year of issue."""
    return f"INV-{year:04d}-{sequence:06d}"


def editable(status: str) -> bool:
    """Only a draft may be regenerated; an issued or paid invoice never changes."""
    return status == DRAFT
