"""A study cut into tasks: one setting and one block of seeds each (:class:`Task`), the
plan of a study's settings and seeds, and running one task (:func:`run_task`)."""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from xornet._typing import Array
from xornet.config import TrainConfig, check_seed, epochs_of
from xornet.data import check_Xy
from xornet.engines import resolve_engine
from xornet.errors import XornetError
from xornet.study._records import FILE_FORMAT, SWEEP_AXES, Records, outcome_labels

if TYPE_CHECKING:
    pass


#: Work aimed at for one task when the block is not given, in network-sample-steps (about
#: a second or two for small networks on one machine): a killed study loses little, and the
#: scheduler's overhead per task stays small.
TASK_WORK: Final = 500_000_000

#: The fewest seeds a chosen block holds (a few full SIMD blocks).
MIN_BLOCK: Final = 64


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
