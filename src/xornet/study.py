"""Studies: a sweep cut into tasks that run here or on a Dask cluster, kept as they finish.

A study trains one network per seed for every setting of a grid (:func:`xornet.sweep`
summarises it). Here it is cut into tasks, each one setting and one block of seeds. A task
carries the setting's configuration and its seeds, never weights: the worker draws each
network's start from its seed, trains the block with :func:`xornet.train_many` and sends back
one record per network (:class:`Records`: its outcome, the step at which it solved the task,
the epoch at which its loss reached the criterion ``tol``, where it stopped and why, its final
loss and accuracy).

What a study promises:

* The records, and so the table, are the same to the bit wherever the tasks run (in this
  process, on a local cluster, on machines with the same software and CPU) and however the
  seeds are cut into blocks. Each network trains alone (in its own SIMD lane or loop), from
  its own seed, through the kernel the whole setting would choose
  (``train_many(kernel_for=...)``); the kernels agree only to about 1e-14.
* With an ``out`` file (CSV, or Parquet when pyarrow is installed) the records are written as
  tasks finish, each write atomic (a whole new file renamed over the old one,
  :func:`xornet._atomic.atomic_write`, which also removes what a killed write left): a study
  killed at any moment loses only the tasks still running. ``resume`` trains only the networks the
  file lacks, and refuses a file that another study made, naming what differs.
* On a Dask cluster (``client``), a task whose worker is lost runs again on another (the
  scheduler does this); each network's record is kept once. Ctrl-C cancels the unfinished
  tasks and keeps (writes) the finished ones.

Dask is imported only for a client, :func:`connect` or :func:`local_cluster` (the ``dask``
extra); pyarrow only for a ``.parquet`` file.

The file holds one line per network, sorted by setting and seed: ``setting`` (the index of the
setting in the order of ``itertools.product`` over the grid's axes), the setting's values (a
column per swept axis), then ``seed``, ``outcome`` (one of :data:`OUTCOME_COLUMNS`),
``solve_step`` (-1 if never), ``criterion_epoch`` (-1 if never or without ``tol``),
``stopped_at``, ``stop_reason``, ``final_loss`` and ``accuracy``. What identifies the study
(data, settings, seeds, engine, versions) is stored with it: in a CSV file as a first line
``# xornet study {JSON}`` (``pandas.read_csv(path, comment="#")`` reads the rest), in a Parquet
file in its metadata. A file of format 1 (before ``criterion_epoch``) is read as format 2, the
column derived from its stop records (a network reaches the criterion exactly where the
``tolerance`` rule stops it); a resumed study that trains more writes it as format 2.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import itertools
import json
import math
import time
import uuid
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from xornet._typing import Array, IntArray
from xornet.config import MAX_SEED, TrainConfig, check_seed, epochs_of
from xornet.data import check_Xy
from xornet.diagnosis import NEAR_HALF
from xornet.engines import resolve_engine
from xornet.errors import XornetError

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "OUTCOME_COLUMNS",
    "SWEEP_AXES",
    "Records",
    "Task",
    "check_versions",
    "connect",
    "local_cluster",
    "outcome_labels",
    "read_records",
    "run_study",
    "run_task",
]

#: Settings a sweep can vary (``TrainConfig`` fields).
SWEEP_AXES: Final = ("hidden", "activation", "init", "init_scale", "loss", "optimizer",
                     "learning_rate", "momentum", "batch_size", "steps", "margin")  # fmt: skip

#: The outcome of a network: solved; a plateau with two outputs near 0.5 (the classic XOR
#: state), with every output near 0.5, or another plateau; still improving; diverged.
OUTCOME_COLUMNS: Final = ("solved", "plateau_two_half", "plateau_all_half", "plateau_other",
                          "improving", "diverged")  # fmt: skip

#: The version of the study file's layout (2: with ``criterion_epoch``; 1 is still read).
FILE_FORMAT: Final = 2

#: Work aimed at for one task when the block is not given, in network-sample-steps (about
#: a second or two for small networks on one machine): a killed study loses little, and the
#: scheduler's overhead per task stays small.
TASK_WORK: Final = 500_000_000

#: The fewest seeds a chosen block holds (a few full SIMD blocks).
MIN_BLOCK: Final = 64

#: The most bytes a study file may hold per network of its study (a CSV line takes about 150),
#: besides a fixed 64 KiB: a larger file (or a Parquet file of more rows, or more bytes
#: unpacked) is refused before it is read.
ROW_BYTES: Final = 1024

#: Why a network stopped (:attr:`Records.stop_reason`).
STOP_REASONS: Final = ("max_steps", "tolerance", "all_correct", "diverged")

#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT: Final = 10.0


def outcome_labels(outcome: np.ndarray, probabilities: Array) -> np.ndarray:
    """Each network's outcome, one of :data:`OUTCOME_COLUMNS`.

    A plateau is told apart by how many outputs are "near half", undecided: an output within
    ``NEAR_HALF`` of 0.5, or for K classes the top two probabilities within ``2 NEAR_HALF``.

    Parameters
    ----------
    outcome : ndarray of shape (N,), str
        ``solved``, ``plateau``, ``improving`` or ``diverged`` (:attr:`ManyResult.outcome`).
    probabilities : ndarray of shape (N, n) or (N, n, K)

    Returns
    -------
    ndarray of shape (N,), str
    """
    if probabilities.ndim == 3:  # (N, n, K) softmax outputs
        top2 = np.sort(probabilities, axis=2)[:, :, -2:]
        near = np.sum(top2[:, :, 1] - top2[:, :, 0] < 2.0 * NEAR_HALF, axis=1)
    else:
        near = np.sum(np.abs(probabilities - 0.5) < NEAR_HALF, axis=1)
    n = probabilities.shape[1]
    plateau = np.where(
        (near == 2) & (n > 2), "plateau_two_half",
        np.where(near == n, "plateau_all_half", "plateau_other"),
    )  # fmt: skip
    labels = np.where(outcome == "plateau", plateau, outcome)
    return labels.astype(f"<U{max(map(len, OUTCOME_COLUMNS))}")


@dataclass(frozen=True, eq=False)
class Records:
    """One record per network of a study, sorted by setting and seed.

    Attributes
    ----------
    setting : ndarray of shape (N,), int
        The index of the network's setting (the order of the study's settings).
    seed : ndarray of shape (N,), int
    outcome : ndarray of shape (N,), str
        One of :data:`OUTCOME_COLUMNS`.
    solve_step : ndarray of shape (N,), int
        First step at which every sample was right; -1 if never.
    criterion_epoch : ndarray of shape (N,), int
        The epochs (:func:`xornet.config.epochs_of`) after which the loss was first at most
        the criterion, the setting's ``tol`` (:attr:`xornet.ManyResult.target_step`, the 1986
        "epochs to criterion"); -1 if never or without ``tol``.
    stopped_at : ndarray of shape (N,), int
        Updates applied.
    stop_reason : ndarray of shape (N,), str
        ``max_steps``, ``tolerance``, ``all_correct`` or ``diverged``.
    final_loss, accuracy : ndarray of shape (N,), float
        NaN loss for a network that diverged.
    """

    setting: IntArray
    seed: IntArray
    outcome: np.ndarray
    solve_step: IntArray
    criterion_epoch: IntArray
    stopped_at: IntArray
    stop_reason: np.ndarray
    final_loss: Array
    accuracy: Array

    def __len__(self) -> int:
        return int(self.seed.size)

    def __repr__(self) -> str:
        return f"Records(n_networks={len(self)}, settings={np.unique(self.setting).size})"

    @classmethod
    def concat(cls, parts: Sequence[Records]) -> Records:
        """The records of ``parts`` together, sorted by setting and seed.

        Raises
        ------
        XornetError
            When a network (setting and seed) appears twice.
        """
        if not parts:
            return _empty_records()
        columns = {f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        order = np.lexsort((columns["seed"], columns["setting"]))
        joined = cls(**{name: values[order] for name, values in columns.items()})
        twice = (np.diff(joined.setting) == 0) & (np.diff(joined.seed) == 0)
        if twice.any():
            i = int(np.flatnonzero(twice)[0])
            raise XornetError(f"setting {joined.setting[i]}, seed {joined.seed[i]}: counted twice")
        return joined

    def of(self, setting: int) -> Records:
        """The records of one setting."""
        mask = self.setting == setting
        return Records(**{f.name: getattr(self, f.name)[mask] for f in fields(self)})

    def same_as(self, other: Records) -> bool:
        """Whether both hold the same records, to the bit."""
        return all(
            getattr(self, f.name).dtype == getattr(other, f.name).dtype
            and getattr(self, f.name).tobytes() == getattr(other, f.name).tobytes()
            for f in fields(self)
        )


def _empty_records() -> Records:
    """No records."""
    ints = np.zeros(0, dtype=np.int64)
    return Records(ints, ints, np.zeros(0, dtype="<U16"), ints, ints, ints,
                   np.zeros(0, dtype="<U11"), np.zeros(0), np.zeros(0))  # fmt: skip


# ---------------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """One setting and one block of seeds: all a worker needs besides the data.

    Attributes
    ----------
    setting : int
        The setting's index in the study.
    config : TrainConfig
        The setting's configuration.
    seeds : tuple of int
    kernel_for : int
        The networks of the whole setting, which choose the compiled kernel.
    engine : {"numpy", "numba"}
    versions : tuple of (str, str or None)
        The versions the records depend on, as where the study was started; a worker with
        others refuses the task.
    """

    setting: int
    config: TrainConfig
    seeds: tuple[int, ...]
    kernel_for: int
    engine: str
    versions: tuple[tuple[str, str | None], ...]


def _versions(engine: str) -> tuple[tuple[str, str | None], ...]:
    """The versions of what a network's numbers depend on, on this machine."""
    from importlib import metadata

    import xornet

    numba: str | None = None
    if engine == "numba":
        try:
            numba = metadata.version("numba")
        except metadata.PackageNotFoundError:
            numba = None
    return (("xornet", xornet.__version__), ("numpy", np.__version__), ("numba", numba))


def _version_differences(
    theirs: Sequence[tuple[str, str | None]],
    ours: Sequence[tuple[str, str | None]],
    there: str = "there",
    here: str = "here",
) -> str:
    """``"xornet 0.1.0 there, 0.2.0 here, ..."`` for the versions that differ ('' if none)."""
    mine = dict(ours)
    return ", ".join(f"{name} {version} {there}, {mine.get(name)} {here}"
                     for name, version in theirs if version != mine.get(name))  # fmt: skip


def run_task(
    task: Task, X: Array, y: Array, progress: Callable[[int, int], object] | None = None
) -> Records:
    """Train one task's networks and return their records (what a worker runs).

    Parameters
    ----------
    task : Task
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    progress : callable, optional
        ``progress(step, steps)``, as :func:`xornet.train_many` calls it.

    Returns
    -------
    Records

    Raises
    ------
    XornetError
        When this machine's versions differ from the study's (``task.versions``).
    """
    from xornet.engines.many import train_many

    differ = _version_differences(task.versions, _versions(task.engine), "in the study",
                                  "on this worker")  # fmt: skip
    if differ:
        raise XornetError(f"a worker runs other versions than the study ({differ}); "
                          "install the same ones everywhere")  # fmt: skip
    config = task.config
    many = train_many(X, y, config, list(task.seeds), engine=task.engine, target=config.tol,
                      kernel_for=task.kernel_for, progress=progress)  # fmt: skip
    epochs = epochs_of(many.target_step, X.shape[0], config.batch_size)
    return Records(
        setting=np.full(len(many), task.setting, dtype=np.int64),
        seed=many.seeds.astype(np.int64),
        outcome=outcome_labels(many.outcome, many.probabilities),
        solve_step=many.solve_step.astype(np.int64),
        criterion_epoch=np.where(many.target_step >= 0, epochs, -1).astype(np.int64),
        stopped_at=many.steps.astype(np.int64),
        stop_reason=many.stop_reason.astype("<U11"),
        final_loss=many.final_loss.astype(np.float64),
        accuracy=many.accuracy.astype(np.float64),
    )


# ---------------------------------------------------------------------------------- plan


@dataclass(frozen=True, eq=False)
class _Plan:
    """A study checked and laid out: its settings in order and what identifies it."""

    X: Array
    y: Array
    axes: list[str]
    settings: list[dict[str, Any]]  # the grid's values of each setting
    configs: list[TrainConfig]
    seeds: tuple[int, ...]
    kernel_for: list[int]  # per setting
    engine: str
    identity: dict[str, Any]

    def tasks(self, block: Sequence[int], done: Records) -> list[Task]:
        """The tasks that train what ``done`` lacks, in blocks of ``block[setting]`` seeds."""
        versions = _versions(self.engine)
        tasks = []
        for s, config in enumerate(self.configs):
            have = set(done.seed[done.setting == s].tolist())
            todo = [seed for seed in self.seeds if seed not in have]
            for lo in range(0, len(todo), block[s]):
                tasks.append(Task(s, config, tuple(todo[lo : lo + block[s]]), self.kernel_for[s],
                                  self.engine, versions))  # fmt: skip
        return tasks


def _plan(
    X: Array,
    y: Array,
    base: TrainConfig,
    grid: Mapping[str, Sequence[Any]],
    seeds: Sequence[int],
    engine: str,
) -> _Plan:
    """Check a study and lay it out (see :func:`run_study`)."""
    unknown = set(grid) - set(SWEEP_AXES)
    if unknown:
        raise XornetError(f"cannot sweep {', '.join(sorted(unknown))}; choose from "
                          f"{', '.join(SWEEP_AXES)}")  # fmt: skip
    if any(len(values) == 0 for values in grid.values()):
        raise XornetError("every swept setting needs at least one value")
    seeds = [check_seed(s) for s in seeds]
    if not seeds:
        raise XornetError("a sweep needs at least one seed")
    if len(set(seeds)) != len(seeds):
        repeated = next(s for s in seeds if seeds.count(s) > 1)
        raise XornetError(f"seed {repeated} is given twice; each start counts once")
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)
    check_Xy(X, y, None)
    chosen = resolve_engine(engine)
    axes = list(grid)
    settings = [dict(zip(axes, values, strict=True))
                for values in itertools.product(*(grid[a] for a in axes))]  # fmt: skip
    configs = [base.replace(**values) for values in settings]
    # A setting's networks choose their kernel as if trained in one call with every learning
    # rate of the grid, as the sweep always has: the same numbers as before blocks existed.
    rates = len(grid.get("learning_rate", [base.learning_rate]))
    kernel_for = [len(seeds) * rates] * len(settings)
    fixed = {k: v for k, v in base.to_dict().items() if k not in grid}
    identity = {
        "format": FILE_FORMAT,
        "data": {"samples": X.shape[0], "features": X.shape[1],
                 "sha256": hashlib.sha256(X.tobytes() + y.tobytes()).hexdigest()},
        "engine": chosen,
        "versions": dict(_versions(chosen)),
        "config": fixed,
        "grid": {a: list(grid[a]) for a in axes},
        "seeds": _seeds_identity(seeds),
    }  # fmt: skip
    return _Plan(X, y, axes, settings, configs, tuple(seeds), kernel_for, chosen,
                 json.loads(json.dumps(identity)))  # fmt: skip


def _seeds_identity(seeds: Sequence[int]) -> dict[str, int] | list[int]:
    """Seeds as stored: ``{"first", "count"}`` when consecutive, else the list."""
    if list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return {"first": seeds[0], "count": len(seeds)}
    return list(seeds)


def _blocks(plan: _Plan, block: int | None, whole: bool, slots: int | None) -> list[int]:
    """Seeds per task for each setting: ``block``; all of them when ``whole``; else about
    ``TASK_WORK`` (and with a cluster of ``slots`` at least four tasks a slot)."""
    n = len(plan.seeds)
    if block is not None:
        return [min(block, n)] * len(plan.configs)
    if whole:
        return [n] * len(plan.configs)
    sizes = []
    for config in plan.configs:
        size = math.ceil(TASK_WORK / (config.steps * plan.X.shape[0]))
        if slots is not None:
            size = min(size, math.ceil(n * len(plan.configs) / (4 * slots)))
        sizes.append(max(1, min(n, max(MIN_BLOCK, size))))
    return sizes


# ---------------------------------------------------------------------------------- file


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


# ---------------------------------------------------------------------------------- running


def run_study(
    X: Array,
    y: Array,
    base: TrainConfig,
    grid: Mapping[str, Sequence[Any]],
    seeds: Sequence[int],
    *,
    engine: str = "auto",
    client: Client | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    block: int | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> tuple[list[dict[str, Any]], Records]:
    """Train every seed for every setting of the grid, in tasks, and return the records.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    base : TrainConfig
        The settings the grid does not vary.
    grid : mapping of axis name to a sequence of values
        Axes from :data:`SWEEP_AXES`; the settings are ``itertools.product`` over the axes as
        given.
    seeds : sequence of int
        One start per seed (each once), the same seeds for every setting: the weights
        ``train(..., rng=seed)`` starts from.
    engine : {"auto", "numpy", "numba"}
        Chosen here, not on the workers: every task runs the same engine.
    client : distributed.Client, optional
        Run the tasks on this Dask cluster (its workers need the same versions of xornet,
        NumPy and, for the numba engine, numba); without it, in this process.
    out : str or Path, optional
        A ``.csv`` or ``.parquet`` file written as tasks finish (see the module's docstring).
    resume : bool
        Go on with the study that ``out`` holds: train only the networks it lacks. Without a
        file yet, start it.
    block : int, optional
        Seeds per task. By default all of a setting's seeds in one task when running here
        without ``out``; else about :data:`TASK_WORK` network-sample-steps a task (with a
        client, also at least four tasks for each of its worker threads). The records do not
        depend on it.
    progress : callable, optional
        ``progress(done, total)``: in this process, in steps (those of the tasks done plus
        those the current one has reached, of the steps of all tasks); with a client, in
        finished tasks.

    Returns
    -------
    settings : list of dict
        Each setting's grid values, in order (``Records.setting`` indexes it).
    records : Records
        Every network of the study, the file's included.

    Raises
    ------
    XornetError
        For an axis that cannot be swept, an empty axis, a bad or repeated seed, a grid value
        the configuration refuses; an ``out`` file that exists without ``resume``, that
        another study made (naming what differs) or that cannot be read; a worker with other
        versions; a task lost with its workers too many times.
    KeyboardInterrupt
        After cancelling the unfinished tasks and writing the finished ones to ``out``.
    """
    if block is not None and (isinstance(block, bool) or block < 1):
        raise XornetError(f"block must be a positive number of seeds, got {block}")
    if resume and out is None:
        raise XornetError("resuming a study needs its file (out)")
    plan = _plan(X, y, base, grid, seeds, engine)
    path = None if out is None else Path(out)
    kind, done = ("csv", _empty_records()) if path is None else _open(path, resume, plan)
    if client is not None:
        check_versions(client, plan.engine)
        slots: int | None = max(1, sum(client.nthreads().values()))
    else:
        slots = None
    sizes = _blocks(plan, block, whole=client is None and path is None, slots=slots)
    tasks = plan.tasks(sizes, done)
    writer = _Writer(path, kind, plan, done)
    report = progress if progress is not None else _no_progress
    try:
        if client is None:
            _run_here(plan, tasks, writer, report)
        else:
            _run_on(client, plan, tasks, writer, report)
    finally:
        writer.flush()
    return plan.settings, writer.records()


def _no_progress(done: int, total: int) -> None:
    """The progress callback when none is given."""


def _run_here(
    plan: _Plan, tasks: list[Task], writer: _Writer, progress: Callable[[int, int], object]
) -> None:
    """Run the tasks one after another in this process (each over the cores)."""
    total, before = sum(t.config.steps for t in tasks), 0
    for task in tasks:

        def report(step: int, _steps: int, before: int = before) -> None:
            progress(before + step, total)

        writer.add(run_task(task, plan.X, plan.y, report))
        before += task.config.steps


def _run_on(
    client: Client,
    plan: _Plan,
    tasks: list[Task],
    writer: _Writer,
    progress: Callable[[int, int], object],
) -> None:
    """Run the tasks on a Dask cluster, keeping each result as it arrives."""
    from distributed import as_completed

    if not tasks:
        return
    run = uuid.uuid4().hex[:12]
    # The data as a task's result, not scattered: a worker fetches it once from another, and
    # if the workers holding it are lost the scheduler makes it again (scattered data, of
    # which Dask keeps one copy, would be lost with its worker).
    data = client.submit(_data, plan.X, plan.y, key=f"xornet-data-{run}", pure=False)
    futures = [client.submit(_run_on_data, task, data, key=f"xornet-study-{run}-{i}",
                             pure=False) for i, task in enumerate(tasks)]  # fmt: skip
    try:
        for done, future in enumerate(as_completed(futures), 1):
            writer.add(future.result())
            progress(done, len(tasks))
    except BaseException as exc:
        client.cancel([*futures, data])
        error = _cluster_error(exc)
        if error is exc:
            raise
        raise error from None


def _data(X: Array, y: Array) -> tuple[Array, Array]:
    """The study's data, as a task of the cluster."""
    return X, y


def _run_on_data(task: Task, data: tuple[Array, Array]) -> Records:
    """:func:`run_task` on the data of :func:`_data`."""
    return run_task(task, *data)


def _cluster_error(exc: BaseException) -> BaseException:
    """A cluster's failure as one line (a task lost with its workers too often, a scheduler
    gone); anything else as it is."""
    from distributed import KilledWorker

    if isinstance(exc, KilledWorker):
        return XornetError("a task was lost with its worker too many times (out of memory?): "
                           f"{_line(exc)}")  # fmt: skip
    from concurrent.futures import CancelledError

    if isinstance(exc, CancelledError):
        return XornetError("the Dask cluster dropped the study's tasks (scheduler gone?)")
    return exc


def _line(exc: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(exc).split()) or type(exc).__name__


# ---------------------------------------------------------------------------------- Dask


def _distributed() -> Any:
    """The ``distributed`` package, or a one-line error naming the extra to install."""
    try:
        import distributed
    except ImportError:
        raise XornetError("studies on a Dask cluster need dask and distributed: "
                          "pip install 'xornet[dask]'") from None  # fmt: skip
    return distributed


def check_versions(client: Client, engine: str = "numba") -> None:
    """Refuse a cluster whose workers run other versions than this machine.

    The records depend on the versions of xornet, NumPy and (for the numba engine) numba.

    Raises
    ------
    XornetError
        Naming the first worker that differs and the versions, or when the workers cannot
        import xornet.
    """
    ours = _versions(engine)
    try:
        theirs = client.run(_versions, engine)
    except Exception as exc:
        raise XornetError(f"the Dask workers cannot run xornet ({_line(exc)}); install the "
                          "same xornet on every worker") from None  # fmt: skip
    for worker in sorted(theirs):
        differ = _version_differences(theirs[worker], ours)
        if differ:
            raise XornetError(f"Dask worker {worker} runs other versions ({differ}); "
                              "install the same ones everywhere")  # fmt: skip


def connect(address: str, timeout: float | None = None) -> Client:
    """A client of the Dask scheduler at ``address`` (close it when done).

    Parameters
    ----------
    address : str
        Such as ``tcp://10.0.0.5:8786``.
    timeout : float, optional
        Seconds to wait for the scheduler (default :data:`CONNECT_TIMEOUT`).

    Raises
    ------
    XornetError
        When the address is malformed or nothing answers there in time.
    """
    distributed = _distributed()
    wait = CONNECT_TIMEOUT if timeout is None else timeout
    try:
        return distributed.Client(address, timeout=wait)  # type: ignore[no-any-return]
    except (OSError, ValueError, TypeError) as exc:
        failure = _line(exc)
    # The client that failed to start closes when collected, and closing it while another
    # client or cluster starts can deadlock: collect it now, its traceback gone.
    gc.collect()
    raise XornetError(f"cannot reach a Dask scheduler at {address!r}: {failure}")


@contextmanager
def local_cluster(workers: int) -> Iterator[Client]:
    """A Dask cluster of ``workers`` processes on this machine, and its client.

    Each worker runs one task at a time (a task spreads its networks over the cores itself);
    the cluster listens on the loopback interface only, without a dashboard.

    Yields
    ------
    distributed.Client
    """
    if isinstance(workers, bool) or workers < 1:
        raise XornetError(f"a local cluster needs at least one worker, got {workers}")
    distributed = _distributed()
    with warnings.catch_warnings():
        # On a busy machine the workers' scratch folders can take over a second to make; the
        # warning's advice (a network file system) does not apply to a cluster on this one.
        warnings.filterwarnings("ignore", "Creating scratch directories", UserWarning)
        cluster = distributed.LocalCluster(n_workers=workers, processes=True,
                                           threads_per_worker=1, host="127.0.0.1",
                                           dashboard_address="127.0.0.1:0")  # fmt: skip
    with cluster, distributed.Client(cluster) as client:
        yield client
