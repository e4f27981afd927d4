"""Datasets as ``(n_samples, n_features)`` float64 arrays with class labels; a CSV loader.

Every dataset is a :class:`Dataset`: ``X`` of shape ``(n, d)``, ``y`` of shape ``(n,)`` holding
class indices as floats: 0.0 and 1.0 for two classes, ``0 .. K-1`` for ``K``. Truth tables
list their rows in the post's order: (0,0), (0,1), (1,0), (1,1). Random sets draw from an
explicit ``rng``.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import numpy as np

from xornet._rng import RngLike, as_generator
from xornet._typing import Array
from xornet.errors import DataError, XornetError

__all__ = [
    "DATASETS",
    "GATES",
    "Dataset",
    "check_Xy",
    "circles",
    "gate",
    "infer_n_classes",
    "is_dataset_name",
    "load_csv",
    "load_features_csv",
    "make_dataset",
    "moons",
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
        raise ValueError(
            f"n_samples must be a whole number from 2 to {MAX_SAMPLES:,}, got {n_samples!r}"
        )
    if not (isinstance(noise, numbers.Real) and 0 <= noise <= MAX_NOISE):  # NaN is refused too
        raise ValueError(
            f"noise must be a finite number >= 0 (at most {MAX_NOISE:g}), got {noise!r}"
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
    if not 2 <= arms <= MAX_ARMS or n_samples < arms:
        raise ValueError(f"need 2 to {MAX_ARMS} arms and at least one sample each, got {arms} arms")
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
    try:
        if name in GATES:
            return gate(name)
        if match := _PARITY.fullmatch(name):
            return parity(int(match.group(1)))
        if match := _SPIRAL.fullmatch(name):
            return spiral(n_samples=n_samples, rng=rng, arms=int(match.group(1)), **noisy)
        if name in _RANDOM:
            return _RANDOM[name](n_samples=n_samples, rng=rng, **noisy)
    except DataError:
        raise
    except ValueError as exc:
        raise DataError(str(exc)) from None
    choices = ", ".join(DATASETS)
    raise DataError(f"unknown dataset {name!r}; choose one of {choices}, parityN or spiralK")


#: Bounds on a CSV file, checked before its cells are parsed (its size) and as its rows are
#: read (rows, columns): a file beyond them is refused whole, before it can fill the memory.
MAX_CSV_BYTES: Final = 64 * 2**20
MAX_CSV_ROWS: Final = 1_000_000
MAX_CSV_COLUMNS: Final = 1_000

#: The longest name of a column, a feature or a dataset (a file name's length on most systems).
MAX_NAME_CHARS: Final = 255

# A number as a CSV cell may write it: ASCII digits, an optional sign, point and exponent.
# Python's float() also takes "1_000", "１" (full-width digits), "nan" and "inf"; none of them
# is a value a data file means, so a cell must match this before float() reads it.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_BLANKS = " \t"  # what may surround a value (as after the comma in "1, 2")


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


def _shown(text: str, limit: int = 40) -> str:
    """``repr(text)`` cut to ``limit`` characters: a message quotes a cell, not all of it."""
    shown = repr(text)
    return shown if len(shown) <= limit else f"{shown[: limit - 4]}...{shown[0]}"


def _listed(names: list[str] | tuple[str, ...], limit: int = 10) -> str:
    """The first ``limit`` names, comma-separated, with the count when there are more."""
    if len(names) <= limit:
        return ", ".join(names)
    return f"{', '.join(names[:limit])}, ... ({len(names)} columns)"


def _parse_number(text: str, where: str) -> float:
    """A cell's finite number; DataError for anything ``_NUMBER`` does not match."""
    text = text.strip(_BLANKS)
    if not text:
        raise DataError(f"{where}: missing value")
    if _NOT_FINITE.fullmatch(text):
        raise DataError(f"{where}: {_shown(text)} is not a finite number")
    if not _NUMBER.fullmatch(text):
        raise DataError(f"{where}: {_shown(text)} is not a number")
    value = float(text)
    if not math.isfinite(value):  # "1e999": beyond float64
        raise DataError(f"{where}: {_shown(text)} is not a finite number (too large)")
    return value


def _parse_label(text: str, where: str) -> float:
    """A cell's class index: a whole number from 0 (``1`` or ``1.0``) below MAX_CLASSES."""
    value = _parse_number(text, where)
    if not (value == round(value) and 0 <= value < MAX_CLASSES):
        raise DataError(
            f"{where}: label {_shown(text.strip(_BLANKS))} is not a class index (0 or 1 for "
            "two classes, 0 to K-1 for K)"
        )
    return value


# The columns a reader wants, from the header: (column index, cell parser) pairs.
_Choose = Callable[[list[str]], list[tuple[int, Callable[[str, str], float]]]]


def _read_csv(path: Path, choose: _Choose) -> tuple[list[str], Array]:
    """The header of a CSV file and the chosen columns of its rows, parsed as they are read.

    The file is bounded before it is parsed (:data:`MAX_CSV_BYTES`), its rows and columns as
    they come; blank rows are skipped; row numbers in messages count the header as row 1.

    Returns
    -------
    header : list of str
    values : ndarray of shape (n_rows, n_chosen)
    """
    if "\x00" in str(path):
        raise DataError(f"{str(path)!r}: not a file name (it holds a NUL character)")
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_CSV_BYTES + 1)  # never more, whatever the file (a pipe, a device)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_CSV_BYTES:
        raise DataError(
            f"{path}: larger than {MAX_CSV_BYTES // 2**20} MiB, the most a CSV file may hold"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a UTF-8 text file") from None
    del raw
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    parsers: list[tuple[int, Callable[[str, str], float]]] = []
    values = array("d")
    n_rows = 0
    try:
        for line, row in enumerate(reader, start=1):
            if not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = _check_header(path, row)
                parsers = choose(header)
                continue
            if len(row) != len(header):
                raise DataError(
                    f"{path}, row {line}: {len(row)} fields, but the header has {len(header)}"
                )
            n_rows += 1
            if n_rows > MAX_CSV_ROWS:
                raise DataError(
                    f"{path}: more than {MAX_CSV_ROWS:,} rows, the most a CSV file may hold"
                )
            for j, parse in parsers:
                values.append(parse(row[j], f"{path}, row {line}, column {header[j]!r}"))
    except csv.Error as exc:
        raise DataError(f"{path}: malformed CSV ({exc})") from None
    if header is None:
        raise DataError(f"{path}: empty file (expected a header row)")
    if n_rows == 0:
        raise DataError(f"{path}: no data rows after the header")
    return header, np.frombuffer(values, dtype=np.float64).reshape(n_rows, len(parsers)).copy()


def _check_header(path: Path, row: list[str]) -> list[str]:
    """The column names of a header row, each a valid name and none repeated (else DataError)."""
    header = [name.strip() for name in row]
    if len(header) > MAX_CSV_COLUMNS:
        raise DataError(
            f"{path}: {len(header):,} columns; a CSV file may have at most {MAX_CSV_COLUMNS:,}"
        )
    if len(header) == 1 and (separator := next((c for c in ";\t|" if c in header[0]), None)):
        shown = "tabs" if separator == "\t" else repr(separator)
        raise DataError(
            f"{path}: the header row has one column, {_shown(header[0])}: the file "
            f"seems separated by {shown}; xornet reads comma-separated values"
        )
    if all(_NUMBER.fullmatch(name.strip(_BLANKS)) for name in header if name):
        shown = _listed([_shown(name) for name in header], 4)
        raise DataError(
            f"{path}: the first row should be the column names, but it holds "
            f"numbers ({shown}); add a header row such as x1,x2,label"
        )
    for j, name in enumerate(header):
        if not name:
            raise DataError(f"{path}: column {j + 1} has no name in the header row")
        problem = name_problem(name)
        if problem is not None:
            raise DataError(f"{path}: a column name {problem} (column {j + 1}: {_shown(name)})")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError(f"{path}: repeated column names in the header ({name!r})")
        seen.add(name)
    return header


def load_csv(path: str | Path, label: str = "label") -> Dataset:
    """Load a dataset from a CSV file with a header row.

    Every column but the label column is a numeric feature. The label column holds class
    indices: 0 or 1 for two classes, ``0 .. K-1`` for ``K`` (``1`` and ``1.0`` are both
    accepted), every class with at least one row. A value is a decimal number in ASCII digits
    (``-1.5``, ``2e-3``, spaces around it ignored); ``1_000``, ``0x10``, full-width digits,
    ``nan`` and ``inf`` are refused, not guessed at.

    Parameters
    ----------
    path : str or Path
    label : str
        Name of the label column.

    Returns
    -------
    Dataset
        Named after the file's stem, with the header's feature names.

    Raises
    ------
    DataError
        Naming the file, the row (counting the header as row 1) and the column, for: a missing
        file, a file larger than :data:`MAX_CSV_BYTES` or with more than :data:`MAX_CSV_ROWS`
        rows or :data:`MAX_CSV_COLUMNS` columns, a first row of numbers (no header), a column
        without a name or with a repeated one, an unknown label column, no feature column, no
        data rows, a row with too few or too many fields, a missing or non-numeric value, a
        label that is not a class index, a class index with no row, and a file with one class
        only.
    """
    path = Path(path)

    def choose(header: list[str]) -> list[tuple[int, Callable[[str, str], float]]]:
        if label not in header:
            raise DataError(
                f"{path}: no label column {_shown(label)}; the columns are {_listed(header)}"
            )
        features = [(j, _parse_number) for j, name in enumerate(header) if name != label]
        if not features:
            raise DataError(f"{path}: no feature columns besides {label!r}")
        return [*features, (header.index(label), _parse_label)]

    header, values = _read_csv(path, choose)
    problem = name_problem(path.stem)
    if problem is not None:
        raise DataError(f"{path}: the file's name, which names the dataset, {problem}")
    X, y = values[:, :-1], values[:, -1]
    if np.all(y == y[0]):
        raise DataError(f"{path}: every label is {int(y[0])}; training needs two classes or more")
    try:
        infer_n_classes(y)
    except DataError as error:
        raise DataError(f"{path}: {error}") from None
    return Dataset(
        path.stem,
        np.ascontiguousarray(X),
        np.ascontiguousarray(y),
        tuple(name for name in header if name != label),
    )


def load_features_csv(path: str | Path, feature_names: tuple[str, ...]) -> Array:
    """Load the feature columns a model expects from a CSV file with a header row.

    Parameters
    ----------
    path : str or Path
    feature_names : tuple of str
        The model's features, in order. Each must be a column of the file; other columns
        (a label, an id) are ignored, and not parsed.

    Returns
    -------
    ndarray of shape (n_rows, len(feature_names))

    Raises
    ------
    DataError
        For the file problems :func:`load_csv` reports, and for a missing feature column.
    """
    path = Path(path)

    def choose(header: list[str]) -> list[tuple[int, Callable[[str, str], float]]]:
        missing = [name for name in feature_names if name not in header]
        if missing:
            raise DataError(
                f"{path}: no column {_shown(missing[0])} (the model's features are "
                f"{_listed(feature_names)}; the file has {_listed(header)})"
            )
        return [(header.index(name), _parse_number) for name in feature_names]

    return _read_csv(path, choose)[1]
