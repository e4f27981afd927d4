"""Datasets as ``(n_samples, n_features)`` float64 arrays with class labels.

CSV files are read by :mod:`xornet.csvfile`.

Every dataset is a :class:`Dataset`: ``X`` of shape ``(n, d)``, ``y`` of shape ``(n,)`` holding
class indices as floats: 0.0 and 1.0 for two classes, ``0 .. K-1`` for ``K``. Truth tables
list their rows in the post's order: (0,0), (0,1), (1,0), (1,1). Random sets draw from an
explicit ``rng``.
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from xornet._rng import RngLike, as_generator
from xornet._typing import Array
from xornet.errors import DataError, XornetError, quoted

__all__ = [
    "DATASETS",
    "GATES",
    "Dataset",
    "check_Xy",
    "circles",
    "gate",
    "infer_n_classes",
    "is_dataset_name",
    "make_dataset",
    "moons",
    "name_problem",
    "noisy_xor",
    "parity",
    "spiral",
    "xor",
]

#: Two-input logic gates: name -> outputs for inputs (0,0), (0,1), (1,0), (1,1).
GATES: Final[dict[str, tuple[int, int, int, int]]] = {
    "xor": (0, 1, 1, 0),
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xnor": (1, 0, 0, 1),
}

#: Names accepted by :func:`make_dataset` (plus ``parityN`` and ``spiralK``, see
#: :func:`is_dataset_name`).
DATASETS: Final = (*GATES, "parity3", "noisy-xor", "moons", "circles", "spiral", "spiral3")

#: The largest parity (inputs) and spiral (arms, and so classes) that the sets come in.
MAX_PARITY_BITS: Final = 16
MAX_ARMS: Final = 10


@dataclass(frozen=True, eq=False)
class Dataset:
    """A classification dataset.

    Attributes
    ----------
    name : str
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class indices ``0.0 .. K-1`` (0.0 or 1.0 for the binary sets); every class has a sample.
    feature_names : tuple of str
        One name per column of ``X``.
    """

    name: str
    X: Array
    y: Array
    feature_names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        check_Xy(self.X, self.y, n_classes=None)
        infer_n_classes(self.y)
        if not self.feature_names:
            names = tuple(f"x{i + 1}" for i in range(self.X.shape[1]))
            object.__setattr__(self, "feature_names", names)
        if len(self.feature_names) != self.X.shape[1]:
            raise ValueError(
                f"{len(self.feature_names)} feature names for {self.X.shape[1]} features"
            )

    def __repr__(self) -> str:
        n, d = self.X.shape
        return f"Dataset({self.name!r}, n_samples={n}, n_features={d})"

    @property
    def n_samples(self) -> int:
        """Number of samples ``n``."""
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of features ``d``."""
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        """Number of classes ``K`` (2 for the binary sets)."""
        return infer_n_classes(self.y)


#: Largest number of classes accepted (as in :data:`xornet.params.MAX_CLASSES`).
MAX_CLASSES: Final = 1_000


def check_Xy(X: Array, y: Array, n_classes: int | None = 2) -> None:
    """Raise :class:`~xornet.errors.DataError` unless ``X`` and ``y`` can be trained on.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite float64 values.
    y : ndarray of shape (n_samples,)
        Class indices: whole numbers from 0 to ``n_classes - 1`` (0 or 1 by default).
    n_classes : int or None
        The number of classes (2 to 1000); None accepts any whole number from 0 to 999.
    """
    if n_classes is not None and not (
        isinstance(n_classes, numbers.Integral) and 2 <= n_classes <= MAX_CLASSES
    ):
        raise XornetError(
            f"n_classes must be a whole number from 2 to {MAX_CLASSES}, got {n_classes!r}"
        )
    if X.ndim != 2:
        raise DataError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if y.ndim != 1:
        raise DataError(f"y must be 1-D (n_samples,), got shape {y.shape}")
    if X.shape[0] != y.shape[0]:
        raise DataError(f"X has {X.shape[0]} samples but y has {y.shape[0]}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"X is empty (shape {X.shape})")
    if not np.isfinite(X).all():
        row, col = np.argwhere(~np.isfinite(X))[0]
        raise DataError(f"X has a non-finite value ({X[row, col]}) at sample {row}, feature {col}")
    top = MAX_CLASSES if n_classes is None else n_classes
    bad = ~((y == np.round(y)) & (y >= 0) & (y < top))  # NaN is bad too
    if bad.any():
        i = int(np.argmax(bad))
        if n_classes == 2:
            expected = "0 or 1"
        elif n_classes is None:
            expected = f"class indices 0, 1, 2, ... (below {MAX_CLASSES})"
        else:
            expected = f"class indices 0 to {n_classes - 1}"
        raise DataError(f"labels must be {expected}; y[{i}] is {y[i]}")


def infer_n_classes(y: Array) -> int:
    """The number of classes ``K`` of checked labels: ``max(y) + 1``, at least 2.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Class indices (see :func:`check_Xy` with ``n_classes=None``).

    Returns
    -------
    int

    Raises
    ------
    DataError
        When a class below the largest label has no sample (labels 1 and 2, say, with no 0):
        they would train a network with an output nobody asked for. Relabel them ``0 .. K-1``.
    """
    K = max(2, int(np.max(y)) + 1)
    if K > 2:
        missing = np.setdiff1d(np.arange(K), y.astype(np.int64))
        if missing.size:
            raise DataError(
                f"labels go up to {K - 1} but class {int(missing[0])} has no sample; "
                f"number the classes 0 to {K - 1 - missing.size}"
            )
    return K


def _truth_table(n_bits: int) -> Array:
    """All ``2**n_bits`` binary inputs, first bit most significant: shape (2**n_bits, n_bits)."""
    rows = np.arange(2**n_bits)[:, None]
    return ((rows >> np.arange(n_bits - 1, -1, -1)) & 1).astype(np.float64)


def xor() -> Dataset:
    """The XOR truth table: 4 samples, 2 features; the output is 1 when the inputs differ.

    Returns
    -------
    Dataset
        ``X`` rows (0,0), (0,1), (1,0), (1,1); ``y = [0, 1, 1, 0]``.
    """
    return gate("xor")


def gate(name: str) -> Dataset:
    """A two-input logic gate's truth table.

    Parameters
    ----------
    name : {"xor", "and", "or", "nand", "nor", "xnor"}

    Returns
    -------
    Dataset
        4 samples, 2 features, rows in the order (0,0), (0,1), (1,0), (1,1).
    """
    if name not in GATES:
        raise ValueError(f"unknown gate {name!r}; choose one of {', '.join(GATES)}")
    return Dataset(name, _truth_table(2), np.array(GATES[name], dtype=np.float64))


def parity(n_bits: int) -> Dataset:
    """n-bit parity: the label is 1 when an odd number of the bits are 1 (XOR is 2-bit parity).

    Parameters
    ----------
    n_bits : int
        Number of inputs, from 2 to 16.

    Returns
    -------
    Dataset
        ``2**n_bits`` samples, ``n_bits`` features.
    """
    if not 2 <= n_bits <= MAX_PARITY_BITS:
        raise ValueError(f"parity needs 2 to {MAX_PARITY_BITS} bits, got {n_bits}")
    X = _truth_table(n_bits)
    return Dataset(f"parity{n_bits}", X, X.sum(axis=1) % 2)


#: The most points a random set is drawn with (as many as the rows of a CSV file), and its
#: largest noise (the sets span about 3 units: beyond this they are noise alone, and near
#: 1e308 their coordinates would overflow to infinity).
MAX_SAMPLES: Final = 1_000_000
MAX_NOISE: Final = 1e6


def _check_random_args(n_samples: int, noise: float) -> None:
    if not (isinstance(n_samples, numbers.Integral) and 2 <= n_samples <= MAX_SAMPLES):
        raise DataError(
            f"n_samples must be a whole number from 2 to {MAX_SAMPLES:,}, got {quoted(n_samples)}",
            "n_samples",
        )
    if not (isinstance(noise, numbers.Real) and 0 <= noise <= MAX_NOISE):  # NaN is refused too
        raise DataError(
            f"noise must be a finite number >= 0 (at most {MAX_NOISE:g}), got {quoted(noise)}",
            "noise",
        )


def noisy_xor(n_samples: int = 200, noise: float = 0.25, rng: RngLike = None) -> Dataset:
    """XOR as four Gaussian blobs centred on the corners of the unit square.

    Parameters
    ----------
    n_samples : int
        Total number of points, spread evenly over the four corners.
    noise : float
        Standard deviation of each blob.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    Dataset
        ``X`` of shape (n_samples, 2); label 1 for the (0,1) and (1,0) blobs.
    """
    _check_random_args(n_samples, noise)
    gen = as_generator(rng)
    corner = np.arange(n_samples) % 4
    centres = _truth_table(2)[corner]
    X = centres + noise * gen.standard_normal((n_samples, 2))
    return Dataset("noisy-xor", X, np.array(GATES["xor"], dtype=np.float64)[corner])


def moons(n_samples: int = 200, noise: float = 0.1, rng: RngLike = None) -> Dataset:
    """Two interleaving half circles (class 0 on top, class 1 below, shifted right).

    Parameters
    ----------
    n_samples : int
    noise : float
        Standard deviation of Gaussian noise added to each coordinate.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    Dataset
        ``X`` of shape (n_samples, 2).
    """
    _check_random_args(n_samples, noise)
    gen = as_generator(rng)
    y = (np.arange(n_samples) % 2).astype(np.float64)
    angle = gen.uniform(0.0, np.pi, n_samples)
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1.0 - np.cos(angle), 0.5 - np.sin(angle)])
    X = np.where(y[:, None] == 0, upper, lower) + noise * gen.standard_normal((n_samples, 2))
    return Dataset("moons", X, y)


def circles(
    n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, rng: RngLike = None
) -> Dataset:
    """A small circle (class 1) inside a large one (class 0).

    Parameters
    ----------
    n_samples : int
    noise : float
        Standard deviation of Gaussian noise added to each coordinate.
    factor : float
        Radius of the inner circle relative to the outer one (radius 1), in (0, 1).
    rng : None, int or numpy.random.Generator

    Returns
    -------
    Dataset
        ``X`` of shape (n_samples, 2).
    """
    _check_random_args(n_samples, noise)
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be in (0, 1), got {factor}")
    gen = as_generator(rng)
    y = (np.arange(n_samples) % 2).astype(np.float64)
    angle = gen.uniform(0.0, 2.0 * np.pi, n_samples)
    radius = np.where(y == 1, factor, 1.0)
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    X += noise * gen.standard_normal((n_samples, 2))
    return Dataset("circles", X, y)


def spiral(
    n_samples: int = 200,
    noise: float = 0.1,
    turns: float = 1.5,
    rng: RngLike = None,
    arms: int = 2,
) -> Dataset:
    """Interleaved spiral arms, one class per arm.

    Parameters
    ----------
    n_samples : int
    noise : float
        Standard deviation of Gaussian noise added to each coordinate.
    turns : float
        How many times each arm winds around the centre (> 0).
    rng : None, int or numpy.random.Generator
    arms : int
        Number of arms, and so of classes (2 to 10). Arm ``c`` is arm 0 turned by
        ``2 pi c / arms``.

    Returns
    -------
    Dataset
        ``X`` of shape (n_samples, 2), within about the unit disc; ``y`` in ``0 .. arms-1``.
        Named ``spiral`` for two arms and ``spiral3`` (and so on) for more.
    """
    _check_random_args(n_samples, noise)
    if not (math.isfinite(turns) and turns > 0):
        raise ValueError(f"turns must be a positive number, got {turns}")
    if not 2 <= arms <= MAX_ARMS:
        raise ValueError(f"need 2 to {MAX_ARMS} arms, got {arms} arms")
    if n_samples < arms:  # the samples' fault, not the arms': the CLI names --samples
        raise DataError(
            f"n_samples must be at least one sample for each of the {arms} arms, got {n_samples}",
            "n_samples",
        )
    gen = as_generator(rng)
    y = (np.arange(n_samples) % arms).astype(np.float64)
    radius = np.sqrt(gen.uniform(0.02, 1.0, n_samples))  # sqrt: even density along the arm
    angle = 2.0 * np.pi * (turns * radius + y / arms)  # arm c: arm 0 turned by 2 pi c / arms
    X = radius[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])
    X += noise * gen.standard_normal((n_samples, 2))
    return Dataset("spiral" if arms == 2 else f"spiral{arms}", X, y)


_PARITY = re.compile(r"parity(\d+)")
_SPIRAL = re.compile(r"spiral(\d+)")
# The random 2-D sets, each drawn by its function from n_samples, noise and rng.
_RANDOM: Final[dict[str, Callable[..., Dataset]]] = {
    "noisy-xor": noisy_xor,
    "moons": moons,
    "circles": circles,
    "spiral": spiral,
}


def is_dataset_name(name: str) -> bool:
    """Whether :func:`make_dataset` knows ``name`` (a model file names its data this way).

    Parameters
    ----------
    name : str

    Returns
    -------
    bool
        True for the gates, ``parityN`` (N from 2 to 16), the random sets and ``spiralK``
        (K from 2 to 10); False for anything else, such as the stem of a CSV file.
    """
    if name in GATES or name in _RANDOM:
        return True
    if match := _PARITY.fullmatch(name):
        return 2 <= int(match.group(1)) <= MAX_PARITY_BITS
    if match := _SPIRAL.fullmatch(name):
        return 2 <= int(match.group(1)) <= MAX_ARMS
    return False


def make_dataset(
    name: str, *, n_samples: int = 200, noise: float | None = None, rng: RngLike = None
) -> Dataset:
    """A dataset by name.

    Parameters
    ----------
    name : str
        A gate (``xor``, ``and``, ``or``, ``nand``, ``nor``, ``xnor``), ``parityN`` (N >= 2),
        or a random 2-D set: ``noisy-xor``, ``moons``, ``circles``, ``spiral``, or ``spiralK``
        (``K`` arms and classes, 2 to 10: ``spiral3`` is the three-class spiral).
    n_samples : int
        Number of points of a random set (truth tables have their own size).
    noise : float, optional
        Noise of a random set; each set's own default when None.
    rng : None, int or numpy.random.Generator
        Randomness of a random set.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        For an unknown name, or arguments the set does not accept (``parity1``, a negative
        noise, fewer samples than classes).
    """
    noisy = {} if noise is None else {"noise": noise}
    gen = as_generator(rng)  # a bad rng is the caller's ValueError or TypeError, not the name's
    try:
        if name in GATES:
            return gate(name)
        if match := _PARITY.fullmatch(name):
            return parity(int(match.group(1)))
        if match := _SPIRAL.fullmatch(name):
            return spiral(n_samples=n_samples, rng=gen, arms=int(match.group(1)), **noisy)
        if name in _RANDOM:
            return _RANDOM[name](n_samples=n_samples, rng=gen, **noisy)
    except DataError:
        raise
    except ValueError as exc:  # parityN's bits or spiralK's arms: the name's number
        raise DataError(str(exc), "name") from None
    close = difflib.get_close_matches(str(name), DATASETS, n=1)
    guess = f"; did you mean {close[0]}?" if close else ""
    choices = ", ".join(DATASETS)
    raise DataError(
        f"unknown dataset {quoted(name)}{guess} (choose one of {choices}, parityN or spiralK)",
        "name",
    )


#: The longest name of a column, a feature or a dataset (a file name's length on most systems).
MAX_NAME_CHARS: Final = 255


def name_problem(name: str) -> str | None:
    """What is wrong with ``name`` as the name of a column, a feature or a dataset, or None.

    A name is non-empty printable text (no line break or control character, so that a message
    quoting it stays one line) of at most :data:`MAX_NAME_CHARS` characters.
    """
    if not name.strip():
        return "is empty"
    if len(name) > MAX_NAME_CHARS:
        return f"is longer than {MAX_NAME_CHARS} characters"
    for char in name:
        if not char.isprintable() and char != " ":
            return f"holds the character U+{ord(char):04X} (a line break, control or invisible one)"
    return None
