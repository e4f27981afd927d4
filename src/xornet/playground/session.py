"""One playground page's state, independent of the web: its settings, data and training run.

A :class:`Session` drives a :class:`xornet.Trainer`, the run every front end of xornet uses
(so a step on the page is the step ``xornet train`` takes, and its verdict is the one
``xornet train`` prints), and hands the page what it draws: :meth:`Session.frame` (the
boundary, each hidden unit's output over the input plane, the hidden plane, the network, the
loss curve, the verdict), :meth:`Session.explain` (every number of the next step), and the
exports (:meth:`Session.export`). Everything here is plain NumPy and testable.

The page's messages are answered here too, once for both of its transports: :func:`answer`
acts on one message and returns the replies, :func:`play_frame` trains one frame while the
page plays. The web server (:mod:`xornet.playground.server`, a WebSocket per tab) and the
notebook widget (:mod:`xornet.widget`, the widget's messages) only carry them.

Every setting and upload is validated and bounded (:class:`Settings`, :func:`parse_csv`,
:func:`check_dataset`), and so is what a frame costs: the views draw at most
``LIMITS["view_rows"]`` samples and at most ``LIMITS["classes"]`` classes, so the page cannot
ask for a network, a dataset or a frame that would swamp the machine.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

import numpy as np

from xornet._typing import Array, IntArray
from xornet.config import TrainConfig
from xornet.data import MAX_NAME_CHARS, Dataset, load_csv, make_dataset, name_problem
from xornet.diagnosis import Outcome, diagnose, predicted_class
from xornet.errors import DataError, TrainingDiverged, XornetError
from xornet.explain import explain_next, render
from xornet.hidden_space import hidden_plane
from xornet.network import forward, loss, output_probabilities
from xornet.optim import Optimizer
from xornet.params import Params
from xornet.training import Trainer

__all__ = [
    "EXPORTS",
    "LIMITS",
    "Player",
    "Session",
    "Settings",
    "answer",
    "check_dataset",
    "check_message",
    "parse_csv",
    "play_frame",
]

#: Datasets the page offers (``csv`` is an uploaded file).
DATASETS: Final = ("xor", "and", "or", "nand", "nor", "xnor", "noisy-xor", "moons", "circles",
                   "spiral", "spiral3", "csv")  # fmt: skip

#: Bounds on everything a page can ask for.
LIMITS: Final[dict[str, Any]] = {
    "hidden": 64,  # hidden units
    "samples": 2000,  # points of a random dataset
    "csv_bytes": 1_000_000,  # size of an uploaded CSV file
    "csv_rows": 5000,
    "csv_features": 16,
    "classes": 10,  # of an upload (the page has ten class colours)
    "name_chars": MAX_NAME_CHARS,  # of an uploaded file's name, and of each column name
    "view_rows": 2000,  # samples the views draw (an evenly spaced subset of a larger upload)
    "steps_per_frame": 20_000,
    "steps": 10_000_000,  # steps of one run (its loss record grows by one every 100)
    "learning_rate": 100.0,
    "seed": 2**32 - 1,
    "resolution": 40,  # boundary grid points per side
    "unit_resolution": 20,  # grid points per side of a hidden unit's thumbnail, at most
    "unit_cells": 6400,  # grid points of all the thumbnails together, at most
    "history": 400,  # loss points kept (older ones thinned)
}

# Speed levels of the page's slider: steps per frame, None meaning "as many as fit in the
# frame's time budget".
SPEEDS: Final = (1, 1, 2, 5, 10, 25, 50, 100, 250, None)
#: Seconds between frames while playing (30 a second), and when slowed right down (speed 1).
FRAME_INTERVAL: Final = 1 / 30
SLOW_INTERVAL: Final = 0.25
#: Seconds of training per frame, shared by the pages playing at once.
FRAME_BUDGET: Final = 0.02
#: Longest error message sent to a page (one line).
MAX_ERROR: Final = 300
#: What a page can export: the model file, the HTML report, and each figure as PNG.
EXPORTS: Final = ("model.npz", "report.html", "boundary.png", "hidden.png", "loss.png",
                  "network.png")  # fmt: skip


@dataclass(frozen=True)
class Settings:
    """What a page chooses, validated.

    Attributes
    ----------
    dataset : str
        One of :data:`DATASETS`.
    hidden : int
        Hidden units, 1 to 64.
    shortcut : bool
        Also wire the inputs straight to the output (the 1986 2-1-1 network).
    activation, init, optimizer, loss : str
        As in :class:`xornet.TrainConfig` (``loss="sse"``: two classes only).
    learning_rate : float
        In (0, 100].
    batch_size : int or None
        None for the full batch.
    seed : int
        The start weights, the mini-batch order and the data of a random set, as
        ``xornet train --seed`` draws them (0 to 2**32 - 1).
    samples : int
        Points of a random set, 4 to 2,000.
    """

    dataset: str = "xor"
    hidden: int = 4
    shortcut: bool = False
    activation: str = "sigmoid"
    init: str = "normal"
    optimizer: str = "gd"
    loss: str = "bce"
    learning_rate: float = 1.0
    batch_size: int | None = None
    seed: int = 0
    samples: int = 200

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        """Settings from a page's JSON, with a one-line error for anything out of bounds.

        Raises
        ------
        XornetError
        """
        if not isinstance(values, dict):
            raise XornetError("settings must be an object")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise XornetError(f"unknown setting {_shown(unknown[0])}")
        merged = {**dataclasses.asdict(cls()), **values}
        for name, value in merged.items():  # a page's JSON may hold lists, objects, huge text
            if not isinstance(value, str | int | float | None):
                raise XornetError(f"{name.replace('_', ' ')} must be a number or a name")
        for name in ("hidden", "seed", "samples"):
            _integer(merged, name)
        if not isinstance(merged["shortcut"], bool):
            raise XornetError(f"shortcut must be true or false, got {_shown(merged['shortcut'])}")
        if merged["batch_size"] is not None:
            _integer(merged, "batch_size")
        lr = merged["learning_rate"]
        if isinstance(lr, bool) or not isinstance(lr, int | float):
            raise XornetError(f"learning rate must be a number, got {_shown(lr)}")
        try:  # a JSON integer of 400 digits is a Python int too large for a float
            lr = float(lr)
        except OverflowError:
            lr = math.inf
        if not math.isfinite(lr):
            raise XornetError(f"learning rate must be a number in (0, {LIMITS['learning_rate']:g}]")
        settings = cls(**{**merged, "learning_rate": lr})
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`XornetError` for a value out of bounds."""
        if self.dataset not in DATASETS:
            raise XornetError(f"unknown dataset {_shown(self.dataset)}")
        if not 1 <= self.hidden <= LIMITS["hidden"]:
            raise XornetError(f"hidden units must be from 1 to {LIMITS['hidden']}")
        if not 0 < self.learning_rate <= LIMITS["learning_rate"]:
            raise XornetError(f"learning rate must be in (0, {LIMITS['learning_rate']:g}]")
        if not 0 <= self.seed <= LIMITS["seed"]:
            raise XornetError(f"seed must be from 0 to {LIMITS['seed']}")
        if not 4 <= self.samples <= LIMITS["samples"]:
            raise XornetError(f"samples must be from 4 to {LIMITS['samples']}")
        if self.batch_size is not None and self.batch_size < 1:
            raise XornetError("batch size must be at least 1")
        self.train_config(self.samples)

    def train_config(self, n_samples: int) -> TrainConfig:
        """The run these settings ask for, on ``n_samples`` samples (validated).

        The page trains until it is stopped (no tolerance; at most ``LIMITS["steps"]``
        steps) and records the loss every 100 steps like ``xornet train``, so that both
        give the same verdict on the same run.

        Raises
        ------
        XornetError
        """
        batch = self.batch_size
        return TrainConfig(hidden=self.hidden, activation=self.activation, init=self.init,
                           optimizer=self.optimizer, learning_rate=self.learning_rate,
                           loss=self.loss, shortcut=self.shortcut,
                           batch_size=None if batch is None or batch >= n_samples else batch,
                           steps=LIMITS["steps"], tol=None)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dataclasses.asdict(self)


def _integer(values: dict[str, Any], name: str) -> None:
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise XornetError(f"{name.replace('_', ' ')} must be a whole number, got {_shown(value)}")


def _shown(value: object) -> str:
    """``repr(value)`` cut to 40 characters: a message quotes a page's value, not all of it."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def parse_csv(text: str, name: str = "upload.csv") -> Dataset:
    """A dataset from the text of an uploaded CSV file (header row, a ``label`` column).

    Everything is bounded before it is used: the file's size, its name (which names the
    dataset and is never used as a path), then its rows, features, classes and column names
    (:func:`check_dataset`).

    Parameters
    ----------
    text : str
        The file's contents.
    name : str
        The file's name as the browser gives it (no folders); its stem names the dataset.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        For a name or file that is too large or malformed (the message names the file, and
        the row and column).
    """
    stem = _file_stem(name)
    try:
        size = len(text.encode())
    except UnicodeEncodeError:  # a lone surrogate, which a JSON string can carry
        raise DataError(f"{name}: not UTF-8 text") from None
    if size > LIMITS["csv_bytes"]:
        raise DataError(f"{name}: larger than {LIMITS['csv_bytes'] // 1000} kB")
    lines = sum(1 for line in text.splitlines() if line.strip())
    if lines > LIMITS["csv_rows"] + 1:  # with its header
        raise DataError(f"{name}: more than {LIMITS['csv_rows']} rows")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"  # the page's name never becomes a path
        path.write_text(text, encoding="utf-8")
        try:
            loaded = load_csv(path)
        except DataError as error:  # the temporary file means nothing to the user
            raise DataError(str(error).replace(str(path), name)) from None
    dataset = Dataset(stem, loaded.X, loaded.y, loaded.feature_names)
    check_dataset(dataset, name)
    return dataset


def check_dataset(dataset: Dataset, source: str | None = None) -> None:
    """Raise :class:`~xornet.errors.DataError` unless an uploaded dataset is within the
    playground's bounds: rows, features, classes and the length of its names.

    Classes are bounded like rows and features because a frame's cost grows with them (one
    boundary line per pair of classes, one output per class on every point of the grid). Each
    feature's values must be close enough together that the region the views draw around them
    is finite (1e308 and -1e308 are not), or every frame would hold NaN, which is not JSON.

    Parameters
    ----------
    dataset : Dataset
    source : str, optional
        The file's name, for the message (the dataset's name when not given).
    """
    source = source or dataset.name
    for count, what, limit in ((dataset.n_samples, "rows", "csv_rows"),
                               (dataset.n_features, "features", "csv_features"),
                               (dataset.n_classes, "classes", "classes")):  # fmt: skip
        if count > LIMITS[limit]:
            raise DataError(
                f"{source}: {count} {what}; the playground takes at most {LIMITS[limit]}"
            )
    _check_name(dataset.name, "the dataset's name")
    for column in dataset.feature_names:
        _check_name(column, "a column name")
    low, high = _extent(dataset.X)
    too_wide = np.flatnonzero(~(np.isfinite(low) & np.isfinite(high)))
    if too_wide.size:
        raise DataError(
            f"{source}: the values of column {_shown(dataset.feature_names[too_wide[0]])} are "
            "too far apart to draw (their range, with a margin, is beyond the largest float); "
            "scale them"
        )


def _extent(X: Array) -> tuple[Array, Array]:
    """The region the views draw, per feature: the data's range and a quarter of it on each
    side (lowest, highest), each of shape (n_features,). Not finite when the values are too far
    apart for a float (1e308 and -1e308): :func:`check_dataset` refuses such data."""
    low, high = X.min(axis=0), X.max(axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        margin = 0.25 * np.maximum(high - low, 1e-9)
        return low - margin, high + margin


def _file_stem(name: str) -> str:
    """The dataset name an uploaded file's name gives (its stem), checked like a file name."""
    if not isinstance(name, str):
        raise DataError("the file name must be text")
    _check_name(name, "the file name")
    if name in (".", "..") or "/" in name:
        raise DataError(f"{name!r} is not a file name")
    return PurePosixPath(name).stem


def _check_name(name: str, what: str) -> None:
    """Raise :class:`DataError` for a name that :func:`xornet.data.name_problem` refuses (it
    goes into headers, file names and figures)."""
    problem = name_problem(name)
    if problem is not None:
        raise DataError(f"{what} {problem}")


class Session:
    """One tab's run and the views of it: the data, a :class:`~xornet.Trainer`, the loss curve.

    The session keeps no training loop: its :attr:`trainer` holds the weights, the optimizer's
    state, the step counter, the batch order, the loss record and the divergence check, and
    every step goes through it (single steps with :meth:`Trainer.step`, longer stretches with
    :meth:`Trainer.run`). What the session adds is the page's view: the loss curve, thinned
    to ``LIMITS["history"]`` points, and the frames.

    Parameters
    ----------
    settings : Settings
    csv : Dataset, optional
        The uploaded data, used when ``settings.dataset == "csv"``.
    engine : {"auto", "numpy", "numba"}
        The trainer's engine for stretches of more than one step: ``numba`` (``auto`` when it
        is installed) runs them compiled, so they can be mixed with single reference steps
        (tested to 1e-10). Single steps always run the NumPy reference, which is what
        ``explain`` shows.
    params : Params, optional
        Start weights (a trained model's, say) instead of the seed's random ones. They are
        the start whenever the network the settings ask for has their shape (inputs, hidden
        units, classes, shortcut): after a change to another shape the seed's weights are
        the start, and back to theirs they are again; :meth:`new_start` drops them.

    Attributes
    ----------
    start : Params or None
        The given start weights (a copy), until :meth:`new_start`.
    view : ndarray of shape (n_shown,)
        The rows the views draw: every sample, or an evenly spaced ``LIMITS["view_rows"]`` of
        a larger upload (so that a frame's cost is bounded).

    Notes
    -----
    Methods are safe to call from several threads (one lock per session): the server trains in
    a worker thread while the page's messages arrive.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        csv: Dataset | None = None,
        engine: str = "auto",
        *,
        params: Params | None = None,
    ) -> None:
        from xornet.engines import resolve_engine

        self.lock = threading.RLock()
        self.csv: Dataset | None = None
        self.engine = resolve_engine(engine)
        self.start = None if params is None else params.copy()
        # Given weights must fit the first settings: a mistake there is the caller's, told now.
        self._configure(settings or Settings(), csv, strict=True)

    def __repr__(self) -> str:
        return f"Session(dataset={self.data.name!r}, step={self.step}, engine={self.engine!r})"

    # ------------------------------------------------------------------------- setup

    def configure(self, settings: Settings, csv: Dataset | None = None) -> None:
        """Apply new settings (and a new upload): new data, new start weights, step 0.

        Whole or not at all: the data and the trainer are built first, and the session
        changes only when both succeeded, so a refused change leaves it as it was.

        Raises
        ------
        XornetError
            For settings that do not fit (``sse`` with more than two classes, ``csv`` with no
            upload, an upload beyond :func:`check_dataset`'s bounds); the session is unchanged.
        """
        self._configure(settings, csv)

    def _configure(self, settings: Settings, csv: Dataset | None, strict: bool = False) -> None:
        """:meth:`configure`; with ``strict``, given start weights must fit the settings."""
        settings.check()
        if csv is not None:
            check_dataset(csv)
        with self.lock:
            upload = self.csv if csv is None else csv
            data = _dataset(settings, upload)
            trainer = self._new_trainer(settings, data, strict)
            self.settings, self.data, self.csv = settings, data, upload
            self._begin(trainer)

    def _new_trainer(self, settings: Settings, data: Dataset, strict: bool = False) -> Trainer:
        """A trainer at step 0 for these settings and data: from :attr:`start` when it fits
        (when ``strict``, it must), else from the seed's weights."""
        if settings.loss == "sse" and data.n_classes > 2:
            raise XornetError("the squared error needs two classes; choose cross-entropy")
        config = settings.train_config(data.n_samples)
        if self.start is not None:
            try:  # the Trainer is the one judge of whether weights fit
                return Trainer(data.X, data.y, config, rng=settings.seed, params=self.start,
                               engine=self.engine, n_classes=data.n_classes)  # fmt: skip
            except XornetError:
                if strict:
                    raise
        return Trainer(data.X, data.y, config, rng=settings.seed, engine=self.engine,
                       n_classes=data.n_classes)  # fmt: skip

    def _begin(self, trainer: Trainer) -> None:
        """Start the views over for a new trainer."""
        self.trainer = trainer
        self.view = _view_rows(self.data.n_samples)
        self._per_step: float | None = None  # seconds a compiled step took, for the budget
        self.initial = trainer.params.copy()
        self.diverged: str | None = None
        self._record_every = 1  # the curve keeps a point at least this many steps apart
        self.history_steps: list[int] = []
        self.history_losses: list[float] = []
        self._record()

    def reset(self) -> None:
        """Back to the same start weights and batch order, step 0, a fresh optimizer."""
        with self.lock:
            self._begin(self._new_trainer(self.settings, self.data))

    def new_start(self) -> Settings:
        """New random start weights (the next seed, given weights dropped); returns the new
        settings."""
        with self.lock:
            seed = (self.settings.seed + 1) % (LIMITS["seed"] + 1)
            start, self.start = self.start, None
            try:
                self.configure(dataclasses.replace(self.settings, seed=seed))
            except XornetError:
                self.start = start
                raise
            return self.settings

    @property
    def from_start(self) -> bool:
        """Whether the run started from the given weights (:attr:`start`), not the seed's."""
        start = self.start
        return (
            start is not None
            and start.names == self.initial.names
            and all(np.array_equal(a, b) for a, b in zip(start, self.initial, strict=True))
        )

    # ------------------------------------------------------------------------- the run

    @property
    def params(self) -> Params:
        """The trainer's weights now (its own arrays, not a copy)."""
        return self.trainer.params

    @property
    def optimizer(self) -> Optimizer:
        """The trainer's optimizer, with its state."""
        return self.trainer.optimizer

    @property
    def config(self) -> TrainConfig:
        """The trainer's configuration."""
        return self.trainer.config

    @property
    def step(self) -> int:
        """Steps taken."""
        return self.trainer.steps

    @property
    def n_classes(self) -> int:
        """Classes of the data (one sigmoid output for two)."""
        return self.data.n_classes

    @property
    def ended(self) -> str | None:
        """Why the session can take no more steps (divergence, or the step limit), or None."""
        if self.diverged:
            return self.diverged
        if self.trainer.finished:
            return (f"the playground trains at most {self.config.steps:,} steps; reset, or "
                    "export the model and train on with the command line")  # fmt: skip
        return None

    def next_rows(self) -> IntArray:
        """The samples the next step trains on (its batch), without taking the step."""
        with self.lock:
            rows = self.trainer.next_rows()
            return np.arange(self.data.n_samples) if rows is None else rows

    def advance(self, steps: int, budget: float | None = None) -> int:
        """Take up to ``steps`` steps of the run (fewer when ``budget`` seconds have passed).

        One step is the trainer's reference step (what :meth:`explain` shows). More run as
        :meth:`Trainer.run` stretches, compiled with the numba engine, in chunks sized to the
        time budget from the time the last stretch took per step (16 steps when there is
        none yet), so that even the largest network on the largest data keeps to its budget
        but for one step. A :class:`~xornet.TrainingDiverged` from the trainer ends the
        session's training and sets :attr:`diverged`.

        Returns
        -------
        int
            Steps taken.
        """
        if not 1 <= steps <= LIMITS["steps_per_frame"]:
            raise XornetError(f"steps per frame must be from 1 to {LIMITS['steps_per_frame']}")
        with self.lock:
            trainer = self.trainer
            first, target = trainer.steps, trainer.steps + steps
            started = time.perf_counter()
            if steps == 1 or budget is None:
                chunk = steps
            elif self._per_step is None:
                chunk = 16
            else:
                chunk = max(1, int(0.8 * budget / self._per_step))
            while self.ended is None and trainer.steps < target:
                began, before = time.perf_counter(), trainer.steps
                try:
                    if steps == 1:
                        trainer.step()
                    else:
                        trainer.run(until=min(target, before + chunk))
                except TrainingDiverged as error:
                    self.diverged = str(error)
                    break
                self._record()
                if trainer.steps == before:  # the run has ended
                    break
                if budget is None:
                    continue
                spent = time.perf_counter() - started
                if steps > 1:
                    self._per_step = (time.perf_counter() - began) / (trainer.steps - before)
                if spent > budget:
                    break
                chunk = max(1, int(0.8 * (budget - spent) / max(self._per_step or 0, 1e-9)))
            return trainer.steps - first

    def _full_loss(self) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return loss(forward(self.params, self.data.X, self.config.activation),
                        self.data.y, self.config.loss)  # fmt: skip

    def _record(self) -> None:
        """Add the loss now to the curve, if the last point is far enough behind."""
        step = self.step
        if self.history_steps and step < self.history_steps[-1] + self._record_every:
            return
        self.history_steps.append(step)
        self.history_losses.append(self._full_loss())
        while len(self.history_steps) > LIMITS["history"]:  # thin to every other point
            self.history_steps = self.history_steps[::2]
            self.history_losses = self.history_losses[::2]
            self._record_every *= 2

    def outcome(self) -> Outcome:
        """The verdict on the run so far: the trainer's own, as ``xornet train`` prints it.

        Returns
        -------
        Outcome
        """
        with self.lock:
            try:
                return self.trainer.result().outcome
            except TrainingDiverged:  # the weights are no longer finite numbers
                with np.errstate(over="ignore", invalid="ignore"):
                    cache = forward(self.params, self.data.X, self.config.activation)
                current = loss(cache, self.data.y, self.config.loss)
                return diagnose(output_probabilities(cache.P), self.data.y,
                                np.append(self.trainer.loss_history, current))  # fmt: skip

    # ------------------------------------------------------------------------- what the page draws

    def data_message(self) -> dict[str, Any]:
        """The data, sent when it changes: points, labels, names, the boundary's extent.

        The points are those the views draw (:attr:`view`: all of them, or an evenly spaced
        ``LIMITS["view_rows"]`` of a larger upload); ``samples`` counts them all. ``start``
        says where the run started: ``"given"`` weights (:attr:`start`) or the ``"seed"``'s.
        """
        with self.lock:
            X, d = self.data.X, self.data.n_features
            extent = None
            if d == 2:
                low, high = _extent(X)
                extent = [*low.tolist(), *high.tolist()]
            return {
                "type": "data",
                "name": self.data.name,
                "samples": self.data.n_samples,
                "X": _round(X[self.view], 4),
                "y": self.data.y[self.view].astype(int).tolist(),
                "features": list(self.data.feature_names),
                "classes": self.n_classes,
                "extent": extent,
                "settings": self.settings.to_dict(),
                "start": "given" if self.from_start else "seed",
            }

    def frame(self) -> dict[str, Any]:
        """Everything the page draws now, JSON-ready.

        Its cost is bounded whatever the data: the loss and accuracy are over every sample,
        but the hidden plane over the :attr:`view` rows only, the boundary and the hidden
        units' thumbnails are fixed grids (the thumbnails' cells, all units together, at most
        ``LIMITS["unit_cells"]``), and classes (hence boundary lines) are bounded by
        ``LIMITS["classes"]``.
        """
        with self.lock, np.errstate(over="ignore", invalid="ignore"):
            p, X, y = self.params, self.data.X, self.data.y
            cache = forward(p, X, self.config.activation)
            probabilities = output_probabilities(cache.P)
            current = loss(cache, y, self.config.loss)
            finite = p.all_finite() and math.isfinite(current)
            outcome = self.outcome()
            out: dict[str, Any] = {
                "type": "frame",
                "step": self.step,
                "loss": current if finite else None,
                "accuracy": float(np.mean(predicted_class(probabilities) == y)),
                "outcome": outcome.kind,
                "summary": outcome.summary,
                "diverged": self.diverged,
                "ended": None if self.diverged else self.ended,  # the step limit
                "engine": self.engine,
                "history": [list(self.history_steps), _round(np.array(self.history_losses), 6)],
                "network": {name: _round(a, 4) for name, a in p.as_dict().items()},
            }
            if finite:
                out["boundary"] = self._boundary()
                out["units"] = self._units()
                out["hidden"] = self._hidden(cache.H[self.view])
            return out

    def _grid(self, r: int) -> Array:
        """An ``r`` x ``r`` grid over the data's extent (a quarter of its range around it), as
        rows of points of shape (r * r, 2); the first ``r`` rows are the lowest y, x rising."""
        low, high = _extent(self.data.X)
        xs = np.linspace(low[0], high[0], r)
        ys = np.linspace(low[1], high[1], r)
        xx, yy = np.meshgrid(xs, ys)  # row j is y = ys[j]
        grid: Array = np.column_stack([xx.ravel(), yy.ravel()])  # (r * r, 2)
        return grid

    def _boundary(self) -> dict[str, Any] | None:
        if self.data.n_features != 2:
            return None
        r = LIMITS["resolution"]
        P = forward(self.params, self._grid(r), self.config.activation).P
        if P.shape[1] == 1:
            return {"size": r, "p": _round(P[:, 0], 3)}
        return {"size": r, "class": np.argmax(P, axis=1).tolist(), "p": _round(P.max(axis=1), 3)}

    def _units(self) -> dict[str, Any] | None:
        """Each hidden unit's output over the input plane (TensorFlow Playground's node
        pictures), or None without a plane (not 2 features).

        ``levels`` holds, base64-encoded, bytes of shape (n_hidden, size * size): each unit's
        output at ``size`` x ``size`` points of the boundary's extent, from the lowest y up, as
        a level from 0 to 255 of ``range`` (level ``q`` is ``lo + (hi - lo) q / 255``). Bytes,
        not numbers in JSON, because they cost a frame next to nothing to send and to read:
        the pictures are drawn 44 pixels wide at most. ``size`` shrinks as units grow so that
        all of them together stay within ``LIMITS["unit_cells"]``. ``range`` is the
        activation's scale, centred on its middle value (0.5 for the sigmoid, 0 for tanh and
        relu), so one colour scale serves every unit: ``[0, 1]``, ``[-1, 1]``, and
        ``[-m, m]`` for relu's largest value ``m``.
        """
        if self.data.n_features != 2:
            return None
        h = self.params.n_hidden
        r = min(LIMITS["unit_resolution"], math.isqrt(LIMITS["unit_cells"] // h))
        H = forward(self.params, self._grid(r), self.config.activation).H  # (r * r, h)
        activation = self.config.activation
        if activation == "sigmoid":
            lo, hi = 0.0, 1.0
        elif activation == "tanh":
            lo, hi = -1.0, 1.0
        else:  # relu: from 0 up, unbounded
            top = round(max(float(np.max(H)), 1e-4), 4)
            lo, hi = -top, top
        levels = np.clip(np.rint((H.T - lo) / (hi - lo) * 255), 0, 255).astype(np.uint8)
        return {"size": r, "levels": base64.b64encode(levels.tobytes()).decode("ascii"),
                "range": [lo, hi]}  # fmt: skip

    def _hidden(self, H: Array) -> dict[str, Any]:
        X = self.data.X[self.view]
        plane = hidden_plane(self.params, X, self.config.activation, hidden=H)
        return {
            "coords": _round(plane.coords, 4),
            "lines": [[*_round(a, 6), round(c0, 6), label] for a, c0, label in plane.lines],
            "labels": list(plane.labels),
            "title": plane.title,
        }

    def explain(self, lang: str = "en") -> dict[str, Any]:
        """Every number of the trainer's next step (on its batch), as
        :func:`xornet.explain.render` prints it.

        The step itself is not taken; :meth:`advance` with 1 takes exactly this one
        (:meth:`Trainer.step`, on the same batch, from the same optimizer state). The text
        summarises large arrays, as NumPy prints them, so its size is bounded; the arrays
        themselves (:func:`xornet.explain.to_json`) are not sent, as on a batch of 5,000
        rows they run to tens of megabytes.
        """
        if lang not in ("en", "ko"):
            raise XornetError("language must be en or ko")
        with self.lock:
            trainer = self.trainer
            explanation = explain_next(trainer)
            return {
                "type": "explain",
                "step": trainer.steps,
                "text": render(explanation, lang=lang),
            }

    # ------------------------------------------------------------------------- exports

    def export(self, what: str) -> tuple[bytes, str, str]:
        """One of :data:`EXPORTS` as a file: its bytes, its file name and its media type.

        The name says what it is and where the run stood:
        ``xornet-{dataset}-step{step}-{what}``.

        Raises
        ------
        XornetError
            For a name not in :data:`EXPORTS`, a figure the data has no plane for, or
            weights that are no longer finite numbers (:class:`TrainingDiverged`).
        """
        with self.lock:
            if what == "model.npz":
                body, media = self.model_bytes(), "application/octet-stream"
            elif what == "report.html":
                body, media = self.report_html().encode(), "text/html; charset=utf-8"
            elif what in EXPORTS:
                body, media = self.figure_png(what.removesuffix(".png")), "image/png"
            else:
                raise XornetError(f"nothing to export called {what[:40]!r}")
            return body, f"xornet-{self.data.name}-step{self.step}-{what}", media

    def model_bytes(self) -> bytes:
        """The model as ``xornet train --save`` writes it (``.npz``), with the run's loss
        record, so that ``xornet report --model`` gives the page's verdict.

        Raises
        ------
        TrainingDiverged
            When the weights are no longer finite numbers.
        """
        from xornet.modelfile import save_model

        with self.lock, tempfile.TemporaryDirectory() as folder:
            result = self.trainer.result()
            path = Path(folder) / "model.npz"
            metadata = {
                "config": self.config.replace(steps=max(self.step, 1)).to_dict(),
                "feature_names": list(self.data.feature_names),
                "dataset": self.data.name,
                "seed": self.settings.seed,
                "steps": result.steps,
                "final_loss": result.final_loss,
                "accuracy": result.accuracy,
                "outcome": result.outcome.kind,
                "loss_history": result.loss_history.tolist(),
                "history_steps": result.history_steps.tolist(),
                "source": "xornet playground",
            }
            save_model(path, self.params, self.config.activation, metadata)
            return path.read_bytes()

    def figure_png(self, name: str) -> bytes:
        """One figure as PNG bytes: ``boundary``, ``hidden``, ``loss`` or ``network``."""
        from xornet.plotting import (
            plot_boundary,
            plot_hidden_space,
            plot_loss,
            plot_network,
            png_bytes,
        )

        with self.lock:
            p, X, y, act = self.params, self.data.X, self.data.y, self.config.activation
            if name == "boundary":
                if self.data.n_features != 2:
                    raise XornetError("the decision boundary needs 2 features")
                fig = plot_boundary(p, X, y, act)
            elif name == "hidden":
                fig = plot_hidden_space(p, X, y, act)
            elif name == "loss":
                fig = plot_loss(np.array(self.history_losses),
                                np.array(self.history_steps, dtype=float))  # fmt: skip
            elif name == "network":
                fig = plot_network(p, self.data.feature_names)
            else:
                raise XornetError(f"unknown figure {name!r}")
            return png_bytes(fig)

    def report_html(self) -> str:
        """The self-contained HTML report of the network as it is now."""
        from xornet.plotting import LossCurve
        from xornet.report import build_report

        with self.lock:
            curve = LossCurve(np.array(self.history_losses),
                              np.array(self.history_steps, dtype=float), self.step,
                              self._full_loss(), None)  # fmt: skip
            return build_report(
                self.params, self.data.X, self.data.y, activation=self.config.activation,
                title=f"xornet playground: {self.data.name}, step {self.step}",
                config=self.settings.to_dict(), outcome=self.outcome(), curve=curve,
                feature_names=self.data.feature_names, explain_params=self.initial,
                optimizer=self.config.new_optimizer(),
            )  # fmt: skip


# ----------------------------------------------------------------------------- the page's messages


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


def one_line(error: BaseException | str) -> str:
    """The first line of an error's message, cut to :data:`MAX_ERROR` characters."""
    lines = str(error).splitlines()
    text = lines[0] if lines else type(error).__name__
    return text if len(text) <= MAX_ERROR else text[: MAX_ERROR - 3] + "..."


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
    ``reset``, ``new_start``, ``speed`` (``value`` 1-10), ``explain`` (``lang``), ``frame``.
    To the page: ``state`` (playing or not), ``data``, ``frame`` and ``explain``. The
    transport adds its own greeting (``hello``) and ``error`` (a one-line message).

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
        lang = message.get("lang", "en")
        if lang not in ("en", "ko"):
            raise XornetError("language must be en or ko")
        player.playing = False
        return [state_message(player), session.explain(lang)]
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


def _dataset(settings: Settings, upload: Dataset | None) -> Dataset:
    """The data the settings ask for (``upload`` for ``csv``)."""
    if settings.dataset != "csv":
        return make_dataset(settings.dataset, n_samples=settings.samples, rng=settings.seed)
    if upload is None:
        raise XornetError("upload a CSV file first")
    return upload


def _view_rows(n_samples: int) -> IntArray:
    """The rows the views draw: all of them, or ``LIMITS["view_rows"]`` evenly spaced."""
    shown = min(n_samples, LIMITS["view_rows"])
    rows: IntArray = np.linspace(0, n_samples - 1, shown).round().astype(np.int64)
    return rows


def _round(a: Array, digits: int) -> list[Any]:
    """An array as nested lists of rounded floats (smaller JSON)."""
    out: list[Any] = np.round(np.asarray(a, dtype=np.float64), digits).tolist()
    return out
