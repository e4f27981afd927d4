"""Sweeps: many starts for every setting of a grid, and how often each setting learns.

For each combination of the grid's values, :func:`sweep` trains one network per seed with
:func:`xornet.train_many` and summarises: the success rate with a Wilson 95% interval, the steps
to solve (first step at which every sample is right) over the successful runs, the epochs to the
criterion (the 1986 measure: passes over the data until the loss is at most the configuration's
``tol``) over the runs that reached it, and the count of each outcome. The same call gives the
same numbers. Each network starts where ``train(..., rng=seed)`` would
(:func:`xornet.config.start_params`): the post's weights when the configuration's ``start`` is
``post``. The training runs in tasks (:mod:`xornet.study`): in this process or on a Dask
cluster, kept in a file as they finish and resumable, with the same numbers wherever they run.

A study is a sweep written down in a TOML file (:func:`read_study`)::

    [study]
    name = "hidden units"   # optional
    dataset = "xor"
    preset = "post"
    seeds = 1000
    first_seed = 0
    [grid]                  # the swept settings, each a list
    hidden = [2, 3, 4]
    [config]                # fixed settings (TrainConfig fields)
    steps = 20000
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from xornet._typing import Array, IntArray
from xornet.config import PRESETS, TrainConfig, check_seed
from xornet.errors import XornetError, one_line, quoted
from xornet.study import OUTCOME_COLUMNS, SWEEP_AXES, Records, run_study

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "OUTCOME_COLUMNS",
    "SWEEP_AXES",
    "Study",
    "SweepRow",
    "SweepTable",
    "read_study",
    "sweep",
    "wilson_interval",
]

_Z95: Final = 1.959963984540054  # the 97.5% quantile of the standard normal


def wilson_interval(successes: int, runs: int, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval for a success probability (95% by default).

    Parameters
    ----------
    successes : int
    runs : int
        At least 1.
    z : float
        Normal quantile of the interval's level.

    Returns
    -------
    (low, high) : tuple of float
        Within [0, 1]; unlike the normal approximation it stays sensible at 0 or ``runs``
        successes.
    """
    if runs < 1 or not 0 <= successes <= runs:
        raise ValueError(f"need 0 <= successes <= runs and runs >= 1, got {successes}/{runs}")
    p = successes / runs
    denominator = 1.0 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denominator
    # At 0 (or all) successes the bound is exactly 0 (or 1); the formula leaves rounding there.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == runs else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class SweepRow:
    """The summary of one setting.

    Attributes
    ----------
    settings : dict
        The grid values of this row (axis name -> value).
    runs, solved : int
        Starts trained, and how many solved the task.
    success_rate, ci_low, ci_high : float
        ``solved / runs`` and its Wilson 95% interval.
    steps_median, steps_p10, steps_p90 : float or None
        Steps to solve over the successful runs (None when none solved). In full-batch
        training a step is an epoch.
    reached : int or None
        Starts whose loss reached the criterion, the configuration's ``tol`` (None without
        one).
    epochs_median, epochs_p10, epochs_p90 : float or None
        Epochs to the criterion (:func:`xornet.config.epochs_of`) over the starts that
        reached it (None when none did).
    outcomes : dict of str to int
        Counts for each of ``OUTCOME_COLUMNS``.
    """

    settings: dict[str, Any]
    runs: int
    solved: int
    success_rate: float
    ci_low: float
    ci_high: float
    steps_median: float | None
    steps_p10: float | None
    steps_p90: float | None
    reached: int | None
    epochs_median: float | None
    epochs_p10: float | None
    epochs_p90: float | None
    outcomes: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        """A flat, JSON-ready record (settings first)."""
        record: dict[str, Any] = dict(self.settings)
        record.update(
            runs=self.runs, solved=self.solved, success_rate=self.success_rate,
            ci_low=self.ci_low, ci_high=self.ci_high, steps_median=self.steps_median,
            steps_p10=self.steps_p10, steps_p90=self.steps_p90, reached=self.reached,
            epochs_median=self.epochs_median, epochs_p10=self.epochs_p10,
            epochs_p90=self.epochs_p90,
        )  # fmt: skip
        record.update(self.outcomes)
        return record

    def _repr_html_(self) -> str:
        from xornet._html import sweep_html

        return sweep_html([self], OUTCOME_COLUMNS)


class SweepTable(list[SweepRow]):
    """What :func:`sweep` returns: its rows, a list that a notebook shows as a table."""

    def __repr__(self) -> str:
        runs = f", {self[0].runs} starts each" if self else ""
        return f"SweepTable({len(self)} settings{runs})"

    def _repr_html_(self) -> str:
        from xornet._html import sweep_html

        return sweep_html(self, OUTCOME_COLUMNS)

    def to_frame(self) -> Any:
        """One row per setting (:meth:`SweepRow.as_dict`) as a pandas ``DataFrame``.

        Raises
        ------
        ImportError
            If pandas is not installed.
        """
        from xornet._html import frame

        return frame([row.as_dict() for row in self])


def sweep(
    X: Array,
    y: Array,
    base: TrainConfig,
    grid: Mapping[str, Sequence[Any]],
    seeds: Sequence[int],
    *,
    engine: str = "auto",
    progress: Callable[[int, int], object] | None = None,
    client: Client | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    block: int | None = None,
) -> SweepTable:
    """Train every seed for every combination of the grid and summarise each combination.

    The study runs in tasks of one setting and one block of seeds (:mod:`xornet.study`), in
    this process or on a Dask cluster; the rows are the same, to the bit, either way.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    base : TrainConfig
        The settings the grid does not vary.
    grid : mapping of axis name to a sequence of values
        Axes from ``SWEEP_AXES``; rows come in the order of ``itertools.product`` over the
        axes as given.
    seeds : sequence of int
        One start per seed (each once), the same seeds for every setting: the weights
        ``train(..., rng=seed)`` starts from (:func:`xornet.config.start_params_many`), so
        the post's when ``base.start`` is ``"post"``.
    engine : {"auto", "numpy", "numba"}
    progress : callable, optional
        ``progress(done, total)`` as training advances. In this process, in steps: the steps
        of the settings done so far plus those the current one has reached (every seed at
        once), of the steps of all settings. With a client, in finished tasks.
    client : distributed.Client, optional
        Train on this Dask cluster (``pip install 'xornet[dask]'``); its workers need the same
        versions of xornet, NumPy and numba.
    out : str or Path, optional
        A ``.csv`` (or, with pyarrow, ``.parquet``) file of one record per network, written
        atomically as tasks finish (:func:`xornet.study.read_records` reads it).
    resume : bool
        Go on with the study ``out`` holds, training only the networks it lacks; refused when
        the file was made with other data, settings, seeds, engine or versions.
    block : int, optional
        Seeds per task (see :func:`xornet.study.run_study`); the rows do not depend on it.

    Returns
    -------
    SweepTable
        The rows (a list of :class:`SweepRow`).

    Raises
    ------
    XornetError
        For an axis that cannot be swept, an empty axis or seed list, a bad or repeated seed,
        a grid value the configuration refuses (such as another ``init`` with the post's
        starts); an ``out`` file that exists without ``resume`` or holds another study; a
        cluster whose workers run other versions.
    KeyboardInterrupt
        After cancelling the unfinished tasks and writing the finished ones to ``out``.
    """
    settings, records = run_study(X, y, base, grid, seeds, engine=engine, client=client,
                                  out=out, resume=resume, block=block,
                                  progress=progress)  # fmt: skip
    return SweepTable(_row(values, records.of(s), base.tol) for s, values in enumerate(settings))


def _spread(values: IntArray) -> list[float | None]:
    """The 10th percentile, the median and the 90th (None for no values)."""
    return np.percentile(values, [10, 50, 90]).tolist() if values.size else [None] * 3


def _row(settings: dict[str, Any], records: Records, tol: float | None) -> SweepRow:
    """The summary of one setting's records (``tol``: the criterion, None for none)."""
    solved = records.outcome == "solved"
    p10, median, p90 = _spread(records.solve_step[solved & (records.solve_step >= 0)])
    epochs = records.criterion_epoch[records.criterion_epoch >= 0]
    e10, e50, e90 = _spread(epochs)
    runs, n_solved = len(records), int(solved.sum())
    low, high = wilson_interval(n_solved, runs)
    outcomes = {c: int(np.sum(records.outcome == c)) for c in OUTCOME_COLUMNS}
    return SweepRow(dict(settings), runs, n_solved, n_solved / runs, low, high, median, p10,
                    p90, None if tol is None else epochs.size, e50, e10, e90,
                    outcomes)  # fmt: skip


@dataclass(frozen=True)
class Study:
    """A sweep as a TOML study file describes it (what the file leaves out is None).

    Attributes
    ----------
    name, dataset, preset : str or None
        ``[study]``: a title, the dataset's name (:func:`xornet.make_dataset`) and the preset
        (``default`` or ``post``) the ``[config]`` settings change.
    seeds, first_seed : int or None
        ``[study]``: starts per setting, and the first seed.
    grid : dict of str to list
        ``[grid]``: the swept settings, axis name to its values.
    config : dict of str to object
        ``[config]``: fixed settings, :class:`~xornet.TrainConfig` field to value.
    """

    name: str | None = None
    dataset: str | None = None
    preset: str | None = None
    seeds: int | None = None
    first_seed: int | None = None
    grid: dict[str, list[Any]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def base(self) -> TrainConfig:
        """The settings the grid does not vary: the preset (``default`` when not given)
        changed by ``[config]``."""
        return PRESETS[self.preset or "default"].replace(**self.config)


#: The largest study file read: a study is a few lines (its grid's lists included).
MAX_STUDY_BYTES: Final = 2**20

# The [study] keys and their types.
_STUDY_KEYS: Final[dict[str, type]] = {
    "name": str, "dataset": str, "preset": str, "seeds": int, "first_seed": int,
}  # fmt: skip


def _listed(names: set[str]) -> str:
    """The first few of a file's unknown names, each quoted short: a message never lists a
    file's thousands of keys."""
    shown = sorted(names)
    more = f" and {len(shown) - 3:,} more" if len(shown) > 3 else ""
    return ", ".join(quoted(name) for name in shown[:3]) + more


def read_study(path: str | Path) -> Study:
    """Read and check a study file (see the module's docstring for its layout).

    Every value is checked here, each grid value against the configuration it goes into, so
    that a mistake is reported before anything trains.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Study

    Raises
    ------
    XornetError
        Naming the file, its section and key: a missing or invalid TOML file, one larger than
        :data:`MAX_STUDY_BYTES` (read no further: a device or a pipe is bounded too), an
        unknown section or key, a value of the wrong type, a setting the configuration refuses.
        A value is quoted short, never whole.
    """
    path = Path(path)
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_STUDY_BYTES + 1)  # never more, whatever the file (a device)
    except FileNotFoundError:
        raise XornetError(f"{path}: no such study file") from None
    except IsADirectoryError:
        raise XornetError(f"{path}: is a directory, not a study file") from None
    if len(raw) > MAX_STUDY_BYTES:
        raise XornetError(f"{path}: larger than {MAX_STUDY_BYTES // 2**10} KiB, the most a "
                          "study file may hold")  # fmt: skip
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise XornetError(f"{path}: not a valid TOML file ({one_line(exc, limit=120)})") from None
    except RecursionError:
        raise XornetError(f"{path}: not a valid TOML file (nested too deeply)") from None
    unknown = set(document) - {"study", "grid", "config"}
    if unknown:
        raise XornetError(f"{path}: unknown sections {_listed(unknown)}")
    sections = {key: document.get(key, {}) for key in ("study", "grid", "config")}
    for key, section in sections.items():
        if not isinstance(section, dict):
            raise XornetError(f"{path}: [{key}] must be a table")
    head: dict[str, Any] = {}
    for key, value in sections["study"].items():
        if key not in _STUDY_KEYS:
            raise XornetError(f"{path}: unknown [study] key {quoted(key)}")
        kind = _STUDY_KEYS[key]
        valid = isinstance(value, kind) and not isinstance(value, bool)
        if key == "preset":
            valid = valid and value in PRESETS
        elif key == "seeds":
            valid = valid and value >= 1
        if not valid:
            raise XornetError(f"{path}: [study] {key} = {quoted(value)} is not valid")
        if key == "first_seed":
            try:
                check_seed(value, "first_seed")
            except XornetError as exc:
                raise XornetError(f"{path}: [study] {exc}") from None
        head[key] = value
    fields = set(TrainConfig.__dataclass_fields__)
    config = dict(sections["config"])
    bad = set(config) - fields
    if bad:
        raise XornetError(f"{path}: unknown [config] keys {_listed(bad)}")
    grid: dict[str, list[Any]] = {}
    for axis, options in sections["grid"].items():
        if axis not in SWEEP_AXES:
            raise XornetError(f"{path}: cannot sweep {quoted(axis)}; choose from "
                              f"{', '.join(SWEEP_AXES)}")  # fmt: skip
        if not isinstance(options, list) or not options:
            raise XornetError(f"{path}: [grid] {axis} must be a non-empty list")
        grid[axis] = options
    study = Study(grid=grid, config=config, **head)
    try:
        base = study.base()
    except XornetError as exc:
        raise XornetError(f"{path}: [config] {exc}") from None
    for axis, options in grid.items():
        for value in options:
            try:
                base.replace(**{axis: value})
            except XornetError as exc:
                raise XornetError(f"{path}: [grid] {exc}") from None
    return study
