"""`arcadia runs`, and the one-shot commands (`sync`, `billing ingest`, `meter`, `rollup`)
recording their runs in their service's run log."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from typer.testing import CliRunner

from arcadia import registry
from arcadia.cli import app
from arcadia_core.runs_api import runs_path

cli = CliRunner()


def _runs(env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    listed = cli.invoke(app, ["runs", "-o", "json", *args], env=env)
    assert listed.exit_code == 0, listed.output
    rows: list[dict[str, Any]] = json.loads(listed.stdout)
    return rows


def test_one_shot_commands_record_their_runs(database_url: str) -> None:
    env = {"ARCADIA_DATABASE_URL": database_url, "DO_API_TOKEN": ""}

    synced = cli.invoke(app, ["sync", "--sandbox", "-k", "projects", "-k", "droplet"], env=env)
    assert synced.exit_code == 0, synced.output
    metered = cli.invoke(app, ["meter", "--from", "2026-04-01", "--to", "2026-04-02"], env=env)
    assert metered.exit_code == 0, metered.output
    rolled = cli.invoke(app, ["rollup", "--period", "2026-03", "-o", "json"], env=env)
    assert rolled.exit_code == 0, rolled.output
    unknown = "00000000-0000-0000-0000-000000000bad"
    ingest = cli.invoke(app, ["billing", "ingest", "--sandbox", "--invoice", unknown], env=env)
    assert ingest.exit_code != 0  # an invoice DigitalOcean does not know

    rows = {(r["service"], r["name"]): r for r in _runs(env)}
    sync = rows[("inventory", "arcadia sync")]
    assert sync["outcome"] == "ok" and sync["error"] is None
    assert sync["summary"].startswith("kinds=2, failed=0, seen=")
    meter = rows[("metering", "arcadia meter")]
    assert (meter["outcome"], meter["summary"]) == (
        "ok",
        "from=2026-04-01, to=2026-04-02, days=2, records=0, events=0",
    )
    rollup = rows[("invoicing", "arcadia rollup")]
    assert rollup["outcome"] == "ok" and rollup["summary"].startswith("period=2026-03")
    billing = rows[("billing-ingest", "arcadia billing ingest")]
    assert billing["outcome"] == "failed"
    assert billing["error"].startswith(f"UnknownInvoice: no invoice {unknown}")
    for row in rows.values():
        assert row["finished_at"] >= row["started_at"] and row["latest"] is True
        assert row["correlation_id"]

    # one service; CSV; a name
    only = _runs(env, "--service", "metering")
    assert {r["service"] for r in only} == {"metering"}
    table = cli.invoke(app, ["runs", "-s", "metering", "-o", "csv"], env=env)
    assert table.exit_code == 0, table.output
    (line,) = list(csv.DictReader(io.StringIO(table.stdout)))
    assert (line["name"], line["outcome"]) == ("arcadia meter", "ok")
    named = _runs(env, "--name", "arcadia sync")
    assert [(r["service"], r["name"]) for r in named] == [("inventory", "arcadia sync")]
    shown = cli.invoke(app, ["runs"], env=env)
    assert shown.exit_code == 0 and "arcadia billing ingest" in shown.stdout

    # a service never migrated in this database: said on stderr, not a failure
    drift = cli.invoke(app, ["runs", "--service", "drift"], env=env)
    assert drift.exit_code == 0, drift.output
    assert "drift: no run log yet" in drift.stderr and "no run recorded" in drift.stdout


def test_runs_refuses_an_unknown_service_and_a_bad_limit() -> None:
    assert cli.invoke(app, ["runs", "--service", "nope"]).exit_code != 0
    assert cli.invoke(app, ["runs", "--limit", "0"]).exit_code != 0
    helped = cli.invoke(app, ["runs", "--help"])
    assert helped.exit_code == 0 and "latest" in helped.output


def test_every_service_routes_its_run_log_through_the_gateway() -> None:
    routes = registry.gateway_routes()
    for definition in registry.definitions():
        assert routes[f"/api/v1{runs_path(definition.name)}"] == definition.name


def test_a_sync_with_a_failed_kind_fails_its_run() -> None:
    from arcadia.commands.runs import sync_summary
    from arcadia_core.runs import RunNote

    run = RunNote()
    sync_summary(
        run,
        ["projects", "droplet", "volume"],
        {
            "projects": {"projects": 2, "memberships": 3},
            "droplet": {"seen": 6, "discovered": 1, "changed": 2, "unchanged": 3, "deleted": 0},
            "volume": ConnectionError("DigitalOcean answered 503\nretry later"),
        },
    )
    assert run.summary == "kinds=3, failed=1, seen=6, discovered=1, changed=2, deleted=0"
    assert run.error == "volume: ConnectionError: DigitalOcean answered 503"
