"""`arcadia sandbox`: the DigitalOcean sandbox API on its own."""

from __future__ import annotations

from typing import Annotated

import typer

app = typer.Typer(help="The DigitalOcean API sandbox the demo, tests and benchmarks run against.")


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8700,
    scenario: Annotated[
        str, typer.Option(help="'seeds', 'generated', or a path to a scenario JSON file")
    ] = "seeds",
    droplets: Annotated[
        int | None, typer.Option(help="With --scenario generated: how many droplets")
    ] = None,
    rate_limit: Annotated[
        bool, typer.Option(help="Enforce DigitalOcean's 250/min and 5000/h per token")
    ] = True,
) -> None:
    """Serve the sandbox API (any bearer token is accepted). Point DO_API_URL at it."""
    from do_sandbox import RateLimit
    from do_sandbox import serve as serve_sandbox

    serve_sandbox(
        host=host,
        port=port,
        scenario=scenario,
        droplets=droplets,
        rate_limit=RateLimit() if rate_limit else None,
    )


@app.command("finance")
def finance(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 4010,
    secret: Annotated[
        str | None,
        typer.Option(
            envvar="SKYAI_FINANCE_JWT_SECRET",
            help="The HS256 secret tokens must be signed with (SKYAI_FINANCE_JWT_SECRET)",
        ),
    ] = None,
) -> None:
    """Serve the finance stand-in (its cloud-invoice import) for billing ingest to push to."""
    import uvicorn

    from do_sandbox.finance import create_finance_app

    if not secret:
        raise typer.BadParameter("give --secret or set SKYAI_FINANCE_JWT_SECRET")
    uvicorn.run(create_finance_app(secret), host=host, port=port)
