"""One playground page's run and its views, independent of the web.

A :class:`Session` drives a :class:`xornet.Trainer`, the run every front end of xornet uses
(so a step on the page is the step ``xornet train`` takes, and its verdict is the one
``xornet train`` prints), and hands the page what it draws: :meth:`Session.frame` (the
boundary, each hidden unit's output over the input plane, the hidden plane, the network, the
loss curve, the verdict; the pictures over the input plane and of the hidden space are
:mod:`xornet.playground.views`), :meth:`Session.explain` (every number of the next step), and
the exports (:meth:`Session.export`). Everything here is plain NumPy and testable. What a page may
ask for is checked in :mod:`xornet.playground.settings`; its messages are answered in
:mod:`xornet.playground.protocol`.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Final

import numpy as np

from xornet._typing import IntArray
from xornet.config import TrainConfig
from xornet.data import Dataset, make_dataset
from xornet.diagnosis import Outcome, diagnose, predicted_class
from xornet.errors import TrainingDiverged, XornetError
from xornet.explain import explain_next, render
from xornet.network import forward, loss, output_probabilities
from xornet.optim import Optimizer
from xornet.params import Params
from xornet.playground import views
from xornet.playground.settings import LIMITS, Settings, _extent, check_dataset
from xornet.training import Trainer

__all__ = ["EXPLAIN_LAYOUTS", "EXPORTS", "Session", "check_explain"]

#: What a page can export: the model file, the HTML report, and each figure as PNG.
EXPORTS: Final = ("model.npz", "report.html", "boundary.png", "hidden.png", "loss.png",
                  "network.png")  # fmt: skip
#: The layouts an explanation is shown in: xornet's (rows are samples) and the study post's
#: (features x samples, ``Z1 = W1.T @ X + B1``), as ``xornet explain --layout``.
EXPLAIN_LAYOUTS: Final = ("library", "post")


def check_explain(lang: object, layout: object) -> None:
    """Refuse an explanation's language or layout the page should not have sent.

    Raises
    ------
    XornetError
    """
    if lang not in ("en", "ko"):
        raise XornetError("language must be en or ko")
    if layout not in EXPLAIN_LAYOUTS:
        raise XornetError("layout must be library or post")


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
                "X": views.rounded(X[self.view], 4),
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
                "history": [
                    list(self.history_steps),
                    views.rounded(np.array(self.history_losses), 6),
                ],
                "network": {name: views.rounded(a, 4) for name, a in p.as_dict().items()},
            }
            if finite:
                act = self.config.activation
                out["boundary"] = views.boundary(p, X, act)
                out["units"] = views.units(p, X, act)
                out["hidden"] = views.hidden(p, X[self.view], act, cache.H[self.view])
            return out

    def explain(self, lang: str = "en", layout: str = "library") -> dict[str, Any]:
        """Every number of the trainer's next step (on its batch), as ``xornet explain``
        prints it: in xornet's layout (:func:`xornet.explain.render`) or the post's
        (``--layout post``, :func:`xornet.review.post_layout.render_post`).

        The step itself is not taken; :meth:`advance` with 1 takes exactly this one
        (:meth:`Trainer.step`, on the same batch, from the same optimizer state). The text
        summarises large arrays, as NumPy prints them, so its size is bounded; the arrays
        themselves (:func:`xornet.explain.to_json`) are not sent, as on a batch of 5,000
        rows they run to tens of megabytes.

        Returns
        -------
        dict
            ``{"type": "explain", "step", "layout", "text", "note"}``: ``layout`` is the one
            shown. A step the post's layout does not describe (a softmax output, the squared
            error, shortcut weights) is shown in xornet's, and ``note`` says why in one line
            (None otherwise).

        Raises
        ------
        XornetError
            For a language or layout not in :func:`check_explain`'s.
        """
        check_explain(lang, layout)
        with self.lock:
            trainer = self.trainer
            explanation = explain_next(trainer)
            text, note = None, None
            if layout == "post":
                from xornet.review.post_layout import render_post

                try:
                    text = render_post(explanation, lang=lang)
                except XornetError as error:  # not the post's network: xornet's layout
                    layout, note = "library", str(error)
            if text is None:
                text = render(explanation, lang=lang)
            return {"type": "explain", "step": trainer.steps, "layout": layout, "text": text,
                    "note": note}  # fmt: skip

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
        from xornet.modelfile import history_metadata, save_model

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
                **history_metadata(result.loss_history, result.history_steps),
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
