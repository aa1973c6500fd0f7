"""`arcadia inventory ls`, `arcadia projects ls|classify` and `arcadia status`, end to end:
a sandbox sync through the CLI, then the commands against that database."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from uuid import UUID

from typer.testing import CliRunner

from arcadia.cli import app
from arcadia_core.db import create_engine, session_factory
from inventory.adapters.tables import SCHEMA, registry_tenants

cli = CliRunner()
TENANT = "00000000-0000-0000-0000-0000000000aa"
UNKNOWN = "00000000-0000-0000-0000-0000000000ff"


def register_tenant(database_url: str, tenant: str) -> None:
    """What `tenant.changed` would leave in the inventory's registry projection."""

    async def run() -> None:
        engine = create_engine(database_url, schema=SCHEMA, pool_size=1)
        try:
            async with session_factory(engine)() as session, session.begin():
                await session.execute(
                    registry_tenants.insert().values(
                        tenant_id=UUID(tenant), name="acme", active=True, version=1
                    )
                )
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_inventory_projects_and_status_commands(database_url: str) -> None:
    env = {"ARCADIA_DATABASE_URL": database_url, "DO_API_TOKEN": ""}
    synced = cli.invoke(app, ["sync", "--sandbox"], env=env)
    assert synced.exit_code == 0, synced.output

    clusters = cli.invoke(app, ["inventory", "ls", "-k", "k8s_cluster", "-o", "json"], env=env)
    assert clusters.exit_code == 0, clusters.output
    (cluster,) = json.loads(clusters.stdout)
    assert cluster["name"] == "acme-k8s" and cluster["attrs"]["node_count"] == 4

    projects = cli.invoke(app, ["projects", "ls", "-o", "csv"], env=env)
    assert projects.exit_code == 0, projects.output
    names = {row["name"] for row in csv.DictReader(io.StringIO(projects.stdout))}
    assert {"Default", "acme-prod", "pilot-tenant"} <= names

    refused = cli.invoke(app, ["projects", "classify", "acme-prod", "--tenant", UNKNOWN], env=env)
    assert refused.exit_code == 1 and "not in the customer registry" in refused.output
    register_tenant(database_url, TENANT)
    classified = cli.invoke(
        app,
        ["projects", "classify", "acme-prod", "--tenant", TENANT, "--purpose", "tenant"],
        env=env,
    )
    assert classified.exit_code == 0, classified.output
    mine = cli.invoke(app, ["inventory", "ls", "--tenant", TENANT, "-o", "json"], env=env)
    rows = json.loads(mine.stdout)
    assert {"acme-k8s", "acme-pg", "app-01"} <= {r["name"] for r in rows}
    table = cli.invoke(app, ["inventory", "ls", "--unattributed"], env=env)
    assert table.exit_code == 0 and "resources" in table.stdout

    unknown = cli.invoke(app, ["projects", "classify", "nope", "--tenant", TENANT], env=env)
    assert unknown.exit_code == 1 and "no single live project" in unknown.output
    bad_kind = cli.invoke(app, ["inventory", "ls", "-k", "bogus"], env=env)
    assert bad_kind.exit_code != 0

    status = cli.invoke(app, ["status", "-o", "json"], env=env)
    assert status.exit_code == 0, status.output
    report = json.loads(status.stdout)
    results = {s["kind"]: s["result"] for s in report["syncs"]}
    assert results["droplet"] == results["projects"] == results["k8s_cluster"] == "ok"
    inventory = next(s for s in report["services"] if s["service"] == "inventory")
    assert inventory["outbox_pending"] > 0 and inventory["jobs_failed"] == 0
    assert any(q["queue"].startswith("inventory.") for q in report["dead_letters"])
