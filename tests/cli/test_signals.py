"""Stopping a server with a signal: a second signal while it stops does not break off the
shutdown with a traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, os, signal, socket, time
    from arcadia.commands.services import _serve

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            print("shut down")
            await send({"type": "lifespan.shutdown.complete"})

    async def main():
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        serving = asyncio.create_task(_serve(app, "127.0.0.1", port))
        await asyncio.sleep(0.5)
        os.kill(os.getpid(), signal.SIGINT)  # the first stops the server
        os.kill(os.getpid(), signal.SIGINT)  # a second while it stops must not cut that short
        await serving
        os.kill(os.getpid(), signal.SIGINT)  # the second arrives while the process winds down
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(0.2)
        print("wound down")

    asyncio.run(main())
    """
)


def test_signals_after_the_first_neither_cut_the_shutdown_short_nor_interrupt_it() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done
    assert done.stdout.split() == ["shut", "down", "wound", "down"], done  # the shutdown ran whole
