"""The compiled training loop (numba): forward, backward, update, records and stop checks fused.

Imported only when the numba engine is used. Every function here is a scalar transcription of
the NumPy reference (:mod:`xornet.network`, :mod:`xornet.optim`, the loop of
:class:`xornet.Trainer`), in the same order of operations, over preallocated buffers: the
sigmoid or softmax output, the cross-entropy or squared-error loss, and every optimizer and
stop rule of :class:`xornet.TrainConfig`.

Parameters are packed into one flat vector ``theta`` in ``Params.ravel()`` order::

    theta = [ W1 (d*h, row-major) | b1 (h) | W2 (h*k, row-major) | b2 (k) | W3 (d*k) ]
    size P = d h + h + h k + k, with k = 1 output (two classes) or k = K (softmax),
    plus d k for the shortcut weights W3 when the network has them (ints[SHORTCUT])

so an optimizer is one loop over ``P`` numbers. Shapes of the other buffers:

    X (n, d)  y (n,)  order (n,) int  perms (n_epochs, n) int  history (n_records,)
    H (n, h) hidden activations  z2 (n k,) logits  p (n k,) probabilities  grad (P,)
    (z2 and p are flat, sample-major: entry ``r k + c`` is output ``c`` of sample ``r``)
    state (3, P) optimizer, or (3, 0) for plain gradient descent; Hb, z2b, pb: the same
    arrays for a mini-batch

``state`` rows: momentum velocity | Adam m | Adam v. ``counters`` (int64, length 6) carries
the loop's state in and out: [step, n_records, stop code, adam t, first correct step,
first target step] (-1 for "not yet").
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from xornet.engines._exp import exp_table

# The codes and the layout of the settings and counters live in _layout (no numba); imported
# here, where the loops and their callers have always found them.
from xornet.engines._layout import (
    ACT,
    ADAM,
    ADAM_T,
    ALL_CORRECT,
    BATCH,
    BCE,
    BETA1,
    BETA2,
    DIVERGED,
    EPS,
    FIRST_CORRECT,
    FIRST_TARGET,
    GD,
    LOSS,
    LR,
    MARGIN,
    MOMENTUM,
    MU,
    N_RECORDS,
    NESTEROV,
    OPT,
    RECORD_EVERY,
    RELU,
    RUNNING,
    SHORTCUT,
    SHUFFLE,
    SIGMOID,
    SSE,
    STEP,
    STOP,
    STOP_CORRECT,
    TANH,
    TARGET,
    TOL,
    TOLERANCE,
    USE_TARGET,
    USE_TOL,
)  # fmt: skip

#: The layout, re-exported for the loops' callers, and the loops.
__all__ = [
    "ACT",
    "ADAM",
    "ADAM_T",
    "ALL_CORRECT",
    "BATCH",
    "BCE",
    "BETA1",
    "BETA2",
    "DIVERGED",
    "EPS",
    "FIRST_CORRECT",
    "FIRST_TARGET",
    "GD",
    "LOSS",
    "LR",
    "MARGIN",
    "MOMENTUM",
    "MU",
    "NESTEROV",
    "N_RECORDS",
    "OPT",
    "RECORD_EVERY",
    "RELU",
    "RUNNING",
    "SHORTCUT",
    "SHUFFLE",
    "SIGMOID",
    "SSE",
    "STEP",
    "STOP",
    "STOP_CORRECT",
    "TANH",
    "TARGET",
    "TOL",
    "TOLERANCE",
    "USE_TARGET",
    "USE_TOL",
    "activate",
    "activation_grad",
    "log1p_exp",
    "log_softmax_at",
    "right_by_margin",
    "run",
    "sigmoid",
    "sigmoid_called",
    "softmax_row",
]

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(inline="always", **_OPTIONS)
def sigmoid(z: float) -> float:
    """Stable logistic function, as :func:`xornet.functional.sigmoid` (with the exp of
    :func:`._exp.exp_table`, within 1 ulp of the exact value). Inlined by numba into its
    callers, as ``exp_table`` is into it."""
    e = exp_table(-abs(z))
    r = 1.0 / (1.0 + e)
    return r if z >= 0.0 else e * r


@njit(**_OPTIONS)
def sigmoid_called(z: float) -> float:
    """:func:`sigmoid` compiled once as a function of its own, for the written-out
    one-network loop (:mod:`._written`), which calls it a dozen times a step: numba's inlining
    copies and types a function afresh at every call, over a second of compiling the first
    time a shape runs, while LLVM inlines this one into the loop all the same (the same
    machine code and results)."""
    return sigmoid(z)


@njit(**_OPTIONS)
def activate(z: float, kind: int) -> float:
    """Hidden activation by code."""
    if kind == SIGMOID:
        return sigmoid(z)
    if kind == TANH:
        return math.tanh(z)
    return max(z, 0.0)


@njit(**_OPTIONS)
def activation_grad(h: float, kind: int) -> float:
    """Derivative of the hidden activation, from its output."""
    if kind == SIGMOID:
        return h * (1.0 - h)
    if kind == TANH:
        return 1.0 - h * h
    return 1.0 if h > 0.0 else 0.0


@njit(**_OPTIONS)
def log1p_exp(z: float) -> float:
    """log(1 + e^z) without overflow, as numpy.logaddexp(0, z)."""
    if z == 0.0:
        return math.log(2.0)
    if z > 0.0:
        return z + math.log1p(math.exp(-z))
    return math.log1p(math.exp(z))


@njit(**_OPTIONS)
def softmax_row(z2, p, r, K):
    """Row ``r`` of the softmax of ``K`` logits, as :func:`xornet.functional.softmax`."""
    top = z2[r * K]
    for c in range(1, K):
        top = max(top, z2[r * K + c])
    total = 0.0
    for c in range(K):
        p[r * K + c] = math.exp(z2[r * K + c] - top)  # <= 1: no overflow
        total += p[r * K + c]
    for c in range(K):
        p[r * K + c] /= total


@njit(**_OPTIONS)
def log_softmax_at(z2, r, c, K):
    """``log softmax(z2[r])[c]``, as :func:`xornet.functional.log_softmax` (with ``log1p``)."""
    best = 0
    for q in range(1, K):
        if z2[r * K + q] > z2[r * K + best]:
            best = q
    top = z2[r * K + best]
    rest = 0.0
    for q in range(K):
        if q != best:
            rest += math.exp(z2[r * K + q] - top)
    return (z2[r * K + c] - top) - math.log1p(rest)


@njit(**_OPTIONS)
def right_by_margin(p, r, label, margin, K):
    """Whether sample ``r`` is right by the margin (:func:`xornet.diagnosis.correct_by_margin`)."""
    if K == 1:
        return p[r] > 0.5 + margin if label > 0.5 else p[r] < 0.5 - margin
    own = int(label)
    other = -math.inf
    for c in range(K):
        if c != own:
            other = max(other, p[r * K + c])
    return p[r * K + own] - other > 2.0 * margin


@njit(**_OPTIONS)
def run(X, y, theta, state, fs, ints, stop_step, order, perms, first_epoch, history,
        counters, H, z2, p, Hb, z2b, pb, grad, identity):  # fmt: skip
    """Advance training from counters[STEP] up to stop_step (or an earlier stop).

    Mirrors the loop of :class:`xornet.Trainer`: at each step, a full-data evaluation when the
    step starts an epoch or is recorded (record, check the loss is finite, check the stop
    rules), then forward on the batch, backward and update. The loss itself is computed only
    on the steps that use it (records, and every check when a tolerance or target is set).

    The forward, backward and update loops are written out here rather than called: a call
    that passes arrays costs numba a reference-count increment and decrement per array, which
    would be most of the cost of a step on XOR.
    """
    n, d = X.shape
    h = H.shape[1]
    K = z2.size // n  # outputs per sample
    b1, W2, b2 = d * h, d * h + h, d * h + h + h * K  # offsets in theta (W1 starts at 0)
    W3, shortcut = b2 + K, ints[SHORTCUT] == 1  # the shortcut's weights come last
    dz, dz2 = 0.0, np.empty(K)  # one sample's output delta: one output, or K
    act, opt, nesterov = ints[ACT], ints[OPT], ints[NESTEROV]
    batch, record_every = ints[BATCH], ints[RECORD_EVERY]
    use_tol, use_target, stop_correct = ints[USE_TOL], ints[USE_TARGET], ints[STOP_CORRECT]
    lr, mu, beta1, beta2, eps = fs[LR], fs[MU], fs[BETA1], fs[BETA2], fs[EPS]
    sse, margin = ints[LOSS] == SSE, fs[MARGIN]
    per_epoch = (n + batch - 1) // batch
    full_batch = per_epoch == 1
    step = counters[STEP]
    t = counters[ADAM_T]
    n_records = counters[N_RECORDS]
    stop = RUNNING
    position = step % per_epoch  # batch index within the epoch, then counted without division
    since_record = step % record_every
    rows, m, Hs, zs, ps = identity, n, H, z2, p
    while step < stop_step:
        if position == 0 and not full_batch and ints[SHUFFLE]:
            order[:] = perms[step // per_epoch - first_epoch]
        record = since_record == 0
        evaluate = position == 0 or record
        # Forward: the full data when evaluating (and always in full batch, where the names
        # stay bound to the full-data arrays: rebinding an array costs two reference-count
        # updates, a measurable part of a step this small), else the batch.
        if not full_batch:
            if evaluate:
                rows, m, Hs, zs, ps = identity, n, H, z2, p
            else:
                start = position * batch
                m = min(batch, n - start)
                rows, Hs, zs, ps = order[start : start + m], Hb, z2b, pb
        finite = True
        for r in range(m):
            i = rows[r]
            for j in range(h):
                s = 0.0
                for k in range(d):
                    s += X[i, k] * theta[k * h + j]  # Z1 = X @ W1
                s += theta[b1 + j]  # + b1
                finite &= math.isfinite(s)
                Hs[r, j] = activate(s, act)  # H = act(Z1)
            if K == 1:  # one sigmoid output (the post's network), written out: the hot path
                s = 0.0
                for j in range(h):
                    s += Hs[r, j] * theta[W2 + j]  # Z2 = H @ W2
                zs[r] = s + theta[b2]  # + b2
                if shortcut:
                    s = 0.0
                    for k in range(d):
                        s += X[i, k] * theta[W3 + k]  # + X @ W3
                    zs[r] += s
                finite &= math.isfinite(zs[r])
                ps[r] = sigmoid(zs[r])  # P = sigmoid(Z2)
            else:
                for c in range(K):
                    s = 0.0
                    for j in range(h):
                        s += Hs[r, j] * theta[W2 + j * K + c]
                    zs[r * K + c] = s + theta[b2 + c]
                    if shortcut:
                        s = 0.0
                        for k in range(d):
                            s += X[i, k] * theta[W3 + k * K + c]
                        zs[r * K + c] += s
                    finite &= math.isfinite(zs[r * K + c])
                softmax_row(zs, ps, r, K)  # P = softmax(Z2)
        if not finite:  # an overflow: the NumPy loop raises on any, so both call it divergence
            stop = DIVERGED
            break
        if evaluate:
            loss = 0.0
            if record or use_tol or use_target:
                if sse:
                    for r in range(n):
                        loss += 0.5 * (p[r] - y[r]) ** 2  # total squared error
                elif K == 1:
                    for r in range(n):
                        loss += log1p_exp((1.0 - 2.0 * y[r]) * z2[r])  # BCE from logits
                    loss /= n
                else:
                    for r in range(n):
                        loss -= log_softmax_at(z2, r, int(y[r]), K)  # cross-entropy from logits
                    loss /= n
                if not math.isfinite(loss):
                    stop = DIVERGED
                    break
            if record:
                if n_records < history.size:
                    history[n_records] = loss
                n_records += 1
            if position == 0:
                correct = True
                if K == 1:
                    for r in range(n):  # right side of 0.5, by at least the margin
                        correct &= p[r] > 0.5 + margin if y[r] > 0.5 else p[r] < 0.5 - margin
                else:
                    for r in range(n):
                        correct &= right_by_margin(p, r, y[r], margin, K)
                if correct and counters[FIRST_CORRECT] < 0:
                    counters[FIRST_CORRECT] = step
                if use_target and loss <= fs[TARGET] and counters[FIRST_TARGET] < 0:
                    counters[FIRST_TARGET] = step
                if use_tol and loss <= fs[TOL]:
                    stop = TOLERANCE
                    break
                if stop_correct and correct:
                    stop = ALL_CORRECT
                    break
            # The evaluation was on all samples: now the batch itself, the same forward pass
            # written again (one loop over both passes was slower, in full batch and per
            # pattern alike).
            if not full_batch:
                start = position * batch
                m = min(batch, n - start)
                rows, Hs, zs, ps = order[start : start + m], Hb, z2b, pb
                for r in range(m):
                    i = rows[r]
                    for j in range(h):
                        s = 0.0
                        for k in range(d):
                            s += X[i, k] * theta[k * h + j]
                        s += theta[b1 + j]
                        finite &= math.isfinite(s)
                        Hs[r, j] = activate(s, act)
                    if K == 1:  # one sigmoid output (the post's network), written out: the hot path
                        s = 0.0
                        for j in range(h):
                            s += Hs[r, j] * theta[W2 + j]
                        zs[r] = s + theta[b2]
                        if shortcut:
                            s = 0.0
                            for k in range(d):
                                s += X[i, k] * theta[W3 + k]
                            zs[r] += s
                        finite &= math.isfinite(zs[r])
                        ps[r] = sigmoid(zs[r])
                    else:
                        for c in range(K):
                            s = 0.0
                            for j in range(h):
                                s += Hs[r, j] * theta[W2 + j * K + c]
                            zs[r * K + c] = s + theta[b2 + c]
                            if shortcut:
                                s = 0.0
                                for k in range(d):
                                    s += X[i, k] * theta[W3 + k * K + c]
                                zs[r * K + c] += s
                            finite &= math.isfinite(zs[r * K + c])
                        softmax_row(zs, ps, r, K)
                if not finite:
                    stop = DIVERGED
                    break
        # Backward: the gradients of the loss over the batch, in the post's seven steps (the
        # mean cross-entropy's, sigmoid or softmax, or the total squared error's).
        for q in range(grad.size):
            grad[q] = 0.0
        for r in range(m):
            i = rows[r]
            if K == 1:  # one sigmoid output: the post's seven steps with scalar dZ2
                if sse:  # 1) dE/dZ2 = (P - y) P (1 - P), summed over patterns
                    dz = (ps[r] - y[i]) * ps[r] * (1.0 - ps[r])
                else:  # 1) dL/dZ2 = (P - y) / m, the mean cross-entropy's
                    dz = (ps[r] - y[i]) / m
                for j in range(h):
                    grad[W2 + j] += Hs[r, j] * dz  # 2) dL/dW2 = H^T dZ2
                grad[b2] += dz  # 3) dL/db2 = sum of dZ2
                if shortcut:
                    for k in range(d):
                        grad[W3 + k] += X[i, k] * dz  # (shortcut) dL/dW3 = X^T dZ2
                for j in range(h):
                    dh = dz * theta[W2 + j]  # 4) dL/dH = dZ2 W2^T
                    dz1 = dh * activation_grad(Hs[r, j], act)  # 5) dL/dZ1 = dH * act'(H)
                    for k in range(d):
                        grad[k * h + j] += X[i, k] * dz1  # 6) dL/dW1 = X^T dZ1
                    grad[b1 + j] += dz1  # 7) dL/db1 = sum of dZ1
            else:  # K softmax outputs: the same seven steps with a row of K deltas
                for c in range(K):
                    dz2[c] = (ps[r * K + c] - (1.0 if c == y[i] else 0.0)) / m  # 1) P - onehot
                    for j in range(h):
                        grad[W2 + j * K + c] += Hs[r, j] * dz2[c]  # 2)
                    grad[b2 + c] += dz2[c]  # 3)
                    if shortcut:
                        for k in range(d):
                            grad[W3 + k * K + c] += X[i, k] * dz2[c]
                for j in range(h):
                    dh = 0.0
                    for c in range(K):
                        dh += dz2[c] * theta[W2 + j * K + c]  # 4)
                    dz1 = dh * activation_grad(Hs[r, j], act)  # 5)
                    for k in range(d):
                        grad[k * h + j] += X[i, k] * dz1  # 6)
                    grad[b1 + j] += dz1  # 7)
        # Update (the formulas of xornet.optim), then check the weights are still finite.
        if opt == ADAM:
            t += 1
            c1 = 1.0 - beta1**t
            c2 = 1.0 - beta2**t
        for q in range(theta.size):
            g = grad[q]
            if opt == GD:
                theta[q] -= lr * g
            elif opt == MOMENTUM:
                v = state[0, q] * mu
                v -= lr * g
                state[0, q] = v
                theta[q] += mu * v - lr * g if nesterov else v
            else:
                mq = state[1, q] * beta1
                mq += (1.0 - beta1) * g
                vq = state[2, q] * beta2
                vq += (1.0 - beta2) * g * g
                state[1, q] = mq
                state[2, q] = vq
                theta[q] -= lr * (mq / c1) / (math.sqrt(vq / c2) + eps)
            finite &= math.isfinite(theta[q])
        if not finite:
            stop = DIVERGED
            break
        step += 1
        position += 1
        if position == per_epoch:
            position = 0
        since_record += 1
        if since_record == record_every:
            since_record = 0
    counters[STEP] = step
    counters[ADAM_T] = t
    counters[N_RECORDS] = n_records
    counters[STOP] = stop
