"""The reference model: a two-layer network, forward and backward, in NumPy float64.

For ``n`` samples with ``d`` features and ``h`` hidden units (rows are samples)::

    Z1 = X @ W1 + b1        (n, d) @ (d, h) -> (n, h)     affine
    H  = act(Z1)            (n, h)                        hidden activation
    Z2 = H @ W2 + b2        (n, h) @ (h, 1) -> (n, 1)     affine
    P  = sigmoid(Z2)        (n, 1)                        probability of class 1
    L  = BCE(Z2, y)         scalar                        mean binary cross-entropy

:func:`forward` returns a :class:`Cache` of every intermediate array; :func:`backward` consumes
only that cache and returns the gradients, computed in the post's seven numbered steps.
Every fast engine is tested against these two functions.
"""

from __future__ import annotations

from typing import NamedTuple

from xornet._typing import Array
from xornet.functional import (
    ACTIVATIONS,
    Activation,
    affine,
    binary_cross_entropy_with_logits,
    sigmoid,
    squared_error,
)
from xornet.params import Params

__all__ = ["Backprop", "Cache", "backward", "backward_steps", "forward", "loss", "predict_proba"]


class Cache(NamedTuple):
    """Every array of one forward pass.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_inputs)
    Z1 : ndarray of shape (n_samples, n_hidden)
        Hidden pre-activations.
    H : ndarray of shape (n_samples, n_hidden)
        Hidden activations.
    Z2 : ndarray of shape (n_samples, 1)
        Output logits.
    P : ndarray of shape (n_samples, 1)
        Output probabilities ``sigmoid(Z2)``.
    activation : str
        The hidden activation used.
    """

    X: Array
    Z1: Array
    H: Array
    Z2: Array
    P: Array
    activation: str


def _activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        ) from None


def forward(params: Params, X: Array, activation: str = "sigmoid") -> Cache:
    """Run the network forward and keep every intermediate array.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_inputs)
    activation : {"sigmoid", "tanh", "relu"}
        Hidden activation (the post uses sigmoid).

    Returns
    -------
    Cache
    """
    act, _ = _activation(activation)
    Z1 = affine(X, params.W1, params.b1)  # (n, d) @ (d, h) -> (n, h)
    H = act(Z1)
    Z2 = affine(H, params.W2, params.b2)  # (n, h) @ (h, 1) -> (n, 1)
    P = sigmoid(Z2)
    return Cache(X=X, Z1=Z1, H=H, Z2=Z2, P=P, activation=activation)


def loss(cache: Cache, y: Array, kind: str = "bce") -> float:
    """The loss of the cached output against labels ``y``.

    Parameters
    ----------
    cache : Cache
    y : ndarray of shape (n_samples,)
    kind : {"bce", "sse"}
        ``"bce"``: mean binary cross-entropy, from the logits (the post's).
        ``"sse"``: total squared error ``1/2 sum((P - y)^2)`` (the 1986 experiments').

    Returns
    -------
    float
    """
    if kind == "sse":
        return squared_error(cache.P[:, 0], y)
    if kind != "bce":
        raise ValueError(f"unknown loss {kind!r}; choose bce or sse")
    return binary_cross_entropy_with_logits(cache.Z2[:, 0], y)


class Backprop(NamedTuple):
    """The seven arrays of the post's backward pass, in its order.

    Attributes
    ----------
    dZ2 : ndarray of shape (n_samples, 1)
    dW2 : ndarray of shape (n_hidden, 1)
    db2 : ndarray of shape (1,)
    dH : ndarray of shape (n_samples, n_hidden)
    dZ1 : ndarray of shape (n_samples, n_hidden)
    dW1 : ndarray of shape (n_inputs, n_hidden)
    db1 : ndarray of shape (n_hidden,)
    """

    dZ2: Array
    dW2: Array
    db2: Array
    dH: Array
    dZ1: Array
    dW1: Array
    db1: Array


def backward_steps(params: Params, cache: Cache, y: Array, kind: str = "bce") -> Backprop:
    """The backward pass of the mean binary cross-entropy, keeping every intermediate array.

    Parameters
    ----------
    params : Params
        The parameters the cache was computed with (only ``W2`` is read).
    cache : Cache
        From :func:`forward`.
    y : ndarray of shape (n_samples,)
        Labels in {0, 1}.
    kind : {"bce", "sse"}
        The loss (see :func:`loss`).

    Returns
    -------
    Backprop
        The seven arrays of the post's seven numbered steps.
    """
    _, act_grad = _activation(cache.activation)
    n = y.shape[0]
    if kind == "bce":
        # 1) dL/dZ2. A sigmoid output with binary cross-entropy is a canonical pair: the
        #    sigmoid's derivative p (1 - p) cancels against the loss's 1 / (p (1 - p)),
        #    leaving p - y. The loss is a mean over n samples, hence the 1 / n.
        dZ2 = (cache.P - y[:, None]) / n  # (n, 1)
    elif kind == "sse":
        # 1) dE/dZ2 for E = 1/2 sum (P - y)^2: (P - y) times the sigmoid's derivative
        #    P (1 - P), which does not cancel here; summed over patterns, so no 1 / n.
        dZ2 = (cache.P - y[:, None]) * cache.P * (1.0 - cache.P)  # (n, 1)
    else:
        raise ValueError(f"unknown loss {kind!r}; choose bce or sse")
    # 2) dL/dW2: each sample's hidden activations times its output delta, summed over samples.
    dW2 = cache.H.T @ dZ2  # (h, n) @ (n, 1) -> (h, 1)
    # 3) dL/db2: the bias reaches every sample, so its gradient sums the deltas.
    db2 = dZ2.sum(axis=0)  # (1,)
    # 4) dL/dH: the output delta sent back along the weights W2.
    dH = dZ2 @ params.W2.T  # (n, 1) @ (1, h) -> (n, h)
    # 5) dL/dZ1: through the activation, its derivative written through its output H.
    dZ1 = dH * act_grad(cache.H)  # (n, h)
    # 6) dL/dW1
    dW1 = cache.X.T @ dZ1  # (d, n) @ (n, h) -> (d, h)
    # 7) dL/db1 (the post's comment calls this one "dB2"; it is the first layer's bias)
    db1 = dZ1.sum(axis=0)  # (h,)
    return Backprop(dZ2, dW2, db2, dH, dZ1, dW1, db1)


def backward(params: Params, cache: Cache, y: Array, kind: str = "bce") -> Params:
    """Gradients of the mean binary cross-entropy with respect to every parameter.

    Parameters
    ----------
    params : Params
        The parameters the cache was computed with (only ``W2`` is read).
    cache : Cache
        From :func:`forward`.
    y : ndarray of shape (n_samples,)
        Labels in {0, 1}.
    kind : {"bce", "sse"}
        The loss (see :func:`loss`).

    Returns
    -------
    Params
        ``dW1 (d, h)``, ``db1 (h,)``, ``dW2 (h, 1)``, ``db2 (1,)``: each gradient has its
        parameter's shape. The seven steps are in :func:`backward_steps`.
    """
    steps = backward_steps(params, cache, y, kind)
    return Params(steps.dW1, steps.db1, steps.dW2, steps.db2)


def predict_proba(params: Params, X: Array, activation: str = "sigmoid") -> Array:
    """Probability of class 1 for each sample.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_inputs)
    activation : {"sigmoid", "tanh", "relu"}

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    return forward(params, X, activation).P[:, 0]
