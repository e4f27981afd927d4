"""One playground tab's state, independent of the web: settings, data, network and optimizer.

A :class:`Session` trains with the library's own functions and hands the page what it draws:
:meth:`Session.frame` (the boundary, the hidden plane, the network, the loss curve, the
verdict), :meth:`Session.explain` (every number of the next step), and the exports. The server
only moves these between threads and sockets; everything here is plain NumPy and testable.

Every setting is validated and bounded (:class:`Settings`), so the page cannot ask for a
network or dataset that would swamp the machine.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

from xornet._typing import Array, IntArray
from xornet.config import TrainConfig
from xornet.data import Dataset, load_csv, make_dataset
from xornet.diagnosis import classify, predicted_class
from xornet.errors import DataError, XornetError
from xornet.explain import explain_step, render, to_json
from xornet.network import backward, forward, loss
from xornet.params import Params, init_params
from xornet.plotting import hidden_plane

__all__ = ["LIMITS", "Session", "Settings"]

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
    "steps_per_frame": 20_000,
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
        Initial weights and the data of a random set (0 to 2**32 - 1).
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
            raise XornetError(f"unknown setting {unknown[0]!r}")
        merged = {**dataclasses.asdict(cls()), **values}
        for name in ("hidden", "seed", "samples"):
            _integer(merged, name)
        if not isinstance(merged["shortcut"], bool):
            raise XornetError(f"shortcut must be true or false, got {merged['shortcut']!r}")
        if merged["batch_size"] is not None:
            _integer(merged, "batch_size")
        lr = merged["learning_rate"]
        if isinstance(lr, bool) or not isinstance(lr, int | float) or not math.isfinite(lr):
            raise XornetError(f"learning rate must be a number, got {lr!r}")
        settings = cls(**{**merged, "learning_rate": float(lr)})
        settings.check()
        return settings

    def check(self) -> None:
        """Raise :class:`XornetError` for a value out of bounds."""
        if self.dataset not in DATASETS:
            raise XornetError(f"unknown dataset {self.dataset!r}")
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
        TrainConfig(hidden=self.hidden, activation=self.activation, init=self.init,
                    optimizer=self.optimizer, learning_rate=self.learning_rate,
                    loss=self.loss, shortcut=self.shortcut)  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return dataclasses.asdict(self)


def _integer(values: dict[str, Any], name: str) -> None:
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise XornetError(f"{name.replace('_', ' ')} must be a whole number, got {value!r}")


def parse_csv(text: str, name: str = "upload.csv") -> Dataset:
    """A dataset from the text of an uploaded CSV file (header row, a ``label`` column).

    Raises
    ------
    DataError
        For a file too large or malformed (the message names the row and column).
    """
    if len(text.encode()) > LIMITS["csv_bytes"]:
        raise DataError(f"{name}: larger than {LIMITS['csv_bytes'] // 1000} kB")
    stem = Path(name).name or "upload.csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / stem
        path.write_text(text, encoding="utf-8")
        try:
            dataset = load_csv(path)
        except DataError as error:  # the temporary folder means nothing to the user
            raise DataError(str(error).replace(f"{folder}/", "")) from None
    if dataset.n_samples > LIMITS["csv_rows"] or dataset.n_features > LIMITS["csv_features"]:
        raise DataError(
            f"{stem}: at most {LIMITS['csv_rows']} rows and {LIMITS['csv_features']} features"
        )
    return dataset


class Session:
    """One tab's training: settings, data, network, optimizer, step counter, loss history.

    Parameters
    ----------
    settings : Settings
    csv : Dataset, optional
        The uploaded data, used when ``settings.dataset == "csv"``.
    engine : {"auto", "numpy", "numba"}
        How stretches of full-batch steps run: ``numba`` (``auto`` when it is installed) runs
        them in the compiled loop, carrying the optimizer's state across, so it can be mixed
        with single reference steps (tested to 1e-10). Mini-batch steps and single steps always
        run the NumPy reference, which is what ``explain`` shows.

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
        self.csv = csv
        self.engine = resolve_engine(engine)
        self.configure(settings or Settings())

    # ------------------------------------------------------------------------- setup

    def configure(self, settings: Settings, csv: Dataset | None = None) -> None:
        """Apply new settings: new data if they change it, new initial weights, step 0."""
        settings.check()
        with self.lock:
            if csv is not None:
                self.csv = csv
            if settings.dataset == "csv":
                if self.csv is None:
                    raise XornetError("upload a CSV file first")
                data = self.csv
            else:
                data = make_dataset(settings.dataset, n_samples=settings.samples,
                                    rng=settings.seed)  # fmt: skip
            batch = settings.batch_size
            self.config = TrainConfig(
                hidden=settings.hidden, activation=settings.activation, init=settings.init,
                optimizer=settings.optimizer, learning_rate=settings.learning_rate,
                loss=settings.loss, shortcut=settings.shortcut,
                batch_size=None if batch is None or batch >= data.n_samples else batch,
                steps=0, tol=None,
            )  # fmt: skip
            self.settings = settings
            self.data = data
            self.n_classes = data.n_classes
            if settings.loss == "sse" and self.n_classes > 2:
                raise XornetError("the squared error needs two classes; choose cross-entropy")
            self.initial = init_params(data.n_features, settings.hidden, settings.init,
                                       rng=settings.seed, n_classes=self.n_classes,
                                       shortcut=settings.shortcut)  # fmt: skip
            self.reset()

    def reset(self) -> None:
        """Back to the same initial weights, step 0, a fresh optimizer."""
        with self.lock:
            self.params: Params = self.initial.copy()
            self.optimizer = self.config.new_optimizer()
            self.step = 0
            self.diverged: str | None = None
            self._shuffle = np.random.default_rng([self.settings.seed, 1])
            self._order = np.arange(self.data.n_samples)
            self._order_step = -1  # the step at which _order was drawn
            self._record_every = 1
            self.history_steps: list[int] = []
            self.history_losses: list[float] = []
            self.initial_loss = self._full_loss()
            self._record()

    def new_start(self) -> Settings:
        """New random initial weights (the next seed); returns the new settings."""
        with self.lock:
            seed = (self.settings.seed + 1) % (LIMITS["seed"] + 1)
            self.configure(dataclasses.replace(self.settings, seed=seed))
            return self.settings

    # ------------------------------------------------------------------------- training

    @property
    def batch(self) -> int:
        """Samples per step."""
        n = self.data.n_samples
        return n if self.config.batch_size is None else self.config.batch_size

    def next_rows(self) -> IntArray:
        """The samples the next step trains on (its mini-batch), without taking the step."""
        n, batch = self.data.n_samples, self.batch
        per_epoch = -(-n // batch)
        position = self.step % per_epoch
        if position == 0 and per_epoch > 1 and self._order_step != self.step:
            self._order = self._shuffle.permutation(n)  # each epoch in a new order
            self._order_step = self.step
        return self._order[position * batch : (position + 1) * batch]

    def advance(self, steps: int, budget: float | None = None) -> int:
        """Train up to ``steps`` steps (or until ``budget`` seconds have passed).

        Each step is the reference one: forward on the step's batch, backward, the optimizer's
        update. Stops at the first non-finite loss or weight and sets :attr:`diverged`.

        Returns
        -------
        int
            Steps taken.
        """
        if not 1 <= steps <= LIMITS["steps_per_frame"]:
            raise XornetError(f"steps per frame must be from 1 to {LIMITS['steps_per_frame']}")
        start = time.perf_counter()
        taken = 0
        with self.lock, np.errstate(over="raise", invalid="raise", divide="raise"):
            if self.diverged:
                return 0
            if self.engine == "numba" and steps > 1 and self.config.batch_size is None:
                return self._advance_compiled(steps, budget)
            X, y = self.data.X, self.data.y
            while taken < steps:
                rows = self.next_rows()
                try:
                    cache = forward(self.params, X[rows], self.config.activation)
                    grads = backward(self.params, cache, y[rows], self.config.loss)
                    self.optimizer.step(self.params, grads)
                    if not self.params.all_finite():
                        raise FloatingPointError
                except FloatingPointError:
                    self._diverge()
                    break
                self.step += 1
                taken += 1
                if self.step % self._record_every == 0:
                    self._record()
                if budget is not None and taken % 16 == 0 and time.perf_counter() - start > budget:
                    break
        return taken

    def _diverge(self) -> None:
        self.diverged = f"training diverged at step {self.step}; try a smaller learning rate"

    def _advance_compiled(self, steps: int, budget: float | None) -> int:
        """Full-batch steps in the compiled loop, in chunks sized to the time budget."""
        from xornet.engines.fused import advance_full_batch

        start = time.perf_counter()
        taken, chunk = 0, 16
        while taken < steps:
            chunk = min(chunk, steps - taken)
            began = time.perf_counter()
            done, records, diverged = advance_full_batch(
                self.data.X, self.data.y, self.config, self.params, self.optimizer,
                self.step, chunk, self._record_every,
            )  # fmt: skip
            for step, value in records:
                if step > self.step:  # the loss at self.step is recorded already
                    self.history_steps.append(step)
                    self.history_losses.append(value)
            self.step += done
            taken += done
            if diverged:
                self._diverge()
                break
            if self.step % self._record_every == 0:
                self._record()
            self._thin()
            if budget is not None:
                spent = time.perf_counter() - start
                if spent > budget:
                    break
                per_step = (time.perf_counter() - began) / max(done, 1)
                chunk = max(16, int(0.8 * (budget - spent) / max(per_step, 1e-9)))
            else:
                chunk = steps
        return taken

    def _full_loss(self) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return loss(forward(self.params, self.data.X, self.config.activation),
                        self.data.y, self.config.loss)  # fmt: skip

    def _record(self) -> None:
        """Keep the loss now; thin the history to every other point when it is full."""
        self.history_steps.append(self.step)
        self.history_losses.append(self._full_loss())
        self._thin()

    def _thin(self) -> None:
        while len(self.history_steps) > LIMITS["history"]:
            self.history_steps = self.history_steps[::2]
            self.history_losses = self.history_losses[::2]
            self._record_every *= 2

    # ------------------------------------------------------------------------- what the page draws

    def data_message(self) -> dict[str, Any]:
        """The data, sent when it changes: points, labels, names, the boundary's extent."""
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
                "X": _round(X, 4),
                "y": self.data.y.astype(int).tolist(),
                "features": list(self.data.feature_names),
                "classes": self.n_classes,
                "extent": extent,
                "settings": self.settings.to_dict(),
            }

    def frame(self) -> dict[str, Any]:
        """Everything the page draws now, JSON-ready."""
        with self.lock, np.errstate(over="ignore", invalid="ignore"):
            p, X, y = self.params, self.data.X, self.data.y
            act = self.config.activation
            cache = forward(p, X, act)  # once: the outputs and the loss both come from it
            probabilities = cache.P[:, 0] if cache.P.shape[1] == 1 else cache.P
            current = loss(cache, y, self.config.loss)
            earlier = self._earlier_loss()
            finite = p.all_finite() and math.isfinite(current)
            outcome = classify(probabilities, y, self.initial_loss, earlier, current)
            out: dict[str, Any] = {
                "type": "frame",
                "step": self.step,
                "loss": current if finite else None,
                "accuracy": float(np.mean(predicted_class(probabilities) == y)),
                "outcome": outcome.kind,
                "summary": outcome.summary,
                "diverged": self.diverged,
                "engine": self.engine if self.config.batch_size is None else "numpy",
                "history": [self.history_steps, _round(np.array(self.history_losses), 6)],
                "network": {name: _round(a, 4) for name, a in p.as_dict().items()},
            }
            if finite:
                out["boundary"] = self._boundary()
                out["hidden"] = self._hidden(cache.H)
            return out

    def _earlier_loss(self) -> float:
        if len(self.history_losses) < 2:
            return math.inf
        return self.history_losses[int(0.9 * (len(self.history_losses) - 1))]

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
        plane = hidden_plane(self.params, self.data.X, self.config.activation, hidden=H)
        return {
            "coords": _round(plane.coords, 4),
            "lines": [[*_round(a, 6), round(c0, 6), label] for a, c0, label in plane.lines],
            "labels": list(plane.labels),
            "title": plane.title,
        }

    def explain(self, lang: str = "en") -> dict[str, Any]:
        """Every number of the next step (on its batch), as :func:`xornet.explain.render` prints.

        The step itself is not taken; :meth:`advance` with 1 takes exactly this one.
        """
        if lang not in ("en", "ko"):
            raise XornetError("language must be en or ko")
        with self.lock:
            rows = self.next_rows()
            explanation = explain_step(
                self.params, self.data.X[rows], self.data.y[rows],
                activation=self.config.activation, optimizer=self.optimizer, step=self.step,
                learning_rate=self.config.learning_rate, kind=self.config.loss,
            )  # fmt: skip
            return {
                "type": "explain",
                "step": self.step,
                "text": render(explanation, lang=lang),
                "numbers": to_json(explanation),
            }

    # ------------------------------------------------------------------------- exports

    def model_bytes(self) -> bytes:
        """The model as ``xornet train --save`` writes it (``.npz``)."""
        from xornet.modelfile import save_model

        with self.lock, tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "model.npz"
            metadata = {
                "config": self.config.replace(steps=max(self.step, 1)).to_dict(),
                "feature_names": list(self.data.feature_names),
                "dataset": self.data.name,
                "seed": self.settings.seed,
                "steps": self.step,
                "final_loss": self._full_loss(),
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
            P = forward(self.params, self.data.X, self.config.activation).P
            probabilities = P[:, 0] if P.shape[1] == 1 else P
            outcome = classify(probabilities, self.data.y, self.initial_loss,
                               self._earlier_loss(), self._full_loss())  # fmt: skip
            return build_report(
                self.params, self.data.X, self.data.y, activation=self.config.activation,
                title=f"xornet playground: {self.data.name}, step {self.step}",
                config=self.settings.to_dict(), outcome=outcome, curve=curve,
                feature_names=self.data.feature_names, explain_params=self.initial,
                optimizer=self.config.new_optimizer(),
            )  # fmt: skip


def _round(a: Array, digits: int) -> list[Any]:
    """An array as nested lists of rounded floats (smaller JSON)."""
    out: list[Any] = np.round(np.asarray(a, dtype=np.float64), digits).tolist()
    return out
