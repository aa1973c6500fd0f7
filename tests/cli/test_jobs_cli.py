"""`arcadia jobs list|failed|retry` against real job tables in a service's schema."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from typer.testing import CliRunner

from arcadia import registry
from arcadia.cli import app
from arcadia_core.jobs import JobRunner

cli = CliRunner()


def _runner(database_url: str) -> JobRunner:
    service = registry.definitions()[0]
    runner = JobRunner(database_url, schema=service.schema, service=service.name)

    @runner.job("cli.broken", retries=0)
    async def broken(payload: dict[str, Any]) -> None:
        raise RuntimeError(f"cannot do {payload['what']}")

    @runner.job("cli.later")
    async def later(payload: dict[str, Any]) -> None:
        pass

    return runner


async def _prepare(database_url: str) -> tuple[int, int]:
    runner = _runner(database_url)
    try:
        await runner.install()
        broken = await runner.enqueue("cli.broken", {"what": "this"})
        await runner.run_until_idle()
        later = await runner.enqueue("cli.later", {"n": 1}, delay=timedelta(hours=1))
        assert broken is not None and later is not None
        return broken, later
    finally:
        await runner.close()


def test_jobs_list_failed_and_retry(database_url: str) -> None:
    broken, later = asyncio.run(_prepare(database_url))
    service = registry.definitions()[0].name
    env = {"ARCADIA_DATABASE_URL": database_url}

    listed = cli.invoke(app, ["jobs", "list", "-o", "json", "--service", service], env=env)
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [(r["service"], r["id"], r["name"], r["status"]) for r in rows] == [
        (service, broken, "cli.broken", "failed"),
        (service, later, "cli.later", "queued"),
    ]
    queued = cli.invoke(app, ["jobs", "list", "-o", "csv", "--status", "queued"], env=env)
    assert queued.exit_code == 0, queued.output
    lines = queued.stdout.strip().splitlines()
    assert lines[0].startswith("service,id,name,status") and len(lines) == 2

    failed = cli.invoke(app, ["jobs", "failed", "-o", "json"], env=env)
    assert failed.exit_code == 0, failed.output
    (row,) = json.loads(failed.stdout)
    assert (row["id"], row["error"], row["payload"]) == (
        broken,
        "RuntimeError: cannot do this",
        {"what": "this"},
    )
    table = cli.invoke(app, ["jobs", "failed"], env=env)
    assert table.exit_code == 0 and "cannot do this" in table.stdout

    assert cli.invoke(app, ["jobs", "retry", str(broken)], env=env).exit_code != 0  # no service
    assert cli.invoke(app, ["jobs", "retry", "--service", service], env=env).exit_code != 0
    retried = cli.invoke(app, ["jobs", "retry", "--service", service, str(broken)], env=env)
    assert retried.exit_code == 0, retried.output
    assert f"requeued 1 job(s): {broken}" in retried.stdout

    after = json.loads(cli.invoke(app, ["jobs", "list", "-o", "json"], env=env).stdout)
    assert {r["id"]: r["status"] for r in after} == {broken: "queued", later: "queued"}
    nothing = cli.invoke(app, ["jobs", "retry", "--all"], env=env)
    assert nothing.exit_code == 0 and "nothing to retry" in nothing.stdout
