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

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xornet._typing import Array
from xornet.config import TrainConfig
from xornet.errors import WARNING_LINE, XornetError
from xornet.study._dask import CONNECT_TIMEOUT as CONNECT_TIMEOUT
from xornet.study._dask import _line, check_versions, check_workers, connect, local_cluster
from xornet.study._file import ROW_BYTES as ROW_BYTES
from xornet.study._file import _open, _Writer, read_records
from xornet.study._records import FILE_FORMAT as FILE_FORMAT
from xornet.study._records import (
    OUTCOME_COLUMNS,
    SWEEP_AXES,
    Records,
    _empty_records,
    outcome_labels,
)
from xornet.study._records import STOP_REASONS as STOP_REASONS
from xornet.study._tasks import MIN_BLOCK as MIN_BLOCK
from xornet.study._tasks import TASK_WORK as TASK_WORK
from xornet.study._tasks import Task, _blocks, _Plan, _plan, run_task

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "OUTCOME_COLUMNS",
    "SWEEP_AXES",
    "Records",
    "Task",
    "check_versions",
    "check_workers",
    "connect",
    "local_cluster",
    "outcome_labels",
    "read_records",
    "run_study",
    "run_task",
]


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
    """:func:`run_task` on the data of :func:`_data`, in a worker: what the engines warn of
    there (a ``cc`` that fails) goes to the worker's stderr in the command line's one line,
    unless the worker's ``xornet`` logger has a handler of its own."""
    logger = logging.getLogger("xornet")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter(WARNING_LINE))
        logger.addHandler(handler)
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
