"""Datasets from CSV files: a header row of column names, then rows of plain decimal numbers.

:func:`load_csv` reads features and a label column into a :class:`~xornet.Dataset`;
:func:`load_features_csv` reads the features a saved model expects. A file is bounded before
its cells are parsed (size, rows, columns), every cell must be a plain decimal number (Python's
``float`` would also take ``1_000``, full-width digits, ``nan`` and ``inf``), and every error
is one :class:`~xornet.DataError` line naming the file, row and column.
"""

from __future__ import annotations

import csv
import io
import math
import re
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Final

import numpy as np

from xornet._typing import Array
from xornet.data import MAX_CLASSES, Dataset, infer_n_classes, name_problem
from xornet.errors import DataError

__all__ = ["MAX_CSV_BYTES", "MAX_CSV_COLUMNS", "MAX_CSV_ROWS", "load_csv", "load_features_csv"]


#: Bounds on a CSV file, checked before its cells are parsed (its size) and as its rows are
#: read (rows, columns): a file beyond them is refused whole, before it can fill the memory.
MAX_CSV_BYTES: Final = 64 * 2**20
MAX_CSV_ROWS: Final = 1_000_000
MAX_CSV_COLUMNS: Final = 1_000

# A number as a CSV cell may write it: ASCII digits, an optional sign, point and exponent.
# Python's float() also takes "1_000", "１" (full-width digits), "nan" and "inf"; none of them
# is a value a data file means, so a cell must match this before float() reads it.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = re.compile(r"[+-]?(?:nan|inf|infinity)", re.IGNORECASE)
_BLANKS = " \t"  # what may surround a value (as after the comma in "1, 2")


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
                f"{path}: no label column {_shown(label)}; the columns are {_listed(header)}",
                "label",
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
