from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx

from do_sandbox.cli import parser


def test_help_runs():
    result = subprocess.run(
        [sys.executable, "-m", "do_sandbox", "--help"], capture_output=True, text=True, check=True
    )

    assert "--scenario" in result.stdout
    assert "--no-rate-limit" in result.stdout


def test_arguments_default_to_the_seeds_on_port_8700():
    args = parser().parse_args([])

    assert (args.host, args.port, args.scenario) == ("127.0.0.1", 8700, "seeds")
    assert (args.per_minute, args.per_hour, args.no_rate_limit) == (250, 5000, False)


def test_serves_a_generated_scenario_over_http():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "do_sandbox",
        "--port",
        str(port),
        "--scenario",
        "generated",
        "--droplets",
        "50",
        "--token",
        "dop_v1_cli",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command)
    try:
        response = _get_when_up(f"http://127.0.0.1:{port}/v2/droplets", "dop_v1_cli")
        assert response.status_code == 200
        assert response.json()["meta"]["total"] == 50
        assert response.headers["ratelimit-limit"] == "5000"
        denied = httpx.get(
            f"http://127.0.0.1:{port}/v2/droplets", headers={"Authorization": "Bearer other"}
        )
        assert denied.status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get_when_up(url: str, token: str) -> httpx.Response:
    deadline = time.monotonic() + 20
    while True:
        try:
            return httpx.get(url, headers={"Authorization": f"Bearer {token}"})
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_generated_options_need_the_generated_scenario():
    result = subprocess.run(
        [sys.executable, "-m", "do_sandbox", "--droplets", "10"], capture_output=True, text=True
    )

    assert result.returncode == 2
    assert "--droplets and --seed apply only to --scenario generated" in result.stderr
