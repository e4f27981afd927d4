"""The browser playground: watch xornet's own network learn, live, on xornet's own engine.

``xornet playground`` starts :func:`serve`: a local web server (loopback by default) with one
page, whose every view is computed by the library (:mod:`xornet.playground.session`) and sent
over a WebSocket (:mod:`xornet.playground.server`). Needs the ``playground`` extra
(Starlette and uvicorn).
"""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import socket
import sys
import threading
import webbrowser
from collections.abc import Iterable

__all__ = ["HEADLESS_CHROMIUM", "is_loopback", "listen", "serve", "trusted_hosts"]

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


def trusted_hosts(host: str, also: Iterable[str] = ()) -> tuple[str, ...]:
    """The names and addresses a server listening on ``host`` answers to (the Host header).

    Only these are served: a page whose own name is rebound to this machine's address (DNS
    rebinding) sends its own name, and is refused. A server on loopback answers to
    ``127.0.0.1``, ``localhost`` and ``[::1]``; one on a given address to that address; one on
    every interface (``0.0.0.0``, ``::``) to loopback's names, this machine's name and the
    addresses found for it.

    Parameters
    ----------
    host : str
        The address the server listens on.
    also : iterable of str
        More names to answer to (the name users reach this machine by, say).

    Returns
    -------
    tuple of str
        Lower case, IPv6 addresses in brackets, as the Host header writes them.
    """
    names = {_host_header(host)}
    if is_loopback(host) or host in _EVERY_INTERFACE:
        names.update(("127.0.0.1", "localhost", "[::1]"))
    if host in _EVERY_INTERFACE:
        names.update(_this_machine())
    names.update(_host_header(name) for name in also)
    return tuple(sorted(name.lower() for name in names if name))


_EVERY_INTERFACE = ("", "0.0.0.0", "::")


def _host_header(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def _this_machine() -> set[str]:
    """This machine's name and the addresses it resolves to, without asking the network."""
    name = socket.gethostname()
    names = {name}
    with contextlib.suppress(OSError):
        for *_, address in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM):
            names.add(_host_header(str(address[0]).split("%")[0]))
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # sends nothing: asks which address a route would use
        names.add(probe.getsockname()[0])
    return names


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host`` and ``port``, or one line saying why there is none.

    Raises
    ------
    XornetError
        When the port is in use, the address is not this machine's, or the name is unknown.
    """
    from xornet.errors import XornetError

    where = f"{_host_header(host)}:{port}"
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)  # fmt: skip
        family, address = infos[0][0], infos[0][4]
        return socket.create_server(address, family=family)
    except socket.gaierror:
        raise XornetError(f"cannot listen on {host}: no such host name or address") from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise XornetError(
                f"port {port} is in use on {_host_header(host)}: choose another with --port "
                "(0 picks a free one)"
            ) from None
        if error.errno == errno.EADDRNOTAVAIL:
            raise XornetError(f"cannot listen on {host}: not an address of this machine") from None
        raise XornetError(f"cannot listen on {where}: {error.strerror or error}") from None


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    *,
    open_browser: bool = True,
    allowed_hosts: Iterable[str] = (),
) -> None:
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
    allowed_hosts : iterable of str
        Names the server answers to besides those of :func:`trusted_hosts`.

    Raises
    ------
    XornetError
        When the playground extra is missing, or the server cannot listen (the port in use,
        say): one line, before anything is started.
    """
    try:
        import uvicorn

        from xornet.playground.server import MAX_MESSAGE, create_app
    except ImportError as error:
        from xornet.errors import XornetError

        raise XornetError(
            f"the playground needs {error.name}: pip install 'xornet[playground]'"
        ) from None
    hosts = trusted_hosts(host, allowed_hosts)
    sock = listen(host, port)  # uvicorn's own bind would log a traceback and exit with 3
    bound = sock.getsockname()[1]
    if not is_loopback(host):
        print(
            f"xornet playground: warning: listening on {host}, reachable from other machines; "
            f"the playground has no login (it answers to {', '.join(hosts)})",
            file=sys.stderr,
        )
    config = uvicorn.Config(create_app(hosts=hosts), host=host, port=bound, log_level="warning",
                            ws_max_size=MAX_MESSAGE, ws="websockets-sansio")  # fmt: skip
    server = uvicorn.Server(config)
    done = threading.Event()

    def announce() -> None:
        while not server.started:
            if server.should_exit or done.wait(0.05):
                return
        url = f"http://{_host_header(host)}:{bound}/"
        print(f"xornet playground on {url} (Ctrl-C to stop)", flush=True)
        if open_browser:
            webbrowser.open(url)

    threading.Thread(target=announce, daemon=True).start()
    try:
        server.run(sockets=[sock])
    finally:
        done.set()
        sock.close()
