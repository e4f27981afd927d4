"""One playground tab's state, independent of the web: its settings, data and training run.

A :class:`Session` drives a :class:`xornet.Trainer`, the run every front end of xornet uses
(so a step on the page is the step ``xornet train`` takes, and its verdict is the one
``xornet train`` prints), and hands the page what it draws: :meth:`Session.frame` (the
boundary, the hidden plane, the network, the loss curve, the verdict), :meth:`Session.explain`
(every number of the next step), and the exports. The server only moves these between threads
and sockets; everything here is plain NumPy and testable.

Every setting and upload is validated and bounded (:class:`Settings`, :func:`parse_csv`,
:func:`check_dataset`), and so is what a frame costs: the views draw at most
``LIMITS["view_rows"]`` samples and at most ``LIMITS["classes"]`` classes, so the page cannot
ask for a network, a dataset or a frame that would swamp the machine.
"""

from __future__ import annotations

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

__all__ = ["LIMITS", "Session", "Settings", "check_dataset", "parse_csv"]

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
    "history": 400,  # loss points kept (older ones thinned)
}

# Speed levels of the page's slider: steps per frame, None meaning "as many as fit in the
# frame's time budget".
SPEEDS: Final = (1, 1, 2, 5, 10, 25, 50, 100, 250, None)


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
    boundary line per pair of classes, one output per class on every point of the grid).

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

    Attributes
    ----------
    view : ndarray of shape (n_shown,)
        The rows the views draw: every sample, or an evenly spaced ``LIMITS["view_rows"]`` of
        a larger upload (so that a frame's cost is bounded).

    Notes
    -----
    Methods are safe to call from several threads (one lock per session): the server trains in
    a worker thread while the page's messages arrive.
    """

    def __init__(
        self, settings: Settings | None = None, csv: Dataset | None = None, engine: str = "auto"
    ) -> None:
        from xornet.engines import resolve_engine

        self.lock = threading.RLock()
        self.csv: Dataset | None = None
        self.engine = resolve_engine(engine)
        self.configure(settings or Settings(), csv)

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
        settings.check()
        if csv is not None:
            check_dataset(csv)
        with self.lock:
            upload = self.csv if csv is None else csv
            data = _dataset(settings, upload)
            trainer = self._new_trainer(settings, data)
            self.settings, self.data, self.csv = settings, data, upload
            self._begin(trainer)

    def _new_trainer(self, settings: Settings, data: Dataset) -> Trainer:
        """A trainer at step 0 for these settings and data (start weights from the seed)."""
        if settings.loss == "sse" and data.n_classes > 2:
            raise XornetError("the squared error needs two classes; choose cross-entropy")
        return Trainer(data.X, data.y, settings.train_config(data.n_samples), rng=settings.seed,
                       engine=self.engine, n_classes=data.n_classes)  # fmt: skip

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
        """New random start weights (the next seed); returns the new settings."""
        with self.lock:
            seed = (self.settings.seed + 1) % (LIMITS["seed"] + 1)
            self.configure(dataclasses.replace(self.settings, seed=seed))
            return self.settings

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
        ``LIMITS["view_rows"]`` of a larger upload); ``samples`` counts them all.
        """
        with self.lock:
            X, d = self.data.X, self.data.n_features
            extent = None
            if d == 2:
                low, high = X.min(axis=0), X.max(axis=0)
                margin = 0.25 * np.maximum(high - low, 1e-9)
                extent = [*(low - margin).tolist(), *(high + margin).tolist()]
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
            }

    def frame(self) -> dict[str, Any]:
        """Everything the page draws now, JSON-ready.

        Its cost is bounded whatever the data: the loss and accuracy are over every sample,
        but the hidden plane over the :attr:`view` rows only, the boundary is a fixed grid,
        and classes (hence boundary lines) are bounded by ``LIMITS["classes"]``.
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
                "history": [self.history_steps, _round(np.array(self.history_losses), 6)],
                "network": {name: _round(a, 4) for name, a in p.as_dict().items()},
            }
            if finite:
                out["boundary"] = self._boundary()
                out["hidden"] = self._hidden(cache.H[self.view])
            return out

    def _boundary(self) -> dict[str, Any] | None:
        if self.data.n_features != 2:
            return None
        r = LIMITS["resolution"]
        X = self.data.X
        low, high = X.min(axis=0), X.max(axis=0)
        margin = 0.25 * np.maximum(high - low, 1e-9)
        xs = np.linspace(low[0] - margin[0], high[0] + margin[0], r)
        ys = np.linspace(low[1] - margin[1], high[1] + margin[1], r)
        xx, yy = np.meshgrid(xs, ys)  # row j is y = ys[j]
        P = forward(self.params, np.column_stack([xx.ravel(), yy.ravel()]),
                    self.config.activation).P  # fmt: skip
        if P.shape[1] == 1:
            return {"size": r, "p": _round(P[:, 0], 3)}
        return {"size": r, "class": np.argmax(P, axis=1).tolist(), "p": _round(P.max(axis=1), 3)}

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
