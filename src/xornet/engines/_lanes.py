"""Many networks in SIMD lanes (numba): the compiled loop with networks on the vector axis.

Used by :func:`xornet.train_many` (through :mod:`._blocks`) from 16 networks, for every
setting it trains: sigmoid, tanh or ReLU hidden units, gradient descent, momentum or Adam, the
cross-entropy or the squared error, every stop rule. Two kernels:

* :func:`run_lanes`, for the case most studies run: full batch, one output, no shortcut (for
  long jobs on small networks, :mod:`._written` writes the step out and calls this module's
  activations and evaluation, with :mod:`._exp`'s exp);
* :func:`._lanes_general.run_lanes_general` (its own module), for the rest: mini-batches in a
  fixed order (the 1986 studies' one pattern at a time included), softmax outputs, shortcut
  weights; it uses this module's widths, activations and evaluation.

``run`` in :mod:`._kernels` computes its exps one at a time (:func:`._exp.exp_table`). Here the
parameters of ``L`` networks sit side by side (``T[p, lane]``), every operation is a loop over
the lanes, and ``exp`` is written out (:func:`._exp.exp_nonpos`) from arithmetic and a bit
cast, so LLVM turns each loop into vector instructions without any fast-math flag. Per lane
the arithmetic is that of ``run``, in the same order; ``exp`` is within 2 ulp of libm's, so the
results equal the reference to the engines' stated 1e-10 (tested).

The vector width follows the CPU, read at run time (:func:`vector_bits`): each kernel is
compiled, the first time it runs, in one of two forms, with 512-bit vectors on AVX-512 CPUs
(:func:`prefer_512_bit_vectors`) or with LLVM's own width for the CPU (256 bits with AVX2):
one body, compiled for each width by a small function of that width's
(:func:`vector_width`). Only the width differs, not the arithmetic: both give the same bits
(tested).

Shapes: ``X (n, d)``, ``y (n,)``, ``T (P, N)`` (the parameters of ``N`` networks, ``N`` a
multiple of ``L``, packed as ``Params.ravel()``), ``V (k, P, N)`` the optimizer's state packed
the same way (``k`` = 0 for gradient descent, 1 for momentum's velocities, 2 for Adam's moments
m and v), ``lr (N,)``, and per network ``step``, ``stop``, ``first_correct``, ``first_target``
``(N,)``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.core.errors import RequireLiteralValue
from numba.extending import intrinsic

from xornet._typing import Array, IntArray
from xornet.engines import _environment, _layout
from xornet.engines._exp import exp_nonpos
from xornet.engines._kernels import (
    ACT,
    ADAM,
    ALL_CORRECT,
    BETA1,
    BETA2,
    DIVERGED,
    EPS,
    LOSS,
    MARGIN,
    MOMENTUM,
    MU,
    NESTEROV,
    OPT,
    RELU,
    RUNNING,
    SSE,
    STOP_CORRECT,
    TANH,
    TARGET,
    TOL,
    TOLERANCE,
    USE_TARGET,
    USE_TOL,
    log1p_exp,
)

#: Most networks per block. The loops over a block's lanes are what LLVM vectorises, and it
#: only does so for long loops (a loop of 8 is unrolled instead); 256 networks' working set
#: still fits in the core's cache.
LANES = 256


# error_model "numpy": a division by zero gives inf instead of raising, so a division
# carries no branch and vectorises.
_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}


VECTOR_BITS_VARIABLE = _environment.VECTOR_BITS_VARIABLE  # XORNET_VECTOR_BITS: see there


def cpu_vector_bits() -> int:
    """The widest vectors of the CPU that numba compiles for: 512 with AVX-512, 256 with AVX2,
    else 128.

    The features are numba's (``NUMBA_CPU_FEATURES`` when set, else the host's, as llvmlite
    reads them), so the answer is that of the code numba generates. Recent LLVMs also need
    ``evex512`` for 512-bit registers on AVX-512 CPUs; it is on unless turned off.
    """
    import llvmlite.binding as llvm
    import numba

    listed = numba.config.CPU_FEATURES
    if listed is None:
        listed = llvm.get_host_cpu_features().flatten()
    names = listed.split(",")
    if "+avx512f" in names and "-evex512" not in names:
        return 512
    return 256 if "+avx2" in names else 128


def vector_bits() -> int:
    """The vector width the lanes are compiled for: :func:`cpu_vector_bits`, or less when
    :data:`VECTOR_BITS_VARIABLE` asks for less.

    With 512 the kernels ask LLVM for 512-bit vectors (:func:`prefer_512_bit_vectors`) and
    the written-out step shares a division among four sigmoids; otherwise they keep LLVM's
    width for the CPU and a division each (:mod:`._written`). The numbers are the same either
    way to the engines' 1e-10 (tested); ``xornet.ManyResult.kernel`` names the width used.

    Raises
    ------
    XornetError
        If the variable is set to anything but 128, 256 or 512.
    """
    asked = _environment.asked_vector_bits()
    bits = cpu_vector_bits()
    return bits if asked is None else min(bits, asked)


def _prefer_512_bits(builder):
    """Set clang's ``-mprefer-vector-width=512`` function attributes on the function being
    compiled. llvmlite lists only enumerated attributes, so the two string attributes go into
    its set directly; if that ever fails, the kernel compiles with the default width rather
    than not at all."""
    try:
        for attribute in ('"prefer-vector-width"="512"', '"min-legal-vector-width"="512"'):
            set.add(builder.function.attributes, attribute)
    except TypeError:  # pragma: no cover - a future llvmlite without a set of attributes
        pass


@intrinsic
def prefer_512_bit_vectors(typingctx):
    """Let LLVM vectorise the calling function with 512-bit registers where the CPU has them.

    LLVM's default tuning for AVX-512 CPUs prefers 256-bit vectors (wide ones once lowered the
    clock on early models). Here, where exp's arithmetic is the cost, 8 lanes an instruction
    instead of 4 make the kernel faster (the results are bit for bit the same). Without
    AVX-512 it changes nothing.
    """

    def codegen(context, builder, signature, args):
        _prefer_512_bits(builder)
        return context.get_dummy_value()

    return types.none(), codegen


@intrinsic
def vector_width(typingctx, wide):
    """:func:`prefer_512_bit_vectors` when ``wide``, a constant of the caller's (a literal
    ``True`` or ``False``); nothing otherwise.

    A kernel body takes ``wide`` as its last argument and is compiled once for each value
    (numba specialises a function on a literal argument): one source, two widths, each its
    own machine code. The alternative, one body numba inlines into a function per width
    (``inline="always"``), made the general kernel's first compile a fifth slower and its
    peak memory 2.4 times as large: numba copies the inlined function's IR block by block,
    each copy with the whole scope (docs/performance.md, 2026-12-02).
    """
    if not isinstance(wide, types.BooleanLiteral):
        raise RequireLiteralValue("vector_width takes a constant True or False")

    def codegen(context, builder, signature, args):
        if signature.args[0].literal_value:
            _prefer_512_bits(builder)
        return context.get_dummy_value()

    return types.none(wide), codegen


@njit(inline="always", **_OPTIONS)
def sigmoid_from(z, e, r):
    """The stable sigmoid of ``z`` from ``e = exp(-|z|)`` and ``r = 1 / (1 + e)``: ``r`` for
    ``z >= 0``, ``e r`` below, with the choice written as arithmetic (``neg`` is 1.0 or 0.0,
    so ``neg e + (1 - neg)`` is exactly ``e`` or ``1``), which vectorises (``max(e,
    copysign(1, z))``, the same choice, ran slower). Inlined by numba, like
    :func:`._exp.exp_nonpos_horner`, for the written-out step (:mod:`._written`).
    """
    neg = 0.5 * (1.0 - math.copysign(1.0, z))  # 1.0 for z < 0 (z = -0.0 has e = 1 anyway)
    return (neg * e + (1.0 - neg)) * r


@njit(**_OPTIONS)
def sigmoid_e(z):
    """The stable sigmoid of :func:`xornet.functional.sigmoid`, and ``e = exp(-|z|)``."""
    e = exp_nonpos(-abs(z))
    return sigmoid_from(z, e, 1.0 / (1.0 + e)), e


_TANH_SPLIT = _layout.TANH_SPLIT  # below it, tanh from expm1 (see there)


@njit(inline="always", **_OPTIONS)
def expm1_small(t):
    """``e^t - 1`` for ``-1 <= t <= 0``, without the cancellation of ``exp(t) - 1``.

    ``t`` times the Taylor polynomial of ``(e^t - 1) / t`` to degree 18 (its first omitted
    term is below 1e-17 of the result), in Estrin's form; no call and no branch.
    """
    t2 = t * t
    t4 = t2 * t2
    t8 = t4 * t4
    a0 = (1.0 + t * (1.0 / 2.0)) + t2 * (1.0 / 6.0 + t * (1.0 / 24.0))
    a1 = (1.0 / 120.0 + t * (1.0 / 720.0)) + t2 * (1.0 / 5040.0 + t * (1.0 / 40320.0))
    a2 = (1.0 / 362880.0 + t * (1.0 / 3628800.0)) + t2 * (
        1.0 / 39916800.0 + t * (1.0 / 479001600.0)
    )
    a3 = (1.0 / 6227020800.0 + t * (1.0 / 87178291200.0)) + t2 * (
        1.0 / 1307674368000.0 + t * (1.0 / 20922789888000.0)
    )
    a4 = (1.0 / 355687428096000.0 + t * (1.0 / 6402373705728000.0)) + t2 * (
        1.0 / 121645100408832000.0
    )
    return t * (((a0 + t4 * a1) + t8 * (a2 + t4 * a3)) + (t8 * t8) * a4)


@njit(inline="always", **_OPTIONS)
def tanh_v(z):
    """``tanh(z)`` within 4 ulp of NumPy's, with no call and no branch (tested).

    ``tanh |z| = (1 - e) / (1 + e)`` with ``e = exp(-2|z|)``; below ``|z| = 0.4``, where
    ``1 - e`` would cancel, the same fraction from ``m = expm1(-2|z|)``: ``-m / (2 + m)``.
    """
    a = abs(z)
    e = exp_nonpos(-2.0 * a)
    m = expm1_small(-2.0 * min(a, _TANH_SPLIT))
    r = -m / (2.0 + m) if a < _TANH_SPLIT else (1.0 - e) / (1.0 + e)
    return math.copysign(r, z)


@njit(inline="always", **_OPTIONS)
def activation_slope(h, kind):
    """The activation's derivative from its output, as the scalar loop computes it."""
    if kind == RELU:
        return 1.0 if h > 0.0 else 0.0
    if kind == TANH:
        return 1.0 - h * h
    return h * (1.0 - h)


@njit(**_OPTIONS)
def load_block(T, V, lr, lo, L):
    """The block of ``L`` lanes from network ``lo``: its parameters, optimizer state and
    rates as arrays of their own, ``(Tb, Vb, lrb)``, indexed from 0 (an index ``lo + q``
    could be negative as far as numba knows, and the check for it in every access kept LLVM
    from vectorising the kernels' loops). Called once a block, not a step: a function of its
    own, not inlined (inlining it cost seconds of compiling)."""
    P = T.shape[0]
    Tb = np.empty((P, L))
    Vb = np.empty((V.shape[0], P, L))
    lrb = np.empty(L)
    for c in range(P):
        for q in range(L):
            Tb[c, q] = T[c, lo + q]
        for i in range(V.shape[0]):
            for q in range(L):
                Vb[i, c, q] = V[i, c, lo + q]
    for q in range(L):
        lrb[q] = lr[lo + q]
    return Tb, Vb, lrb


@njit(**_OPTIONS)
def store_block(T, V, step, Tb, Vb, active, lo, stop_step):
    """The end of a block's stretch (:func:`load_block` in reverse): its parameters and
    optimizer state back in ``T`` and ``V``, and ``stop_step`` as the step of each lane
    still running."""
    P, L = Tb.shape
    for q in range(L):
        if active[q] == 1.0:
            step[lo + q] = stop_step
    for c in range(P):
        for q in range(L):
            T[c, lo + q] = Tb[c, q]
        for i in range(V.shape[0]):
            for q in range(L):
                V[i, c, lo + q] = Vb[i, c, q]


@njit(**_OPTIONS)
def lane_flags(lo, L, stop, first_correct, first_target, ints):
    """The block of ``L`` lanes from network ``lo`` as three masks of 1.0 and 0.0 (arithmetic
    on them vectorises where a branch would not): ``active`` (still running), ``unsolved``
    (no all-correct step yet), ``seeking`` (a loss target set and not yet met)."""
    use_target = ints[USE_TARGET] == 1
    active, unsolved, seeking = np.empty(L), np.empty(L), np.empty(L)
    for q in range(L):
        active[q] = 1.0 if stop[lo + q] == RUNNING else 0.0
        unsolved[q] = 1.0 if first_correct[lo + q] < 0 else 0.0
        seeking[q] = 1.0 if use_target and first_target[lo + q] < 0 else 0.0
    return active, unsolved, seeking


@njit(**_OPTIONS)
def settle(s, lo, y, z2, low, finite, correct, active, unsolved, seeking, fs, ints, stop, step,
           first_correct, first_target):  # fmt: skip
    """The evaluation of step ``s``, lane by lane, for a block of lanes starting at network ``lo``.

    Called only on the steps where a vectorised scan found an event in some lane. From the
    forward pass's per-lane sums (``finite``, ``correct``, ``low``: a lower bound of the BCE, or
    the squared error itself) and logits ``z2 (n, L)``, it does what the reference's loop does
    at the step's evaluation: an overflow stops the network as diverged; the first all-correct
    step and the first step at the loss target are recorded; the tolerance and all-correct
    rules stop it. A stopped lane gets ``active[q] = 0``.
    """
    n = z2.shape[0]
    sse = ints[LOSS] == SSE
    use_tol, use_target, stop_correct = (
        ints[USE_TOL] == 1,
        ints[USE_TARGET] == 1,
        ints[STOP_CORRECT] == 1,
    )
    tol, target = fs[TOL], fs[TARGET]
    tol_level = tol if use_tol else -1.0
    for q in range(active.size):
        if active[q] == 0.0:
            continue
        net = lo + q
        if finite[q] == 0.0:  # an overflow: the reference calls it divergence
            stop[net], step[net], active[q] = DIVERGED, s, 0.0
            continue
        loss = math.inf
        seek_target = use_target and first_target[net] < 0
        if use_tol or seek_target:
            # The loss matters only if it can reach a level still to be checked.
            bound = max(tol_level, target if seek_target else -1.0)
            if sse:
                loss = low[q]
            elif low[q] / n <= bound * (1.0 + 1e-12):  # else the rules cannot fire
                loss = 0.0
                for r in range(n):
                    loss += log1p_exp((1.0 - 2.0 * y[r]) * z2[r, q])
                loss /= n
        is_correct = correct[q] == 1.0
        if is_correct and first_correct[net] < 0:
            first_correct[net], unsolved[q] = s, 0.0
        if use_target and loss <= target and first_target[net] < 0:
            first_target[net], seeking[q] = s, 0.0
        if use_tol and loss <= tol:
            stop[net], step[net], active[q] = TOLERANCE, s, 0.0
        elif stop_correct and is_correct:
            stop[net], step[net], active[q] = ALL_CORRECT, s, 0.0


def run_lanes(X: Array, y: Array, T: Array, V: Array, lr: Array, fs: Array, ints: IntArray,
              h: int, L: int, start_step: int, stop_step: int, step: IntArray, stop: IntArray,
              first_correct: IntArray, first_target: IntArray) -> None:  # fmt: skip
    """Advance every network, ``L`` at a time, from ``start_step`` to ``stop_step`` or its stop.

    Not ``parallel=True``: numba's outlined parallel loops lose the vectorisation, and so does a
    block loop with a start or a stride passed in. The caller gives each thread its own
    contiguous arrays instead; the kernel releases the GIL. Compiled for the vector width of
    :func:`vector_bits` (:func:`_run_lanes_512` or :func:`_run_lanes_narrow`).

    Mirrors :func:`xornet.engines._kernels.run` for full-batch training (every step evaluates
    the full data: the finiteness check, the first all-correct and target steps, the stop
    rules), then the backward pass and the update, for the networks still running.
    """
    kernel = _run_lanes_512 if vector_bits() == 512 else _run_lanes_narrow
    kernel(X, y, T, V, lr, fs, ints, h, L, start_step, stop_step, step, stop, first_correct,
           first_target)  # fmt: skip


@njit(**_OPTIONS)
def _run_lanes_512(X, y, T, V, lr, fs, ints, h, L, start_step, stop_step, step, stop,
                   first_correct, first_target):  # fmt: skip
    """:func:`run_lanes` with 512-bit vectors."""
    _run_lanes(X, y, T, V, lr, fs, ints, h, L, start_step, stop_step, step, stop, first_correct,
               first_target, True)  # fmt: skip


@njit(**_OPTIONS)
def _run_lanes_narrow(X, y, T, V, lr, fs, ints, h, L, start_step, stop_step, step, stop,
                      first_correct, first_target):  # fmt: skip
    """:func:`run_lanes` with LLVM's vector width for the CPU (256 bits with AVX2)."""
    _run_lanes(X, y, T, V, lr, fs, ints, h, L, start_step, stop_step, step, stop, first_correct,
               first_target, False)  # fmt: skip


@njit(**_OPTIONS)
def _run_lanes(X, y, T, V, lr, fs, ints, h, L, start_step, stop_step, step, stop, first_correct,
               first_target, wide):  # fmt: skip
    """The body of :func:`run_lanes`, compiled for each vector width (``wide``, a constant of
    its caller's: see :func:`vector_width`)."""
    vector_width(wide)
    n, d = X.shape
    P, N = T.shape
    b1o, W2o, b2o = d * h, d * h + h, d * h + 2 * h  # offsets of b1, W2, b2 (W1 starts at 0)
    momentum, nesterov, sse = ints[OPT] == MOMENTUM, ints[NESTEROV] == 1, ints[LOSS] == SSE
    adam, beta1, beta2, eps = ints[OPT] == ADAM, fs[BETA1], fs[BETA2], fs[EPS]
    act, use_tol = ints[ACT], ints[USE_TOL] == 1
    mu, tol, target, margin = fs[MU], fs[TOL], fs[TARGET], fs[MARGIN]
    tol_level = tol if use_tol else -1.0  # no loss reaches -1: the rule is off
    for block in range(N // L):
        lo = block * L
        Tb, Vb, lrb = load_block(T, V, lr, lo, L)
        H = np.empty((n, h, L))
        z2 = np.empty((n, L))
        dz = np.empty((n, L))
        grad = np.empty((P, L))
        acc = np.empty(L)
        z2acc = np.empty(L)
        dz1 = np.empty(L)
        finite = np.empty(L)
        correct = np.empty(L)
        low = np.empty(L)
        active, unsolved, seeking = lane_flags(lo, L, stop, first_correct, first_target, ints)
        # Every loop over q (the lanes) is innermost, so that LLVM vectorises it; per lane the
        # operations and their order are those of the scalar loop.
        for s in range(start_step, stop_step):
            running = 0.0
            for q in range(L):
                running += active[q]
            if running == 0.0:
                break
            # Forward over the full data, a sample at a time: Z1 = X W1 + b1, H = act(Z1),
            # z2 = H W2 + b2, p = sigmoid(z2); in the same passes, the evaluation's sums (is
            # every sample right, a lower bound of the loss) and the backward pass's first
            # step, dz = dL/dz2. Each sum adds its terms in the scalar loop's order.
            for q in range(L):
                finite[q] = 1.0
                correct[q] = 1.0
                low[q] = 0.0
            for r in range(n):
                for q in range(L):
                    z2acc[q] = 0.0
                for j in range(h):
                    x = X[r, 0]
                    for q in range(L):
                        acc[q] = x * Tb[j, q]  # = 0 + x T: the scalar loop's first term
                    for k in range(1, d):
                        x = X[r, k]
                        for q in range(L):
                            acc[q] += x * Tb[k * h + j, q]
                    # One loop per activation: a branch inside the loop would be turned
                    # into computing every activation for every lane.
                    if act == RELU:
                        for q in range(L):
                            a = acc[q] + Tb[b1o + j, q]
                            finite[q] = finite[q] if math.isfinite(a) else 0.0
                            H[r, j, q] = max(a, 0.0)
                    elif act == TANH:
                        for q in range(L):
                            a = acc[q] + Tb[b1o + j, q]
                            finite[q] = finite[q] if math.isfinite(a) else 0.0
                            H[r, j, q] = tanh_v(a)
                    else:
                        for q in range(L):
                            a = acc[q] + Tb[b1o + j, q]
                            finite[q] = finite[q] if math.isfinite(a) else 0.0
                            H[r, j, q], _ = sigmoid_e(a)
                    for q in range(L):
                        z2acc[q] += H[r, j, q] * Tb[W2o + j, q]
                # Right by the margin: p > 0.5 + margin for label 1, p < 0.5 - margin for 0,
                # both as side * p > edge (side = +-1; negating is exact).
                target_r = y[r]
                side = 1.0 if target_r > 0.5 else -1.0
                edge = 0.5 + margin if target_r > 0.5 else -(0.5 - margin)
                sign = 1.0 - 2.0 * target_r
                # The squared error: the loss itself, and dE/dz2 = (p - y) p (1 - p). The BCE: a
                # lower bound of it, log1p(e) >= e - e^2 / 2 on [0, 1], and dL/dz2 = (p - y) / n.
                for q in range(L):
                    a = z2acc[q] + Tb[b2o, q]
                    finite[q] = finite[q] if math.isfinite(a) else 0.0
                    z2[r, q] = a
                    pr, e = sigmoid_e(a)
                    correct[q] = correct[q] if side * pr > edge else 0.0
                    if sse:
                        low[q] += 0.5 * (pr - target_r) ** 2
                        dz[r, q] = (pr - target_r) * pr * (1.0 - pr)
                    else:
                        low[q] += max(sign * a, 0.0) + (e - 0.5 * e * e)
                        dz[r, q] = (pr - target_r) / n
            # The lanes with something to record or a rule to check this step (an overflow, a
            # first all-correct step, a loss that may have reached a level), found in one
            # vectorised pass; most steps have none, and the pass lane by lane is skipped.
            events = 0
            for q in range(L):
                level = low[q] if sse else low[q] / n
                reach = max(tol_level, target if seeking[q] == 1.0 else -1.0)
                near = 1.0 if level <= reach * (1.0 + 1e-12) else 0.0
                event = (1.0 - finite[q]) + correct[q] * unsolved[q] + near
                events += 1 if active[q] == 1.0 and event > 0.0 else 0
            if events > 0:
                settle(s, lo, y, z2, low, finite, correct, active, unsolved, seeking, fs, ints,
                       stop, step, first_correct, first_target)  # fmt: skip
            # Backward: the rest of the post's seven steps, summed over the samples in order.
            for c in range(P):
                for q in range(L):
                    grad[c, q] = 0.0
            for r in range(n):
                for q in range(L):
                    grad[b2o, q] += dz[r, q]  # 3) dL/db2
                for j in range(h):
                    for q in range(L):
                        hj = H[r, j, q]
                        grad[W2o + j, q] += hj * dz[r, q]  # 2) dL/dW2 = H^T dz
                        slope = activation_slope(hj, act)
                        dz1[q] = (dz[r, q] * Tb[W2o + j, q]) * slope  # 4) 5)
                        grad[b1o + j, q] += dz1[q]  # 7) dL/db1
                    for k in range(d):
                        x = X[r, k]
                        for q in range(L):
                            grad[k * h + j, q] += x * dz1[q]  # 6) dL/dW1 = X^T dZ1
            # Update the running networks (a stopped one adds 0 * its step: unchanged).
            for q in range(L):
                finite[q] = 1.0
            c1 = c2 = 1.0  # Adam's bias corrections: the running networks have all taken s
            if adam:  # steps, so this is update t = s + 1 for every one of them
                c1 = 1.0 - beta1 ** (s + 1)
                c2 = 1.0 - beta2 ** (s + 1)
            for c in range(P):
                if momentum:
                    for q in range(L):
                        v = Vb[0, c, q] * mu
                        v -= lrb[q] * grad[c, q]
                        Vb[0, c, q] = v if active[q] == 1.0 else Vb[0, c, q]
                        change = mu * v - lrb[q] * grad[c, q] if nesterov else v
                        t = Tb[c, q] + change if active[q] == 1.0 else Tb[c, q]
                        Tb[c, q] = t
                        finite[q] = finite[q] if math.isfinite(t) else 0.0
                elif adam:
                    for q in range(L):
                        g = grad[c, q]
                        m = Vb[0, c, q] * beta1
                        m += (1.0 - beta1) * g
                        v = Vb[1, c, q] * beta2
                        v += (1.0 - beta2) * g * g
                        Vb[0, c, q] = m if active[q] == 1.0 else Vb[0, c, q]
                        Vb[1, c, q] = v if active[q] == 1.0 else Vb[1, c, q]
                        change = lrb[q] * (m / c1) / (math.sqrt(v / c2) + eps)
                        t = Tb[c, q] - change if active[q] == 1.0 else Tb[c, q]
                        Tb[c, q] = t
                        finite[q] = finite[q] if math.isfinite(t) else 0.0
                else:
                    for q in range(L):
                        t = Tb[c, q] - lrb[q] * grad[c, q] if active[q] == 1.0 else Tb[c, q]
                        Tb[c, q] = t
                        finite[q] = finite[q] if math.isfinite(t) else 0.0
            for q in range(L):
                if active[q] == 1.0 and finite[q] == 0.0:
                    stop[lo + q], step[lo + q], active[q] = DIVERGED, s, 0.0
        store_block(T, V, step, Tb, Vb, active, lo, stop_step)
