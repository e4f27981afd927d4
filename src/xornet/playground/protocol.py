"""A playground page's messages, answered once for both of its transports.

:func:`answer` acts on one message and returns the replies, :func:`play_frame` trains one frame
while the page plays. The web server (:mod:`xornet.playground.server`, a WebSocket per tab) and
the notebook widget (:mod:`xornet.widget`, the widget's messages) only carry them; every
message is checked in shape (:func:`check_message`) before anything reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from xornet.errors import XornetError
from xornet.playground.session import Session, check_explain
from xornet.playground.settings import LIMITS, SPEEDS, Settings, parse_csv

__all__ = ["FRAME_BUDGET", "Player", "answer", "check_message", "page_state", "play_frame"]

#: Seconds between frames while playing (30 a second), and when slowed right down (speed 1).
FRAME_INTERVAL: Final = 1 / 30
SLOW_INTERVAL: Final = 0.25
#: Seconds of training per frame, shared by the pages playing at once.
FRAME_BUDGET: Final = 0.02
#: Longest error message sent to a page (one line).
MAX_ERROR: Final = 300


@dataclass(kw_only=True)
class Player:
    """Whether a page is playing its run, and how fast (the speed slider's 1 to 10)."""

    playing: bool = False
    speed: int = 10


def check_message(message: object) -> dict[str, Any]:
    """A page's message, checked in shape before anything reads it.

    A message is an object with a ``type``, whose values are numbers, text, true/false or
    null, except ``settings``: an object of such values. Nothing nests deeper.

    Raises
    ------
    XornetError
    """
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise XornetError("message must be an object with a 'type'")
    for key, value in message.items():
        inner = value.values() if key == "settings" and isinstance(value, dict) else [value]
        if not all(isinstance(v, str | int | float | bool | None) for v in inner):
            raise XornetError(f"message field {str(key)[:40]!r} must be a number, text or a flag")
    return message


def state_message(player: Player) -> dict[str, Any]:
    """Whether the page plays, and its speed."""
    return {"type": "state", "playing": player.playing, "speed": player.speed}


def page_state(session: Session, player: Player) -> list[dict[str, Any]]:
    """All a page needs to draw itself afresh: the state, the data, a frame."""
    return [state_message(player), session.data_message(), session.frame()]


def answer(session: Session, player: Player, message: dict[str, Any]) -> list[dict[str, Any]]:
    """Act on one of a page's messages (checked by :func:`check_message`); the replies.

    The protocol, whichever transport carries it. From the page: ``settings`` (with
    ``settings``), ``csv`` (with ``name`` and ``text``), ``play``, ``pause``, ``step``,
    ``reset``, ``new_start``, ``speed`` (``value`` 1-10), ``explain`` (``lang``, ``en`` or
    ``ko``; ``layout``, ``library`` or ``post``), ``frame``. To the page: ``state`` (playing
    or not), ``data``, ``frame`` and ``explain``. The transport adds its own greeting
    (``hello``) and ``error`` (a one-line message).

    A new run (new settings, data, start) starts paused; so do a step and an explanation,
    which are of the step the page shows. It blocks for as long as the work takes (a CSV
    upload, an explanation): transports call it from a worker thread.

    Raises
    ------
    XornetError
        For a message the page should not have sent, or settings or data that do not fit;
        ``player`` and ``session`` are then as they were. Anything else is a fault of the
        library, not of the page.
    """
    kind = message["type"]
    if kind == "settings":
        settings = Settings.from_dict(message.get("settings", {}))
        session.configure(settings)
        player.playing = False  # a new run starts paused (a refused change changes nothing)
        return page_state(session, player)
    if kind == "csv":
        name, body = message.get("name", "upload.csv"), message.get("text")
        if not isinstance(body, str) or not isinstance(name, str):
            raise XornetError("a csv message needs 'name' and 'text' strings")
        dataset = parse_csv(body, name)
        settings = Settings.from_dict({**session.settings.to_dict(), "dataset": "csv"})
        session.configure(settings, dataset)
        player.playing = False
        return page_state(session, player)
    if kind in ("play", "pause"):
        player.playing = kind == "play"
        return [state_message(player)]
    if kind == "step":
        player.playing = False
        session.advance(1)
        return [state_message(player), session.frame()]
    if kind in ("reset", "new_start"):
        player.playing = False
        if kind == "reset":
            session.reset()
        else:
            session.new_start()
        return page_state(session, player)
    if kind == "speed":
        value = message.get("value")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10:
            raise XornetError("speed must be a whole number from 1 to 10")
        player.speed = value
        return []
    if kind == "explain":
        lang, layout = message.get("lang", "en"), message.get("layout", "library")
        check_explain(lang, layout)  # before the pause: a refused message changes nothing
        player.playing = False
        return [state_message(player), session.explain(lang, layout)]
    if kind == "frame":
        return [session.frame()]
    raise XornetError(f"unknown message type {kind[:40]!r}")


def play_frame(session: Session, player: Player, budget: float) -> list[dict[str, Any]]:
    """One frame of a playing page: train for up to ``budget`` seconds, then the frame.

    The speed sets the steps (:data:`SPEEDS`; the top speed as many as the budget allows);
    the budget bounds them whatever the network and data cost. When the run can go no
    further (diverged, or at the step limit) the page stops playing and is told so before
    the frame.
    """
    steps = SPEEDS[player.speed - 1]
    session.advance(steps or LIMITS["steps_per_frame"], budget)
    frame = session.frame()
    if session.ended:
        player.playing = False
        return [state_message(player), frame]
    return [frame]


def frame_interval(player: Player) -> float:
    """Seconds from one frame's start to the next one's while playing."""
    return SLOW_INTERVAL if player.speed == 1 else FRAME_INTERVAL


def preload() -> None:
    """Load the compiled training loop, when numba is installed (about a second; a page's
    first frames would wait for it otherwise): call it in a thread at startup."""
    from xornet.engines import numba_available

    if numba_available():
        from xornet.engines import fused

        fused.load()
