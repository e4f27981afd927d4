"""Pure maths of the network: the affine map, activations, the loss, and their derivatives.

Every function takes and returns float64 arrays and keeps no state. Each derivative sits right
next to its function. Activation derivatives are written through the activation's *output*
``H`` rather than its input ``Z``, because ``H`` is what the backward pass keeps
(``sigmoid'(z) = h (1 - h)``, ``tanh'(z) = 1 - h^2``, ``relu'(z) = [h > 0]``).

Numerical stability is explicit here, and nowhere else:

* :func:`sigmoid` takes ``exp`` of non-positive numbers only, so it never overflows.
* :func:`softmax` and :func:`log_softmax` subtract each row's largest logit first, so ``exp``
  only sees numbers <= 0.
* :func:`binary_cross_entropy_with_logits` computes the loss from the logit ``z`` as
  ``log(1 + e^z) - y z``, which is finite for every finite ``z``; the probability form
  ``-[y log p + (1 - y) log(1 - p)]`` is ``-inf`` as soon as ``p`` rounds to 0 or 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np

from xornet._typing import Array

__all__ = [
    "ACTIVATIONS",
    "affine",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "class_probabilities",
    "cross_entropy_with_logits",
    "log_softmax",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "squared_error",
    "tanh",
    "tanh_grad",
]


def affine(X: Array, W: Array, b: Array) -> Array:
    """Affine map ``X @ W + b``: a linear map followed by a shift of the origin.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_in)
    W : ndarray of shape (n_in, n_out)
    b : ndarray of shape (n_out,)

    Returns
    -------
    Z : ndarray of shape (n_samples, n_out)
    """
    return X @ W + b


def sigmoid(z: Array) -> Array:
    """Logistic function ``1 / (1 + exp(-z))``, elementwise, without overflow.

    Parameters
    ----------
    z : ndarray of any shape

    Returns
    -------
    ndarray of the same shape, values in [0, 1].
    """
    # exp is only taken of -|z| <= 0, so it lies in (0, 1] and cannot overflow.
    # For z >= 0 this is exactly 1 / (1 + exp(-z)); for z < 0 it is the same value
    # rewritten as exp(z) / (1 + exp(z)).
    e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r)


def sigmoid_grad(h: Array) -> Array:
    """Derivative of :func:`sigmoid` from its output ``h = sigmoid(z)``: ``h (1 - h)``."""
    return h * (1.0 - h)


def tanh(z: Array) -> Array:
    """Hyperbolic tangent, elementwise. Output in [-1, 1]; never overflows."""
    return np.tanh(z)


def tanh_grad(h: Array) -> Array:
    """Derivative of :func:`tanh` from its output ``h = tanh(z)``: ``1 - h^2``."""
    return 1.0 - h * h


def relu(z: Array) -> Array:
    """Rectified linear unit ``max(z, 0)``, elementwise."""
    return np.maximum(z, 0.0)


def relu_grad(h: Array) -> Array:
    """Derivative of :func:`relu` from its output ``h = relu(z)``: 1 where ``h > 0``, else 0.

    At ``z = 0`` the derivative is undefined; like most libraries we take 0 there.
    """
    return (h > 0.0).astype(np.float64)


Activation = tuple[Callable[[Array], Array], Callable[[Array], Array]]

#: Hidden-layer activations by name: ``name -> (function, derivative from the output)``.
ACTIVATIONS: Final[dict[str, Activation]] = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
}


def binary_cross_entropy_with_logits(z: Array, y: Array) -> float:
    """Mean binary cross-entropy of ``p = sigmoid(z)`` against labels ``y``, from logits.

    ``L = mean(-[y log p + (1 - y) log(1 - p)]) = mean(log(1 + e^(-s z)))`` with the sign
    ``s = 2y - 1`` (+1 for class 1, -1 for class 0).

    Parameters
    ----------
    z : ndarray of shape (n_samples,)
        Logits (the output unit's input).
    y : ndarray of shape (n_samples,)
        Labels in {0, 1}.

    Returns
    -------
    float
        The loss, finite for every finite ``z`` and accurate to the last digits even when tiny.

    Notes
    -----
    Since ``log p = -log(1 + e^-z)`` and ``log(1 - p) = -log(1 + e^z)``, the loss of a sample
    of class 1 is ``log(1 + e^-z)`` and of class 0 ``log(1 + e^z)``: ``log(1 + e^(-s z))``.
    ``np.logaddexp(0, x)`` evaluates ``log(1 + e^x)`` without overflow. The equal form
    ``log(1 + e^z) - y z`` would subtract two large numbers for a confident right answer
    (``z = 18``, ``y = 1``: 18.00000002 - 18) and keep only half the digits of the small
    difference. The derivative in ``z`` is ``p - y`` (divided by ``n`` for the mean), the
    output delta of the backward pass.
    """
    return float(np.sum(np.logaddexp(0.0, (1.0 - 2.0 * y) * z))) / z.size


def squared_error(p: Array, y: Array) -> float:
    """Total squared error ``E = 1/2 sum((p - y)^2)`` over the patterns (Rumelhart et al. 1986).

    Parameters
    ----------
    p : ndarray of shape (n_samples,)
        Output probabilities ``sigmoid(z)``.
    y : ndarray of shape (n_samples,)
        Targets in {0, 1}.

    Returns
    -------
    float

    Notes
    -----
    Summed, not averaged, as in the 1986 experiments. Its derivative in the logit is
    ``(p - y) p (1 - p)``: unlike cross-entropy, the sigmoid's derivative does not cancel, so
    a saturated wrong output learns slowly.
    """
    return 0.5 * float(np.sum((p - y) ** 2))


def binary_cross_entropy(y: Array, p: Array) -> float:
    """Mean binary cross-entropy ``-mean(y log p + (1 - y) log(1 - p))`` from probabilities.

    Prefer :func:`binary_cross_entropy_with_logits` when the logits are at hand: it is exact
    where this form has lost information to rounding.

    Parameters
    ----------
    y : ndarray of any shape
        Labels in {0, 1}.
    p : ndarray of the same shape as ``y``
        Predicted probabilities in [0, 1].

    Returns
    -------
    float
        The loss. A probability that has rounded to exactly 0 or 1 would make ``log`` return
        ``-inf``; it is taken as the smallest positive double instead (``log`` of it is about
        -708), so the loss stays finite, large and warning-free.
    """
    tiny = np.finfo(np.float64).tiny
    log_p = np.log(np.maximum(p, tiny))
    log_1mp = np.log(np.maximum(1.0 - p, tiny))
    return float(-np.mean(y * log_p + (1.0 - y) * log_1mp))


def softmax(Z: Array) -> Array:
    """Softmax over the last axis: ``exp(Z) / sum(exp(Z))``, without overflow.

    Parameters
    ----------
    Z : ndarray of shape (..., n_classes)
        Logits, one row per sample.

    Returns
    -------
    ndarray of the same shape
        Each row is a probability distribution (non-negative, sums to 1).

    Notes
    -----
    Subtracting the row's largest logit changes nothing mathematically (it cancels between
    numerator and denominator) and keeps every ``exp`` argument <= 0, so nothing overflows and
    the largest term is exactly 1.
    """
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    out: Array = E / E.sum(axis=-1, keepdims=True)
    return out


def log_softmax(Z: Array) -> Array:
    """Logarithm of :func:`softmax`, ``Z - logsumexp(Z)``, accurate where softmax underflows.

    Parameters
    ----------
    Z : ndarray of shape (..., n_classes)

    Returns
    -------
    ndarray of the same shape, values <= 0.

    Notes
    -----
    With ``m`` the row's largest logit, ``logsumexp(Z) = m + log(1 + r)`` where ``r`` sums
    ``exp(z - m)`` over every *other* entry. Taking ``log1p(r)`` rather than ``log(1 + r)``
    keeps the digits of a small ``r``: a confident right answer has a loss of about ``r``,
    which ``log(1 + r)`` would round to a few digits (as ``log(1 + e^z) - y z`` does for the
    binary loss, see :func:`binary_cross_entropy_with_logits`).
    """
    top = np.argmax(Z, axis=-1)[..., None]
    shifted = Z - np.take_along_axis(Z, top, axis=-1)
    E = np.exp(shifted)
    np.put_along_axis(E, top, 0.0, axis=-1)  # every term but the largest (which is exactly 1)
    out: Array = shifted - np.log1p(E.sum(axis=-1, keepdims=True))
    return out


def cross_entropy_with_logits(Z: Array, y: Array) -> float:
    """Mean cross-entropy of ``softmax(Z)`` against integer class labels, from logits.

    ``L = mean(-log softmax(Z)[i, y_i]) = mean(logsumexp(Z_i) - Z[i, y_i])``.

    Parameters
    ----------
    Z : ndarray of shape (n_samples, n_classes)
        Logits.
    y : ndarray of shape (n_samples,)
        Class indices ``0 .. n_classes - 1`` (stored as float64 or int).

    Returns
    -------
    float

    Notes
    -----
    With two classes and logits ``(0, z)`` this is :func:`binary_cross_entropy_with_logits`.
    Its derivative in ``Z`` is ``softmax(Z) - onehot(y)`` (divided by ``n`` for the mean):
    softmax with cross-entropy is a canonical pair, like sigmoid with binary cross-entropy.
    """
    rows = np.arange(Z.shape[0])
    picked: Array = log_softmax(Z)[rows, y.astype(np.intp)]  # (n,): log P of each label
    return -float(np.sum(picked)) / float(Z.shape[0])


def class_probabilities(P: Array) -> Array:
    """The probability of every class, one column per class.

    Parameters
    ----------
    P : ndarray of shape (n_samples,), (n_samples, 1) or (n_samples, n_classes)
        A network's output: the probability of class 1 (one sigmoid output), or one softmax
        column per class.

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        ``[1 - p, p]`` for one sigmoid output; the softmax columns unchanged otherwise.
    """
    if P.ndim == 1 or P.shape[-1] == 1:
        p = P.reshape(P.shape[0], -1)[:, 0] if P.ndim > 1 else P
        return np.column_stack([1.0 - p, p])
    return P
