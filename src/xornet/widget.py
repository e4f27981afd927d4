"""The playground in a notebook: :class:`Playground`, a Jupyter widget.

``Playground()`` shows the page of ``xornet playground`` (the controls, the network with each
hidden unit's picture, the boundary, the hidden space, the loss, the explanation) in a
notebook cell: JupyterLab, Notebook 7, VS Code or Colab, with no server of xornet's. The page
is the same one, built from the same files; only its transport differs. Where the server's
page talks over a WebSocket, this one sends the same messages through the widget (anywidget's
``model.send``), and the kernel answers them with the server's own code
(:func:`xornet.playground.protocol.answer`), so every number is the library's, computed in
the kernel.

Needs anywidget (``pip install 'xornet[notebook]'``); ``import xornet`` never imports it.

Examples
--------
>>> from xornet.widget import Playground  # doctest: +SKIP
>>> pg = Playground(dataset="xor", hidden=2)  # doctest: +SKIP
>>> pg  # the last line of a cell shows the page; press play  # doctest: +SKIP
>>> pg.result.outcome.kind, pg.params.W1  # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from importlib import resources
from typing import Any

try:
    import anywidget
except ImportError as error:  # pragma: no cover - tested in a subprocess without it
    raise ImportError("xornet.widget needs anywidget: pip install 'xornet[notebook]'") from error

from xornet.data import Dataset
from xornet.errors import XornetError, one_line
from xornet.modelfile import Model
from xornet.params import Params
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
    state_message,
)
from xornet.playground.session import EXPORTS, Session, check_explain
from xornet.playground.settings import LIMITS, Settings
from xornet.training import TrainResult

__all__ = ["Playground", "page_module"]

_LOG = logging.getLogger("xornet.playground")

# The line of widget.js that the built module replaces with playground.js itself.
_IMPORT = 'import { mount } from "./playground.js";\n'
_MARKUP = re.compile(r"<!-- playground: start[^>]*-->\n?(.*?)<!-- playground: end -->", re.DOTALL)


def _static(name: str) -> str:
    return (resources.files("xornet.playground") / "static" / name).read_text(encoding="utf-8")


def page_module() -> str:
    """The widget's JavaScript module, built from the playground's own files.

    ``playground.js`` (the page's logic, the one of ``xornet playground``) with
    ``widget.js`` (its transport through the widget's messages) in one module, since a
    widget's module cannot import files of its own, and index.html's markup as ``MARKUP``.

    Returns
    -------
    str
        An ES module whose default export is anywidget's ``{render}``.
    """
    adapter = _static("widget.js")
    markup = _MARKUP.search(_static("index.html"))
    if adapter.count(_IMPORT) != 1 or markup is None:  # the files are the package's own
        raise RuntimeError("the playground's static files do not fit together")
    return (
        "// xornet playground, built by xornet.widget from static/index.html (MARKUP),\n"
        "// static/playground.js and static/widget.js.\n"
        f"const MARKUP = {json.dumps(markup.group(1))};\n"
        f"{_static('playground.js')}\n"
        f"{adapter.replace(_IMPORT, '')}"
    )


class Playground(anywidget.AnyWidget):
    """The browser playground as a notebook widget: watch the network learn, in a cell.

    Parameters
    ----------
    dataset : str or Dataset
        A data set's name (``"xor"``, ``"and"``, ..., ``"moons"``, ``"spiral3"``; those of
        ``xornet playground``), or your own :class:`~xornet.Dataset` (at most 5,000 rows,
        16 features and 10 classes).
    hidden : int, optional
        Hidden units, 1 to 64: 2 by default, or as many as ``params`` has.
    params : Params, TrainResult or Model, optional
        Start from these weights (a trained model's, say) instead of the seed's random ones:
        a :class:`~xornet.Params`, a :func:`~xornet.train` result or a loaded model file
        (:func:`~xornet.load_model`). They stay the start while the page asks for a network
        of their shape; "new start" draws random ones.
    shortcut : bool, optional
        Inputs wired straight to the output too (the 1986 2-1-1 network); by default as
        ``params`` are, else False.
    activation : str, optional
        ``"sigmoid"``, ``"tanh"`` or ``"relu"``: by default the one ``params`` were trained
        with (a result's or a model file's), else the sigmoid.
    init : {"normal", "glorot", "he", "uniform"}
        The start weights' scheme (``normal`` is the post's).
    optimizer : {"gd", "momentum", "adam"}
    loss : {"bce", "sse"}
        Cross-entropy (the post's) or the squared error (1986's; two classes only).
    learning_rate : float
        In (0, 100].
    batch_size : int or None
        None for the full batch (the post's).
    seed : int
        The start weights, the mini-batch order and a random data set's points, as
        ``xornet train --seed`` draws them.
    samples : int
        Points of a random data set (moons, circles, spirals, noisy XOR), 4 to 2,000.
    engine : {"auto", "numpy", "numba"}
        Who runs stretches of steps while playing (single steps are always the reference).
    lang : {"en", "ko"}
        The page's words and its explanations: English or Korean (the page's own control
        switches it later).
    layout : {"library", "post"}
        The explain panel's layout: xornet's, or the post's arrays and names
        (``xornet explain --layout post``).
    **kwargs
        Passed to :class:`anywidget.AnyWidget`.

    Attributes
    ----------
    session : xornet.playground.session.Session
        The run, as the server's page has it: settings, data, trainer, loss curve.

    Raises
    ------
    XornetError
        For a setting out of bounds or weights that do not fit the data and settings (one
        line, as the page would show it).

    Notes
    -----
    Training runs in a thread of the kernel while the page plays, so the notebook stays
    usable; reading :attr:`result` or :attr:`params` meanwhile gives the run as it stands.
    """

    _esm = page_module()
    _css = _static("style.css")

    def __init__(
        self,
        dataset: str | Dataset = "xor",
        hidden: int | None = None,
        params: Params | TrainResult | Model | None = None,
        *,
        shortcut: bool | None = None,
        activation: str | None = None,
        init: str = "normal",
        optimizer: str = "gd",
        loss: str = "bce",
        learning_rate: float = 1.0,
        batch_size: int | None = None,
        seed: int = 0,
        samples: int = 200,
        engine: str = "auto",
        lang: str = "en",
        layout: str = "library",
        **kwargs: Any,
    ) -> None:
        # First, so that a widget whose settings are refused can still be closed (on deletion).
        self._player = Player()
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self._closed = False
        start = _start_params(params)
        if activation is None:
            activation = _activation_of(params)
        upload = dataset if isinstance(dataset, Dataset) else None
        settings = Settings.from_dict({
            "dataset": "csv" if upload is not None else dataset,
            "hidden": hidden if hidden is not None else (2 if start is None else start.n_hidden),
            "shortcut": shortcut if shortcut is not None else bool(start and start.shortcut),
            "activation": activation, "init": init, "optimizer": optimizer, "loss": loss,
            "learning_rate": learning_rate, "batch_size": batch_size, "seed": seed,
            "samples": samples,
        })  # fmt: skip
        check_explain(lang, layout)
        self._view = {"lang": lang, "layout": layout}  # how a new view first shows itself
        self.session = Session(settings, upload, engine, params=start)
        if self.session.engine == "numba":  # load the compiled loop before play is pressed
            threading.Thread(target=preload, daemon=True).start()
        super().__init__(**kwargs)
        self.on_msg(self._receive)

    def __repr__(self) -> str:
        s = self.session
        return (f"Playground(dataset={s.data.name!r}, hidden={s.settings.hidden}, "
                f"step={s.step}, outcome={s.outcome().kind!r})")  # fmt: skip

    # ------------------------------------------------------------------------- from Python

    @property
    def params(self) -> Params:
        """The weights now (a copy): start another run, or a :class:`Playground`, from them."""
        with self.session.lock:
            return self.session.params.copy()

    @property
    def result(self) -> TrainResult:
        """The run so far as :func:`xornet.train` returns it: weights, loss record, verdict.

        Raises
        ------
        TrainingDiverged
            When the weights are no longer finite numbers.
        """
        with self.session.lock:
            return self.session.trainer.result()

    @property
    def settings(self) -> Settings:
        """What the page has chosen now."""
        return self.session.settings

    @property
    def step(self) -> int:
        """Steps taken so far."""
        return self.session.step

    def close(self) -> None:
        """Stop playing and close the widget (its views leave the notebook)."""
        self._closed = True
        self._player.playing = False
        super().close()

    # ------------------------------------------------------------------------- the page's messages

    def _receive(self, _widget: object, content: object, buffers: object) -> None:
        """One message from the page: acted on, answered (a bad one with an error)."""
        try:
            message = check_message(content)
            kind = message["type"]
            if kind == "connect":  # a view has opened: it draws itself from this
                replies = [
                    {"type": "hello", "session": None, "limits": LIMITS, "view": self._view},
                    *page_state(self.session, self._player),
                ]
            elif kind == "export":
                self._export(message.get("name"))
                return
            else:
                replies = answer(self.session, self._player, message)
        except (XornetError, ValueError) as error:
            self.send({"type": "error", "message": one_line(error, limit=MAX_ERROR)})
            return
        except Exception as error:  # a fault of the library: say so on the page, and in the log
            self.send({"type": "error", "message": _fault(error)})
            raise
        for reply in replies:
            self.send(reply)
        if self._player.playing:
            self._play()

    def _export(self, name: object) -> None:
        """Send an export's file to the page, which offers it as a download."""
        if not isinstance(name, str) or name not in EXPORTS:
            raise XornetError(f"nothing to export called {str(name)[:40]!r}")
        try:
            body, filename, media = self.session.export(name)
        except ImportError as error:  # a figure without matplotlib
            raise XornetError(one_line(error, limit=MAX_ERROR)) from None
        self.send({"type": "export", "name": filename, "media": media}, buffers=[body])

    def _play(self) -> None:
        """Start the thread that trains and sends frames while the page plays (one at most)."""
        with self._thread_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._frames, daemon=True,
                                                name="xornet playground")  # fmt: skip
                self._thread.start()

    def _frames(self) -> None:
        """While playing: train a frame, send it, keep the frame rate; then end."""
        while True:
            with self._thread_lock:
                if self._closed or not self._player.playing:
                    self._thread = None
                    return
            started = time.monotonic()
            try:
                messages = play_frame(self.session, self._player, FRAME_BUDGET)
            except Exception as error:  # a fault of the library: say so on the page, and stop
                _LOG.exception("the playground widget's frames failed")
                self._player.playing = False
                self.send(state_message(self._player))
                self.send({"type": "error", "message": _fault(error)})
                continue
            if self._closed:
                continue
            for message in messages:
                self.send(message)
            time.sleep(max(0.0, frame_interval(self._player) - (time.monotonic() - started)))


def _fault(error: Exception) -> str:
    """What the page shows for a fault of the library's own."""
    shown = one_line(error, limit=MAX_ERROR, with_type=True)
    return f"internal error ({shown}): see the kernel's log"


def _start_params(given: Params | TrainResult | Model | None) -> Params | None:
    """The weights of what was given as start weights."""
    if given is None or isinstance(given, Params):
        return given
    if isinstance(given, TrainResult | Model):
        return given.params
    raise XornetError(
        f"params must be Params, a training result or a model, not {type(given).__name__}"
    )


def _activation_of(given: Params | TrainResult | Model | None) -> str:
    """The activation given weights were trained with, when they say; else the sigmoid."""
    if isinstance(given, TrainResult):
        return given.config.activation
    if isinstance(given, Model):
        return given.activation
    return "sigmoid"
