from __future__ import annotations

from do_sandbox.scenarios import seeds


async def test_gpu_droplets_only_appear_with_type_gpus(api):
    regular = (await api.get("/v2/droplets")).json()
    explicit = (await api.get("/v2/droplets?type=droplets")).json()
    gpus = (await api.get("/v2/droplets?type=gpus")).json()

    assert [d["name"] for d in gpus["droplets"]] == ["gpu-train-01"]
    assert gpus["droplets"][0]["gpu_info"]["model"] == "nvidia_h100"
    assert regular == explicit
    assert regular["meta"]["total"] == 5
    assert "gpu-train-01" not in {d["name"] for d in regular["droplets"]}


async def test_gpu_droplet_is_reachable_by_id(api):
    response = await api.get(f"/v2/droplets/{seeds.GPU_TRAIN_01}")

    assert response.json()["droplet"]["size_slug"] == "gpu-h100x1-80gb"


async def test_droplet_filters(api):
    tagged = (await api.get("/v2/droplets?tag_name=internal")).json()["droplets"]
    named = (await api.get("/v2/droplets?name=ci-01")).json()["droplets"]

    assert sorted(d["name"] for d in tagged) == ["ci-01", "git-01"]
    assert [(d["name"], d["status"], d["size_slug"]) for d in named] == [("ci-01", "off", "c-2")]


async def test_droplet_shape(api):
    droplet = (await api.get(f"/v2/droplets/{seeds.WEB_01}")).json()["droplet"]

    assert droplet["backup_ids"] == [201100001, 201100002]
    assert "backups" in droplet["features"]
    assert droplet["next_backup_window"] is not None
    assert droplet["kernel"] is None
    assert droplet["region"]["slug"] == "syd1"
    assert droplet["size"]["price_monthly"] == 24.0
    assert {n["type"] for n in droplet["networks"]["v4"]} == {"public", "private"}
    no_backups = (await api.get(f"/v2/droplets/{seeds.APP_01}")).json()["droplet"]
    assert no_backups["next_backup_window"] is None


async def test_backups_are_image_shaped_with_int_ids(api):
    body = (await api.get(f"/v2/droplets/{seeds.GIT_01}/backups")).json()

    assert body["meta"] == {"total": 2}
    assert [b["name"] for b in body["backups"]] == ["git-01 2026-04-05", "git-01 2026-04-12"]
    assert all(isinstance(b["id"], int) and b["type"] == "backup" for b in body["backups"])
    assert body["backups"][0]["slug"] is None


async def test_per_droplet_snapshots_use_int_ids(api):
    body = (await api.get(f"/v2/droplets/{seeds.WEB_01}/snapshots")).json()

    assert [s["id"] for s in body["snapshots"]] == [190000101, 190000102]
    assert {s["type"] for s in body["snapshots"]} == {"snapshot"}


async def test_backups_of_unknown_droplet_are_not_found(api):
    assert (await api.get("/v2/droplets/42/backups")).status_code == 404


async def test_domains_have_no_id_or_created_at(api):
    domains = (await api.get("/v2/domains")).json()["domains"]

    assert len(domains) == 7
    assert all(set(d) == {"name", "ttl", "zone_file"} for d in domains)
    docs = next(d for d in domains if d["name"] == "docs.example.com")
    assert docs["ttl"] is None and docs["zone_file"] is None
    single = (await api.get("/v2/domains/example.com")).json()["domain"]
    assert single["zone_file"].startswith("$ORIGIN example.com.")


async def test_snapshots_have_string_ids_and_exclude_backups(api):
    snapshots = (await api.get("/v2/snapshots?per_page=200")).json()["snapshots"]

    assert all(isinstance(s["id"], str) and isinstance(s["resource_id"], str) for s in snapshots)
    assert not {"201100001", "201100002", "201100003", "201100004"} & {s["id"] for s in snapshots}
    assert any(s["tags"] is None for s in snapshots)


async def test_snapshots_filter_by_resource_type(api):
    volume = (await api.get("/v2/snapshots?resource_type=volume")).json()
    droplet = (await api.get("/v2/snapshots?resource_type=droplet")).json()

    assert volume["meta"]["total"] == 4
    assert droplet["meta"]["total"] == 8
    assert {s["resource_type"] for s in volume["snapshots"]} == {"volume"}


async def test_volumes_allow_null_droplet_ids_and_tags(api):
    volumes = {v["name"]: v for v in (await api.get("/v2/volumes")).json()["volumes"]}

    assert volumes["archive-01"]["droplet_ids"] is None
    assert volumes["archive-01"]["tags"] is None
    assert volumes["git-data"]["droplet_ids"] == [seeds.GIT_01]
    assert (await api.get("/v2/volumes?name=git-data")).json()["meta"]["total"] == 1


async def test_floating_and_reserved_ips_are_the_same_objects(api):
    floating = (await api.get("/v2/floating_ips")).json()
    reserved = (await api.get("/v2/reserved_ips")).json()

    assert floating["floating_ips"] == reserved["reserved_ips"]
    assert set(floating) == {"floating_ips", "links", "meta"}
    assert set(reserved) == {"reserved_ips", "links", "meta"}
    by_ip = {ip["ip"]: ip for ip in reserved["reserved_ips"]}
    assert by_ip["203.0.113.24"]["droplet"] is None
    attached = by_ip["203.0.113.10"]
    assert attached["droplet"]["name"] == "web-01"
    assert attached["droplet"]["networks"]["v4"]
    assert attached["project_id"] == seeds.PILOT_PROJECT
    single = (await api.get("/v2/floating_ips/203.0.113.10")).json()["floating_ip"]
    assert single == (await api.get("/v2/reserved_ips/203.0.113.10")).json()["reserved_ip"]


async def test_firewall_shape(api):
    body = (await api.get("/v2/firewalls")).json()

    assert body["meta"] == {"total": 1}
    firewall = body["firewalls"][0]
    assert firewall["droplet_ids"] == [seeds.WEB_01, seeds.APP_01]
    assert firewall["tags"] is None
    assert {r["ports"] for r in firewall["inbound_rules"]} == {"22", "80", "443"}


async def test_load_balancer_shape(api):
    lb = (await api.get("/v2/load_balancers")).json()["load_balancers"][0]

    assert lb["region"]["name"] == "Sydney 1"
    assert lb["size_unit"] == 1
    assert (lb["size"], lb["algorithm"]) == ("lb-small", "round_robin")
    assert lb["forwarding_rules"][0]["entry_port"] == 443
    assert lb["project_id"] == seeds.ACME_PROJECT
    assert (await api.get(f"/v2/load_balancers/{lb['id']}")).json()["load_balancer"] == lb


async def test_the_kinds_that_cost_money_in_digitaloceans_shapes() -> None:
    """Apps, Kubernetes clusters, databases, VPCs and reserved IPv6, listed and fetched."""
    import httpx

    from do_sandbox import create_app
    from do_sandbox.scenarios import seeds

    app = create_app("seeds", rate_limit=None)
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": "Bearer t"}
    async with httpx.AsyncClient(transport=transport, base_url="http://do", headers=headers) as do:
        lists = {}
        for path, key in (
            ("/v2/apps", "apps"),
            ("/v2/kubernetes/clusters", "kubernetes_clusters"),
            ("/v2/databases", "databases"),
            ("/v2/vpcs", "vpcs"),
            ("/v2/reserved_ipv6", "reserved_ipv6s"),
        ):
            response = await do.get(path, params={"per_page": 200})
            assert response.status_code == 200, path
            body = response.json()
            assert body["meta"]["total"] == len(body[key]), path
            lists[key] = body[key]
        (app_item,) = lists["apps"]
        assert app_item["id"] == seeds.APP and app_item["spec"]["name"] == "pilot-portal"
        assert app_item["active_deployment"]["phase"] == "ACTIVE"
        (cluster,) = lists["kubernetes_clusters"]
        assert [(p["size"], p["count"]) for p in cluster["node_pools"]] == [
            ("s-2vcpu-4gb", 3),
            ("c-4", 1),
        ]
        assert cluster["status"]["state"] == "running" and cluster["region"] == "syd1"
        (database,) = lists["databases"]
        assert (database["engine"], database["size"], database["num_nodes"]) == (
            "pg",
            "db-s-2vcpu-4gb",
            2,
        )
        assert {v["id"] for v in lists["vpcs"]} == {seeds.VPC_SYD1, seeds.VPC_SGP1, seeds.VPC_TOR1}
        (ipv6,) = lists["reserved_ipv6s"]
        assert ipv6 == {
            "ip": seeds.RESERVED_IPV6,
            "region_slug": "syd1",
            "reserved_at": "2026-03-14T12:01:02Z",
            "droplet": None,
        }
        one = await do.get(f"/v2/kubernetes/clusters/{seeds.KUBERNETES}")
        assert one.json()["kubernetes_cluster"]["name"] == "acme-k8s"
        assert (await do.get(f"/v2/databases/{seeds.DATABASE}")).json()["database"]["id"]
        assert (await do.get("/v2/apps/not-there")).status_code == 404
        # their project memberships name them as the Projects API does
        members = app.state.account.memberships
        urns = {urn for project in members.values() for urn in project}
        assert {f"do:app:{seeds.APP}", f"do:dbaas:{seeds.DATABASE}"} <= urns
