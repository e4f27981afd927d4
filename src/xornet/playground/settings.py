"""What a playground page may ask for: its settings and its uploads, validated and bounded.

:class:`Settings` is one page's choices (data, network, optimizer, speed), checked whole
before anything uses them; :func:`parse_csv` and :func:`check_dataset` bound an upload (rows,
features, classes, names, the spread of its values) so that no page can ask for a network, a
dataset or a frame that would swamp the machine. :data:`LIMITS` lists every bound.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

import numpy as np

from xornet._typing import Array
from xornet.config import TrainConfig
from xornet.csvfile import load_csv
from xornet.data import MAX_NAME_CHARS, Dataset, name_problem
from xornet.errors import DataError, XornetError, quoted

__all__ = ["DATASETS", "LIMITS", "SPEEDS", "Settings", "check_dataset", "parse_csv"]

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
            raise XornetError(f"unknown setting {quoted(unknown[0])}")
        merged = {**dataclasses.asdict(cls()), **values}
        for name, value in merged.items():  # a page's JSON may hold lists, objects, huge text
            if not isinstance(value, str | int | float | None):
                raise XornetError(f"{_label(name)} must be a number or a name")
        for name in ("hidden", "seed", "samples"):
            _integer(merged, name)
        if not isinstance(merged["shortcut"], bool):
            raise XornetError(f"shortcut must be true or false, got {quoted(merged['shortcut'])}")
        if merged["batch_size"] is not None:
            _integer(merged, "batch_size")
        lr = merged["learning_rate"]
        if isinstance(lr, bool) or not isinstance(lr, int | float):
            raise XornetError(f"learning rate must be a number, got {quoted(lr)}")
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
            raise XornetError(f"unknown dataset {quoted(self.dataset)}")
        if not 1 <= self.hidden <= LIMITS["hidden"]:
            raise XornetError(f"hidden units must be from 1 to {LIMITS['hidden']}, "
                              f"got {quoted(self.hidden)}")  # fmt: skip
        if not 0 < self.learning_rate <= LIMITS["learning_rate"]:
            raise XornetError(f"learning rate must be in (0, {LIMITS['learning_rate']:g}], "
                              f"got {self.learning_rate:g}")  # fmt: skip
        if not 0 <= self.seed <= LIMITS["seed"]:
            raise XornetError(f"seed must be from 0 to {LIMITS['seed']}, got {quoted(self.seed)}")
        if not 4 <= self.samples <= LIMITS["samples"]:
            raise XornetError(f"samples must be from 4 to {LIMITS['samples']}, "
                              f"got {quoted(self.samples)}")  # fmt: skip
        largest = max(LIMITS["samples"], LIMITS["csv_rows"])  # no dataset has more samples
        if self.batch_size is not None and not 1 <= self.batch_size <= largest:
            raise XornetError(f"batch size must be from 1 to {largest} (or none: full batch), "
                              f"got {quoted(self.batch_size)}")  # fmt: skip
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
        raise XornetError(f"{_label(name)} must be a whole number, got {quoted(value)}")


#: What the page's errors call a setting (its label on the page), where that is not its name.
_LABELS = {"hidden": "hidden units", "learning_rate": "learning rate", "batch_size": "batch size"}


def _label(name: str) -> str:
    return _LABELS.get(name, name.replace("_", " "))


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
            f"{source}: the values of column {quoted(dataset.feature_names[too_wide[0]])} are "
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
