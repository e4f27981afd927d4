"""The numba engine for one network: drives the compiled loop of :mod:`._kernels` in chunks.

A long full-batch run of a small network takes instead the loop written out for its shape
(:func:`_written_out`): compiled in C by ``cc`` (:mod:`._native`, with no numba imported at
all) when a C compiler is there and ``XORNET_NATIVE`` is not ``0``, else by numba
(:mod:`._written`). Both give the same numbers (bit for bit where they were written; tested to
1e-12, as the compilers may fuse different multiply-adds: tests/test_native.py); the engine is
called ``numba`` to users either way.

Python keeps three jobs between chunks: drawing the shuffling permutations from the same
``rng`` stream, in the same order, as the NumPy loop (so both engines see the same batches),
calling the progress callback, and stopping on request. A chunk is sized to a few
milliseconds of work, so Ctrl-C and progress bars stay responsive.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from xornet._typing import Array, IntArray
from xornet.config import STOP_CODES, batch_schedule, stop_reason_of
from xornet.engines import _layout as layout
from xornet.engines._written_step import Shape
from xornet.optim import Adam, Momentum, Optimizer
from xornet.params import Params

if TYPE_CHECKING:
    from xornet.config import TrainConfig

Callback = Callable[[int, float], bool | None]

__all__ = ["Stretch", "advance", "compiled", "load", "pack_settings"]

ACTIVATION_CODES = {"sigmoid": layout.SIGMOID, "tanh": layout.TANH, "relu": layout.RELU}
OPTIMIZER_CODES = {"gd": layout.GD, "momentum": layout.MOMENTUM, "adam": layout.ADAM}
LOSS_CODES = {"bce": layout.BCE, "sse": layout.SSE}

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
    batch, _ = batch_schedule(n_samples, config.batch_size)
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


def load(
    X: Array | None = None,
    y: Array | None = None,
    config: TrainConfig | None = None,
    params: Params | None = None,
    steps: int = 0,
) -> None:
    """Load the compiled loop that a stretch of ``steps`` steps of this run takes (from numba's
    disk cache, or by compiling it), so that the run's timing does not include it; without a
    run, the general loop (short runs', the playground's).

    Only that loop: a long run of a small network takes the loop written out for its shape,
    and compiling the general loop beside it cost a new user's first run seconds for a loop
    it never ran. Costs one training step, or none, when the loop is loaded already.
    """
    from xornet.config import TrainConfig
    from xornet.optim import GD

    if X is not None and y is not None and config is not None and params is not None:
        written = _written_for(X, config, params.n_outputs, steps)
        if written is not None:  # a call that takes no step
            theta = params.ravel()
            fs, ints = pack_settings(config, X.shape[0])
            counters = np.array([0, 0, STOP_CODES["running"], 0, -1, -1], dtype=np.int64)
            written(np.ascontiguousarray(X), np.ascontiguousarray(y), theta,
                    np.zeros((3, theta.size)), fs, ints, 0, np.empty(1), counters)  # fmt: skip
            return
    tiny = Params(np.zeros((1, 1)), np.zeros(1), np.zeros((1, 1)), np.zeros(1))
    X1, y1 = np.zeros((2, 1)), np.array([0.0, 1.0])
    advance(X1, y1, TrainConfig(hidden=1, steps=1, tol=None), tiny, GD(1.0), 0, 1, 0,
            np.arange(2), -1, np.random.default_rng(0), None)  # fmt: skip


def compiled(X: Array, config: TrainConfig, n_outputs: int, steps: int) -> bool | None:
    """Whether the loops a stretch of ``steps`` steps of this run takes are compiled for this
    machine already (in this process, or in numba's disk cache), so that loading them
    (:func:`load`, and :func:`advance` before its first step) takes a moment rather than
    seconds of compiling.

    Returns
    -------
    bool or None
        None when numba's cache cannot be read (its index is numba's own, private format).
    """
    from xornet.engines import _native  # no numba

    shape = _native_shape(X, config, n_outputs, steps)
    if shape is not None:
        return _native.compiled(shape)  # or, if cc fails there, numba compiles: seconds
    loop = _loop_for(X, config, n_outputs, steps)
    try:
        return _in_cache(loop)
    except Exception:  # numba's private cache layout changed: cannot tell
        return None


def compiler(X: Array, config: TrainConfig, n_outputs: int, steps: int) -> str:
    """What compiles the loop a stretch of ``steps`` steps of this run takes: ``"cc"`` (the
    written-out loop in C, :mod:`._native`: under a second) or ``"numba"`` (seconds)."""
    return "numba" if _native_shape(X, config, n_outputs, steps) is None else "cc"


def _native_shape(X: Array, config: TrainConfig, n_outputs: int, steps: int) -> Shape | None:
    """The shape of the written-out loop ``cc`` compiles for this stretch, or None (numba's)."""
    from xornet.engines import _native  # no numba

    shape = _written_shape(X, config, n_outputs, steps)
    if shape is None or not _native.available() or _native.gave_up(shape):
        return None
    return shape


def _loop_for(X: Array, config: TrainConfig, n_outputs: int, steps: int) -> Callable[..., object]:
    """The compiled loop that :func:`advance` runs a stretch of ``steps`` steps of this run
    with: the written-out one for the run's shape, or the general :func:`._kernels.run`."""
    written = _written_for(X, config, n_outputs, steps)
    if written is not None:
        return written
    from xornet.engines import _kernels  # numba: imported only when its loop runs

    general: Callable[..., object] = _kernels.run
    return general


def _written_for(
    X: Array, config: TrainConfig, n_outputs: int, steps: int
) -> Callable[..., object] | None:
    """The written-out loop for a stretch of ``steps`` steps of this run, or None."""
    n, d = X.shape
    return _written_out(config, n, d, n_outputs, batch_schedule(n, config.batch_size)[1], steps)


def _written_shape(X: Array, config: TrainConfig, n_outputs: int, steps: int) -> Shape | None:
    """The shape of :func:`_written_for`'s loop, or None."""
    n, d = X.shape
    return _shape_of(config, n, d, n_outputs, batch_schedule(n, config.batch_size)[1], steps)


def _in_cache(loop: object) -> bool:
    """Whether a numba loop has code for this machine, compiled or on disk (any argument
    types): numba's index keys are (signature, machine, hashes of the code). A C loop never
    comes here: :func:`compiled` asks :func:`._native.compiled` for it."""
    if getattr(loop, "signatures", None):
        return True
    cache = loop._cache  # type: ignore[attr-defined]
    codegen = loop.targetctx.codegen()  # type: ignore[attr-defined]
    _, machine, code = cache._index_key((), codegen)
    index = cache._cache_file._load_index()
    return any(key[1] == machine and key[2] == code for key in index)


class Stretch(NamedTuple):
    """What :func:`advance` did: the step reached, why it stopped there (None: it reached
    ``until``), the new loss records, the epoch whose order ``order`` now holds, the seconds it
    spent loading (the first time on a machine, compiling) the loop written out for the run's
    shape before its first step, and which loop ran (:data:`LOOPS`)."""

    steps: int
    stop: str | None
    records: list[float]
    order_epoch: int
    compile_seconds: float = 0.0
    loop: str = "general"


#: The compiled loops of one network, as :attr:`xornet.TrainResult.loops` names them (empty
#: with the NumPy engine): numba's general loop (:func:`._kernels.run`), the loop written out
#: for the run's shape, compiled by numba (:mod:`._written`) or by cc (:mod:`._native`). A
#: long full-batch run of a small network takes a written one, a short stretch the general.
LOOPS = ("general", "written", "written-c")


def _optimizer_rows(optimizer: Optimizer, params: Params) -> tuple[Array, int]:
    """The optimizer's state as the kernel's ``state (3, P)`` rows and Adam's ``t``."""
    state = np.zeros((3, params.size))
    saved = optimizer.get_state()
    for row, key in ((0, "velocities"), (1, "m"), (2, "v")):
        if saved.get(key) is not None:
            state[row] = np.concatenate([a.ravel() for a in saved[key]])
    return state, int(saved.get("t", 0))


def _set_optimizer(optimizer: Optimizer, params: Params, state: Array, t: int) -> None:
    """Write the kernel's state rows back into the optimizer, as they are: the kernel's own
    state needs none of ``set_state``'s checks, which are for a state from outside (a file),
    and may hold what only a run reaches (Adam's ``v`` past the float range, which leaves the
    weights where they are)."""
    if isinstance(optimizer, Momentum):
        optimizer.velocities = list(params.unravel(state[0]))
    elif isinstance(optimizer, Adam):
        optimizer.t = t
        moments = (list(params.unravel(state[1])), list(params.unravel(state[2])))
        optimizer.m, optimizer.v = moments if t > 0 else (None, None)


def advance(
    X: Array,
    y: Array,
    config: TrainConfig,
    params: Params,
    optimizer: Optimizer,
    start_step: int,
    until: int,
    n_recorded: int,
    order: IntArray,
    order_epoch: int,
    gen: np.random.Generator,
    callback: Callback | None,
) -> Stretch:
    """Continue a run compiled from ``start_step`` to ``until`` (or a stop rule).

    The caller (:class:`xornet.Trainer`) keeps the run; this updates ``params``, the
    ``optimizer``'s state and ``order`` (the current epoch's batch order) in place. Epoch
    orders are drawn from ``gen`` in the same stream order as the reference loop draws them,
    so both engines see the same batches.

    Parameters
    ----------
    n_recorded : int
        Loss records the run already has: a record at ``start_step`` that exists is not
        taken twice.
    order_epoch : int
        The epoch ``order`` was drawn for; an epoch starting at ``start_step`` with its order
        already drawn keeps it.
    callback : callable, optional
        Called with the latest record after each chunk of a few milliseconds.

    Returns
    -------
    Stretch
    """
    # numba compiles a kernel once per layout of its arguments: a transposed X (the
    # tutorial's) or a strided y would compile it a second time, for seconds.
    X, y = np.ascontiguousarray(X), np.ascontiguousarray(y)
    n, d = X.shape
    h, k = params.n_hidden, params.n_outputs
    theta = params.ravel()
    state, t = _optimizer_rows(optimizer, params)
    fs, ints = pack_settings(config, n)
    per_epoch = -(-n // int(ints[layout.BATCH]))
    shuffled = per_epoch > 1 and config.shuffle
    every = config.record_every
    counters = np.array([start_step, 0, STOP_CODES["running"], t, -1, -1], dtype=np.int64)
    identity = np.arange(n, dtype=np.int64)
    scratch = _scratch(n, h, k, theta.size)
    chunk = chunk_size(n, d + k - 1, h)
    written = _written_out(config, n, d, k, per_epoch, until - start_step)
    compiling = 0.0
    if written is not None:  # a call that takes no step compiles it now, timed apart
        begin = time.perf_counter()
        written(X, y, theta.copy(), state.copy(), fs, ints, start_step, np.empty(1),
                counters.copy())  # fmt: skip
        compiling = time.perf_counter() - begin
    records: list[float] = []
    stop: str | None = None
    while counters[layout.STEP] < until and counters[layout.STOP] == STOP_CODES["running"]:
        start = int(counters[layout.STEP])
        end = min(until, start + chunk)
        first_epoch = -(-start // per_epoch)  # epochs that start inside [start, end)
        n_epochs = (end - 1) // per_epoch - first_epoch + 1 if shuffled else 0
        perms = np.empty((max(n_epochs, 0), n), dtype=np.int64)
        for e in range(perms.shape[0]):
            drawn = first_epoch + e == order_epoch
            perms[e] = order if drawn else gen.permutation(n)
        order_epoch = max(order_epoch, first_epoch + perms.shape[0] - 1)
        history = np.empty(-(-(end - start) // every) + 1)
        counters[layout.N_RECORDS] = 0
        if written is not None:
            written(X, y, theta, state, fs, ints, end, history, counters)
        else:
            from xornet.engines import _kernels as kernels  # numba

            kernels.run(X, y, theta, state, fs, ints, end, order, perms, first_epoch, history,
                        counters, *scratch, identity)  # fmt: skip
        taken = int(counters[layout.N_RECORDS])
        first = -(-start // every)  # the index of the chunk's first record
        new = [float(v) for i, v in enumerate(history[:taken]) if first + i >= n_recorded]
        records += new
        n_recorded += len(new)
        if new and callback is not None and callback((n_recorded - 1) * every, new[-1]):
            stop = "interrupted"
            break
    code = int(counters[layout.STOP])
    if code != STOP_CODES["running"]:
        stop = stop_reason_of(code)
    _copy_back(params, theta)
    _set_optimizer(optimizer, params, state, int(counters[layout.ADAM_T]))
    loop = "general" if written is None else getattr(written, "loop", "written")
    return Stretch(int(counters[layout.STEP]), stop, records, order_epoch, compiling, loop)


#: Runs of at least this many steps, full-batch with one output on a small network, take the
#: loop with the step written out for their shape (:mod:`._written`), much faster than the
#: general loop, for a second or two of compiling the first time a shape runs on a machine;
#: shorter runs share the general loop's one compile.
WRITTEN_OUT_MIN_STEPS = 100_000


def _written_out(
    config: TrainConfig, n: int, d: int, k: int, per_epoch: int, steps: int | None = None
) -> Callable[..., object] | None:
    """The written-out loop for a stretch of ``steps`` steps (default ``config.steps``), or
    None when the general loop runs it: a short stretch, such as a playground frame's, does
    not pay for compiling a loop for its shape."""
    from xornet.engines import _native, _written

    shape = _shape_of(config, n, d, k, per_epoch, steps)
    if shape is None:
        return None
    native = _native.attempt(_native.kernel, shape) if _native.available() else None
    return native if native is not None else _written.kernel(shape, one=True)


def _shape_of(
    config: TrainConfig, n: int, d: int, k: int, per_epoch: int, steps: int | None = None
) -> Shape | None:
    """The shape of :func:`_written_out`'s loop, or None."""
    from xornet.engines import _written

    small = per_epoch == 1 and k == 1 and _written.fits(n, d, config.hidden)
    if not small or (config.steps if steps is None else steps) < WRITTEN_OUT_MIN_STEPS:
        return None
    return Shape.of(n, d, config)
