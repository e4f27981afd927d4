"""The numba engine of :func:`xornet.train_many`, driven from Python.

Two ways to train many networks compiled, chosen by :mod:`.many`:

* :func:`run_lanes`: networks side by side in SIMD lanes, in blocks spread over threads (the
  kernels release the GIL). Every few thousand steps the running networks are packed again
  into whole blocks (:func:`split`), so that networks which have stopped do not hold a block
  up; each block runs the lane kernel (:func:`._lanes.run_lanes`) or, for a small network and
  a long job, the step written out for its shape (:mod:`._written`).
* :func:`run_each`: every other configuration (mini-batches in a fixed order, softmax
  outputs, shortcut networks not written out), through the one-network loop
  (:func:`._kernels.run_many`), one network per core at a time.

Both train to the 90% point of the run, measure the loss there (:mod:`._stacked`), and go on
to the end.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from xornet._typing import Array, IntArray
from xornet.config import STOP_CODES, TrainConfig, stop_reason_of
from xornet.engines import _stacked

__all__ = ["LANE_CHUNK", "run_each", "run_lanes", "split"]

#: Steps between repackings of the lanes' blocks: networks that have stopped are dropped, so a
#: block is not held up by one slow network while the rest sit idle.
LANE_CHUNK = 5_000


def split(n_networks: int, threads: int) -> tuple[int, int]:
    """How to lay ``n_networks`` out over ``threads`` for the lane kernel:
    ``(block, blocks_per_thread)``.

    Every thread gets the same number of equal blocks, each up to ``_lanes.LANES`` networks
    and a multiple of 8, with as little padding as that allows: the threads finish together,
    and the padded lanes (trained for nothing) are fewer than 8 a block. For example 609
    networks on 2 threads are 2 x 2 blocks of 160 (640 lanes), not 3 blocks of 256 with one
    thread doing two of them.
    """
    from xornet.engines._lanes import LANES

    threads = max(1, min(threads, -(-n_networks // 8)))  # no thread without 8 networks
    per_thread = -(-n_networks // (threads * LANES))
    blocks = threads * per_thread
    return 8 * -(-n_networks // (8 * blocks)), per_thread


def _loss_at(thetas: Array, X: Array, y: Array, config: TrainConfig, k: int) -> Array:
    """Each network's loss now (the reference's, from :mod:`._stacked`)."""
    with np.errstate(over="ignore", invalid="ignore"):  # diverged networks give inf or nan
        cache = _stacked.forward(thetas, X, X.shape[1], config.hidden, k, config.activation)
        return _stacked.losses(cache.Z2, y, config.loss)


def _reasons(codes: IntArray) -> np.ndarray:
    """The compiled engines' stop codes as reasons (:func:`xornet.config.stop_reason_of`)."""
    return np.array([stop_reason_of(int(c)) for c in codes], dtype="<U11")


def run_each(
    X: Array,
    y: Array,
    config: TrainConfig,
    thetas: Array,
    lrs: Array,
    fs: Array,
    ints: IntArray,
    earlier_step: int,
    k: int,
    progress: Callable[[int, int], object],
) -> _stacked.Run:
    """Every network through the compiled one-network loop, spread over the cores, in two
    legs: to the 90% point, then to the end. ``fs`` and ``ints``: the settings of
    :func:`.fused.pack_settings`."""
    from xornet.engines import _kernels as kernels

    n = X.shape[0]
    N, P = thetas.shape
    fs_all = np.repeat(fs[None, :], N, axis=0)
    fs_all[:, kernels.LR] = lrs
    # Optimizer state (velocity | Adam m | Adam v); plain gradient descent has none.
    states = np.zeros((N, 3, 0 if config.optimizer == "gd" else P))
    counters = np.zeros((N, 6), dtype=np.int64)
    counters[:, kernels.STOP] = STOP_CODES["running"]
    counters[:, kernels.FIRST_CORRECT] = -1
    counters[:, kernels.FIRST_TARGET] = -1
    no_history = np.empty((N, 0))
    identity = np.arange(n, dtype=np.int64)
    kernels.run_many(X, y, thetas, states, fs_all, ints, earlier_step, identity, no_history,
                     counters, identity, k)  # fmt: skip
    progress(earlier_step, config.steps)
    earlier = _loss_at(thetas, X, y, config, k)
    kernels.run_many(X, y, thetas, states, fs_all, ints, config.steps, identity, no_history,
                     counters, identity, k)  # fmt: skip
    return _stacked.Run(
        counters[:, kernels.STEP].copy(),
        _reasons(counters[:, kernels.STOP]),
        counters[:, kernels.FIRST_CORRECT].copy(),
        counters[:, kernels.FIRST_TARGET].copy(),
        earlier,
    )


def run_lanes(
    X: Array,
    y: Array,
    config: TrainConfig,
    thetas: Array,
    lrs: Array,
    fs: Array,
    ints: IntArray,
    earlier_step: int,
    progress: Callable[[int, int], object],
    *,
    written: bool = False,
) -> _stacked.Run:
    """All networks (one output, full batch) in SIMD lanes, in blocks over the threads:
    through the lane kernel, or with ``written`` through the step written out for their shape
    (:func:`._written.kernel`)."""
    from xornet.engines import _written

    N, P = thetas.shape
    (n, d), h = X.shape, config.hidden
    kernel = None
    if written:
        kernel = _written.kernel(n, d, h, config.activation, config.optimizer, config.loss,
                                 config.shortcut)  # fmt: skip
    T = np.ascontiguousarray(thetas.T)  # (P, N): each parameter's values for every network
    slots = {"gd": 0, "momentum": 1, "adam": 2}[config.optimizer]
    V = np.zeros((slots, P, N))  # the optimizer's state: momentum's velocities, Adam's m and v
    step = np.zeros(N, dtype=np.int64)
    stop = np.full(N, STOP_CODES["running"], dtype=np.int64)
    first_correct = np.full(N, -1, dtype=np.int64)
    first_target = np.full(N, -1, dtype=np.int64)
    state = (T, V, lrs, step, stop, first_correct, first_target)

    def leg(start: int, end: int) -> None:
        for chunk in range(start, end, LANE_CHUNK):
            running = np.flatnonzero(stop == STOP_CODES["running"])
            if running.size == 0:
                break
            stop_step = min(end, chunk + LANE_CHUNK)
            _chunk(X, y, fs, ints, h, state, running, chunk, stop_step, kernel)
            progress(stop_step, config.steps)

    leg(0, earlier_step)
    thetas[...] = T.T
    earlier = _loss_at(thetas, X, y, config, 1)
    leg(earlier_step, config.steps)
    thetas[...] = T.T
    return _stacked.Run(step, _reasons(stop), first_correct, first_target, earlier)


def _chunk(
    X: Array,
    y: Array,
    fs: Array,
    ints: IntArray,
    h: int,
    state: tuple[np.ndarray, ...],
    running: IntArray,
    start: int,
    end: int,
    written: Callable[..., object] | None,
) -> None:
    """Advance the ``running`` networks from ``start`` to ``end`` in the lane kernel, or in
    the ``written`` out one: packed into whole blocks, split over the cores, each thread on
    its own contiguous copy; the results are scattered back into ``state``."""
    from xornet.engines import _lanes, _written

    cores = os.cpu_count() or 1
    if written is None:
        block, blocks_per_thread = split(running.size, cores)
        per_thread = blocks_per_thread * block
    else:  # blocks of a fixed size, as many a thread
        block = _written.LANES
        threads = max(1, min(cores, -(-running.size // block)))
        per_thread = block * -(-running.size // (threads * block))
    parts = [running[a : a + per_thread] for a in range(0, running.size, per_thread)]

    def work(nets: IntArray) -> None:
        width = -(-nets.size // block) * block
        own = []
        for a in state:
            packed = np.zeros((*a.shape[:-1], width), dtype=a.dtype)
            packed[..., : nets.size] = a[..., nets]
            own.append(packed)
        own[4][nets.size :] = STOP_CODES["diverged"]  # padding: never trained
        if written is None:
            _lanes.run_lanes(X, y, *own[:3], fs, ints, h, block, start, end, *own[3:])
        else:
            written(X, y, *own[:3], fs, ints, start, end, *own[3:])
        for a, packed in zip(state, own, strict=True):
            a[..., nets] = packed[..., : nets.size]

    with ThreadPoolExecutor(len(parts)) as pool:
        for done in [pool.submit(work, nets) for nets in parts]:
            done.result()
