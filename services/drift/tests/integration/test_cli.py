"""`arcadia drift record|detect|ls|accept` against a real drift schema."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from uuid import UUID, uuid4

from typer.testing import CliRunner

from arcadia.cli import app
from arcadia_core.bus.inprocess import InProcessBus
from drift import bootstrap
from drift.config import DriftSettings
from drift.domain.model import LiveResource

cli = CliRunner()


async def _mirror(database_url: str, resource_id: UUID) -> None:
    service = bootstrap.build(DriftSettings(), InProcessBus(), database_url=database_url)
    try:
        async with service.uow() as work:
            await work.live.apply_synced(
                LiveResource(
                    resource_id,
                    1,
                    "droplet",
                    "512340101",
                    name="web-01",
                    region="syd1",
                    size_slug="s-2vcpu-4gb",
                ),
                datetime(2026, 4, 20, tzinfo=UTC),
            )
            await work.commit()
    finally:
        await service.stop()


def test_record_detect_ls_accept(drift_db: str) -> None:
    rid = uuid4()
    asyncio.run(_mirror(drift_db, rid))
    env = {"ARCADIA_DATABASE_URL": drift_db}
    spec = json.dumps({"size_slug": "s-1vcpu-2gb", "region": "SYD1"})

    recorded = cli.invoke(
        app, ["drift", "record", "--resource", str(rid), "--spec", spec, "-o", "json"], env=env
    )
    assert recorded.exit_code == 0, recorded.output
    assert json.loads(recorded.stdout)[0]["spec_version"] == 1

    bad = cli.invoke(app, ["drift", "record", "--resource", str(rid), "--spec", "{"], env=env)
    assert bad.exit_code != 0

    detected = cli.invoke(app, ["drift", "detect", "-o", "json"], env=env)
    assert detected.exit_code == 0, detected.output
    assert [r["drifted"] for r in json.loads(detected.stdout)] == [["size_slug"]]

    listed = cli.invoke(app, ["drift", "ls", "-o", "json"], env=env)
    assert listed.exit_code == 0, listed.output
    [row] = json.loads(listed.stdout)
    assert (row["field"], row["expected"], row["actual"]) == (
        "size_slug",
        "s-1vcpu-2gb",
        "s-2vcpu-4gb",
    )

    accepted = cli.invoke(
        app,
        ["drift", "accept", row["id"], "--reason", "resized on purpose", "--by", "ops"],
        env=env,
    )
    assert accepted.exit_code == 0, accepted.output
    twice = cli.invoke(app, ["drift", "accept", row["id"], "--reason", "again"], env=env)
    assert twice.exit_code == 1

    history = cli.invoke(app, ["drift", "ls", "--status", "all", "-o", "csv"], env=env)
    assert history.exit_code == 0, history.output
    lines = history.stdout.strip().splitlines()
    assert lines[0].startswith("id,resource_id,kind,name,field")
    assert len(lines) == 2 and ",accepted," in lines[1] and "resized on purpose" in lines[1]

    final = cli.invoke(app, ["drift", "detect"], env=env)
    assert final.exit_code == 0, final.output
    assert "0 drifted fields" in final.stdout
