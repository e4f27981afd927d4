"""The NumPy engine of :func:`xornet.train_many`: many networks stacked along a leading axis.

The weights of ``N`` networks are views into their packed rows ``thetas (N, P)``
(:func:`unpack`: ``W1 (N, d, h)``, ``b1 (N, 1, h)``, ...), and each step runs the reference's
own :func:`xornet.network.forward` and :func:`xornet.network.backward_steps` on them, which
broadcast over that axis: one vectorised step for every network, with no second copy of the
maths. Networks that stop early or diverge are frozen by a mask.

Two things are the reference's rules written for the stack, because the reference's own
functions handle one network: the loss per network (:func:`losses`, the formulas of
:func:`xornet.network.loss` summed over each network's samples) and the update
(:func:`_update`, the formulas of :mod:`xornet.optim` with a learning rate per network and the
mask of running networks). The compiled engines' drivers use :func:`forward` and
:func:`losses` too, for the loss at the 90% point.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from xornet._typing import Array, IntArray
from xornet.config import TrainConfig, batch_schedule
from xornet.diagnosis import correct_by_margin
from xornet.functional import log_softmax, sigmoid
from xornet.network import Cache, backward_steps, output_probabilities
from xornet.network import forward as network_forward

__all__ = ["Run", "Stacked", "all_correct", "forward", "losses", "run", "unpack"]


class Stacked(NamedTuple):
    """The weights of ``N`` networks, as views into their packed rows: writing into them
    writes into ``thetas``."""

    W1: Array  # (N, d, h)
    b1: Array  # (N, 1, h): a row per network, which broadcasts over its samples
    W2: Array  # (N, h, k)
    b2: Array  # (N, 1, k)
    W3: Array | None  # (N, d, k), the shortcut's; None without one


def unpack(thetas: Array, d: int, h: int, k: int) -> Stacked:
    """Views of stacked packed parameters ``thetas (N, P)`` (``Params.ravel()`` order); ``W3``
    is None when the packing has no room for it."""
    N = thetas.shape[0]
    end = d * h + h + h * k + k
    return Stacked(
        thetas[:, : d * h].reshape(N, d, h),
        thetas[:, d * h : d * h + h].reshape(N, 1, h),
        thetas[:, d * h + h : d * h + h + h * k].reshape(N, h, k),
        thetas[:, d * h + h + h * k : end].reshape(N, 1, k),
        thetas[:, end:].reshape(N, d, k) if thetas.shape[1] > end else None,
    )


def forward(thetas: Array, X: Array, d: int, h: int, k: int, activation: str) -> Cache:
    """:func:`xornet.network.forward` of every network on ``X``: ``Z2 (N, n, k)`` and so on."""
    return network_forward(unpack(thetas, d, h, k), X, activation)


def losses(Z2: Array, y: Array, kind: str = "bce") -> Array:
    """The loss of each network from its logits, as :func:`xornet.network.loss`:
    ``Z2 (N, n, k)`` -> ``(N,)``."""
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


def all_correct(P: Array, y: Array, margin: float) -> np.ndarray:
    """Whether every sample of each network is right by the margin
    (:func:`xornet.diagnosis.correct_by_margin`, on all networks' samples as one set of rows):
    ``P (N, n, k)`` -> ``(N,)``."""
    N, n, k = P.shape
    right = correct_by_margin(output_probabilities(P.reshape(N * n, k)), np.tile(y, N), margin)
    return np.asarray(right.reshape(N, n).all(axis=1))


class Run(NamedTuple):
    """What an engine of :func:`xornet.train_many` reports per network (the parameters are
    updated in place)."""

    steps: IntArray
    stop_reason: np.ndarray
    solve_step: IntArray
    target_step: IntArray
    earlier_loss: Array


#: Steps between the progress reports.
REPORT_EVERY = 1_000


def run(
    X: Array,
    y: Array,
    config: TrainConfig,
    thetas: Array,
    lrs: Array,
    target: float | None,
    earlier_step: int,
    k: int,
    progress: Callable[[int, int], object],
) -> Run:
    """Train every network of ``thetas (N, P)`` in place: the loop of :class:`xornet.Trainer`
    (evaluation and stop rules, forward, backward, update) over the stack."""
    n, d = X.shape
    N, size = thetas.shape
    h = config.hidden
    weights = unpack(thetas, d, h, k)
    grads = np.empty((N, size))
    grad = unpack(grads, d, h, k)
    batch, per_epoch = batch_schedule(n, config.batch_size)
    lr = lrs[:, None]
    state = np.zeros((3, N, size))  # velocity | Adam m | Adam v, packed like thetas
    adam_t = np.zeros(N)
    active = np.ones(N, dtype=bool)
    steps = np.full(N, config.steps, dtype=np.int64)
    stops = np.full(N, "max_steps", dtype="<U11")
    solve = np.full(N, -1, dtype=np.int64)
    reach = np.full(N, -1, dtype=np.int64)
    earlier = np.full(N, np.nan)

    def stop(mask: np.ndarray, reason: str, step: int) -> None:
        steps[mask] = step
        stops[mask] = reason
        active[mask] = False

    with np.errstate(over="ignore", invalid="ignore"):  # diverging networks give inf or nan
        for step in range(config.steps):
            if not active.any():
                break
            if step % REPORT_EVERY == 0 and step > 0:
                progress(step, config.steps)
            position = step % per_epoch
            record = step % config.record_every == 0
            evaluated = position == 0 or record or step == earlier_step
            if evaluated:
                full = network_forward(weights, X, config.activation)
                current = losses(full.Z2, y, config.loss)
                if step == earlier_step:
                    earlier[active] = current[active]
                stop(active & ~np.isfinite(current), "diverged", step)
                if position == 0:
                    correct = all_correct(full.P, y, config.margin)
                    solve[active & correct & (solve < 0)] = step
                    if target is not None:
                        reach[active & (current <= target) & (reach < 0)] = step
                    if config.tol is not None:
                        stop(active & (current <= config.tol), "tolerance", step)
                    if config.stop_when_correct:
                        stop(active & correct, "all_correct", step)
            rows = slice(position * batch, (position + 1) * batch)
            if evaluated and per_epoch == 1:  # full batch: the evaluation's pass is the batch's
                cache = full
            else:
                cache = network_forward(weights, X[rows], config.activation)
            overflow = ~(
                np.isfinite(cache.Z1).all(axis=(1, 2)) & np.isfinite(cache.Z2).all(axis=(1, 2))
            )
            stop(active & overflow, "diverged", step)
            back = backward_steps(weights, cache, y[rows], config.loss)
            grad.W1[...] = back.dW1
            grad.b1[:, 0] = back.db1
            grad.W2[...] = back.dW2
            grad.b2[:, 0] = back.db2
            if grad.W3 is not None:
                grad.W3[...] = back.dW3
            _update(config, thetas, grads, state, adam_t, lr, active)
            stop(active & ~np.isfinite(thetas).all(axis=1), "diverged", step)
        # The loss at the 90% point of the networks that stopped before it, at their end; a
        # diverged network's weights may overflow here too, so still inside the errstate.
        if earlier_step >= config.steps or np.isnan(earlier).any():
            missing = np.isnan(earlier)
            earlier[missing] = losses(forward(thetas, X, d, h, k, config.activation).Z2, y,
                                      config.loss)[missing]  # fmt: skip
    return Run(steps, stops, solve, reach, earlier)


def _update(
    config: TrainConfig,
    thetas: Array,
    grads: Array,
    state: Array,
    adam_t: Array,
    lr: Array,
    active: np.ndarray,
) -> None:
    """One optimizer step for the active networks: the formulas of :mod:`xornet.optim`, with
    each network's own learning rate ``lr (N, 1)``; stopped networks keep their weights."""
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
