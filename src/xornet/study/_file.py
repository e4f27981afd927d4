"""A study's file: CSV or Parquet, written whole after each task, read back bounded and
checked value by value (see :mod:`xornet.study` for its layout)."""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from xornet._typing import Array, IntArray
from xornet.config import MAX_SEED, epochs_of
from xornet.errors import XornetError
from xornet.study._records import (
    FILE_FORMAT,
    OUTCOME_COLUMNS,
    STOP_REASONS,
    Records,
    _empty_records,
)
from xornet.study._tasks import _Plan

if TYPE_CHECKING:
    pass


#: The most bytes a study file may hold per network of its study (a CSV line takes about 150),
#: besides a fixed 64 KiB: a larger file (or a Parquet file of more rows, or more bytes
#: unpacked) is refused before it is read.
ROW_BYTES: Final = 1024


def _columns(axes: Sequence[str], file_format: int = FILE_FORMAT) -> list[str]:
    """The columns of a study file with these swept axes."""
    criterion = ["criterion_epoch"] if file_format >= 2 else []
    return ["setting", *axes, "seed", "outcome", "solve_step", *criterion, "stopped_at",
            "stop_reason", "final_loss", "accuracy"]  # fmt: skip


def _file_kind(path: Path) -> str:
    """``csv`` or ``parquet``, from the file's suffix."""
    kind = path.suffix.lower().lstrip(".")
    if kind not in ("csv", "parquet"):
        raise XornetError(f"{path}: a study file ends in .csv or .parquet")
    if kind == "parquet":
        _pyarrow()
    return kind


def _pyarrow() -> Any:
    """pyarrow's Parquet module, or a one-line error naming what to install."""
    try:
        import pyarrow.parquet
    except ImportError:
        raise XornetError("a .parquet study file needs pyarrow: pip install pyarrow "
                          "(or write .csv)") from None  # fmt: skip
    return pyarrow.parquet


def _table(plan: _Plan, records: Records) -> dict[str, list[Any]]:
    """The file's columns, in order."""
    table: dict[str, list[Any]] = {"setting": records.setting.tolist()}
    for axis in plan.axes:
        table[axis] = [plan.settings[s][axis] for s in table["setting"]]
    for name in _columns([])[1:]:
        table[name] = getattr(records, name).tolist()
    return table


def _write(path: Path, kind: str, plan: _Plan, records: Records) -> None:
    """Write the study's records atomically (a new file renamed over the old one)."""
    from xornet._atomic import atomic_write

    table = _table(plan, records)
    if kind == "csv":
        text = io.StringIO()
        text.write(f"# xornet study {json.dumps(plan.identity, separators=(',', ':'))}\n")
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(table)
        # Floats are written by repr: the shortest text that reads back to the same bits.
        writer.writerows(zip(*table.values(), strict=True))
        data = text.getvalue().encode("utf-8")
    else:
        import pyarrow as pa

        parquet = _pyarrow()
        columns = {}
        for name, values in table.items():
            try:
                columns[name] = pa.array(values)
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed types in an axis
                columns[name] = pa.array([str(v) for v in values])
        arrow = pa.table(columns).replace_schema_metadata(
            {"xornet.study": json.dumps(plan.identity)}
        )
        buffer = io.BytesIO()
        parquet.write_table(arrow, buffer)
        data = buffer.getvalue()
    atomic_write(path, lambda f: f.write(data))


def read_records(path: str | Path, networks: int | None = None) -> tuple[dict[str, Any], Records]:
    """Read a study file: what identifies the study, and its records.

    Every value is checked: whole numbers in their range, outcomes and stop reasons of their
    lists, each row's setting one of the study's with the values its columns show.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.parquet`` file that :func:`run_study` wrote.
    networks : int, optional
        The networks of the study the file should hold: a file larger than they fill
        (:data:`ROW_BYTES`) is refused before it is read.

    Returns
    -------
    identity : dict
        ``format``, ``data`` (samples, features, sha256), ``engine``, ``versions``,
        ``config`` (the settings not swept), ``grid`` and ``seeds``; a format-1 file is read
        as format 2 (see the module's docstring).
    records : Records

    Raises
    ------
    XornetError
        For a missing file, one that is not a regular file or is too large, or one that is
        not a xornet study file.
    """
    path = Path(path)
    kind = _file_kind(path)
    if path.exists() and not path.is_file():  # a named pipe would be waited on forever
        raise XornetError(f"{path}: not a regular file")
    try:
        if networks is not None:
            _check_size(path, kind, networks)
        if kind == "csv":
            identity, table = _read_csv(path)
        else:
            identity, table = _read_parquet(path)
    except FileNotFoundError:
        raise XornetError(f"{path}: no such study file") from None
    except XornetError:
        raise
    except (ValueError, LookupError, TypeError, ArithmeticError, csv.Error) as exc:
        raise XornetError(f"{path}: not a readable xornet study file ({exc})") from None
    if not isinstance(identity, dict) or identity.get("format") not in (1, FILE_FORMAT):
        raise XornetError(f"{path}: not a xornet study file of format 1 or {FILE_FORMAT}")
    try:
        grid = identity["grid"]
        if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
            raise ValueError("its grid is not lists of values")
        if list(table) != _columns(list(grid), identity["format"]):
            raise ValueError(f"unexpected columns {', '.join(table)}")
        setting = _whole(table, "setting", 0, math.prod(map(len, grid.values())) - 1)
        _check_settings(grid, setting, table)
        if identity["format"] == 1:
            table["criterion_epoch"] = _criterion_epochs(identity, table)
            identity = {**identity, "format": FILE_FORMAT}
        records = Records(
            setting=setting,
            seed=_whole(table, "seed", 0, MAX_SEED),
            outcome=_words(table, "outcome", OUTCOME_COLUMNS, "<U16"),
            solve_step=_whole(table, "solve_step", -1),
            criterion_epoch=_whole(table, "criterion_epoch", -1),
            stopped_at=_whole(table, "stopped_at", 0),
            stop_reason=_words(table, "stop_reason", STOP_REASONS, "<U11"),
            final_loss=_real(table, "final_loss", math.inf, nan=True),  # NaN: diverged
            accuracy=_real(table, "accuracy", 1.0, nan=False),
        )
        return identity, Records.concat([records])
    except (ValueError, LookupError, TypeError, ArithmeticError) as exc:
        raise XornetError(f"{path}: not a readable xornet study file ({exc})") from None


def _check_size(path: Path, kind: str, networks: int) -> None:
    """Refuse a file larger than a study of ``networks`` networks fills, before reading it."""
    most = 64 * 1024 + networks * ROW_BYTES
    size = path.stat().st_size
    if kind == "parquet" and size <= most:
        footer = _pyarrow().ParquetFile(path).metadata
        rows = footer.num_rows
        size = sum(footer.row_group(i).total_byte_size for i in range(footer.num_row_groups))
        if rows > networks:
            size = most + 1
    if size > most:
        raise XornetError(f"{path}: more than a study of {networks:,} networks fills")


def _whole(table: dict[str, list[Any]], name: str, low: int, high: int = 2**63 - 1) -> IntArray:
    """A column of whole numbers from ``low`` to ``high``."""
    for value in table[name]:
        if type(value) is not int or not low <= value <= high:
            raise ValueError(f"{name} {_short(value)} is not a whole number from {low} to {high}")
    return np.array(table[name], dtype=np.int64)


def _real(table: dict[str, list[Any]], name: str, high: float, nan: bool) -> Array:
    """A column of numbers from 0 to ``high`` (and NaN if ``nan``)."""
    for value in table[name]:
        if type(value) not in (int, float) or not (0 <= value <= high or (nan and value != value)):
            raise ValueError(f"{name} {_short(value)} is not a number from 0 to {high}")
    return np.array(table[name], dtype=np.float64)


def _words(table: dict[str, list[Any]], name: str, words: Sequence[str], dtype: str) -> np.ndarray:
    """A column of the given words."""
    for value in table[name]:
        if type(value) is not str or value not in words:
            raise ValueError(f"{name} {_short(value)} is not one of {', '.join(words)}")
    return np.array(table[name], dtype=dtype)


def _short(value: object) -> str:
    """A value read from a file, as JSON, cut to 40 characters."""
    text = json.dumps(value, default=repr)
    return text if len(text) <= 40 else text[:37] + "..."


def _setting_of(grid: Mapping[str, Sequence[Any]], setting: int) -> dict[str, Any]:
    """The grid's values of a setting, from its index (``itertools.product``'s order), without
    listing the settings before it."""
    values = {}
    for axis in reversed(list(grid)):
        setting, i = divmod(setting, len(grid[axis]))
        values[axis] = grid[axis][i]
    return values


def _check_settings(
    grid: Mapping[str, list[Any]], setting: IntArray, table: Mapping[str, list[Any]]
) -> None:
    """Refuse a row whose columns show other values than its setting's (as written: text in a
    CSV file, none as empty)."""
    for s in np.unique(setting).tolist():
        values = _setting_of(grid, s)
        rows = np.flatnonzero(setting == s)
        for axis, value in values.items():
            shown = {str(value), "" if value is None else str(value)}
            bad = [table[axis][i] for i in rows if str(table[axis][i]) not in shown]
            if bad:
                raise ValueError(f"setting {s} has {axis} {_short(value)}, not {_short(bad[0])}")


def _criterion_epochs(identity: dict[str, Any], table: dict[str, list[Any]]) -> list[int]:
    """A format-1 file's ``criterion_epoch``: the epoch of a ``tolerance`` stop (where the
    loss first reached ``tol``), else -1."""
    fixed, grid = identity["config"], identity["grid"]
    samples = identity["data"]["samples"]
    if type(samples) is not int or samples < 1 or not isinstance(fixed, dict):
        raise ValueError("its data or settings are not valid")

    def batch(s: int) -> Any:
        return _setting_of(grid, s).get("batch_size", fixed.get("batch_size"))

    return [int(epochs_of(at, samples, batch(s))) if why == "tolerance" else -1
            for s, at, why in zip(table["setting"], table["stopped_at"], table["stop_reason"],
                                  strict=True)]  # fmt: skip


def _read_csv(path: Path) -> tuple[Any, dict[str, list[Any]]]:
    """A CSV study file's identity line and columns."""
    with path.open(encoding="utf-8", newline="") as f:
        first = f.readline()
        prefix = "# xornet study "
        if not first.startswith(prefix):
            raise ValueError("no '# xornet study' first line")
        identity = json.loads(first[len(prefix) :])
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise ValueError("no column names")
        if len(set(header)) != len(header):
            raise ValueError(f"repeated columns in {', '.join(header)}")
        rows = list(reader)
    table: dict[str, list[Any]] = {name: [] for name in header}
    for line, row in enumerate(rows, 3):
        if len(row) != len(header):
            raise ValueError(f"line {line} has {len(row)} fields, not {len(header)}")
        for name, value in zip(header, row, strict=True):
            table[name].append(value)
    for name in ("setting", "seed", "solve_step", "criterion_epoch", "stopped_at"):
        if name in table:
            table[name] = [int(v) for v in table[name]]
    for name in ("final_loss", "accuracy"):
        table[name] = [float(v) for v in table[name]]
    return identity, table


def _read_parquet(path: Path) -> tuple[Any, dict[str, list[Any]]]:
    """A Parquet study file's identity (its metadata) and columns."""
    parquet = _pyarrow()
    try:
        arrow = parquet.read_table(path)
    except OSError as exc:
        if not path.exists():
            raise FileNotFoundError(path) from None
        raise ValueError(str(exc)) from None
    metadata = arrow.schema.metadata or {}
    identity = json.loads(metadata[b"xornet.study"])
    return identity, {name: arrow.column(name).to_pylist() for name in arrow.column_names}


def _differences(there: Mapping[str, Any], here: Mapping[str, Any], within: str = "") -> list[str]:
    """What differs between two identities, one short phrase each."""
    out = []
    for key in [*here, *(k for k in there if k not in here)]:
        a, b = there.get(key), here.get(key)
        if a == b:
            continue
        if key in ("config", "grid", "versions") and isinstance(a, dict) and isinstance(b, dict):
            out += _differences(a, b, "grid " if key == "grid" else "")
        else:
            out.append(f"{within}{key} {_show(key, a)} there, {_show(key, b)} here")
    return out


def _show(key: str, value: Any) -> str:
    """A value of an identity, short (a file's may be anything)."""
    try:
        if key == "seeds" and isinstance(value, dict):
            return f"{value['first']}..{value['first'] + value['count'] - 1}"
        if key == "data" and isinstance(value, dict):
            return f"{value['samples']}x{value['features']} (sha256 {value['sha256'][:8]})"
    except (LookupError, TypeError):
        return _short(value)
    if value is None:
        return "none"
    return value if isinstance(value, str) and len(value) <= 40 else _short(value)


class _Writer:
    """Keeps a study's records and writes them as they come: at once, unless writing takes
    more than a twentieth of the time (a long study's file grows), then a little later."""

    def __init__(self, path: Path | None, kind: str, plan: _Plan, done: Records) -> None:
        self.path, self.kind, self.plan = path, kind, plan
        self.parts = [done]
        self.pending = False
        self.last_end = 0.0
        self.last_took = 0.0

    def add(self, records: Records) -> None:
        self.parts.append(records)
        self.pending = True
        if time.perf_counter() - self.last_end >= 20 * self.last_took:
            self.flush()

    def records(self) -> Records:
        if len(self.parts) > 1:
            self.parts = [Records.concat(self.parts)]
        return self.parts[0]

    def flush(self) -> None:
        if self.path is None or not self.pending:
            return
        start = time.perf_counter()
        _write(self.path, self.kind, self.plan, self.records())
        self.last_end = time.perf_counter()
        self.last_took = self.last_end - start
        self.pending = False


def _open(path: Path, resume: bool, plan: _Plan) -> tuple[str, Records]:
    """Check the ``out`` file; with ``resume`` return the records it holds."""
    kind = _file_kind(path)
    if not path.parent.is_dir():
        raise XornetError(f"{path}: directory {path.parent} does not exist")
    if not path.exists():
        return kind, _empty_records()
    if not resume:
        raise XornetError(f"{path} exists: resume the study it holds (--resume) "
                          "or choose another file")  # fmt: skip
    identity, records = read_records(path, len(plan.configs) * len(plan.seeds))
    differ = _differences(identity, plan.identity)
    if differ:
        raise XornetError(f"{path} holds another study: {'; '.join(differ)}")
    known = np.isin(records.seed, plan.seeds) & (records.setting < len(plan.configs))
    if not known.all() or (records.setting < 0).any():
        raise XornetError(f"{path}: holds networks that are not in the study")
    return kind, records
