"""The study post's seven functions, with its names, signatures, defaults and layout.

The post keeps **features in rows and samples in columns**: ``X`` is ``(2, 4)``, ``Y`` is
``(1, 4)``, biases are columns ``B1 (h, 1)`` and ``B2 (1, 1)``. These functions accept and return
arrays in that layout, convert at their boundary to the library's rows-are-samples layout and
delegate to it (:mod:`xornet.network`, :mod:`xornet.training`): no second copy of the maths.

Randomness: :func:`init_parameters` draws from NumPy's *global* random state, exactly like the
post, so that ``np.random.seed(2)`` followed by ``init_parameters(2)`` gives the post's weights.
It is the one place in xornet that uses global random state, on purpose. The rest of xornet
takes an explicit ``rng``; :func:`xornet.post_initial_params` gives the same weights without
touching the global state.

Example, the post's run::

    import numpy as np
    from xornet.tutorial import X, Y, init_parameters, optimize

    np.random.seed(2)
    params, loss_trace, Y_hat_predict = optimize(X, Y, init_parameters(2))
    # loss_trace[-1] is about 0.004 and Y_hat_predict about [[0.002, 0.997, 0.995, 0.007]]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from xornet import functional
from xornet._typing import Array
from xornet.config import TrainConfig
from xornet.network import backward, forward, loss
from xornet.params import Params
from xornet.training import train

__all__ = [
    "X",
    "Y",
    "affine",
    "binary_cross_entropy",
    "forward_loss",
    "get_gradients",
    "init_parameters",
    "optimize",
    "sigmoid",
]

#: The post's inputs, features in rows: columns are (0,0), (0,1), (1,0), (1,1). Shape (2, 4).
X: Array = np.array([0, 0, 1, 1, 0, 1, 0, 1], dtype=np.float64).reshape(2, 4)
#: The post's XOR targets. Shape (1, 4).
Y: Array = np.array([0, 1, 1, 0], dtype=np.float64).reshape(1, 4)

ParamList = Sequence[Array]


def init_parameters(num_hidden_units: int = 2) -> tuple[Array, Array, Array, Array]:
    """Draw the post's initial parameters from NumPy's global random state.

    Parameters
    ----------
    num_hidden_units : int
        Hidden units ``h``.

    Returns
    -------
    W1 : ndarray of shape (2, h)
        ``np.random.randn(2, h)``.
    B1 : ndarray of shape (h, 1)
        Zeros.
    W2 : ndarray of shape (h, 1)
        ``np.random.randn(h, 1)``.
    B2 : ndarray of shape (1, 1)
        Zeros.
    """
    W1 = np.random.randn(2, num_hidden_units)  # noqa: NPY002  (the post's global state, on purpose)
    B1 = np.zeros((num_hidden_units, 1))
    W2 = np.random.randn(num_hidden_units, 1)  # noqa: NPY002
    B2 = np.zeros((1, 1))
    return W1, B1, W2, B2


def affine(W: Array, X: Array, B: Array) -> Array:
    """The post's affine transform ``W.T @ X + B``.

    Parameters
    ----------
    W : ndarray of shape (n_in, n_out)
    X : ndarray of shape (n_in, n_samples)
        Samples in columns.
    B : ndarray of shape (n_out, 1)

    Returns
    -------
    ndarray of shape (n_out, n_samples)
    """
    return functional.affine(np.asarray(X).T, np.asarray(W), np.asarray(B).T).T


def sigmoid(z: Array) -> Array:
    """The logistic function ``1 / (1 + exp(-z))``, elementwise; finite and silent for any z.

    Parameters
    ----------
    z : ndarray of any shape

    Returns
    -------
    ndarray of the same shape
    """
    return functional.sigmoid(np.asarray(z, dtype=np.float64))


def binary_cross_entropy(Y: Array, YHat: Array) -> float:
    """The post's loss ``-(1/N) sum(Y log YHat + (1 - Y) log(1 - YHat))``.

    Parameters
    ----------
    Y : ndarray of shape (1, N)
        Targets in {0, 1}.
    YHat : ndarray of shape (1, N)
        Predicted probabilities. Values of exactly 0 or 1 give a large finite loss, not inf.

    Returns
    -------
    float
    """
    return functional.binary_cross_entropy(np.asarray(Y, np.float64), np.asarray(YHat, np.float64))


def _to_library(X: Array, Y: Array, _params: ParamList) -> tuple[Array, Array, Params]:
    """Convert the post's (features, samples) layout to the library's (samples, features)."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if X.ndim != 2 or Y.ndim != 2 or Y.shape[0] != 1 or Y.shape[1] != X.shape[1]:
        raise ValueError(
            f"expected X of shape (n_features, n_samples) and Y of shape (1, n_samples), "
            f"got {X.shape} and {Y.shape}"
        )
    if len(_params) != 4:
        raise ValueError(f"expected four parameters W1, B1, W2, B2, got {len(_params)}")
    W1, B1, W2, B2 = (np.asarray(p, dtype=np.float64) for p in _params)
    params = Params(W1.copy(), B1.reshape(-1).copy(), W2.copy(), B2.reshape(-1).copy())
    if params.n_inputs != X.shape[0]:
        raise ValueError(f"W1 expects {params.n_inputs} features but X has {X.shape[0]}")
    return X.T, Y[0], params


def _to_post(params: Params) -> list[Array]:
    """Convert library parameters to the post's list ``[W1, B1, W2, B2]``."""
    return [params.W1, params.b1[:, None], params.W2, params.b2[:, None]]


def forward_loss(
    X: Array, Y: Array, _params: ParamList
) -> tuple[Array, Array, Array, Array, float]:
    """The post's forward pass and loss.

    Parameters
    ----------
    X : ndarray of shape (n_features, n_samples)
    Y : ndarray of shape (1, n_samples)
    _params : sequence of W1 (d, h), B1 (h, 1), W2 (h, 1), B2 (1, 1)

    Returns
    -------
    Z1 : ndarray of shape (h, n_samples)
    H : ndarray of shape (h, n_samples)
    Z2 : ndarray of shape (1, n_samples)
    YHat : ndarray of shape (1, n_samples)
    loss : float
        Mean binary cross-entropy (computed from the logits, so always finite).
    """
    Xs, y, params = _to_library(X, Y, _params)
    cache = forward(params, Xs, "sigmoid")
    return cache.Z1.T, cache.H.T, cache.Z2.T, cache.P.T, loss(cache, y)


def get_gradients(X: Array, Y: Array, _params: ParamList) -> tuple[list[Array], float]:
    """The post's backward pass: the gradients of the loss, in its seven steps.

    Parameters
    ----------
    X : ndarray of shape (n_features, n_samples)
    Y : ndarray of shape (1, n_samples)
    _params : sequence of W1 (d, h), B1 (h, 1), W2 (h, 1), B2 (1, 1)

    Returns
    -------
    grads : list of ndarray
        ``[dW1 (d, h), dB1 (h, 1), dW2 (h, 1), dB2 (1, 1)]``.
    loss : float
    """
    Xs, y, params = _to_library(X, Y, _params)
    cache = forward(params, Xs, "sigmoid")
    return _to_post(backward(params, cache, y)), loss(cache, y)


def optimize(
    X: Array,
    Y: Array,
    _params: ParamList,
    learning_rate: float = 0.01,
    iteration: int = 200000,
) -> tuple[list[Array], list[float], Array]:
    """The post's training: plain gradient descent on all samples, a loss every 100 steps.

    Parameters
    ----------
    X : ndarray of shape (n_features, n_samples)
    Y : ndarray of shape (1, n_samples)
    _params : sequence of W1 (d, h), B1 (h, 1), W2 (h, 1), B2 (1, 1)
        Initial parameters; copied, never modified.
    learning_rate : float
    iteration : int
        Number of gradient steps.

    Returns
    -------
    params : list of ndarray
        Final ``[W1, B1, W2, B2]`` in the post's shapes.
    loss_trace : list of float
        The loss before steps 0, 100, 200, ... (``iteration / 100`` values).
    Y_hat_predict : ndarray of shape (1, n_samples)
        Output of the final parameters.
    """
    Xs, y, params = _to_library(X, Y, _params)
    config = TrainConfig(
        hidden=params.n_hidden,
        activation="sigmoid",
        optimizer="gd",
        learning_rate=learning_rate,
        steps=iteration,
        record_every=100,
        tol=None,
    )
    result = train(Xs, y, config, params=params)
    loss_trace = [float(v) for v in result.loss_history]
    return _to_post(result.params), loss_trace, result.probabilities[None, :]
