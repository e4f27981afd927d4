"""The numba engine of :func:`xornet.train_many`, driven from Python.

Two ways to train many networks compiled, chosen by :mod:`.many`:

* :func:`run_lanes`: networks side by side in SIMD lanes, in blocks spread over threads (the
  kernels release the GIL). Every few thousand steps the running networks are packed again
  into whole blocks (:func:`split`), so that networks which have stopped do not hold a block
  up; each block runs the lane kernel (:func:`._lanes.run_lanes`: full batch, one output), for
  a small network the step written out for its shape (:func:`written_kernel`: compiled by
  ``cc`` or numba; :func:`.many.choose_kernel` says when), or
  for mini-batches, softmax outputs and shortcut networks the general lane kernel
  (:func:`._lanes_general.run_lanes_general`).
* :func:`run_each`: fewer networks than fill a few lanes, through the one-network loop
  (:func:`._kernels.run`), one network a thread, a thread a core.

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


def split(n_networks: int, threads: int, lanes: int = 0) -> tuple[int, int]:
    """How to lay ``n_networks`` out over ``threads`` for the lane kernel:
    ``(block, blocks_per_thread)``.

    Every thread gets the same number of equal blocks, each up to ``lanes`` networks (by
    default ``_lanes.LANES``) and a multiple of 8, with as little padding as that allows: the
    threads finish together, and the padded lanes (trained for nothing) are fewer than 8 a
    block. For example 609
    networks on 2 threads are 2 x 2 blocks of 160 (640 lanes), not 3 blocks of 256 with one
    thread doing two of them.
    """
    from xornet.engines._lanes import LANES

    lanes = lanes or LANES
    threads = max(1, min(threads, -(-n_networks // 8)))  # no thread without 8 networks
    per_thread = -(-n_networks // (threads * lanes))
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
    identity = np.arange(n, dtype=np.int64)
    no_perms, no_history = np.empty((0, n), dtype=np.int64), np.empty(0)

    def one(i: int, stop_step: int) -> None:
        """Network ``i`` to ``stop_step`` (or its stop) in the one-network loop, with buffers
        of its own: the loop releases the GIL, so the threads train side by side."""
        H, Hb = np.empty((n, config.hidden)), np.empty((n, config.hidden))
        z2, p, z2b, pb = (np.empty(n * k) for _ in range(4))
        kernels.run(X, y, thetas[i], states[i], fs_all[i], ints, stop_step, identity.copy(),
                    no_perms, 0, no_history, counters[i], H, z2, p, Hb, z2b, pb,
                    np.empty(P), identity)  # fmt: skip

    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(one, range(N), [earlier_step] * N))
        progress(earlier_step, config.steps)
        earlier = _loss_at(thetas, X, y, config, k)
        list(pool.map(one, range(N), [config.steps] * N))
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
    written: Kernel | None = None,
    general: bool = False,
    k: int = 1,
) -> _stacked.Run:
    """All networks in SIMD lanes, in blocks over the threads: one output and full batch
    through the lane kernel (:func:`._lanes.run_lanes`), or through ``written``, the step
    written out for their shape (:func:`written_kernel`); with ``general`` (mini-batches,
    ``k`` softmax outputs, shortcut weights) through :func:`._lanes_general.run_lanes_general`."""
    from xornet.engines import _lanes, _lanes_general, _written

    N, P = thetas.shape
    n, h = X.shape[0], config.hidden

    def kernel(X: Array, y: Array, T: Array, V: Array, lr: Array, fs: Array, ints: IntArray,
               block: int, start: int, end: int, *counters: IntArray) -> None:  # fmt: skip
        """The chosen kernel on one thread's blocks (the written-out one has fixed blocks)."""
        if written is not None:
            written(X, y, T, V, lr, fs, ints, start, end, *counters)
        elif general:
            _lanes_general.run_lanes_general(X, y, T, V, lr, fs, ints, h, k, block, start,
                                             end, *counters)  # fmt: skip
        else:
            _lanes.run_lanes(X, y, T, V, lr, fs, ints, h, block, start, end, *counters)

    # Networks a block: 0 for the written-out kernel's own fixed blocks.
    lanes = 0 if written is not None else general_lanes(n, k) if general else _lanes.LANES
    T = np.ascontiguousarray(thetas.T)  # (P, N): each parameter's values for every network
    V = np.zeros((_written.SLOTS[config.optimizer], P, N))  # momentum's velocities, Adam's m, v
    step = np.zeros(N, dtype=np.int64)
    stop = np.full(N, STOP_CODES["running"], dtype=np.int64)
    first_correct = np.full(N, -1, dtype=np.int64)
    first_target = np.full(N, -1, dtype=np.int64)
    state = (T, V, lrs, step, stop, first_correct, first_target)

    cores = os.cpu_count() or 1

    def leg(start: int, end: int, pool: ThreadPoolExecutor) -> None:
        for chunk in range(start, end, LANE_CHUNK):
            running = np.flatnonzero(stop == STOP_CODES["running"])
            if running.size == 0:
                break
            stop_step = min(end, chunk + LANE_CHUNK)
            _chunk(X, y, fs, ints, state, running, chunk, stop_step, kernel, lanes, pool, cores)
            progress(stop_step, config.steps)

    with ThreadPoolExecutor(cores) as pool:  # one thread a core, for the whole run
        leg(0, earlier_step, pool)
        thetas[...] = T.T
        earlier = _loss_at(thetas, X, y, config, k)
        leg(earlier_step, config.steps, pool)
    thetas[...] = T.T
    return _stacked.Run(step, _reasons(stop), first_correct, first_target, earlier)


def written_kernel(n: int, d: int, config: TrainConfig, cc: bool) -> Kernel | None:
    """The lane kernel with the step written out for this shape and choice: with ``cc``,
    compiled by it (:mod:`._native_lanes`; None when it could not: see :func:`._native.attempt`),
    else by numba (:mod:`._written`). The same numbers either way (to 1e-12, tested)."""
    from xornet.engines import _native, _native_lanes, _written
    from xornet.engines._lanes import vector_bits
    from xornet.engines._written_step import Shape

    shape = Shape.of(n, d, config)
    if cc:
        return _native.attempt(_native_lanes.kernel, shape, bits=vector_bits())
    return _written.kernel(shape)


#: A lane kernel as :func:`_chunk` calls it: ``kernel(X, y, T, V, lr, fs, ints, block,
#: start_step, stop_step, step, stop, first_correct, first_target)``.
Kernel = Callable[..., None]

#: The most logits a block of :func:`._lanes_general.run_lanes_general` keeps (``n K L`` doubles,
#: 2 MB): a block of many samples gets fewer lanes, so that they stay in the core's cache.
GENERAL_MAX_LOGITS = 2**18


def general_lanes(n: int, k: int) -> int:
    """The most networks a block of :func:`._lanes_general.run_lanes_general` holds for ``n``
    samples and ``k`` outputs: :data:`._lanes.LANES`, fewer (a multiple of 8, at least 8) when their
    logits would not fit :data:`GENERAL_MAX_LOGITS`."""
    from xornet.engines._lanes import LANES

    return max(8, min(LANES, GENERAL_MAX_LOGITS // (n * k) // 8 * 8))


#: Tasks a core for the written-out kernel, whose blocks are small (``_written.LANES``): a task
#: takes several of them, so that Python's work of a call (packing, calling, scattering back) is
#: spread over many networks, and enough tasks remain that a thread the machine holds up does
#: not hold the others up.
WRITTEN_TASKS_PER_CORE = 8


def _chunk(
    X: Array,
    y: Array,
    fs: Array,
    ints: IntArray,
    state: tuple[np.ndarray, ...],
    running: IntArray,
    start: int,
    end: int,
    kernel: Kernel,
    lanes: int,
    pool: ThreadPoolExecutor,
    cores: int,
) -> None:
    """Advance the ``running`` networks from ``start`` to ``end`` in ``kernel``: packed into
    whole blocks of up to ``lanes`` networks (:func:`split`: as many for each of the ``cores``;
    0: the written-out kernel's fixed blocks), each block on its own contiguous copy, taken by
    the ``pool``'s threads as they come free (so a thread that the machine holds up does not
    hold the others up; the written-out kernel's tasks hold several of its blocks, see
    :data:`WRITTEN_TASKS_PER_CORE`); the results are scattered back into ``state``."""
    from xornet.engines import _written

    if lanes:
        block = part = split(running.size, cores, lanes)[0]
    else:  # several of the written-out kernel's own blocks a task: fewer calls from Python
        block = _written.LANES
        part = block * max(1, running.size // (cores * WRITTEN_TASKS_PER_CORE * block))
    parts = [running[a : a + part] for a in range(0, running.size, part)]

    def work(nets: IntArray) -> None:
        width = -(-nets.size // block) * block
        own = []
        for a in state:
            packed = np.zeros((*a.shape[:-1], width), dtype=a.dtype)
            packed[..., : nets.size] = a[..., nets]
            own.append(packed)
        own[4][nets.size :] = STOP_CODES["diverged"]  # padding: never trained
        kernel(X, y, *own[:3], fs, ints, block, start, end, *own[3:])
        for a, packed in zip(state, own, strict=True):
            a[..., nets] = packed[..., : nets.size]

    for done in [pool.submit(work, nets) for nets in parts]:
        done.result()
