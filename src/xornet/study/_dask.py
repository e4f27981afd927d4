"""Dask for studies: connecting to a scheduler, a local cluster, and the check that the
workers run the same software as this process."""

from __future__ import annotations

import gc
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from xornet.errors import XornetError
from xornet.study._tasks import _version_differences, _versions

if TYPE_CHECKING:
    from distributed import Client


#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT: Final = 10.0


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
    check_workers(workers)
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


def check_workers(workers: int, name: str = "a local cluster") -> None:
    """Refuse a local cluster of no worker, or of more workers than this machine has cores.

    Each worker runs one task at a time, and a task already spreads its networks over every
    core: more workers only compete for the cores, while each takes a Python process's memory
    (a hundred megabytes; a hundred thousand of them would bring any machine down). Two are
    allowed on any machine, so that a cluster's behaviour can be tried on one core.

    Raises
    ------
    XornetError
        Naming ``name`` (the command line: its flag).
    """
    usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    cores = max(2, len(usable) if usable else os.cpu_count() or 1)  # the cores this process has
    if isinstance(workers, bool) or workers < 1:
        raise XornetError(f"{name} needs at least one worker, got {workers}")
    if workers > cores:
        raise XornetError(
            f"{name} takes at most {cores} workers on this machine, one per core "
            f"(each task spreads its networks over every core), got {workers:,}"
        )


def _line(exc: BaseException) -> str:
    """An exception's message on one line."""
    return " ".join(str(exc).split()) or type(exc).__name__
