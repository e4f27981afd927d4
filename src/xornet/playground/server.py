"""The playground's web server: one page, one WebSocket per tab, exports over HTTP.

Starlette serves the page and its scripts from the package (nothing from a CDN), and each tab's
WebSocket owns one :class:`~xornet.playground.session.Session`. Training runs in a worker
thread between frames so the server stays responsive; frames go out at up to 30 a second.

Protocol (JSON text messages). From the page: ``settings`` (with ``settings``), ``csv`` (with
``name`` and ``text``), ``play``, ``pause``, ``step``, ``reset``, ``new_start``, ``speed``
(``value`` 1-10), ``explain`` (``lang``), ``frame``. From the server: ``hello`` (the session's
id and the limits), ``data``, ``frame``, ``explain``, ``state`` (playing or not) and ``error``
(a one-line message the page shows).

Safety: every message and setting is bounded and validated, and a bad one gets an ``error``
message, never a crash; at most ``max_sessions`` tabs at once; a WebSocket whose Origin is
not this server's own is refused; idle sessions expire; static files come from the package
only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Final

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from xornet.errors import XornetError
from xornet.playground.session import LIMITS, SPEEDS, Session, Settings, parse_csv

__all__ = ["MAX_MESSAGE", "create_app"]

#: Largest message a page may send (a CSV upload, with JSON quoting).
MAX_MESSAGE: Final = 2 * LIMITS["csv_bytes"]
#: Seconds between frames while playing (30 a second), and when slowed right down.
FRAME_INTERVAL: Final = 1 / 30
SLOW_INTERVAL: Final = 0.25
#: Seconds of training per frame at full speed, shared by the tabs playing at once.
FRAME_BUDGET: Final = 0.02
FIGURES: Final = ("boundary", "hidden", "loss", "network")

# Content-Security-Policy: the page may load only its own files and talk only to its server.
_CSP: Final = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
               "connect-src 'self'; frame-ancestors 'none'")  # fmt: skip


@dataclass
class _Entry:
    """A session and its connection's state."""

    session: Session
    connected: bool = True
    last_seen: float = field(default_factory=time.monotonic)
    playing: bool = False
    speed: int = 10
    wake: asyncio.Event = field(default_factory=asyncio.Event)


def create_app(*, max_sessions: int = 32, idle_seconds: float = 600.0,
               sweep_seconds: float = 5.0) -> Starlette:  # fmt: skip
    """The playground's ASGI application.

    Parameters
    ----------
    max_sessions : int
        Tabs served at once; more are told to try later.
    idle_seconds : float
        A session with no message for this long is closed and forgotten (an ended one is kept
        this long for its exports).
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
        preload = asyncio.create_task(anyio.to_thread.run_sync(_preload))
        try:
            yield
        finally:
            task.cancel()
            await preload

    async def index(request: Request) -> Response:
        page = resources.files("xornet.playground").joinpath("static/index.html").read_text()
        return HTMLResponse(page, headers=_headers())

    async def export(request: Request) -> Response:
        entry = sessions.get(request.path_params["sid"])
        if entry is None:
            return JSONResponse({"error": "no such session (it may have expired)"}, 404)
        what = request.path_params["what"]
        session = entry.session
        try:
            if what == "model.npz":
                body, kind = await anyio.to_thread.run_sync(session.model_bytes), "model.npz"
                media = "application/octet-stream"
            elif what == "report.html":
                text = await anyio.to_thread.run_sync(session.report_html)
                body, kind, media = text.encode(), "report.html", "text/html; charset=utf-8"
            elif what.endswith(".png") and what[:-4] in FIGURES:
                body = await anyio.to_thread.run_sync(session.figure_png, what[:-4])
                kind, media = what, "image/png"
            else:
                return JSONResponse({"error": f"nothing to export called {what!r}"}, 404)
        except (XornetError, ImportError) as error:
            return JSONResponse({"error": str(error)}, 409)
        name = f"xornet-{session.data.name}-step{session.step}-{kind}"
        headers = {**_headers(), "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(body, media_type=media, headers=headers)

    async def websocket(ws: WebSocket) -> None:
        if not _same_origin(ws):
            await ws.close(code=1008, reason="cross-origin connection refused")
            return
        await ws.accept()
        expire(sessions, idle_seconds)
        if len(sessions) >= max_sessions:
            await ws.send_json({"type": "error", "message": "the playground is full: "
                                f"{max_sessions} sessions are open; try again later"})  # fmt: skip
            await ws.close(code=1013)
            return
        sid = secrets.token_urlsafe(16)
        entry = _Entry(Session())
        sessions[sid] = entry
        await ws.send_json({"type": "hello", "session": sid, "limits": LIMITS})
        await _send_state(ws, entry)
        player = asyncio.create_task(_play(ws, entry, sessions))
        try:
            while True:
                text = await ws.receive_text()
                entry.last_seen = time.monotonic()
                await _handle(ws, entry, text)
        except WebSocketDisconnect:
            pass
        finally:
            entry.connected = False
            entry.playing = False
            entry.wake.set()
            player.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await player

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/session/{sid}/{what}", export),
            WebSocketRoute("/ws", websocket),
            Mount("/static", StaticFiles(packages=[("xornet.playground", "static")])),
        ],
        lifespan=lifespan,
    )
    app.state.sessions = sessions
    return app


def _preload() -> None:
    from xornet.engines import numba_available

    if numba_available():
        from xornet.engines import fused

        fused.load()


def expire(sessions: dict[str, _Entry], idle_seconds: float) -> None:
    """Forget sessions idle for ``idle_seconds`` (connected ones are stopped first)."""
    now = time.monotonic()
    for sid, entry in list(sessions.items()):
        if now - entry.last_seen > idle_seconds:
            entry.playing = False
            entry.connected = False
            entry.wake.set()
            del sessions[sid]


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer"}  # fmt: skip


def _same_origin(ws: WebSocket) -> bool:
    """Whether the page that opened this WebSocket came from this server."""
    headers = ws.headers
    origin, host = headers.get("origin"), headers.get("host")
    return origin is not None and host is not None and origin in (f"http://{host}",
                                                                  f"https://{host}")  # fmt: skip


async def _send_state(ws: WebSocket, entry: _Entry) -> None:
    await ws.send_json({"type": "state", "playing": entry.playing, "speed": entry.speed})
    await ws.send_json(await anyio.to_thread.run_sync(entry.session.data_message))
    await ws.send_json(await anyio.to_thread.run_sync(entry.session.frame))


async def _error(ws: WebSocket, message: str) -> None:
    await ws.send_json({"type": "error", "message": message})


async def _handle(ws: WebSocket, entry: _Entry, text: str) -> None:
    """One message from the page; a bad one gets an error message back."""
    if len(text) > MAX_MESSAGE:
        await _error(ws, f"message too large (over {MAX_MESSAGE // 1000} kB)")
        return
    try:
        message = json.loads(text)
    except ValueError:
        await _error(ws, "message is not JSON")
        return
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        await _error(ws, "message must be an object with a 'type'")
        return
    session, kind = entry.session, message["type"]
    try:
        if kind == "settings":
            settings = Settings.from_dict(message.get("settings", {}))
            entry.playing = False
            await anyio.to_thread.run_sync(session.configure, settings)
            await _send_state(ws, entry)
        elif kind == "csv":
            name, body = message.get("name", "upload.csv"), message.get("text")
            if not isinstance(body, str) or not isinstance(name, str):
                raise XornetError("a csv message needs 'name' and 'text' strings")
            dataset = await anyio.to_thread.run_sync(parse_csv, body, name)
            settings = Settings.from_dict({**session.settings.to_dict(), "dataset": "csv"})
            entry.playing = False
            await anyio.to_thread.run_sync(session.configure, settings, dataset)
            await _send_state(ws, entry)
        elif kind == "play":
            entry.playing = True
            entry.wake.set()
            await ws.send_json({"type": "state", "playing": True, "speed": entry.speed})
        elif kind == "pause":
            entry.playing = False
            await ws.send_json({"type": "state", "playing": False, "speed": entry.speed})
        elif kind == "step":
            entry.playing = False
            await anyio.to_thread.run_sync(session.advance, 1)
            await ws.send_json({"type": "state", "playing": False, "speed": entry.speed})
            await ws.send_json(await anyio.to_thread.run_sync(session.frame))
        elif kind in ("reset", "new_start"):
            entry.playing = False
            await anyio.to_thread.run_sync(session.reset if kind == "reset" else session.new_start)
            await _send_state(ws, entry)
        elif kind == "speed":
            value = message.get("value")
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
                raise XornetError("speed must be a whole number from 1 to 10")
            entry.speed = value
        elif kind == "explain":
            entry.playing = False
            lang = message.get("lang", "en")
            if not isinstance(lang, str):
                raise XornetError("language must be en or ko")
            await ws.send_json({"type": "state", "playing": False, "speed": entry.speed})
            await ws.send_json(await anyio.to_thread.run_sync(session.explain, lang))
        elif kind == "frame":
            await ws.send_json(await anyio.to_thread.run_sync(session.frame))
        else:
            raise XornetError(f"unknown message type {kind!r}")
    except (XornetError, ValueError) as error:  # DataError is a XornetError
        await _error(ws, str(error).splitlines()[0])


async def _play(ws: WebSocket, entry: _Entry, sessions: dict[str, _Entry]) -> None:
    """While playing: train between frames, send a frame, keep the frame rate."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # the tab went away
        await _play_frames(ws, entry, sessions)


async def _play_frames(ws: WebSocket, entry: _Entry, sessions: dict[str, _Entry]) -> None:
    session = entry.session
    while entry.connected:
        if not entry.playing:
            entry.wake.clear()
            await entry.wake.wait()
            continue
        started = time.monotonic()
        steps = SPEEDS[entry.speed - 1]
        # At full speed each frame trains for a share of FRAME_BUDGET: the tabs playing at
        # once split it, so every tab keeps its frame rate and gets a fair share of steps.
        playing = sum(1 for other in sessions.values() if other.playing)
        budget = FRAME_BUDGET / max(1, playing) if steps is None else None
        await anyio.to_thread.run_sync(session.advance, steps or LIMITS["steps_per_frame"], budget)
        frame = await anyio.to_thread.run_sync(session.frame)
        if not entry.connected:
            break
        if session.ended:  # diverged, or at the step limit: nothing more to play
            entry.playing = False
            await ws.send_json({"type": "state", "playing": False, "speed": entry.speed})
        await ws.send_json(frame)
        entry.last_seen = time.monotonic()  # a tab that is training is not idle
        interval = SLOW_INTERVAL if entry.speed == 1 else FRAME_INTERVAL
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
