"""`GET /api/v1/exports/focus`: one month as a FOCUS 1.3 CSV, provider side or tenant side.

Platform admins only (a tenant gets 403). The gateway composes it from the services' APIs,
read with the caller's own token. Before answering, the export is checked against every rule
of `focus_checks`; one that fails them is not served (409, with what failed), so a file this
route hands out always passes. A service that cannot answer makes it 503 with `Retry-After`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from arcadia_core.auth import PlatformAdmin
from arcadia_core.http import RETRY_AFTER_SECONDS, problem, problem_responses
from gateway.reports.domain.focus import (
    DIGITALOCEAN_ACCOUNT,
    FocusExport,
    ProviderAccount,
    Side,
    build,
    to_csv,
)
from gateway.reports.domain.focus_checks import Violation, check
from gateway.reports.domain.months import PERIOD_PATTERN, InvalidPeriod, parse_month
from gateway.reports.ports import ReportSources, SourcesUnavailable

log = logging.getLogger(__name__)

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
# violations listed in a 409 at most; the count says how many there are
LISTED_VIOLATIONS = 50


class ExportRefused(Exception):
    """The export does not pass its own checks: the sources disagree with themselves."""

    def __init__(self, export: FocusExport, violations: list[Violation]) -> None:
        super().__init__(f"{len(violations)} FOCUS rule(s) broken")
        self.export = export
        self.violations = violations


async def checked_export(
    sources: ReportSources,
    period: date,
    side: Side,
    account: ProviderAccount = DIGITALOCEAN_ACCOUNT,
) -> FocusExport:
    """The month's export for `side`, or `ExportRefused`; `SourcesUnavailable` passes through.
    The route and the command line both come here."""
    export = build(await sources.for_period(period), side, account)
    violations = check(export.columns, export.rows, export.payable)
    if violations:
        raise ExportRefused(export, violations)
    return export


def exports_router(
    sources_for: Callable[[Request], ReportSources],
    account: ProviderAccount = DIGITALOCEAN_ACCOUNT,
) -> APIRouter:
    """`sources_for(request)`: the sources to read for this request (with its caller's token)."""
    router = APIRouter(prefix="/api/v1/exports", tags=["exports"])

    @router.get(
        "/focus",
        summary="One month as a FOCUS 1.3 CSV (provider or tenant side)",
        response_class=Response,
        responses={
            200: {"description": "The FOCUS dataset", "content": {"text/csv": {}}},
            **problem_responses(401, 403, 409, 422, 503),
        },
    )
    async def focus(
        request: Request,
        _: PlatformAdmin,
        period: Annotated[str, Query(pattern=PERIOD_PATTERN, description="The month, YYYY-MM")],
        side: Annotated[Side, Query(description="provider: DigitalOcean's bills; tenant: ours")],
    ) -> Response:
        try:
            month = parse_month(period)
        except InvalidPeriod as exc:
            return problem(
                422,
                "the request is not valid",
                errors=[{"loc": ["query", "period"], "msg": str(exc), "type": "value_error"}],
            )
        try:
            export = await checked_export(sources_for(request), month, side, account)
        except SourcesUnavailable as exc:
            log.warning("FOCUS export of %s (%s): %s", period, side.value, exc)
            return problem(
                503,
                f"a service the export reads is unavailable; retry later ({exc})",
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        except ExportRefused as exc:
            log.warning(
                "FOCUS export of %s (%s) refused: %s", period, side.value, exc.violations[:5]
            )
            return problem(
                409,
                f"the {side.value} side of {period} breaks {len(exc.violations)} FOCUS rule(s); "
                "it is not exported until its sources agree",
                errors=[_error(v) for v in exc.violations[:LISTED_VIOLATIONS]],
            )
        return Response(
            to_csv(export),
            media_type=CSV_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{export.filename}"'},
        )

    return router


def _error(violation: Violation) -> dict[str, Any]:
    loc: list[str | int] = ["row", violation.row] if violation.row is not None else ["dataset"]
    if violation.column:
        loc.append(violation.column)
    return {"loc": loc, "msg": violation.message, "type": violation.rule}
