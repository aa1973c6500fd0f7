"""``python -m do_sandbox``: serve a scenario from the command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from do_sandbox.ratelimit import RateLimit
from do_sandbox.serve import serve


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m do_sandbox",
        description="Serve a stand-in for the DigitalOcean API v2.",
    )
    cli.add_argument("--host", default="127.0.0.1")
    cli.add_argument("--port", type=int, default=8700)
    cli.add_argument(
        "--scenario", default="seeds", help="seeds, generated, or a path to a .json scenario"
    )
    cli.add_argument("--droplets", type=int, help="regular droplets in the generated scenario")
    cli.add_argument("--seed", type=int, help="random seed of the generated scenario")
    cli.add_argument(
        "--token",
        action="append",
        dest="tokens",
        help="accept only this bearer token (repeatable); default: any non-empty token",
    )
    cli.add_argument("--per-minute", type=int, default=RateLimit.per_minute)
    cli.add_argument("--per-hour", type=int, default=RateLimit.per_hour)
    cli.add_argument("--no-rate-limit", action="store_true", help="disable rate limiting")
    cli.add_argument("--log-level", default="info")
    return cli


def main(argv: Sequence[str] | None = None) -> None:
    cli = parser()
    args = cli.parse_args(argv)
    if args.scenario != "generated" and (args.droplets is not None or args.seed is not None):
        cli.error("--droplets and --seed apply only to --scenario generated")
    serve(
        args.host,
        args.port,
        args.scenario,
        droplets=args.droplets,
        seed=args.seed,
        tokens=set(args.tokens) if args.tokens else None,
        rate_limit=None
        if args.no_rate_limit
        else RateLimit(per_minute=args.per_minute, per_hour=args.per_hour),
        log_level=args.log_level,
    )
