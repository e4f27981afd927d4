"""Many independent networks trained at once, for studying seeds and settings.

Network ``i`` is exactly what ``xornet.train(X, y, config, rng=seeds[i])`` trains (same initial
weights, same updates, same stop rules), with an optional learning rate of its own. Two engines:

* ``numpy``: the networks stacked along a leading axis, ``W1 (N, d, h)``, one vectorised step
  for all of them; networks that stop early or diverge are frozen by a mask.
* ``numba``: full-batch networks with one output (any activation), trained by gradient descent,
  momentum or Adam (the post's setup and the 1986 ones), run side by side in SIMD lanes
  (:mod:`._lanes`), a block of networks per thread on every core; for a long job on a small
  network, through the step written out for its shape (:mod:`._unrolled`, shortcut networks
  too). Every other configuration runs the compiled single-network loop per network, spread
  over the cores.

Memory grows linearly in N: per network the parameters, the optimizer state and a few numbers.
No loss history is kept; the outcome is diagnosed from the initial loss, the loss at 90% of the
run and the final loss (:func:`xornet.diagnosis.classify`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from xornet._typing import Array, IntArray
from xornet.config import TrainConfig
from xornet.data import check_Xy, infer_n_classes
from xornet.diagnosis import classify, correct_by_margin, earlier_index, predicted_class
from xornet.engines import resolve_engine
from xornet.errors import XornetError
from xornet.functional import ACTIVATIONS, log_softmax, sigmoid, softmax
from xornet.network import one_hot
from xornet.params import Params, init_params, n_outputs_for

__all__ = ["ManyResult", "train_many"]


@dataclass(frozen=True, eq=False)
class ManyResult:
    """What :func:`train_many` produced, one entry per network.

    Attributes
    ----------
    thetas : ndarray of shape (n_networks, n_params)
        Final parameters, each packed as ``Params.ravel()``; see :meth:`params`.
    n_inputs, n_hidden : int
    n_classes : int
        2 (one sigmoid output) or ``K >= 3`` (softmax outputs).
    seeds : ndarray of shape (n_networks,)
    learning_rates : ndarray of shape (n_networks,)
    steps : ndarray of shape (n_networks,)
        Updates applied.
    stop_reason : ndarray of shape (n_networks,), str
        ``max_steps``, ``tolerance``, ``all_correct`` or ``diverged``.
    initial_loss, final_loss : ndarray of shape (n_networks,)
    probabilities : ndarray of shape (n_networks, n_samples) or (n_networks, n_samples, K)
        The probability of class 1 (two classes) or of each class.
    accuracy : ndarray of shape (n_networks,)
    solve_step : ndarray of shape (n_networks,)
        First step at which every sample was on the right side of 0.5 (checked where the
        stop rules are: every step in full batch, each epoch start otherwise); -1 if never.
    target_step : ndarray of shape (n_networks,)
        First step at which the loss was at most ``target``; -1 if never or no target.
    outcome : ndarray of shape (n_networks,), str
        ``solved``, ``plateau``, ``improving`` or ``diverged``, as :func:`xornet.diagnose`.
    train_seconds : float
    engine : {"numpy", "numba"}
    """

    thetas: Array
    n_inputs: int
    n_hidden: int
    n_classes: int
    seeds: IntArray
    learning_rates: Array
    steps: IntArray
    stop_reason: np.ndarray
    initial_loss: Array
    final_loss: Array
    probabilities: Array
    accuracy: Array
    solve_step: IntArray
    target_step: IntArray
    outcome: np.ndarray
    train_seconds: float
    engine: str

    def __len__(self) -> int:
        return int(self.thetas.shape[0])

    def __repr__(self) -> str:
        solved = float(np.mean(self.outcome == "solved"))
        return f"ManyResult(n_networks={len(self)}, solved={solved:.3f}, engine={self.engine!r})"

    def params(self, i: int) -> Params:
        """The final parameters of network ``i``."""
        d, h, k = self.n_inputs, self.n_hidden, n_outputs_for(self.n_classes)
        W1, b1, W2, b2, W3 = _unpack(self.thetas[i : i + 1], d, h, k)
        return Params(W1[0].copy(), b1[0, 0].copy(), W2[0].copy(), b2[0, 0].copy(),
                      None if W3 is None else W3[0].copy())  # fmt: skip


def _unpack(
    thetas: Array, d: int, h: int, k: int
) -> tuple[Array, Array, Array, Array, Array | None]:
    """Views of stacked packed parameters (``Params.ravel()`` order).

    Returns W1 (N, d, h), b1 (N, 1, h), W2 (N, h, k), b2 (N, 1, k) and the shortcut weights
    W3 (N, d, k), or None when the packing has no room for them.
    """
    N = thetas.shape[0]
    end = d * h + h + h * k + k
    W1 = thetas[:, : d * h].reshape(N, d, h)
    b1 = thetas[:, d * h : d * h + h].reshape(N, 1, h)
    W2 = thetas[:, d * h + h : d * h + h + h * k].reshape(N, h, k)
    b2 = thetas[:, d * h + h + h * k : end].reshape(N, 1, k)
    W3 = thetas[:, end:].reshape(N, d, k) if thetas.shape[1] > end else None
    return W1, b1, W2, b2, W3


def _forward_many(
    thetas: Array, X: Array, d: int, h: int, k: int, activation: str
) -> tuple[Array, Array]:
    """Hidden activations (N, n, h) and logits (N, n, k) of every network on X."""
    W1, b1, W2, b2, W3 = _unpack(thetas, d, h, k)
    act, _ = ACTIVATIONS[activation]
    H = act(X @ W1 + b1)  # (n, d) @ (N, d, h) -> (N, n, h)
    Z2 = H @ W2 + b2  # (N, n, h) @ (N, h, k) -> (N, n, k)
    if W3 is not None:
        Z2 = Z2 + X @ W3  # the shortcut: (n, d) @ (N, d, k) -> (N, n, k)
    return H, Z2


def _output_many(Z2: Array) -> Array:
    """Probabilities from logits (N, n, k): sigmoid (N, n, 1) or softmax over the classes."""
    return sigmoid(Z2) if Z2.shape[2] == 1 else softmax(Z2)


def _loss_many(Z2: Array, y: Array, kind: str = "bce") -> Array:
    """The loss per network, from the logits: (N, n, k) -> (N,)."""
    if kind == "sse":
        sse: Array = 0.5 * np.sum((sigmoid(Z2[:, :, 0]) - y) ** 2, axis=1)
        return sse
    if Z2.shape[2] > 1:
        rows = np.arange(y.size)
        picked: Array = log_softmax(Z2)[:, rows, y.astype(np.intp)]  # (N, n)
        mean: Array = -np.sum(picked, axis=1) / y.size
        return mean
    total: Array = np.sum(np.logaddexp(0.0, (1.0 - 2.0 * y) * Z2[:, :, 0]), axis=1)
    return total / y.size


def _per_network(P: Array) -> Array:
    """Probabilities (N, n, k) as each network's own output: (N, n) for one output."""
    return P[:, :, 0] if P.shape[2] == 1 else P


def _correct_many(P: Array, y: Array, margin: float) -> Array:
    """Whether every sample of each network is right by the margin: (N, n, k) -> (N,)."""
    if P.shape[2] == 1:
        p = P[:, :, 0]
        above, below = p > 0.5 + margin, p < 0.5 - margin
        right: Array = np.all(np.where(y > 0.5, above, below), axis=1)
        return right
    return np.array([np.all(correct_by_margin(Pi, y, margin)) for Pi in P])


class _Run(NamedTuple):
    """What an engine's loop reports per network (the parameters are updated in place)."""

    steps: IntArray
    stop_reason: np.ndarray
    solve_step: IntArray
    target_step: IntArray
    earlier_loss: Array


def train_many(
    X: Array,
    y: Array,
    config: TrainConfig | None = None,
    seeds: int | Sequence[int] = 100,
    *,
    learning_rates: Sequence[float] | Array | None = None,
    target: float | None = None,
    params: Sequence[Params] | None = None,
    engine: str = "auto",
    n_classes: int | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> ManyResult:
    """Train many independent networks on the same data in one call.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
        Class indices (0/1, or ``0 .. K-1`` for a softmax network).
    config : TrainConfig, optional
        Shared by every network. Mini-batches must come in a fixed order
        (``shuffle=False``) or the batch must be full.
    seeds : int or sequence of int
        One seed per network (an int ``N`` means seeds ``0 .. N-1``). Network ``i`` starts from
        ``init_params(d, h, config.init, rng=seeds[i])``, as ``train(..., rng=seeds[i])`` does.
    learning_rates : sequence of float, optional
        One learning rate per network, replacing ``config.learning_rate``.
    target : float, optional
        Loss target for ``target_step`` (it does not stop training; ``config.tol`` does).
    params : sequence of Params, optional
        Initial parameters per network, replacing the draw from ``seeds``.
    engine : {"auto", "numpy", "numba"}
    n_classes : int, optional
        The number of classes (by default from ``params``, else from ``y``, as in
        :func:`xornet.train`).
    progress : callable, optional
        ``progress(step, steps)`` as training advances: every network has reached ``step`` of
        ``config.steps`` (or stopped before it). Called every few thousand steps where the
        engine runs in stretches, and always once at the end, with ``step == steps``.

    Returns
    -------
    ManyResult

    Raises
    ------
    DataError
        For data that cannot be trained on.
    XornetError
        For shuffled mini-batches, mismatched lengths or bad learning rates.
    """
    config = TrainConfig() if config is None else config
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if n_classes is None and params:
        n_classes = params[0].n_classes
    check_Xy(X, y, n_classes)
    K = infer_n_classes(y) if n_classes is None else n_classes
    k = n_outputs_for(K)
    if K > 2 and config.loss == "sse":
        raise XornetError("loss 'sse' needs two classes (one sigmoid output); use 'bce'")
    chosen = resolve_engine(engine)
    n, d = X.shape
    h = config.hidden
    seed_array = np.arange(seeds) if isinstance(seeds, int) else np.asarray(seeds, dtype=np.int64)
    N = seed_array.size
    if N < 1:
        raise XornetError("train_many needs at least one network")
    batch = n if config.batch_size is None else min(config.batch_size, n)
    if batch < n and config.shuffle:
        raise XornetError(
            "train_many supports full batches or mini-batches in a fixed order; "
            "set shuffle=False (per-network reshuffling is not implemented)"
        )
    lrs = np.full(N, config.learning_rate)
    if learning_rates is not None:
        lrs = np.asarray(learning_rates, dtype=np.float64)
        if lrs.shape != (N,):
            raise XornetError(f"{lrs.size} learning rates for {N} networks")
        if not (np.isfinite(lrs).all() and (lrs > 0).all()):
            raise XornetError("every learning rate must be a positive finite number")
    if target is not None and not np.isfinite(target):
        raise XornetError(f"target must be a finite number, got {target}")
    if params is not None and len(params) != N:
        raise XornetError(f"{len(params)} initial params for {N} networks")
    P = d * h + h + h * k + k + (d * k if config.shortcut else 0)
    thetas = np.empty((N, P))  # filled row by row: memory stays flat
    for i in range(N):
        if params is None:
            seed = int(seed_array[i])
            first = init_params(d, h, config.init, seed, config.init_scale, n_classes=K,
                                shortcut=config.shortcut)  # fmt: skip
        else:
            first = params[i]
        if (first.n_inputs, first.n_hidden, first.n_outputs, first.shortcut) != (
            d,
            h,
            k,
            config.shortcut,
        ):
            shortcut = " with shortcut weights" if config.shortcut else ""
            raise XornetError(f"every initial params must be a {d}-{h}-{k} network{shortcut}")
        thetas[i] = first.ravel()

    _, Z2 = _forward_many(thetas, X, d, h, k, config.activation)
    initial = _loss_many(Z2, y, config.loss)
    n_records = -(-config.steps // config.record_every)
    index = earlier_index(n_records + 1)
    earlier_step = index * config.record_every if index < n_records else config.steps

    start = time.perf_counter()
    loop = _run_numba if chosen == "numba" else _run_numpy
    report = progress if progress is not None else _no_progress
    run = loop(X, y, config, thetas, lrs, target, earlier_step, k, report)  # updates thetas
    seconds = time.perf_counter() - start
    report(config.steps, config.steps)

    with np.errstate(over="ignore", invalid="ignore"):  # diverged networks give inf or nan
        _, Z2 = _forward_many(thetas, X, d, h, k, config.activation)
        final = _loss_many(Z2, y, config.loss)
        P = _per_network(_output_many(Z2))
    final[run.stop_reason == "diverged"] = np.nan
    accuracy = np.array([np.mean(predicted_class(P[i]) == y) for i in range(N)])
    outcome = np.array(
        [classify(P[i], y, initial[i], run.earlier_loss[i], final[i]).kind for i in range(N)],
        dtype="<U9",
    )
    return ManyResult(
        thetas=thetas,
        n_inputs=d,
        n_hidden=h,
        n_classes=K,
        seeds=seed_array,
        learning_rates=lrs,
        steps=run.steps,
        stop_reason=run.stop_reason,
        initial_loss=initial,
        final_loss=final,
        probabilities=P,
        accuracy=accuracy,
        solve_step=run.solve_step,
        target_step=run.target_step,
        outcome=outcome,
        train_seconds=seconds,
        engine=chosen,
    )


def _run_numba(
    X: Array,
    y: Array,
    config: TrainConfig,
    thetas: Array,
    lrs: Array,
    target: float | None,
    earlier_step: int,
    k: int,
    progress: Callable[[int, int], object],
) -> _Run:
    """All networks through the compiled loop, in two legs: to the 90% point, then to the end."""
    from xornet.engines import _kernels as kernels
    from xornet.engines.fused import pack_settings

    n, d = X.shape
    N, P = thetas.shape
    h = config.hidden
    fs, ints = pack_settings(config, n, target)
    if _lanes_apply(config, n, d, k, N):
        return _run_lanes(X, y, config, thetas, lrs, fs, ints, earlier_step, progress)
    fs_all = np.repeat(fs[None, :], N, axis=0)
    fs_all[:, kernels.LR] = lrs
    # Optimizer state (velocity | Adam m | Adam v); plain gradient descent has none.
    states = np.zeros((N, 3, 0 if config.optimizer == "gd" else P))
    counters = np.zeros((N, 6), dtype=np.int64)
    counters[:, kernels.FIRST_CORRECT] = -1
    counters[:, kernels.FIRST_TARGET] = -1
    no_history = np.empty((N, 0))
    identity = np.arange(n, dtype=np.int64)
    legs = (earlier_step, config.steps)  # to the 90% point, measure, then to the end
    kernels.run_many(X, y, thetas, states, fs_all, ints, legs[0], identity, no_history, counters,
                     identity, k)  # fmt: skip
    progress(legs[0], config.steps)
    with np.errstate(over="ignore", invalid="ignore"):  # diverged networks give inf or nan
        _, Z2 = _forward_many(thetas, X, d, h, k, config.activation)
        earlier = _loss_many(Z2, y, config.loss)
    kernels.run_many(X, y, thetas, states, fs_all, ints, legs[1], identity, no_history, counters,
                     identity, k)  # fmt: skip
    codes = {
        kernels.RUNNING: "max_steps",
        kernels.TOLERANCE: "tolerance",
        kernels.ALL_CORRECT: "all_correct",
        kernels.DIVERGED: "diverged",
    }
    stops = np.array([codes[int(c)] for c in counters[:, kernels.STOP]], dtype="<U11")
    return _Run(
        counters[:, kernels.STEP].copy(),
        stops,
        counters[:, kernels.FIRST_CORRECT].copy(),
        counters[:, kernels.FIRST_TARGET].copy(),
        earlier,
    )


def _lanes_apply(config: TrainConfig, n: int, d: int, k: int, n_networks: int) -> bool:
    """Whether the networks run in lanes (:mod:`._lanes` or :mod:`._unrolled`): the kind of
    network they handle (with a shortcut only when written out), and enough of them to fill a
    few lanes (below 16 the one-network loop is as fast, measured)."""
    full_batch = config.batch_size is None or config.batch_size >= n
    lanes = full_batch and k == 1 and n_networks >= 16
    return lanes and (not config.shortcut or _unrolled_apply(config, n, d, n_networks))


#: Network-steps from which the lanes run the step written out for the shape
#: (:mod:`._unrolled`): 1.5-1.9x the lane kernel's speed, for a few seconds of compiling the first
#: time a shape runs on a machine (later ones load it from the disk cache). Which kernel runs
#: depends only on the call, so the same call gives the same numbers.
UNROLL_MIN_WORK = 200_000_000


def _unrolled_apply(config: TrainConfig, n: int, d: int, n_networks: int) -> bool:
    """Whether the lanes run the written-out step: a small network and a long job."""
    from xornet.engines import _unrolled as unrolled

    long_job = n_networks * config.steps >= UNROLL_MIN_WORK
    return long_job and unrolled.fits(n, d, config.hidden)


#: Steps between repackings of the lane kernel's blocks: networks that have stopped are
#: dropped, so a block is not held up by one slow network while the rest sit idle.
LANE_CHUNK = 5_000


def _run_lanes(
    X: Array,
    y: Array,
    config: TrainConfig,
    thetas: Array,
    lrs: Array,
    fs: Array,
    ints: IntArray,
    earlier_step: int,
    progress: Callable[[int, int], object],
) -> _Run:
    """All networks in SIMD lanes, side by side in blocks: through the lane kernel, or for a
    small network and a long job through the step written out for its shape."""
    from xornet.engines import _kernels as kernels
    from xornet.engines import _unrolled as unrolled

    N, P = thetas.shape
    (n, d), h = X.shape, config.hidden
    written = None
    if _unrolled_apply(config, n, d, N):
        written = unrolled.kernel(n, d, h, config.activation, config.optimizer, config.loss,
                                  config.shortcut)  # fmt: skip
    T = np.ascontiguousarray(thetas.T)  # (P, N): each parameter's values for every network
    slots = {"gd": 0, "momentum": 1, "adam": 2}[config.optimizer]
    V = np.zeros((slots, P, N))  # the optimizer's state: momentum's velocities, Adam's m and v
    step = np.zeros(N, dtype=np.int64)
    stop = np.full(N, kernels.RUNNING, dtype=np.int64)
    first_correct = np.full(N, -1, dtype=np.int64)
    first_target = np.full(N, -1, dtype=np.int64)
    state = (T, V, lrs, step, stop, first_correct, first_target)

    def leg(start: int, end: int) -> None:
        for chunk in range(start, end, LANE_CHUNK):
            running = np.flatnonzero(stop == kernels.RUNNING)
            if running.size == 0:
                break
            stop_step = min(end, chunk + LANE_CHUNK)
            _lanes_chunk(X, y, fs, ints, h, state, running, chunk, stop_step, written)
            progress(stop_step, config.steps)

    leg(0, earlier_step)
    thetas[...] = T.T
    with np.errstate(over="ignore", invalid="ignore"):  # diverged networks give inf or nan
        _, Z2 = _forward_many(thetas, X, d, h, 1, config.activation)
        earlier = _loss_many(Z2, y, config.loss)
    leg(earlier_step, config.steps)
    thetas[...] = T.T
    codes = {
        kernels.RUNNING: "max_steps",
        kernels.TOLERANCE: "tolerance",
        kernels.ALL_CORRECT: "all_correct",
        kernels.DIVERGED: "diverged",
    }
    stops = np.array([codes[int(c)] for c in stop], dtype="<U11")
    return _Run(step, stops, first_correct, first_target, earlier)


def _lanes_chunk(
    X: Array,
    y: Array,
    fs: Array,
    ints: IntArray,
    h: int,
    state: tuple[np.ndarray, ...],
    running: IntArray,
    start: int,
    end: int,
    written: Callable[..., object] | None = None,
) -> None:
    """Advance the ``running`` networks from ``start`` to ``end`` in the lane kernel, or in
    the ``written`` out one: packed into whole blocks, split over the cores, each thread on
    its own contiguous copy (the kernels release the GIL); the results are scattered back into
    ``state``."""
    from xornet.engines import _kernels as kernels
    from xornet.engines import _lanes as lanes
    from xornet.engines import _unrolled as unrolled

    cores = os.cpu_count() or 1
    if written is None:
        block, blocks_per_thread = lanes.split(running.size, cores)
        per_thread = blocks_per_thread * block
    else:  # blocks of a fixed size, as many a thread
        block = unrolled.LANES
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
        own[4][nets.size :] = kernels.DIVERGED  # padding: never trained
        if written is None:
            lanes.run_lanes(X, y, *own[:3], fs, ints, h, block, start, end, *own[3:])
        else:
            written(X, y, *own[:3], fs, ints, start, end, *own[3:])
        for a, packed in zip(state, own, strict=True):
            a[..., nets] = packed[..., : nets.size]

    with ThreadPoolExecutor(len(parts)) as pool:
        for done in [pool.submit(work, nets) for nets in parts]:
            done.result()


#: Steps between the NumPy engine's progress reports.
_NUMPY_REPORT_EVERY = 1_000


def _no_progress(step: int, steps: int) -> None:
    """The progress callback when none is given."""


def _run_numpy(
    X: Array,
    y: Array,
    config: TrainConfig,
    thetas: Array,
    lrs: Array,
    target: float | None,
    earlier_step: int,
    k: int,
    progress: Callable[[int, int], object],
) -> _Run:
    """All networks in one vectorised loop; a mask freezes networks that stopped."""
    n, d = X.shape
    N, P = thetas.shape
    h = config.hidden
    act, act_grad = ACTIVATIONS[config.activation]
    W1, b1, W2, b2, W3 = _unpack(thetas, d, h, k)  # views: updating them updates thetas
    batch = n if config.batch_size is None else min(config.batch_size, n)
    per_epoch = -(-n // batch)
    lr = lrs[:, None]
    state = np.zeros((3, N, P))  # velocity | Adam m | Adam v, packed like thetas
    adam_t = np.zeros(N)
    active = np.ones(N, dtype=bool)
    steps = np.full(N, config.steps, dtype=np.int64)
    stops = np.full(N, "max_steps", dtype="<U11")
    solve = np.full(N, -1, dtype=np.int64)
    reach = np.full(N, -1, dtype=np.int64)
    earlier = np.full(N, np.nan)
    grads = np.empty((N, P))
    gW1, gb1, gW2, gb2, gW3 = _unpack(grads, d, h, k)

    def stop(mask: np.ndarray, reason: str, step: int) -> None:
        steps[mask] = step
        stops[mask] = reason
        active[mask] = False

    with np.errstate(over="ignore", invalid="ignore"):
        for step in range(config.steps):
            if not active.any():
                break
            if step % _NUMPY_REPORT_EVERY == 0 and step > 0:
                progress(step, config.steps)
            position = step % per_epoch
            record = step % config.record_every == 0
            if position == 0 or record or step == earlier_step:
                _, Z2 = _forward_many(thetas, X, d, h, k, config.activation)
                current = _loss_many(Z2, y, config.loss)
                if step == earlier_step:
                    earlier[active] = current[active]
                bad = active & ~np.isfinite(current)
                stop(bad, "diverged", step)
                if position == 0:
                    correct = _correct_many(_output_many(Z2), y, config.margin)
                    solve[active & correct & (solve < 0)] = step
                    if target is not None:
                        reach[active & (current <= target) & (reach < 0)] = step
                    if config.tol is not None:
                        stop(active & (current <= config.tol), "tolerance", step)
                    if config.stop_when_correct:
                        stop(active & correct, "all_correct", step)
            rows = slice(position * batch, (position + 1) * batch)
            Xb, yb = X[rows], y[rows]
            # The reference backward (network.backward), stacked over networks.
            Z1 = Xb @ W1 + b1  # (N, m, h)
            H = act(Z1)
            Z2b = H @ W2 + b2  # (N, m, k)
            if W3 is not None:
                Z2b = Z2b + Xb @ W3  # the shortcut
            Pb = _output_many(Z2b)
            overflow = ~(np.isfinite(Z1).all(axis=(1, 2)) & np.isfinite(Z2b).all(axis=(1, 2)))
            stop(active & overflow, "diverged", step)
            if k > 1:
                dZ2 = (Pb - one_hot(yb, k)) / yb.size  # (N, m, K)
            elif config.loss == "sse":
                dZ2 = (Pb - yb[:, None]) * Pb * (1.0 - Pb)  # (N, m, 1)
            else:
                dZ2 = (Pb - yb[:, None]) / yb.size  # (N, m, 1)
            gW2[...] = H.transpose(0, 2, 1) @ dZ2  # (N, h, m) @ (N, m, k) -> (N, h, k)
            gb2[...] = dZ2.sum(axis=1, keepdims=True)  # (N, 1, k)
            dZ1 = (dZ2 @ W2.transpose(0, 2, 1)) * act_grad(H)  # (N, m, h)
            gW1[...] = Xb.T @ dZ1  # (d, m) @ (N, m, h) -> (N, d, h)
            gb1[...] = dZ1.sum(axis=1, keepdims=True)  # (N, 1, h)
            if gW3 is not None:
                gW3[...] = Xb.T @ dZ2  # (d, m) @ (N, m, k) -> (N, d, k)
            _update(config, thetas, grads, state, adam_t, lr, active)
            bad = active & ~np.isfinite(thetas).all(axis=1)
            stop(bad, "diverged", step)
    if earlier_step >= config.steps or np.isnan(earlier).any():
        _, Z2 = _forward_many(thetas, X, d, h, k, config.activation)
        missing = np.isnan(earlier)
        earlier[missing] = _loss_many(Z2, y, config.loss)[missing]
    return _Run(steps, stops, solve, reach, earlier)


def _update(
    config: TrainConfig,
    thetas: Array,
    grads: Array,
    state: Array,
    adam_t: Array,
    lr: Array,
    active: np.ndarray,
) -> None:
    """One optimizer step for the active networks (the formulas of :mod:`xornet.optim`)."""
    a = active
    if config.optimizer == "gd":
        thetas[a] -= lr[a] * grads[a]
        return
    if config.optimizer == "momentum":
        mu = config.momentum
        v = state[0]
        v[a] = v[a] * mu - lr[a] * grads[a]
        if config.nesterov:
            thetas[a] += mu * v[a] - lr[a] * grads[a]
        else:
            thetas[a] += v[a]
        return
    b1, b2 = config.beta1, config.beta2
    adam_t[a] += 1
    t = adam_t[a][:, None]
    m, v = state[1], state[2]
    g = grads[a]
    m[a] = m[a] * b1 + (1.0 - b1) * g
    v[a] = v[a] * b2 + (1.0 - b2) * g * g
    thetas[a] -= lr[a] * (m[a] / (1.0 - b1**t)) / (np.sqrt(v[a] / (1.0 - b2**t)) + config.eps)
