"""The numba engine for one network: drives the compiled loop of :mod:`._kernels` in chunks.

Python keeps three jobs between chunks: drawing the shuffling permutations from the same
``rng`` stream, in the same order, as the NumPy loop (so both engines see the same batches),
calling the progress callback, and stopping on request. A chunk is sized to a few
milliseconds of work, so Ctrl-C and progress bars stay responsive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from xornet._typing import Array, IntArray
from xornet.engines import _kernels as kernels
from xornet.errors import TrainingDiverged
from xornet.params import Params

if TYPE_CHECKING:
    from xornet.optim import Optimizer
    from xornet.training import Callback, StopReason, TrainConfig

__all__ = ["advance_full_batch", "load", "pack_settings", "run_loop"]

ACTIVATION_CODES = {"sigmoid": kernels.SIGMOID, "tanh": kernels.TANH, "relu": kernels.RELU}
OPTIMIZER_CODES = {"gd": kernels.GD, "momentum": kernels.MOMENTUM, "adam": kernels.ADAM}
LOSS_CODES = {"bce": kernels.BCE, "sse": kernels.SSE}
STOP_REASONS: dict[int, StopReason] = {
    kernels.TOLERANCE: "tolerance",
    kernels.ALL_CORRECT: "all_correct",
}

# About this many multiply-adds per chunk: a few milliseconds of compiled work.
_CHUNK_WORK = 2**22


def pack_settings(
    config: TrainConfig, n_samples: int, target: float | None = None
) -> tuple[Array, IntArray]:
    """The configuration as the kernel's float and int setting vectors."""
    fs = np.array(
        [
            config.learning_rate,
            config.momentum,
            config.beta1,
            config.beta2,
            config.eps,
            0.0 if config.tol is None else config.tol,
            0.0 if target is None else target,
            config.margin,
        ]
    )
    batch = n_samples if config.batch_size is None else min(config.batch_size, n_samples)
    ints = np.array(
        [
            ACTIVATION_CODES[config.activation],
            OPTIMIZER_CODES[config.optimizer],
            config.nesterov,
            batch,
            config.shuffle,
            config.record_every,
            config.tol is not None,
            config.stop_when_correct,
            target is not None,
            LOSS_CODES[config.loss],
            config.shortcut,
        ],
        dtype=np.int64,
    )
    return fs, ints


def chunk_size(n: int, d: int, h: int) -> int:
    """Steps per compiled chunk: a few milliseconds of work, at least 1,000 steps."""
    return max(1_000, min(1_000_000, _CHUNK_WORK // (n * (d + 2) * h + 1)))


def _scratch(n: int, h: int, k: int, size: int) -> tuple[Array, ...]:
    """The compiled loop's scratch arrays: ``H (n, h)``, ``z2 (n k,)``, ``p (n k,)`` for the
    full data, the same three for a mini-batch, and ``grad (size,)``."""
    return (np.empty((n, h)), np.empty(n * k), np.empty(n * k),
            np.empty((n, h)), np.empty(n * k), np.empty(n * k), np.empty(size))  # fmt: skip


def _copy_back(params: Params, theta: Array) -> None:
    """Write the packed parameters ``theta`` back into ``params``' arrays."""
    for target, source in zip(params, params.unravel(theta), strict=True):
        target[...] = source


def load() -> None:
    """Load the compiled loop now (from numba's disk cache, or by compiling it), so that the
    first real run's timing does not include it. Costs one training step when already loaded."""
    from xornet.training import TrainConfig

    tiny = Params(np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)), np.zeros(1))
    X, y = np.zeros((2, 1)), np.array([0.0, 1.0])
    run_loop(X, y, TrainConfig(hidden=1, steps=1, tol=None), tiny, np.random.default_rng(0), None)


def run_loop(
    X: Array,
    y: Array,
    config: TrainConfig,
    params: Params,
    gen: np.random.Generator,
    callback: Callback | None,
) -> tuple[int, StopReason, Array]:
    """Run the training loop compiled; update ``params`` in place.

    Returns
    -------
    steps : int
        Updates applied.
    stop_reason : str
    history : ndarray of shape (n_records,)
        The recorded losses (the same records as the NumPy loop).
    """
    n, d = X.shape
    h, k = params.n_hidden, params.n_outputs
    theta = params.ravel()
    state = np.zeros((3, theta.size))
    fs, ints = pack_settings(config, n)
    per_epoch = -(-n // int(ints[kernels.BATCH]))
    shuffled = per_epoch > 1 and config.shuffle
    history = np.empty(-(-config.steps // config.record_every))
    counters = np.array([0, 0, kernels.RUNNING, 0, -1, -1], dtype=np.int64)
    identity = np.arange(n, dtype=np.int64)
    order = identity.copy()
    scratch = _scratch(n, h, k, theta.size)
    chunk = chunk_size(n, d + k - 1, h)
    written = _written_out(config, n, d, k, per_epoch)
    stop_reason: StopReason = "max_steps"
    while counters[kernels.STEP] < config.steps and counters[kernels.STOP] == kernels.RUNNING:
        start = int(counters[kernels.STEP])
        stop = min(config.steps, start + chunk)
        first_epoch = -(-start // per_epoch)  # epochs that start inside [start, stop)
        n_epochs = (stop - 1) // per_epoch - first_epoch + 1 if shuffled else 0
        perms = np.empty((max(n_epochs, 0), n), dtype=np.int64)
        for e in range(perms.shape[0]):
            perms[e] = gen.permutation(n)
        records = int(counters[kernels.N_RECORDS])
        if written is not None:
            written(X, y, theta, state, fs, ints, stop, history, counters)
        else:
            kernels.run(X, y, theta, state, fs, ints, stop, order, perms, first_epoch, history,
                        counters, *scratch, identity)  # fmt: skip
        last = int(counters[kernels.N_RECORDS]) - 1
        called = callback is not None and last >= records
        if called and callback(last * config.record_every, float(history[last])):  # type: ignore[misc]
            stop_reason = "interrupted"
            break
    steps = int(counters[kernels.STEP])
    if counters[kernels.STOP] == kernels.DIVERGED:
        raise TrainingDiverged.at(steps, config.learning_rate)
    stop_reason = STOP_REASONS.get(int(counters[kernels.STOP]), stop_reason)
    _copy_back(params, theta)
    return steps, stop_reason, history[: counters[kernels.N_RECORDS]].copy()


#: Runs of at least this many steps, full-batch with one output on a small network, take the
#: loop with the step written out for their shape (:mod:`._unrolled`): three times as fast
#: (164 against 555 ns a step for the post's network, in turns here), for a second or two of
#: compiling the first time a shape runs on a machine; shorter runs share the general loop's
#: one compile.
UNROLL_MIN_STEPS = 100_000


def _written_out(
    config: TrainConfig, n: int, d: int, k: int, per_epoch: int
) -> Callable[..., object] | None:
    """The written-out loop for this run, or None when the general loop runs it."""
    from xornet.engines import _unrolled as unrolled

    small = per_epoch == 1 and k == 1 and unrolled.fits(n, d, config.hidden)
    if not small or config.steps < UNROLL_MIN_STEPS:
        return None
    return unrolled.kernel(n, d, config.hidden, config.activation, config.optimizer,
                           config.loss, config.shortcut, one=True)  # fmt: skip


def advance_full_batch(
    X: Array,
    y: Array,
    config: TrainConfig,
    params: Params,
    optimizer: Optimizer,
    start_step: int,
    steps: int,
    record_every: int,
) -> tuple[int, list[tuple[int, float]], bool]:
    """Take up to ``steps`` full-batch steps compiled, continuing where a caller left off.

    Unlike :func:`run_loop`, which starts a run, this continues one: the parameters are
    updated in place and so is ``optimizer``'s own state (momentum's velocities, Adam's
    moments and step count), so compiled stretches and reference steps can be interleaved
    (the playground takes single steps and explains them with the NumPy code, and plays with
    this). No stop rules apply.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    config : TrainConfig
        Activation, loss and optimizer settings (its steps and stop rules are ignored).
    params : Params
        Updated in place.
    optimizer : Optimizer
        A :class:`~xornet.optim.GD`, :class:`~xornet.optim.Momentum` or
        :class:`~xornet.optim.Adam` of ``config``'s settings; its state is read and updated.
    start_step : int
        Steps taken so far (records fall on multiples of ``record_every``).
    steps : int
        Steps to take.
    record_every : int

    Returns
    -------
    taken : int
        Steps applied (fewer than ``steps`` only on divergence).
    records : list of (step, loss)
        The full-data loss at each multiple of ``record_every`` in ``[start_step,
        start_step + taken)``, before that step's update.
    diverged : bool
    """
    from xornet.optim import Adam, Momentum

    n = X.shape[0]
    h, k = params.n_hidden, params.n_outputs
    theta = params.ravel()
    state = np.zeros((3, theta.size))
    if isinstance(optimizer, Momentum) and optimizer.velocities is not None:
        state[0] = np.concatenate([v.ravel() for v in optimizer.velocities])
    if isinstance(optimizer, Adam) and optimizer.m is not None and optimizer.v is not None:
        state[1] = np.concatenate([m.ravel() for m in optimizer.m])
        state[2] = np.concatenate([v.ravel() for v in optimizer.v])
    fs, ints = pack_settings(config.replace(tol=None, stop_when_correct=False, batch_size=None,
                                            record_every=record_every), n)  # fmt: skip
    t = optimizer.t if isinstance(optimizer, Adam) else 0
    counters = np.array([start_step, 0, kernels.RUNNING, t, -1, -1], dtype=np.int64)
    history = np.empty(steps // record_every + 2)
    identity = np.arange(n, dtype=np.int64)
    no_perms = np.empty((0, n), dtype=np.int64)
    kernels.run(X, y, theta, state, fs, ints, start_step + steps, identity.copy(), no_perms, 0,
                history, counters, *_scratch(n, h, k, theta.size), identity)  # fmt: skip
    _copy_back(params, theta)
    if isinstance(optimizer, Momentum):
        optimizer.velocities = list(params.unravel(state[0]))
    if isinstance(optimizer, Adam):
        optimizer.m, optimizer.v = list(params.unravel(state[1])), list(params.unravel(state[2]))
        optimizer.t = int(counters[kernels.ADAM_T])
    taken = int(counters[kernels.STEP]) - start_step
    first = -(-start_step // record_every) * record_every
    records = [(first + i * record_every, float(history[i]))
               for i in range(int(counters[kernels.N_RECORDS]))]  # fmt: skip
    return taken, records, bool(counters[kernels.STOP] == kernels.DIVERGED)
