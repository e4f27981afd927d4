"""The compiled training loop (numba): forward, backward, update, records and stop checks fused.

Imported only when the numba engine is used. Every function here is a scalar transcription of
the NumPy reference (:mod:`xornet.network`, :mod:`xornet.optim`, the loop of
:func:`xornet.train`), in the same order of operations, over preallocated buffers.

Parameters are packed into one flat vector ``theta`` in ``Params.ravel()`` order::

    theta = [ W1 (d*h, row-major) | b1 (h) | W2 (h) | b2 (1) ]      size P = d h + 2 h + 1

so an optimizer is one loop over ``P`` numbers. Shapes of the other buffers:

    X (n, d)  y (n,)  order (n,) int  perms (n_epochs, n) int  history (n_records,)
    H (n, h) hidden activations  z2 (n,) logits  p (n,) probabilities  grad (P,)
    state (3, P) optimizer; Hb, z2b, pb: the same for a mini-batch

``state`` rows: momentum velocity | Adam m | Adam v. ``counters`` (int64, length 6) carries
the loop's state in and out: [step, n_records, stop code, adam t, first correct step,
first target step] (-1 for "not yet").
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

SIGMOID, TANH, RELU = 0, 1, 2
GD, MOMENTUM, ADAM = 0, 1, 2
RUNNING, TOLERANCE, ALL_CORRECT, DIVERGED = 0, 1, 2, 3
# Indices into counters.
STEP, N_RECORDS, STOP, ADAM_T, FIRST_CORRECT, FIRST_TARGET = 0, 1, 2, 3, 4, 5
# Indices into the float settings vector.
LR, MU, BETA1, BETA2, EPS, TOL, TARGET = 0, 1, 2, 3, 4, 5, 6
# Indices into the int settings vector.
ACT, OPT, NESTEROV, BATCH, SHUFFLE, RECORD_EVERY, USE_TOL, STOP_CORRECT, USE_TARGET = range(9)

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_OPTIONS)
def sigmoid(z: float) -> float:
    """Stable logistic function, exactly as :func:`xornet.functional.sigmoid`."""
    e = math.exp(-abs(z))
    r = 1.0 / (1.0 + e)
    return r if z >= 0.0 else e * r


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
def forward(X, rows, n_rows, theta, d, h, act, H, z2, p):
    """Hidden activations H, logits z2 and probabilities p (first n_rows entries) for the
    samples X[rows[:n_rows]]. Returns False if a pre-activation overflowed (the NumPy loop
    raises on any overflow, so both engines call that divergence)."""
    b1, W2, b2 = d * h, d * h + h, d * h + 2 * h
    finite = True
    for r in range(n_rows):
        i = rows[r]
        for j in range(h):
            s = 0.0
            for k in range(d):
                s += X[i, k] * theta[k * h + j]
            s += theta[b1 + j]
            finite &= math.isfinite(s)
            H[r, j] = activate(s, act)
        s = 0.0
        for j in range(h):
            s += H[r, j] * theta[W2 + j]
        z2[r] = s + theta[b2]
        finite &= math.isfinite(z2[r])
        p[r] = sigmoid(z2[r])
    return finite


@njit(**_OPTIONS)
def bce(y, n_rows, z2):
    """Mean BCE from logits over the first n_rows logits (all samples, in order)."""
    total = 0.0
    for r in range(n_rows):
        total += log1p_exp(z2[r]) - y[r] * z2[r]
    return total / n_rows


@njit(**_OPTIONS)
def all_correct(y, n_rows, p):
    """Whether every probability is on the right side of 0.5."""
    for r in range(n_rows):
        if (p[r] > 0.5) != (y[r] > 0.5):
            return False
    return True


@njit(**_OPTIONS)
def backward(X, y, rows, n_rows, theta, d, h, act, H, p, grad):
    """Gradients of the mean BCE over the batch, the post's seven steps, into grad."""
    b1, W2, b2 = d * h, d * h + h, d * h + 2 * h
    grad[:] = 0.0
    for r in range(n_rows):
        i = rows[r]
        dz2 = (p[r] - y[i]) / n_rows  # 1) dL/dZ2
        for j in range(h):
            grad[W2 + j] += H[r, j] * dz2  # 2) dL/dW2
        grad[b2] += dz2  # 3) dL/db2
        for j in range(h):
            dz1 = dz2 * theta[W2 + j] * activation_grad(H[r, j], act)  # 4) dL/dH, 5) dL/dZ1
            for k in range(d):
                grad[k * h + j] += X[i, k] * dz1  # 6) dL/dW1
            grad[b1 + j] += dz1  # 7) dL/db1


@njit(**_OPTIONS)
def update(theta, grad, state, fs, opt, nesterov, t):
    """One optimizer step in place; returns the new Adam step count."""
    lr = fs[LR]
    if opt == GD:
        for p in range(theta.size):
            theta[p] -= lr * grad[p]
        return t
    if opt == MOMENTUM:
        mu = fs[MU]
        for p in range(theta.size):
            v = state[0, p] * mu
            v -= lr * grad[p]
            state[0, p] = v
            theta[p] += mu * v - lr * grad[p] if nesterov else v
        return t
    t += 1
    b1, b2, eps = fs[BETA1], fs[BETA2], fs[EPS]
    c1 = 1.0 - b1**t
    c2 = 1.0 - b2**t
    for p in range(theta.size):
        g = grad[p]
        m = state[1, p] * b1
        m += (1.0 - b1) * g
        v = state[2, p] * b2
        v += (1.0 - b2) * g * g
        state[1, p] = m
        state[2, p] = v
        theta[p] -= lr * (m / c1) / (math.sqrt(v / c2) + eps)
    return t


@njit(**_OPTIONS)
def all_finite(theta):
    """Whether every parameter is finite."""
    for p in range(theta.size):
        if not math.isfinite(theta[p]):
            return False
    return True


@njit(**_OPTIONS)
def run(X, y, theta, state, fs, ints, stop_step, order, perms, first_epoch, history,
        counters, H, z2, p, Hb, z2b, pb, grad, identity):  # fmt: skip
    """Advance training from counters[STEP] up to stop_step (or an earlier stop).

    Mirrors the loop of :func:`xornet.train`: at each step, a full-data evaluation when the
    step starts an epoch or is recorded (record, check the loss is finite, check the stop
    rules), then forward on the batch, backward and update. The loss itself is computed only
    on the steps that use it (records, and every check when a tolerance or target is set).
    """
    n, d = X.shape
    h = H.shape[1]
    act, opt, nesterov = ints[ACT], ints[OPT], ints[NESTEROV]
    batch, record_every = ints[BATCH], ints[RECORD_EVERY]
    use_tol, use_target, stop_correct = ints[USE_TOL], ints[USE_TARGET], ints[STOP_CORRECT]
    per_epoch = (n + batch - 1) // batch
    full_batch = per_epoch == 1
    step = counters[STEP]
    t = counters[ADAM_T]
    position = step % per_epoch  # batch index within the epoch, counted without division
    since_record = step % record_every
    while step < stop_step:
        if position == 0 and not full_batch and ints[SHUFFLE]:
            order[:] = perms[step // per_epoch - first_epoch]
        record = since_record == 0
        if position == 0 or record:
            if not forward(X, identity, n, theta, d, h, act, H, z2, p):
                counters[STOP] = DIVERGED
                break
            loss = 0.0
            if record or use_tol or use_target:
                loss = bce(y, n, z2)
                if not math.isfinite(loss):
                    counters[STOP] = DIVERGED
                    break
            if record:
                if counters[N_RECORDS] < history.size:
                    history[counters[N_RECORDS]] = loss
                counters[N_RECORDS] += 1
            if position == 0:
                correct = all_correct(y, n, p)
                if correct and counters[FIRST_CORRECT] < 0:
                    counters[FIRST_CORRECT] = step
                if use_target and loss <= fs[TARGET] and counters[FIRST_TARGET] < 0:
                    counters[FIRST_TARGET] = step
                if use_tol and loss <= fs[TOL]:
                    counters[STOP] = TOLERANCE
                    break
                if stop_correct and correct:
                    counters[STOP] = ALL_CORRECT
                    break
        if full_batch:  # every step starts an epoch, so H and p are this step's forward
            backward(X, y, identity, n, theta, d, h, act, H, p, grad)
        else:
            rows = order[position * batch : min((position + 1) * batch, n)]
            if not forward(X, rows, rows.size, theta, d, h, act, Hb, z2b, pb):
                counters[STOP] = DIVERGED
                break
            backward(X, y, rows, rows.size, theta, d, h, act, Hb, pb, grad)
        t = update(theta, grad, state, fs, opt, nesterov, t)
        if not all_finite(theta):
            counters[STOP] = DIVERGED
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


@njit(parallel=True, **_OPTIONS)
def run_many(X, y, thetas, states, fs_all, ints, stop_step, order, history_all,
             counters_all, identity):  # fmt: skip
    """Train many independent networks (full batch or a fixed order), in parallel over both
    cores: network ``i`` runs :func:`run` on ``thetas[i]`` with ``fs_all[i]``."""
    n, _ = X.shape
    h = (thetas.shape[1] - 1) // (X.shape[1] + 2)
    no_perms = np.empty((0, n), dtype=np.int64)
    for i in prange(thetas.shape[0]):
        H, z2, p = np.empty((n, h)), np.empty(n), np.empty(n)
        Hb, z2b, pb = np.empty((n, h)), np.empty(n), np.empty(n)
        grad = np.empty(thetas.shape[1])
        run(X, y, thetas[i], states[i], fs_all[i], ints, stop_step, order.copy(), no_perms, 0,
            history_all[i], counters_all[i], H, z2, p, Hb, z2b, pb, grad, identity)  # fmt: skip
