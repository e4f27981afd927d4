"""The general lane kernel: :func:`run_lanes_general`, for the networks the full-batch lane
kernel (:func:`._lanes.run_lanes`) does not take: mini-batches in a fixed order (the 1986
studies' one pattern at a time included), softmax outputs, shortcut weights.

The lanes' layout, vector widths, activations and exp are :mod:`._lanes`'s (see there); per
lane the arithmetic is that of :func:`._kernels.run`, in the same order.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from xornet._typing import Array, IntArray
from xornet.engines._exp import exp_nonpos
from xornet.engines._kernels import (
    ACT,
    ADAM,
    ALL_CORRECT,
    BATCH,
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
    RECORD_EVERY,
    RELU,
    SHORTCUT,
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
from xornet.engines._lanes import (
    _OPTIONS,
    activation_slope,
    lane_flags,
    load_block,
    sigmoid_e,
    store_block,
    tanh_v,
    vector_bits,
    vector_width,
)


@njit(**_OPTIONS)
def settle_general(s, lo, y, Z, low, finite, correct, active, unsolved, seeking, fs, ints,
                   stop, step, first_correct, first_target, epoch_start):  # fmt: skip
    """:func:`settle` for :func:`run_lanes_general`: logits ``Z (n, K, L)`` of one output
    (``K = 1``) or of a softmax; at a step that starts no epoch (a record step of a
    mini-batch run) only the overflow check, as the reference's evaluation there."""
    n, K = Z.shape[0], Z.shape[1]
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
        if not epoch_start:
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
                    if K == 1:  # the BCE from the logit
                        loss += log1p_exp((1.0 - 2.0 * y[r]) * Z[r, 0, q])
                    else:  # the cross-entropy from the logits, as _kernels.log_softmax_at
                        best = 0
                        for c in range(1, K):
                            if Z[r, c, q] > Z[r, best, q]:
                                best = c
                        top = Z[r, best, q]
                        rest = 0.0
                        for c in range(K):
                            if c != best:
                                rest += math.exp(Z[r, c, q] - top)
                        loss -= (Z[r, int(y[r]), q] - top) - math.log1p(rest)
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


def run_lanes_general(X: Array, y: Array, T: Array, V: Array, lr: Array, fs: Array,
                      ints: IntArray, h: int, K: int, L: int, start_step: int, stop_step: int,
                      step: IntArray, stop: IntArray, first_correct: IntArray,
                      first_target: IntArray) -> None:  # fmt: skip
    """:func:`run_lanes` for every other network: mini-batches in a fixed order (one pattern
    at a time included), ``K >= 3`` softmax outputs (``K = 1``: one sigmoid output), shortcut
    weights ``W3 (d, K)``.

    Mirrors :func:`xornet.engines._kernels.run` with the identity order: a step that starts an
    epoch or takes a record evaluates the full data (the overflow check; at an epoch's start
    also the first all-correct and target steps and the stop rules), then the batch's backward
    pass and the update. Each sample's backward pass follows its forward pass, so only one
    sample's hidden units are kept (a pass over 1,024 samples stays in the cache); each
    gradient still sums its samples in their order. On an evaluating step the batch's samples
    are among those the evaluation has run forward: their numbers are the ones a second pass
    would give.
    """
    kernel = _run_general_512 if vector_bits() == 512 else _run_general_narrow
    kernel(X, y, T, V, lr, fs, ints, h, K, L, start_step, stop_step, step, stop, first_correct,
           first_target)  # fmt: skip


@njit(**_OPTIONS)
def _run_general_512(X, y, T, V, lr, fs, ints, h, K, L, start_step, stop_step, step, stop,
                     first_correct, first_target):  # fmt: skip
    """:func:`run_lanes_general` with 512-bit vectors."""
    _run_general(X, y, T, V, lr, fs, ints, h, K, L, start_step, stop_step, step, stop,
                 first_correct, first_target, True)  # fmt: skip


@njit(**_OPTIONS)
def _run_general_narrow(X, y, T, V, lr, fs, ints, h, K, L, start_step, stop_step, step, stop,
                        first_correct, first_target):  # fmt: skip
    """:func:`run_lanes_general` with LLVM's vector width for the CPU (256 bits with AVX2)."""
    _run_general(X, y, T, V, lr, fs, ints, h, K, L, start_step, stop_step, step, stop,
                 first_correct, first_target, False)  # fmt: skip


@njit(**_OPTIONS)
def _run_general(X, y, T, V, lr, fs, ints, h, K, L, start_step, stop_step, step, stop,
                 first_correct, first_target, wide):  # fmt: skip
    """The body of :func:`run_lanes_general`, for each vector width (see :func:`_run_lanes`)."""
    vector_width(wide)
    n, d = X.shape
    P, N = T.shape
    b1o, W2o = d * h, d * h + h  # offsets of b1, W2, b2 and W3 (W1 starts at 0)
    b2o = W2o + h * K
    W3o = b2o + K
    shortcut = ints[SHORTCUT] == 1
    momentum, nesterov, sse = ints[OPT] == MOMENTUM, ints[NESTEROV] == 1, ints[LOSS] == SSE
    adam, beta1, beta2, eps = ints[OPT] == ADAM, fs[BETA1], fs[BETA2], fs[EPS]
    act, use_tol = ints[ACT], ints[USE_TOL] == 1
    mu, tol, target, margin = fs[MU], fs[TOL], fs[TARGET], fs[MARGIN]
    tol_level = tol if use_tol else -1.0  # no loss reaches -1: the rule is off
    batch, record_every = ints[BATCH], ints[RECORD_EVERY]
    per_epoch = (n + batch - 1) // batch
    for block in range(N // L):
        lo = block * L
        Tb, Vb, lrb = load_block(T, V, lr, lo, L)
        H = np.empty((h, L))  # one sample's hidden activations
        Z = np.empty((n, K, L))  # the logits of every sample run forward this step
        Pr = np.empty((K, L))  # one sample's probabilities
        # The update's factors, rows of one array: the batch's gradients (more than one
        # sample); for one sample, its dL/dZ1, its hidden units and its output deltas; ones.
        F = np.empty((P + 2 * h + K + 1, L))
        grad, D1, Hb = F[:P], F[P : P + h], F[P + h : P + 2 * h]
        dz = F[P + 2 * h : P + 2 * h + K]
        ONE = P + 2 * h + K
        for q in range(L):
            F[ONE, q] = 1.0
        acc = np.empty(L)
        top = np.empty(L)
        total = np.empty(L)
        dz1 = np.empty(L)
        finite = np.empty(L)
        correct = np.empty(L)
        low = np.empty(L)
        active, unsolved, seeking = lane_flags(lo, L, stop, first_correct, first_target, ints)
        running = 0.0  # counted again only when lanes stop
        for q in range(L):
            running += active[q]
        for s in range(start_step, stop_step):
            if running == 0.0:
                break
            position = s % per_epoch
            epoch_start = position == 0
            evaluate = epoch_start or s % record_every == 0
            first = position * batch
            m = min(batch, n - first)
            r0, r1 = (0, n) if evaluate else (first, first + m)
            for q in range(L):
                finite[q] = 1.0
            if epoch_start:  # the evaluation's sums
                for q in range(L):
                    correct[q] = 1.0
                    low[q] = 0.0
            if m > 1:
                for c in range(P):
                    for q in range(L):
                        grad[c, q] = 0.0
            for r in range(r0, r1):
                # Forward: Z1 = X W1 + b1, H = act(Z1), z2 = H W2 + b2 (+ X W3), P = sigmoid
                # or softmax of z2; loops over the lanes innermost, as in run_lanes.
                # Each sum's last term is added in the loop that uses the sum (one pass over
                # the lanes fewer); acc holds the terms before it (none: 0).
                x = X[r, d - 1]
                for j in range(h):
                    for k in range(d - 1):
                        w = X[r, k]
                        for q in range(L):
                            acc[q] = (acc[q] if k > 0 else 0.0) + w * Tb[k * h + j, q]
                    last = (d - 1) * h + j
                    if act == RELU:
                        for q in range(L):
                            a = (acc[q] if d > 1 else 0.0) + x * Tb[last, q]
                            a += Tb[b1o + j, q]
                            finite[q] = finite[q] if math.isfinite(a) else 0.0
                            H[j, q] = max(a, 0.0)
                    elif act == TANH:
                        for q in range(L):
                            a = (acc[q] if d > 1 else 0.0) + x * Tb[last, q]
                            a += Tb[b1o + j, q]
                            finite[q] = finite[q] if math.isfinite(a) else 0.0
                            H[j, q] = tanh_v(a)
                    else:
                        for q in range(L):
                            a = (acc[q] if d > 1 else 0.0) + x * Tb[last, q]
                            a += Tb[b1o + j, q]
                            finite[q] = finite[q] if math.isfinite(a) else 0.0
                            H[j, q], _ = sigmoid_e(a)
                for c in range(K):
                    if shortcut:  # X W3, summed on its own, as the scalar loop does
                        w = X[r, 0]
                        for q in range(L):
                            top[q] = w * Tb[W3o + c, q]
                        for k in range(1, d):
                            w = X[r, k]
                            for q in range(L):
                                top[q] += w * Tb[W3o + k * K + c, q]
                    for j in range(h - 1):
                        for q in range(L):
                            acc[q] = (acc[q] if j > 0 else 0.0) + H[j, q] * Tb[W2o + j * K + c, q]
                    last = W2o + (h - 1) * K + c
                    for q in range(L):
                        a = (acc[q] if h > 1 else 0.0) + H[h - 1, q] * Tb[last, q]
                        a += Tb[b2o + c, q]
                        a += top[q] if shortcut else 0.0  # + X W3 (or + 0: the same number)
                        finite[q] = finite[q] if math.isfinite(a) else 0.0
                        Z[r, c, q] = a
                target_r = y[r]
                if K == 1 and not epoch_start and m == 1 and r == first:
                    # One pattern a step: its output and 1) its delta in one pass
                    for q in range(L):
                        pr, _ = sigmoid_e(Z[r, 0, q])
                        Pr[0, q] = pr
                        if sse:
                            dz[0, q] = (pr - target_r) * pr * (1.0 - pr)
                        else:
                            dz[0, q] = (pr - target_r) / m
                elif K == 1 and not epoch_start:
                    for q in range(L):
                        Pr[0, q], _ = sigmoid_e(Z[r, 0, q])
                elif K == 1:  # with the sums of the evaluation, as run_lanes
                    side = 1.0 if target_r > 0.5 else -1.0
                    edge = 0.5 + margin if target_r > 0.5 else -(0.5 - margin)
                    sign = 1.0 - 2.0 * target_r
                    for q in range(L):
                        a = Z[r, 0, q]
                        pr, e = sigmoid_e(a)
                        Pr[0, q] = pr
                        correct[q] = correct[q] if side * pr > edge else 0.0
                        # The squared error itself; or a lower bound of the BCE (run_lanes).
                        if sse:
                            low[q] += 0.5 * (pr - target_r) ** 2
                        else:
                            low[q] += max(sign * a, 0.0) + (e - 0.5 * e * e)
                else:
                    own = int(target_r)
                    # softmax: exp(z - top) / their sum, top the largest logit (as
                    # _kernels.softmax_row); acc: the sum of the other classes' exps.
                    for q in range(L):
                        top[q] = Z[r, 0, q]
                    for c in range(1, K):
                        for q in range(L):
                            top[q] = max(top[q], Z[r, c, q])
                    for q in range(L):
                        total[q] = 0.0
                        acc[q] = 0.0
                        dz1[q] = -1.0  # the logits equal to the top, less the top's own
                    for c in range(K):
                        for q in range(L):
                            shifted = Z[r, c, q] - top[q]
                            e = exp_nonpos(shifted)
                            Pr[c, q] = e
                            total[q] += e
                            below = shifted < 0.0
                            acc[q] += e if below else 0.0
                            dz1[q] += 0.0 if below else 1.0
                    for q in range(L):
                        acc[q] += dz1[q]  # each of those adds exp(0) = 1 to the rest
                    for c in range(K):
                        for q in range(L):
                            Pr[c, q] /= total[q]
                    # Right by the margin: its own class's probability beats every other by
                    # 2 margin. The loss's lower bound: top - z_own + log1p(rest), with
                    # log1p(x) >= x - x^2 / 2 (and >= 0) for x >= 0.
                    for q in range(L):
                        dz1[q] = -math.inf
                    for c in range(K):
                        if c != own:
                            for q in range(L):
                                dz1[q] = max(dz1[q], Pr[c, q])
                    for q in range(L):
                        right = Pr[own, q] - dz1[q] > 2.0 * margin
                        correct[q] = correct[q] if right else 0.0
                        rest = acc[q]
                        low[q] += (top[q] - Z[r, own, q]) + max(rest - 0.5 * rest * rest, 0.0)
                if r < first or r >= first + m:
                    continue  # evaluated only, not in this step's batch
                # Backward: the post's seven steps for this sample, added to the batch's sums.
                if K == 1 and not epoch_start and m == 1:
                    pass  # dz is done
                elif K == 1:
                    for q in range(L):
                        pr = Pr[0, q]
                        if sse:  # 1) dE/dz2 = (p - y) p (1 - p)
                            dz[0, q] = (pr - target_r) * pr * (1.0 - pr)
                        else:  # 1) dL/dz2 = (p - y) / m
                            dz[0, q] = (pr - target_r) / m
                else:
                    for c in range(K):
                        hit = 1.0 if c == target_r else 0.0
                        for q in range(L):
                            dz[c, q] = (Pr[c, q] - hit) / m  # 1) (P - onehot) / m
                if m == 1:
                    # One sample: its deltas are the gradients' factors, and the update takes
                    # them straight (below), with no sums to keep. 4) 5) dL/dZ1, from this
                    # sample's hidden units, kept apart from the next sample's.
                    for j in range(h):
                        if K == 1:
                            for q in range(L):
                                Hb[j, q] = H[j, q]
                                dh = dz[0, q] * Tb[W2o + j, q]
                                D1[j, q] = dh * activation_slope(H[j, q], act)
                            continue
                        for q in range(L):
                            Hb[j, q] = H[j, q]
                            D1[j, q] = dz[0, q] * Tb[W2o + j * K, q]
                        for c in range(1, K):
                            for q in range(L):
                                D1[j, q] += dz[c, q] * Tb[W2o + j * K + c, q]
                        for q in range(L):
                            D1[j, q] *= activation_slope(H[j, q], act)
                    continue
                for c in range(K):
                    for q in range(L):
                        grad[b2o + c, q] += dz[c, q]  # 3) dL/db2
                    if shortcut:
                        for k in range(d):
                            x = X[r, k]
                            for q in range(L):
                                grad[W3o + k * K + c, q] += x * dz[c, q]  # dL/dW3
                for j in range(h):
                    for c in range(K):
                        for q in range(L):
                            grad[W2o + j * K + c, q] += H[j, q] * dz[c, q]  # 2) dL/dW2
                    for q in range(L):  # 4) dL/dH = dz W2^T, 5) times act'(H)
                        dz1[q] = dz[0, q] * Tb[W2o + j * K, q]
                    for c in range(1, K):
                        for q in range(L):
                            dz1[q] += dz[c, q] * Tb[W2o + j * K + c, q]
                    for q in range(L):
                        dz1[q] *= activation_slope(H[j, q], act)
                        grad[b1o + j, q] += dz1[q]  # 7) dL/db1
                    for k in range(d):
                        x = X[r, k]
                        for q in range(L):
                            grad[k * h + j, q] += x * dz1[q]  # 6) dL/dW1
            # The lanes with an overflow, or at an epoch's start something to record or a
            # rule to check (as run_lanes).
            events = 0
            if epoch_start:
                for q in range(L):
                    level = low[q] if sse else low[q] / n
                    reach = max(tol_level, target if seeking[q] == 1.0 else -1.0)
                    near = 1.0 if level <= reach * (1.0 + 1e-12) else 0.0
                    event = (1.0 - finite[q]) + correct[q] * unsolved[q] + near
                    events += 1 if active[q] == 1.0 and event > 0.0 else 0
            else:
                for q in range(L):
                    events += 1 if active[q] * (1.0 - finite[q]) > 0.0 else 0
            if events > 0:
                settle_general(s, lo, y, Z, low, finite, correct, active, unsolved, seeking, fs,
                               ints, stop, step, first_correct, first_target,
                               epoch_start)  # fmt: skip
                running = 0.0
                for q in range(L):
                    running += active[q]
            # Update the running networks; a stopped one keeps its numbers (chosen, not
            # multiplied by 0, which would turn an infinite gradient into nan).
            for q in range(L):
                finite[q] = 1.0
            c1 = c2 = 1.0  # Adam's bias corrections for update t = s + 1 (see run_lanes)
            if adam:
                c1 = 1.0 - beta1 ** (s + 1)
                c2 = 1.0 - beta2 ** (s + 1)
            for c in range(P):
                # The gradient g = 0 + (x A) B: the batch's sum (x = 1, B = 1), or for one
                # sample its factors, 6) x dL/dZ1, 7) dL/dZ1, 2) H dz, 3) dz, x dz; each as
                # the reference's sum of one term (0 + x dz1, ...: multiplying by 1 is exact).
                x, a, b = 1.0, c, ONE  # g = 0 + (x F[a]) F[b]
                if m > 1:
                    pass
                elif c < b1o:
                    a, x = P + c % h, X[first, c // h]
                elif c < W2o:
                    a = P + c - b1o
                elif c < b2o:
                    a, b = P + h + (c - W2o) // K, P + 2 * h + (c - W2o) % K
                elif c < W3o:
                    a = P + 2 * h + c - b2o
                else:
                    a, x = P + 2 * h + (c - W3o) % K, X[first, (c - W3o) // K]
                if momentum:
                    for q in range(L):
                        g = 0.0 + (x * F[a, q]) * F[b, q]
                        v = Vb[0, c, q] * mu
                        v -= lrb[q] * g
                        Vb[0, c, q] = v if active[q] == 1.0 else Vb[0, c, q]
                        change = mu * v - lrb[q] * g if nesterov else v
                        t = Tb[c, q] + change if active[q] == 1.0 else Tb[c, q]
                        Tb[c, q] = t
                        finite[q] = finite[q] if math.isfinite(t) else 0.0
                elif adam:
                    for q in range(L):
                        g = 0.0 + (x * F[a, q]) * F[b, q]
                        mo = Vb[0, c, q] * beta1
                        mo += (1.0 - beta1) * g
                        v = Vb[1, c, q] * beta2
                        v += (1.0 - beta2) * g * g
                        Vb[0, c, q] = mo if active[q] == 1.0 else Vb[0, c, q]
                        Vb[1, c, q] = v if active[q] == 1.0 else Vb[1, c, q]
                        change = lrb[q] * (mo / c1) / (math.sqrt(v / c2) + eps)
                        t = Tb[c, q] - change if active[q] == 1.0 else Tb[c, q]
                        Tb[c, q] = t
                        finite[q] = finite[q] if math.isfinite(t) else 0.0
                else:
                    for q in range(L):
                        g = 0.0 + (x * F[a, q]) * F[b, q]
                        t = Tb[c, q] - lrb[q] * g if active[q] == 1.0 else Tb[c, q]
                        Tb[c, q] = t
                        finite[q] = finite[q] if math.isfinite(t) else 0.0
            spoiled = 0.0
            for q in range(L):
                spoiled += active[q] * (1.0 - finite[q])
            if spoiled > 0.0:  # an update overflowed: the reference calls it divergence
                for q in range(L):
                    if active[q] == 1.0 and finite[q] == 0.0:
                        stop[lo + q], step[lo + q], active[q] = DIVERGED, s, 0.0
                running -= spoiled
        store_block(T, V, step, Tb, Vb, active, lo, stop_step)
