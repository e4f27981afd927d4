"""The reference model: a two-layer network, forward and backward, in NumPy float64.

For ``n`` samples with ``d`` features, ``h`` hidden units and ``k`` outputs (rows are samples)::

    Z1 = X @ W1 + b1        (n, d) @ (d, h) -> (n, h)     affine
    H  = act(Z1)            (n, h)                        hidden activation
    Z2 = H @ W2 + b2        (n, h) @ (h, k) -> (n, k)     affine (+ X @ W3 with a shortcut)
    P  = sigmoid(Z2)        (n, 1)                        k = 1: probability of class 1
    P  = softmax(Z2)        (n, K)                        k = K >= 3: probability of each class
    L  = CE(Z2, y)          scalar                        mean (binary) cross-entropy

Two classes are the post's network (one sigmoid output, binary cross-entropy); more classes
have one softmax output per class and the mean cross-entropy. Labels ``y`` are always a vector
of class indices, ``0 .. K - 1``.

:func:`forward` returns a :class:`Cache` of every intermediate array; :func:`backward` consumes
only that cache and returns the gradients, computed in the post's seven numbered steps.
Every fast engine is tested against these two functions. Both also run many networks at once:
given weights with a leading axis of networks (``W1 (N, d, h)``, ``b1 (N, 1, h)``, ...), every
array above gains that axis and each network gets exactly the numbers it would get alone (the
NumPy engine of :func:`xornet.train_many` runs them so).
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

import numpy as np

from xornet._typing import Array, IntArray
from xornet.data import check_Xy
from xornet.diagnosis import predicted_class
from xornet.errors import DataError
from xornet.functional import (
    ACTIVATIONS,
    Activation,
    affine,
    binary_cross_entropy_with_logits,
    cross_entropy_with_logits,
    sigmoid,
    softmax,
    squared_error,
)
from xornet.params import Params

__all__ = [
    "Backprop",
    "Cache",
    "Weights",
    "backward",
    "backward_steps",
    "check_data",
    "forward",
    "loss",
    "one_hot",
    "output_probabilities",
    "predict_class",
    "predict_proba",
]


class Weights(Protocol):
    """What :func:`forward` and :func:`backward_steps` read of the parameters: a
    :class:`~xornet.Params`, or the same arrays stacked over ``N`` networks, ``W1 (N, d, h)``,
    ``b1 (N, 1, h)``, ``W2 (N, h, k)``, ``b2 (N, 1, k)`` and ``W3 (N, d, k)`` or None."""

    @property
    def W1(self) -> Array: ...
    @property
    def b1(self) -> Array: ...
    @property
    def W2(self) -> Array: ...
    @property
    def b2(self) -> Array: ...
    @property
    def W3(self) -> Array | None: ...


class Cache(NamedTuple):
    """Every array of one forward pass.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_inputs)
    Z1 : ndarray of shape (n_samples, n_hidden)
        Hidden pre-activations.
    H : ndarray of shape (n_samples, n_hidden)
        Hidden activations.
    Z2 : ndarray of shape (n_samples, n_outputs)
        Output logits.
    P : ndarray of shape (n_samples, n_outputs)
        Output probabilities: ``sigmoid(Z2)`` for one output (the probability of class 1),
        ``softmax(Z2)`` for one output per class.
    activation : str
        The hidden activation used.
    """

    X: Array
    Z1: Array
    H: Array
    Z2: Array
    P: Array
    activation: str


def check_data(params: Params, X: Array, y: Array) -> None:
    """Raise :class:`~xornet.errors.DataError` unless ``params`` can be run on ``(X, y)``.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_inputs)
    y : ndarray of shape (n_samples,)
        Class indices below ``params.n_classes``.
    """
    check_Xy(X, y, params.n_classes)
    if X.shape[1] != params.n_inputs:
        raise DataError(f"the network takes {params.n_inputs} features but X has {X.shape[1]}")


def _activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        ) from None


def forward(params: Weights, X: Array, activation: str = "sigmoid") -> Cache:
    """Run the network forward and keep every intermediate array.

    Parameters
    ----------
    params : Params
        Or the weights of ``N`` networks stacked (see :class:`Weights`): then every array of
        the cache has a leading axis of networks, ``Z1 (N, n, h)`` and so on.
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
    Z2 = affine(H, params.W2, params.b2)  # (n, h) @ (h, k) -> (n, k)
    if params.W3 is not None:  # the shortcut: inputs straight to the output
        Z2 = Z2 + X @ params.W3  # (n, d) @ (d, k) -> (n, k)
    P = sigmoid(Z2) if Z2.shape[-1] == 1 else softmax(Z2)  # softmax over the last axis
    return Cache(X=X, Z1=Z1, H=H, Z2=Z2, P=P, activation=activation)


def loss(cache: Cache, y: Array, kind: str = "bce") -> float:
    """The loss of the cached output against labels ``y``.

    Parameters
    ----------
    cache : Cache
    y : ndarray of shape (n_samples,)
        Class indices.
    kind : {"bce", "sse"}
        ``"bce"``: mean cross-entropy, from the logits (the post's binary cross-entropy for
        one output; the softmax cross-entropy for more).
        ``"sse"``: total squared error ``1/2 sum((P - y)^2)`` (the 1986 experiments'; one
        output only).

    Returns
    -------
    float
    """
    _check_loss(kind, cache.Z2.shape[1])
    if kind == "sse":
        return squared_error(cache.P[:, 0], y)
    if cache.Z2.shape[1] > 1:
        return cross_entropy_with_logits(cache.Z2, y)
    return binary_cross_entropy_with_logits(cache.Z2[:, 0], y)


def _check_loss(kind: str, n_outputs: int) -> None:
    if kind not in ("bce", "sse"):
        raise ValueError(f"unknown loss {kind!r}; choose bce or sse")
    if kind == "sse" and n_outputs > 1:
        raise ValueError("the squared-error loss needs one sigmoid output (two classes)")


def one_hot(y: Array, n_classes: int) -> Array:
    """Labels as indicator rows.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Class indices ``0 .. n_classes - 1``.
    n_classes : int

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        1.0 in each row's label column, 0.0 elsewhere.
    """
    out = np.zeros((y.shape[0], n_classes))
    out[np.arange(y.shape[0]), y.astype(np.intp)] = 1.0
    return out


class Backprop(NamedTuple):
    """The seven arrays of the post's backward pass, in its order.

    Attributes
    ----------
    dZ2 : ndarray of shape (n_samples, n_outputs)
    dW2 : ndarray of shape (n_hidden, n_outputs)
    db2 : ndarray of shape (n_outputs,)
    dH : ndarray of shape (n_samples, n_hidden)
    dZ1 : ndarray of shape (n_samples, n_hidden)
    dW1 : ndarray of shape (n_inputs, n_hidden)
    db1 : ndarray of shape (n_hidden,)
    dW3 : ndarray of shape (n_inputs, n_outputs) or None
        The shortcut weights' gradient (an eighth array, shortcut networks only).
    """

    dZ2: Array
    dW2: Array
    db2: Array
    dH: Array
    dZ1: Array
    dW1: Array
    db1: Array
    dW3: Array | None = None


def backward_steps(params: Weights, cache: Cache, y: Array, kind: str = "bce") -> Backprop:
    """The backward pass of the loss, keeping every intermediate array.

    Parameters
    ----------
    params : Params
        The parameters the cache was computed with (only ``W2`` is read); or, with a cache of
        stacked networks, their stacked weights (then every array returned has a leading axis
        of networks, the biases' gradients ``db1 (N, h)`` and ``db2 (N, k)``).
    cache : Cache
        From :func:`forward`.
    y : ndarray of shape (n_samples,)
        Class indices (0 or 1 for one output).
    kind : {"bce", "sse"}
        The loss (see :func:`loss`).

    Returns
    -------
    Backprop
        The seven arrays of the post's seven numbered steps.
    """
    _, act_grad = _activation(cache.activation)
    n, k = cache.Z2.shape[-2:]
    _check_loss(kind, k)
    if k > 1:
        # 1) dL/dZ2 for softmax with cross-entropy, again a canonical pair: the softmax's
        #    Jacobian diag(P) - P P^T against the loss's -1 / P[y] leaves P - onehot(y).
        dZ2 = (cache.P - one_hot(y, k)) / n  # (n, K)
    elif kind == "bce":
        # 1) dL/dZ2. A sigmoid output with binary cross-entropy is a canonical pair: the
        #    sigmoid's derivative p (1 - p) cancels against the loss's 1 / (p (1 - p)),
        #    leaving p - y. The loss is a mean over n samples, hence the 1 / n.
        dZ2 = (cache.P - y[:, None]) / n  # (n, 1)
    elif kind == "sse":
        # 1) dE/dZ2 for E = 1/2 sum (P - y)^2: (P - y) times the sigmoid's derivative
        #    P (1 - P), which does not cancel here; summed over patterns, so no 1 / n.
        dZ2 = (cache.P - y[:, None]) * cache.P * (1.0 - cache.P)  # (n, 1)
    # 2) dL/dW2: each sample's hidden activations times its output delta, summed over samples.
    dW2 = _transpose(cache.H) @ dZ2  # (h, n) @ (n, k) -> (h, k)
    # 3) dL/db2: the bias reaches every sample, so its gradient sums the deltas.
    db2 = dZ2.sum(axis=-2)  # (k,)
    # 4) dL/dH: the output delta sent back along the weights W2.
    dH = dZ2 @ _transpose(params.W2)  # (n, k) @ (k, h) -> (n, h)
    # 5) dL/dZ1: through the activation, its derivative written through its output H.
    dZ1 = dH * act_grad(cache.H)  # (n, h)
    # 6) dL/dW1
    dW1 = cache.X.T @ dZ1  # (d, n) @ (n, h) -> (d, h)
    # 7) dL/db1 (the post's comment calls this one "dB2"; it is the first layer's bias)
    db1 = dZ1.sum(axis=-2)  # (h,)
    # (shortcut) dL/dW3: each input times the output delta, as step 2 for the hidden units.
    dW3 = None if params.W3 is None else cache.X.T @ dZ2  # (d, n) @ (n, k) -> (d, k)
    return Backprop(dZ2, dW2, db2, dH, dZ1, dW1, db1, dW3)


def _transpose(A: Array) -> Array:
    """``A.T`` of a matrix, or of each network's matrix in a stack (the last two axes)."""
    return np.swapaxes(A, -1, -2)


def backward(params: Params, cache: Cache, y: Array, kind: str = "bce") -> Params:
    """Gradients of the loss with respect to every parameter.

    Parameters
    ----------
    params : Params
        The parameters the cache was computed with (only ``W2`` is read).
    cache : Cache
        From :func:`forward`.
    y : ndarray of shape (n_samples,)
        Class indices (0 or 1 for one output).
    kind : {"bce", "sse"}
        The loss (see :func:`loss`).

    Returns
    -------
    Params
        ``dW1 (d, h)``, ``db1 (h,)``, ``dW2 (h, k)``, ``db2 (k,)``: each gradient has its
        parameter's shape. The seven steps are in :func:`backward_steps`.
    """
    steps = backward_steps(params, cache, y, kind)
    return Params(steps.dW1, steps.db1, steps.dW2, steps.db2, steps.dW3)


def predict_proba(params: Params, X: Array, activation: str = "sigmoid") -> Array:
    """The network's probabilities for each sample.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_inputs)
    activation : {"sigmoid", "tanh", "relu"}

    Returns
    -------
    ndarray of shape (n_samples,) or (n_samples, n_classes)
        For two classes (one output), the probability of class 1; for more, each class's
        probability (rows sum to 1). :func:`xornet.functional.class_probabilities` turns the
        first into the second.
    """
    return output_probabilities(forward(params, X, activation).P)


def output_probabilities(P: Array) -> Array:
    """The network's outputs ``P (n, k)`` as xornet reports probabilities: the probability of
    class 1, shape (n,), for one sigmoid output (two classes); ``P`` itself, (n, K), for a
    softmax. The one place that tells the two apart by the output's width. Stacked networks'
    outputs ``(N, n, k)`` keep their leading axis: ``(N, n)`` or ``(N, n, K)``."""
    return P[..., 0] if P.shape[-1] == 1 else P


def predict_class(params: Params, X: Array, activation: str = "sigmoid") -> IntArray:
    """The most probable class of each sample.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_inputs)
    activation : {"sigmoid", "tanh", "relu"}

    Returns
    -------
    IntArray of shape (n_samples,)
        Class indices ``0 .. n_classes - 1`` (for two classes: 1 where ``p > 0.5``).
    """
    return predicted_class(predict_proba(params, X, activation))
