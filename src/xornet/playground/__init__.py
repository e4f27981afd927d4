"""The browser playground: watch xornet's own network learn, live, on xornet's own engine.

``xornet playground`` starts :func:`serve`: a local web server (loopback by default) with one
page, whose every view is computed by the library (:mod:`xornet.playground.session`) and sent
over a WebSocket (:mod:`xornet.playground.server`). Needs the ``playground`` extra
(Starlette and uvicorn).
"""

from __future__ import annotations

import ipaddress
import sys
import threading
import webbrowser

__all__ = ["HEADLESS_CHROMIUM", "is_loopback", "serve"]

#: Command-line flags for driving the playground in a headless Chromium, as its browser tests
#: and ``bench/playground.py`` do: no sandbox (CI runs as root), no GPU, and no calls home
#: (the test machines have no network).
HEADLESS_CHROMIUM = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1 or localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(host: str = "127.0.0.1", port: int = 8765, *, open_browser: bool = True) -> None:
    """Run the playground until interrupted.

    Parameters
    ----------
    host : str
        Address to listen on. Anything but loopback exposes the server to the network, so it
        prints a warning.
    port : int
        TCP port (0 picks a free one).
    open_browser : bool
        Open the page in the default browser once the server is up.
    """
    try:
        import uvicorn

        from xornet.playground.server import MAX_MESSAGE, create_app
    except ImportError as error:
        from xornet.errors import XornetError

        raise XornetError(
            f"the playground needs {error.name}: pip install 'xornet[playground]'"
        ) from None
    if not is_loopback(host):
        print(
            f"xornet playground: warning: listening on {host}, reachable from other machines; "
            "the playground has no login",
            file=sys.stderr,
        )
    config = uvicorn.Config(create_app(), host=host, port=port, log_level="warning",
                            ws_max_size=MAX_MESSAGE, ws="websockets-sansio")  # fmt: skip
    server = uvicorn.Server(config)

    def announce() -> None:
        while not server.started:
            if server.should_exit:
                return
            threading.Event().wait(0.05)
        bound = server.servers[0].sockets[0].getsockname()[1] if server.servers else port
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{bound}/"
        print(f"xornet playground on {url} (Ctrl-C to stop)", flush=True)
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    server.run()
