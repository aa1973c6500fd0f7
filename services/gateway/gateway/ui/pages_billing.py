"""Placeholder."""

from __future__ import annotations

from gateway.ui.framework import page_router

router = page_router()
