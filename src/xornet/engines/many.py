"""Many independent networks trained at once, for studying seeds and settings.

Network ``i`` is exactly what ``xornet.train(X, y, config, rng=seeds[i])`` trains (same initial
weights, same updates, same stop rules), with an optional learning rate of its own. This
module holds the public :func:`train_many` and the choice of engine; the engines live apart:

* ``numpy`` (:mod:`._stacked`): the networks stacked along a leading axis, ``W1 (N, d, h)``,
  through the reference's own forward and backward; networks that stop early or diverge are
  frozen by a mask.
* ``numba`` (:mod:`._blocks`): from 16 networks, side by side in SIMD lanes (:mod:`._lanes`),
  blocks of networks over the threads. Full-batch networks with one output (the post's setup
  and the 1986 ones) run in the lane kernel, or for a long job on a small network through the
  step written out for its shape (:mod:`._written`, shortcut networks too); mini-batches in a
  fixed order (one pattern at a time included), softmax outputs and the other shortcut
  networks run in the general lane kernel. The kernels' vector width and shape follow the CPU
  (:func:`._lanes.vector_bits`). Fewer networks run the compiled one-network loop each,
  spread over the cores.

Memory grows linearly in N: per network the parameters, the optimizer state and a few numbers.
No loss history is kept; the outcome is diagnosed from the initial loss, the loss at 90% of the
run and the final loss, by :func:`xornet.diagnosis.classify`'s rule for all the networks at
once (:func:`xornet.diagnosis.outcome_kinds`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from xornet._typing import Array, IntArray
from xornet.config import TrainConfig, batch_schedule, start_params_many
from xornet.data import check_Xy, infer_n_classes
from xornet.diagnosis import earlier_index, outcome_kinds, predicted_classes
from xornet.engines import _stacked, resolve_engine
from xornet.errors import XornetError
from xornet.network import output_probabilities
from xornet.params import Params, n_outputs_for

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
    kernel : str
        What trained them: ``stacked`` (the NumPy engine), ``each`` (the one-network loop per
        network), or a lane kernel and its vector width in bits: ``lanes/512`` (full batch,
        one output), ``written/512`` (the step written out, compiled by numba;
        ``written-c/512`` in C, by ``cc``), ``general/512`` (mini-batches, softmax or shortcut
        networks); ``/256`` on a CPU without AVX-512.
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
    kernel: str = ""

    def __len__(self) -> int:
        return int(self.thetas.shape[0])

    def __repr__(self) -> str:
        solved = float(np.mean(self.outcome == "solved"))
        return f"ManyResult(n_networks={len(self)}, solved={solved:.3f}, engine={self.engine!r})"

    def _repr_html_(self) -> str:
        from xornet._html import many_html

        return many_html(self)

    def to_frame(self) -> Any:
        """One row per network (seed, learning rate, steps, stop reason, initial and final
        loss, accuracy, solve and target steps, outcome) as a pandas ``DataFrame``.

        Raises
        ------
        ImportError
            If pandas is not installed.
        """
        from xornet._html import frame

        columns = ("seeds", "learning_rates", "steps", "stop_reason", "initial_loss",
                   "final_loss", "accuracy", "solve_step", "target_step", "outcome")  # fmt: skip
        values = [getattr(self, c).tolist() for c in columns]
        names = [c.removesuffix("s") if c in ("seeds", "learning_rates") else c for c in columns]
        return frame([dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)])

    def params(self, i: int) -> Params:
        """The final parameters of network ``i``."""
        d, h, k = self.n_inputs, self.n_hidden, n_outputs_for(self.n_classes)
        W1, b1, W2, b2, W3 = _stacked.unpack(self.thetas[i : i + 1], d, h, k)
        return Params(W1[0].copy(), b1[0, 0].copy(), W2[0].copy(), b2[0, 0].copy(),
                      None if W3 is None else W3[0].copy())  # fmt: skip


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
    kernel_for: int | None = None,
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
        One seed per network (an int ``N`` means seeds ``0 .. N-1``), each from 0 to
        ``2**32 - 1``. Network ``i`` starts where ``train(..., rng=seeds[i])`` does
        (:func:`xornet.config.start_params_many`): drawn with ``config.init``, or with
        ``config.start == "post"`` the post's start for that seed.
    learning_rates : sequence of float, optional
        One learning rate per network, replacing ``config.learning_rate``.
    target : float, optional
        Loss target for ``target_step`` (it does not stop training; ``config.tol`` does).
    params : sequence of Params, optional
        Initial parameters per network, replacing the starts drawn from ``seeds``.
    engine : {"auto", "numpy", "numba"}
    n_classes : int, optional
        The number of classes (by default from ``params``, else from ``y``, as in
        :func:`xornet.train`).
    progress : callable, optional
        ``progress(step, steps)`` as training advances: every network has reached ``step`` of
        ``config.steps`` (or stopped before it). Called every few thousand steps where the
        engine runs in stretches, and always once at the end, with ``step == steps``.
    kernel_for : int, optional
        The number of networks that chooses the compiled kernel (default: this call's). The
        kernels agree to about 1e-14, not to the bit, so a study split into blocks passes the
        whole setting's count: every block then runs the kernel the whole would, and the
        numbers do not depend on how the networks were split.

    Returns
    -------
    ManyResult

    Raises
    ------
    DataError
        For data that cannot be trained on.
    XornetError
        For shuffled mini-batches, mismatched lengths, bad seeds or bad learning rates.
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
    if batch_schedule(n, config.batch_size)[1] > 1 and config.shuffle:
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
    if kernel_for is not None and kernel_for < 1:
        raise XornetError(f"kernel_for must be at least 1, got {kernel_for}")
    if params is not None and len(params) != N:
        raise XornetError(f"{len(params)} initial params for {N} networks")
    thetas = _starts(config, d, K, seed_array, params)
    initial = _stacked.losses(_stacked.forward(thetas, X, d, h, k, config.activation).Z2, y,
                              config.loss)  # fmt: skip
    n_records = -(-config.steps // config.record_every)
    index = earlier_index(n_records + 1)
    earlier_step = index * config.record_every if index < n_records else config.steps

    start = time.perf_counter()
    report = progress if progress is not None else _no_progress
    if chosen == "numba":  # each updates thetas
        run, kernel = _run_numba(X, y, config, thetas, lrs, target, earlier_step, k, report,
                                 N if kernel_for is None else kernel_for)  # fmt: skip
    else:
        run = _stacked.run(X, y, config, thetas, lrs, target, earlier_step, k, report)
        kernel = "stacked"
    seconds = time.perf_counter() - start
    report(config.steps, config.steps)

    with np.errstate(over="ignore", invalid="ignore"):  # diverged networks give inf or nan
        cache = _stacked.forward(thetas, X, d, h, k, config.activation)
        final = _stacked.losses(cache.Z2, y, config.loss)
        P = output_probabilities(cache.P)  # (N, n) or (N, n, K)
    final[run.stop_reason == "diverged"] = np.nan
    accuracy = (predicted_classes(P) == y).mean(axis=1)
    outcome = outcome_kinds(P, y, initial, run.earlier_loss, final).astype("<U9")
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
        kernel=kernel,
    )


#: Seeds whose start weights are drawn at once: enough to draw them fast, few enough that
#: memory stays flat however many networks there are.
_START_BLOCK = 4_096


def _starts(
    config: TrainConfig, d: int, K: int, seeds: IntArray, params: Sequence[Params] | None
) -> Array:
    """The networks' start weights, packed as rows ``(N, P)``: ``params``, checked against the
    configuration, or each seed's start (:func:`xornet.config.start_params_many`)."""
    h, k = config.hidden, n_outputs_for(K)
    thetas = np.empty((seeds.size, d * h + h + h * k + k + (d * k if config.shortcut else 0)))
    for lo in range(0, seeds.size, _START_BLOCK):
        if params is None:
            block = start_params_many(config, d, K, seeds[lo : lo + _START_BLOCK])
        else:
            block = list(params[lo : lo + _START_BLOCK])
        for i, first in enumerate(block, lo):
            if (first.n_inputs, first.n_hidden, first.n_outputs, first.shortcut) != (
                d, h, k, config.shortcut
            ):  # fmt: skip
                shortcut = " with shortcut weights" if config.shortcut else ""
                raise XornetError(f"every initial params must be a {d}-{h}-{k} network{shortcut}")
            thetas[i] = first.ravel()
    return thetas


def _no_progress(step: int, steps: int) -> None:
    """The progress callback when none is given."""


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
    kernel_for: int,
) -> tuple[_stacked.Run, str]:
    """The compiled engine for this job (:func:`choose_kernel`, chosen as for ``kernel_for``
    networks), and what it ran (``ManyResult.kernel``)."""
    from xornet.engines import _blocks, _native
    from xornet.engines._lanes import vector_bits
    from xornet.engines.fused import pack_settings

    X, y = np.ascontiguousarray(X), np.ascontiguousarray(y)  # one compiled layout (fused.advance)
    n, d = X.shape
    fs, ints = pack_settings(config, n, target)
    cc = _native.available()
    kind = choose_kernel(config, n, d, k, kernel_for, cc)
    written = None
    if kind == "written":
        written = _blocks.written_kernel(n, d, config, cc)
        if written is None:  # cc failed: what runs without it (numba's written-out step, or not)
            kind = choose_kernel(config, n, d, k, kernel_for, cc=False)
            written = _blocks.written_kernel(n, d, config, cc=False) if kind == "written" else None
        else:
            kind = "written-c" if cc else "written"
    if kind == "each":
        run = _blocks.run_each(X, y, config, thetas, lrs, fs, ints, earlier_step, k, progress)
        return run, kind
    bits = vector_bits()  # before training: a bad XORNET_VECTOR_BITS fails here
    run = _blocks.run_lanes(X, y, config, thetas, lrs, fs, ints, earlier_step, progress,
                            written=written, general=kind == "general", k=k)  # fmt: skip
    return run, f"{kind}/{bits}"


#: Networks from which they run in lanes: below it the one-network loop per network is as
#: fast.
MIN_LANES = 16


def choose_kernel(
    config: TrainConfig, n: int, d: int, k: int, n_networks: int, cc: bool = False
) -> str:
    """Which compiled kernel trains a job of ``n_networks`` on ``n`` samples of ``d`` inputs
    with ``k`` outputs, with or without ``cc`` to compile the written-out step: ``written``
    (:func:`_written_out_applies`), ``lanes`` (:func:`_lanes_apply`, up to
    :data:`LANE_KERNEL_MAX_UNITS`), ``general`` (every other job from :data:`MIN_LANES`
    networks: the general lane kernel) or ``each`` (the one-network loop per network)."""
    if _lanes_apply(config, n, d, k, n_networks, cc):
        if _written_out_applies(config, n, d, n_networks, cc):
            return "written"
        return "lanes" if n * config.hidden <= LANE_KERNEL_MAX_UNITS else "general"
    return "general" if n_networks >= MIN_LANES else "each"


#: Samples times hidden units above which a full-batch job runs in the general lane kernel.
#: The lane kernel keeps every sample's hidden units for its backward pass, ``n h`` numbers a
#: network, which past this no longer stay in the core's cache; the general kernel keeps one
#: sample's (n-bit parity with n hidden units: the lane kernel to 6 bits, the general from 7).
LANE_KERNEL_MAX_UNITS = 512


def _lanes_apply(
    config: TrainConfig, n: int, d: int, k: int, n_networks: int, cc: bool = False
) -> bool:
    """Whether the networks run in lanes (:mod:`._lanes` or :mod:`._written`): the kind of
    network they handle (with a shortcut only when written out), and enough of them to fill a
    few lanes (below 16 the one-network loop is as fast)."""
    full_batch = batch_schedule(n, config.batch_size)[1] == 1
    lanes = full_batch and k == 1 and n_networks >= MIN_LANES
    return lanes and (not config.shortcut or _written_out_applies(config, n, d, n_networks, cc))


#: Network-steps from which the lanes run the step written out for the shape
#: (:mod:`._written`): faster than the lane kernel, for a few seconds of compiling the first
#: time a shape runs on a machine (later ones load it from the disk cache). Which kernel runs
#: depends only on the call and the machine (whether it has ``cc``), so the same call gives the
#: same numbers on a machine; across machines, the written-out step's shape follows the CPU's
#: vector width (:func:`._lanes.vector_bits`), which moves its numbers within 1e-10
#: (``XORNET_VECTOR_BITS`` set alike on every machine gives the same bits).
WRITTEN_OUT_MIN_WORK = 200_000_000
#: With ``cc``, a step of at most this many multiply-adds (:func:`._written.terms`: XOR's 2-h-1
#: up to 3 hidden units) is written out for a job of any length: cc compiles it in under a second
#: (:mod:`._native_lanes`), less than numba takes to compile or even load its lane kernel.
#: Larger steps take cc longer (1.6 s at 120 multiply-adds, 5-7 s for 64 samples or Adam with
#: a shortcut at 128): those are written out for long jobs only, as with numba.
WRITTEN_OUT_ANY_JOB_TERMS = 36


def _written_out_applies(
    config: TrainConfig, n: int, d: int, n_networks: int, cc: bool = False
) -> bool:
    """Whether the lanes run the written-out step: a small network, and a long job, or with
    ``cc`` a step small enough to compile at once."""
    from xornet.engines import _written

    work = n_networks * config.steps
    if not _written.fits(n, d, config.hidden) or work == 0:
        return False
    quick = cc and _written.terms(n, d, config.hidden) <= WRITTEN_OUT_ANY_JOB_TERMS
    return quick or work >= WRITTEN_OUT_MIN_WORK
