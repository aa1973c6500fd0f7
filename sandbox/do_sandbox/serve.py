"""Run the sandbox over HTTP with uvicorn."""

from __future__ import annotations

from typing import Any

import uvicorn

from do_sandbox import scenarios
from do_sandbox.app import create_app
from do_sandbox.ratelimit import RateLimit


def serve(
    host: str = "127.0.0.1",
    port: int = 8700,
    scenario: str = "seeds",
    *,
    droplets: int | None = None,
    seed: int | None = None,
    tokens: set[str] | None = None,
    rate_limit: RateLimit | None = RateLimit(),
    log_level: str = "info",
) -> None:
    """Serve ``scenario`` until interrupted; ``droplets`` and ``seed`` go to ``generated``."""
    params: dict[str, Any] = {
        name: value for name, value in (("droplets", droplets), ("seed", seed)) if value is not None
    }
    app = create_app(scenarios.load(scenario, **params), tokens=tokens, rate_limit=rate_limit)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
