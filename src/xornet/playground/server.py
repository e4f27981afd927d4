"""The playground's web server: one page, one WebSocket per tab, exports over HTTP.

Starlette serves the page and its scripts from the package (nothing from a CDN), and each tab's
WebSocket owns one :class:`~xornet.playground.session.Session`. Training runs in a worker
thread between frames so the server stays responsive; frames go out at up to 30 a second.

Protocol: JSON text messages, answered by :func:`xornet.playground.protocol.answer` (the
notebook widget answers the same messages with it). The server adds ``hello`` (the session's
id and the limits), sent first, and ``error`` (a one-line message the page shows; sent too just
before the server closes the connection). A page opens its WebSocket with its settings in the
address, once (``/ws?settings=`` and the settings' JSON, its first ``settings`` message), so that
the first state it gets, and draws, is of its own settings, not a default run's; a refused one
gets an ``error`` and the default run. Exports are files over HTTP, ``/session/{id}/{name}``
for each name of :data:`~xornet.playground.session.EXPORTS`.

Safety, against a careless user and a hostile page:

- Only the hosts the server was started for are served, over HTTP and WebSocket (Starlette's
  ``TrustedHostMiddleware``), so a page whose name is rebound to this machine's address (DNS
  rebinding) gets nothing; and a WebSocket must come from a page of this server (its Origin).
- Every message is bounded before it is used (size, nesting, types) and validated whole; a bad
  one gets an ``error`` message and the connection goes on. A failure of the server itself
  closes that tab's connection (code 1011) and is logged, and nothing else is affected.
- At most ``max_sessions`` tabs at once. A tab frees its place when its connection ends, for
  whatever reason; a tab idle for ``idle_seconds`` is told so and closed. A closed tab's
  session stays ``idle_seconds`` for its exports (at most ``max_sessions`` such).
- Each frame's training is bounded in time, and its views in size (see ``Session.frame``).
- Every response, static files and errors included, carries a Content-Security-Policy that
  allows only the page's own files and server, and headers against sniffing, framing,
  referrers and cross-origin embedding.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final, TypeVar
from urllib.parse import quote

import anyio
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from xornet.errors import XornetError, one_line
from xornet.playground.protocol import (
    FRAME_BUDGET,
    MAX_ERROR,
    Player,
    answer,
    check_message,
    frame_interval,
    page_state,
    play_frame,
    preload,
)
from xornet.playground.session import EXPORTS, Session
from xornet.playground.settings import LIMITS

__all__ = ["LOOPBACK_HOSTS", "MAX_MESSAGE", "SECURITY_HEADERS", "create_app"]

#: Largest message a page may send: a CSV upload (its quotes and line ends escaped by JSON,
#: which at most doubles it) and its name.
MAX_MESSAGE: Final = 2 * LIMITS["csv_bytes"] + 4 * LIMITS["name_chars"] + 1000
#: The names under which a server listening on loopback is reached.
LOOPBACK_HOSTS: Final = ("127.0.0.1", "localhost", "[::1]")

#: Headers on every HTTP response. The policy allows the page's own scripts, styles and images
#: and a connection to its own server, nothing inline, nothing from elsewhere; no page may frame
#: it, and no other site may embed its files (a script, an exported figure) or read its referrer.
SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

_LOG = logging.getLogger("xornet.playground")
#: What :func:`_handle` reads a message from: its text, or the address's ``settings``.
_Text = TypeVar("_Text", str, Sequence[str])


@dataclass
class _Entry(Player):
    """A session and its connection's state (playing or not, from :class:`Player`)."""

    session: Session
    connected: bool = True
    last_seen: float = field(default_factory=time.monotonic)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set when the server ends the connection: the close code and the message to show.
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    close_reason: tuple[int, str] = (1000, "")

    def close(self, code: int, message: str) -> None:
        """Ask the connection to end with ``message`` (it stops playing at once)."""
        if not self.closing.is_set():
            self.close_reason = (code, message)
        self.connected = False
        self.playing = False
        self.closing.set()
        self.wake.set()


def create_app(*, hosts: Sequence[str] = LOOPBACK_HOSTS, max_sessions: int = 32,
               idle_seconds: float = 600.0, sweep_seconds: float = 5.0) -> Starlette:  # fmt: skip
    """The playground's ASGI application.

    Parameters
    ----------
    hosts : sequence of str
        The names and addresses the server answers to (the Host header; IPv6 addresses in
        brackets); anything else gets 400. By default those of loopback.
    max_sessions : int
        Tabs served at once; more are told to try later.
    idle_seconds : float
        A tab with no message for this long is told so and closed. A closed tab's session is
        kept this long for its exports.
    sweep_seconds : float
        How often expired sessions are looked for.

    Returns
    -------
    starlette.applications.Starlette
        ``app.state.sessions`` maps session ids to their state (for tests and monitoring).
    """
    sessions: dict[str, _Entry] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async def sweep() -> None:
            while True:
                await asyncio.sleep(sweep_seconds)
                expire(sessions, idle_seconds)

        task = asyncio.create_task(sweep())
        # Load the compiled loop (about a second) in the background: the page does not wait.
        loading = asyncio.create_task(anyio.to_thread.run_sync(preload))
        try:
            yield
        finally:
            task.cancel()
            await loading

    async def index(request: Request) -> Response:
        page = resources.files("xornet.playground").joinpath("static/index.html").read_text()
        return HTMLResponse(page)

    async def export(request: Request) -> Response:
        entry = sessions.get(request.path_params["sid"])
        if entry is None:
            return JSONResponse({"error": "no such session (it may have expired)"}, 404)
        what = request.path_params["what"]
        if what not in EXPORTS:
            return JSONResponse({"error": f"nothing to export called {what[:40]!r}"}, 404)
        try:
            body, name, media = await anyio.to_thread.run_sync(entry.session.export, what)
        except (XornetError, ImportError, ValueError) as error:
            return JSONResponse({"error": one_line(error, limit=MAX_ERROR)}, 409)
        headers = {"Content-Disposition": attachment(name), "Cache-Control": "no-store"}
        return Response(body, media_type=media, headers=headers)

    async def failure(request: Request, error: Exception) -> Response:
        # Starlette sends this outside the middleware: it carries the headers itself.
        return JSONResponse({"error": "internal error"}, 500, headers=SECURITY_HEADERS)

    async def websocket(ws: WebSocket) -> None:
        try:
            if not _same_origin(ws):
                await ws.close(code=1008, reason="cross-origin connection refused")
                return
            await ws.accept()
            expire(sessions, idle_seconds)
            if sum(entry.connected for entry in sessions.values()) >= max_sessions:
                await _error(ws, f"the playground is full: {max_sessions} sessions are open; "
                                 "try again later")  # fmt: skip
                await ws.close(code=1013, reason="the playground is full")
                return
        except WebSocketDisconnect:  # the tab left during the handshake
            return
        sid = secrets.token_urlsafe(16)
        entry = _Entry(Session())
        sessions[sid] = entry
        try:
            failed = await _converse(ws, sid, entry, sessions)
        finally:  # the tab's place is free, whatever ended the connection
            entry.connected = False
            entry.playing = False
            entry.last_seen = time.monotonic()  # its exports stay idle_seconds from now
        if failed:  # the session's state is unknown: no exports from it
            sessions.pop(sid, None)
        _forget_closed(sessions, keep=max_sessions)

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/session/{sid}/{what}", export),
            WebSocketRoute("/ws", websocket),
            Mount("/static", StaticFiles(packages=[("xornet.playground", "static")])),
        ],
        middleware=[
            Middleware(_SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(hosts), www_redirect=False),
        ],
        exception_handlers={Exception: failure},
        lifespan=lifespan,
    )
    app.state.sessions = sessions
    app.state.hosts = tuple(hosts)
    return app


class _SecurityHeaders:
    """ASGI middleware: :data:`SECURITY_HEADERS` on every HTTP response, including a refused
    WebSocket's."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.http.response.start"):
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name.lower().encode(), value.encode())
                            for name, value in SECURITY_HEADERS.items()
                            if name.lower().encode() not in present]  # fmt: skip
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def attachment(filename: str) -> str:
    """A Content-Disposition header offering ``filename`` for download (RFC 6266).

    Any name works, in any script: ``filename*`` carries it percent-encoded in UTF-8 (RFC
    5987), and ``filename`` an ASCII stand-in for old clients, with anything but printable
    ASCII, quotes and backslashes replaced by ``_``.
    """
    plain = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def expire(sessions: dict[str, _Entry], idle_seconds: float) -> None:
    """Forget sessions idle for ``idle_seconds``; a connected one is told why and closed."""
    now = time.monotonic()
    for sid, entry in list(sessions.items()):
        if now - entry.last_seen > idle_seconds:
            entry.close(1000, f"this session was closed after {_duration(idle_seconds)} "
                              "without activity: reload the page to start again")  # fmt: skip
            del sessions[sid]


def _forget_closed(sessions: dict[str, _Entry], keep: int) -> None:
    """Keep the sessions of at most ``keep`` closed tabs (the most recent) for their exports."""
    closed = sorted((entry.last_seen, sid) for sid, entry in sessions.items()
                    if not entry.connected)  # fmt: skip
    for _, sid in closed[: max(0, len(closed) - keep)]:
        del sessions[sid]


def _duration(seconds: float) -> str:
    if seconds >= 120:
        return f"{seconds / 60:g} minutes"
    return f"{seconds:g} seconds"


def _same_origin(ws: WebSocket) -> bool:
    """Whether the page that opened this WebSocket came from this server."""
    origin, host = ws.headers.get("origin", "").lower(), ws.headers.get("host", "").lower()
    return bool(host) and origin in (f"http://{host}", f"https://{host}")


async def _send(ws: WebSocket, message: dict[str, Any]) -> None:
    # ASCII JSON: a lone surrogate in a page's text cannot break the encoding; and no NaN,
    # which the page's JSON.parse would refuse.
    await ws.send_text(json.dumps(message, separators=(",", ":"), allow_nan=False))


async def _error(ws: WebSocket, message: BaseException | str) -> None:
    await _send(ws, {"type": "error", "message": one_line(message, limit=MAX_ERROR)})


async def _converse(ws: WebSocket, sid: str, entry: _Entry, sessions: dict[str, _Entry]) -> bool:
    """Serve one tab until it leaves or the server ends the connection; True if it failed.

    The player (training between frames) is stopped before the connection is closed, so
    that the last message the page gets is the reason.
    """
    player = asyncio.create_task(_play(ws, entry, sessions))
    failed = False
    try:
        await _send(ws, {"type": "hello", "session": sid, "limits": LIMITS})
        opening = ws.query_params.getlist("settings")
        if not opening or not await _handle(ws, entry, opening, _settings_message):
            for reply in await anyio.to_thread.run_sync(page_state, entry.session, entry):
                await _send(ws, reply)
        await _serve_messages(ws, entry)
    except WebSocketDisconnect:
        return False
    except Exception as error:  # a fault of the server, not of the page: log it, close the tab
        _LOG.exception("playground session %s failed", sid[:6])
        entry.close(1011, f"internal error ({type(error).__name__}): reload the page")
        failed = True
    finally:
        entry.connected = entry.playing = False
        player.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await player
    if entry.closing.is_set():
        code, message = entry.close_reason
        failed = failed or code == 1011
        # The page may have gone too, or stopped reading: the goodbye waits 5 s at most.
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, TimeoutError):
            async with asyncio.timeout(5):
                await _error(ws, message)
                await ws.close(code=code, reason=message[:100])
    return failed


async def _serve_messages(ws: WebSocket, entry: _Entry) -> None:
    """Answer the page's messages until it leaves or :attr:`_Entry.closing` is set."""
    closing: asyncio.Future[Any] = asyncio.ensure_future(entry.closing.wait())
    receive: asyncio.Future[Any] | None = None
    try:
        while True:
            if receive is None:
                receive = asyncio.ensure_future(ws.receive())
            await asyncio.wait({receive, closing}, return_when=asyncio.FIRST_COMPLETED)
            if closing.done():
                return
            message, receive = receive.result(), None
            if message["type"] == "websocket.disconnect":
                return
            entry.last_seen = time.monotonic()
            text = message.get("text")
            if text is None:
                await _error(ws, "binary messages are not understood: send JSON text")
            else:
                await _handle(ws, entry, text, _parse)
    finally:
        closing.cancel()
        if receive is not None:
            receive.cancel()


def _json(text: str) -> object:
    """A page's JSON text, checked in size before it is decoded.

    Raises
    ------
    XornetError
    """
    if len(text) > MAX_MESSAGE:
        raise XornetError(f"message too large (over {MAX_MESSAGE // 1000} kB)")
    try:
        return json.loads(text)
    except RecursionError:
        raise XornetError("message is not JSON (nested too deeply)") from None
    except ValueError:  # JSONDecodeError, and integers of more than 4,300 digits
        raise XornetError("message is not JSON") from None


def _parse(text: str) -> dict[str, Any]:
    """A page's message, checked in size, then in shape by
    :func:`~xornet.playground.protocol.check_message`, before anything reads it.

    Raises
    ------
    XornetError
    """
    return check_message(_json(text))


def _settings_message(texts: Sequence[str]) -> dict[str, Any]:
    """The ``settings`` message whose settings are the WebSocket address's (``texts``, each
    ``settings`` it gives: JSON, and one only, or which one the page meant is a guess),
    checked like any other message.

    Raises
    ------
    XornetError
    """
    if len(texts) != 1:
        raise XornetError(f"the address gives settings {len(texts)} times; give them once")
    return check_message({"type": "settings", "settings": _json(texts[0])})


async def _handle(ws: WebSocket, entry: _Entry, text: _Text,
                  parse: Callable[[_Text], dict[str, Any]]) -> bool:  # fmt: skip
    """One message from the page (``text``, read by ``parse``); a bad one gets an error
    message back. Whether it was answered."""
    try:
        message = parse(text)
        replies = await anyio.to_thread.run_sync(answer, entry.session, entry, message)
    except (XornetError, ValueError) as error:  # DataError is a XornetError
        await _error(ws, error)
        return False
    if entry.playing:
        entry.wake.set()
    for reply in replies:
        await _send(ws, reply)
    return True


async def _play(ws: WebSocket, entry: _Entry, sessions: dict[str, _Entry]) -> None:
    """While playing: train between frames, send a frame, keep the frame rate."""
    try:
        await _play_frames(ws, entry, sessions)
    except WebSocketDisconnect:  # the tab went away
        pass
    except Exception as error:  # a fault of the server: log it and close the tab
        _LOG.exception("playground frames failed")
        entry.close(1011, f"internal error ({type(error).__name__}): reload the page")


async def _play_frames(ws: WebSocket, entry: _Entry, sessions: dict[str, _Entry]) -> None:
    session = entry.session
    while entry.connected:
        if not entry.playing:
            entry.wake.clear()
            await entry.wake.wait()
            continue
        started = time.monotonic()
        # Each frame trains for a share of FRAME_BUDGET at most, whatever the speed asks and
        # however large the network and data: the tabs playing at once split it, so every tab
        # keeps its frame rate and gets a fair share of steps.
        playing = sum(1 for other in sessions.values() if other.playing)
        budget = FRAME_BUDGET / max(1, playing)
        messages = await anyio.to_thread.run_sync(play_frame, session, entry, budget)
        if not entry.connected:
            break
        for message in messages:
            await _send(ws, message)
        entry.last_seen = time.monotonic()  # a tab that is training is not idle
        await asyncio.sleep(max(0.0, frame_interval(entry) - (time.monotonic() - started)))
