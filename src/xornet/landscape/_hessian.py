"""The exact Hessian of the loss: Hessian-vector products by forward-over-reverse (private).

For stacked networks (a leading axis ``N``), the forward and backward passes of
:mod:`xornet.network`, with the same equations, and their directional derivative (Pearlmutter's
R-operator, 1994): for a direction ``V`` in parameter space, ``R{f} = d/dt f(theta + t V)`` at
``t = 0``. Applied to the backward pass it gives ``R{grad} = H V``, exact up to rounding (no step
size), for ``m`` directions at once. The Hessian itself is ``H V`` for ``V`` the identity.

Forward (shapes for one network; every array gains the leading axes ``(N, m)``)::

    R{Z1} = X @ VW1 + Vb1                           (n, h)
    R{H}  = act'(Z1) * R{Z1}                        (n, h)
    R{Z2} = R{H} @ W2 + H @ VW2 + Vb2 (+ X @ VW3)   (n, k)

Backward, the seven steps of :func:`xornet.network.backward_steps` differentiated::

    R{dZ2} = C(Z2) R{Z2}                            the loss's curvature in the logits
    R{dW2} = R{H}^T @ dZ2 + H^T @ R{dZ2}
    R{db2} = sum R{dZ2}
    R{dH}  = R{dZ2} @ W2^T + dZ2 @ VW2^T
    R{dZ1} = R{dH} * act'(Z1) + dH * act''(Z1) * R{Z1}
    R{dW1} = X^T @ R{dZ1}
    R{db1} = sum R{dZ1}
    R{dW3} = X^T @ R{dZ2}                           (shortcut networks)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, NamedTuple

import numpy as np

from xornet._typing import Array
from xornet.engines import _stacked as stacked
from xornet.engines._stacked import Stacked
from xornet.errors import XornetError
from xornet.functional import ACTIVATIONS
from xornet.network import Backprop, Cache, backward_steps, check_data, forward
from xornet.params import Params


def _sigmoid_grad2(H: Array) -> Array:
    """sigmoid''(z) from the output ``H``: the derivative of ``h (1 - h)`` is
    ``h' (1 - 2 h) = h (1 - h) (1 - 2 h)``."""
    return H * (1.0 - H) * (1.0 - 2.0 * H)


def _tanh_grad2(H: Array) -> Array:
    """tanh''(z) from the output ``H``: the derivative of ``1 - h^2`` is ``-2 h (1 - h^2)``."""
    return -2.0 * H * (1.0 - H * H)


def _relu_grad2(H: Array) -> Array:
    """relu''(z) = 0 wherever it exists (everywhere but z = 0, where relu has its kink)."""
    return np.zeros_like(H)


#: Second derivatives of the hidden activations, from their output, next to
#: :data:`xornet.functional.ACTIVATIONS`' first derivatives.
SECOND_DERIVATIVES: Final[dict[str, Callable[[Array], Array]]] = {
    "sigmoid": _sigmoid_grad2,
    "tanh": _tanh_grad2,
    "relu": _relu_grad2,
}


class Shape(NamedTuple):
    """The layout of packed parameters (``Params.ravel()`` order): ``d`` inputs, ``h`` hidden
    units, ``k`` outputs, and whether shortcut weights ``W3 (d, k)`` come last."""

    d: int
    h: int
    k: int
    shortcut: bool

    @property
    def size(self) -> int:
        """Scalar parameters: ``d h + h + h k + k (+ d k)``."""
        return self.d * self.h + self.h + self.h * self.k + self.k + self.d * self.k * self.shortcut

    @classmethod
    def of(cls, params: Params) -> Shape:
        """The layout of ``params``."""
        return cls(params.n_inputs, params.n_hidden, params.n_outputs, params.shortcut)


def unpack(theta: Array, shape: Shape) -> Stacked:
    """The weights of packed parameters with any leading axes ``(..., P)``, as views with
    those axes: ``W1 (..., d, h)``, ``b1 (..., 1, h)``, ... (:func:`xornet.engines._stacked.unpack`
    for one leading axis)."""
    lead = theta.shape[:-1]
    W1, b1, W2, b2, W3 = stacked.unpack(theta.reshape(-1, shape.size), shape.d, shape.h, shape.k)

    def back(a: Array) -> Array:
        return a.reshape(*lead, *a.shape[1:])

    return Stacked(back(W1), back(b1), back(W2), back(b2), None if W3 is None else back(W3))


def _pack(arrays: list[Array], lead: tuple[int, ...]) -> Array:
    """Arrays with the leading axes ``lead``, each flattened after them, concatenated."""
    return np.concatenate([a.reshape(*lead, -1) for a in arrays], axis=-1)


def _t(A: Array) -> Array:
    """Transpose of the last two axes."""
    return np.swapaxes(A, -1, -2)


class FirstOrder(NamedTuple):
    """Loss and gradient of stacked networks, with the forward and backward arrays."""

    loss: Array  # (N,)
    gradient: Array  # (N, P)
    cache: Cache  # Z1, H, Z2, P: (N, n, .)
    steps: Backprop  # dZ2, dH, ...: (N, ...)


def first_order(
    theta: Array, shape: Shape, X: Array, y: Array, activation: str, kind: str
) -> FirstOrder:
    """Loss (N,) and gradient (N, P) of stacked networks ``theta (N, P)``, by the reference's
    own :func:`xornet.network.forward` and :func:`xornet.network.backward_steps`."""
    W = unpack(theta, shape)
    cache = forward(W, X, activation)  # Z1 (N, n, h), H, Z2 (N, n, k), P
    steps = backward_steps(W, cache, y, kind)  # the seven steps, each with the axis N
    grads = [steps.dW1, steps.db1, steps.dW2, steps.db2]
    if steps.dW3 is not None:
        grads.append(steps.dW3)
    N = theta.shape[0]
    return FirstOrder(stacked.losses(cache.Z2, y, kind), _pack(grads, (N,)), cache, steps)


def hessian_products(
    theta: Array,
    shape: Shape,
    X: Array,
    y: Array,
    activation: str,
    kind: str,
    V: Array,
) -> tuple[FirstOrder, Array]:
    """The first order of stacked networks ``theta (N, P)``, and ``H V (N, m, P)`` for the
    directions ``V (N or 1, m, P)``: forward-over-reverse (the module's equations)."""
    first = first_order(theta, shape, X, y, activation, kind)
    _, act_grad = ACTIVATIONS[activation]
    n, k = X.shape[0], shape.k
    c, s = first.cache, first.steps
    W2 = unpack(theta, shape).W2[:, None]  # (N, 1, h, k): every array gains the axis m
    H, P, dZ2, dH = c.H[:, None], c.P[:, None], s.dZ2[:, None], s.dH[:, None]
    A1 = act_grad(H)  # act'(Z1) from the output
    A2 = SECOND_DERIVATIVES[activation](H)  # act''(Z1) from the output
    VW1, Vb1, VW2, Vb2, VW3 = unpack(V, shape)
    # forward
    RZ1 = X @ VW1 + Vb1  # (n, d) @ (N, m, d, h) -> (N, m, n, h)
    RH = A1 * RZ1
    RZ2 = RH @ W2 + H @ VW2 + Vb2  # (N, m, n, k)
    if VW3 is not None:
        RZ2 = RZ2 + X @ VW3
    # the loss's curvature in the logits, per sample
    if kind == "sse":
        # dZ2 = (p - t) p (1 - p); its derivative in z is p (1 - p) [p (1 - p) + (p - t)(1 - 2p)]
        T = y[:, None]
        S = P * (1.0 - P)
        RdZ2 = S * (S + (P - T) * (1.0 - 2.0 * P)) * RZ2
    elif k > 1:
        # dZ2 = (p - onehot) / n: the softmax's Jacobian diag(p) - p p^T applied to R{Z2}
        RdZ2 = P * (RZ2 - np.sum(P * RZ2, axis=-1, keepdims=True)) / n
    else:
        RdZ2 = P * (1.0 - P) * RZ2 / n  # dZ2 = (p - y) / n: the sigmoid's slope p (1 - p)
    # backward
    RdH = RdZ2 @ _t(W2) + dZ2 @ _t(VW2)  # (N, m, n, h)
    RdZ1 = RdH * A1 + dH * A2 * RZ1
    hv = [_t(X) @ RdZ1, RdZ1.sum(axis=-2), _t(RH) @ dZ2 + _t(H) @ RdZ2, RdZ2.sum(axis=-2)]
    if VW3 is not None:
        hv.append(_t(X) @ RdZ2)
    return first, _pack(hv, RdZ1.shape[:2])


#: The most parameters whose exact Hessian is formed: its memory grows as their square and its
#: eigenvalues' time as their cube (2,500: tens of megabytes and seconds); a larger network, a
#: model file's say, is refused rather than waited on.
MAX_HESSIAN_PARAMETERS: Final = 2_500


def check_hessian_size(n_params: int) -> None:
    """Refuse a network too large for the exact Hessian (:data:`MAX_HESSIAN_PARAMETERS`)."""
    if n_params > MAX_HESSIAN_PARAMETERS:
        raise XornetError(f"a network of {n_params:,} parameters is too large for the exact "
                          f"Hessian (at most {MAX_HESSIAN_PARAMETERS:,})")  # fmt: skip


def hessians(
    theta: Array, shape: Shape, X: Array, y: Array, activation: str, kind: str
) -> tuple[FirstOrder, Array]:
    """The first order and the full Hessian (N, P, P) of stacked networks: ``H V`` for ``V``
    the identity, made exactly symmetric by averaging with its transpose (the two triangles
    agree to rounding, tested)."""
    check_hessian_size(shape.size)
    identity = np.eye(shape.size)[None]  # (1, P, P): row j is the direction e_j
    first, HV = hessian_products(theta, shape, X, y, activation, kind, identity)
    return first, 0.5 * (HV + _t(HV))


# ---------------------------------------------------------------------- the public functions


def prepare(
    params: Params, X: Array, y: Array, activation: str, kind: str
) -> tuple[Array, Shape, Array, Array]:
    """One network's packed row (1, P), its layout and the data as float64, checked: one clear
    :class:`~xornet.XornetError` for data, an activation or a loss the network cannot take."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    check_data(params, X, y)
    shape = Shape.of(params)
    if activation not in ACTIVATIONS:
        raise XornetError(
            f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    if kind not in ("bce", "sse"):
        raise XornetError(f"unknown loss {kind!r}; choose bce or sse")
    if kind == "sse" and shape.k > 1:
        raise XornetError("the squared-error loss needs one sigmoid output (two classes)")
    return params.ravel()[None], shape, X, y


def hessian(
    params: Params, X: Array, y: Array, activation: str = "sigmoid", kind: str = "bce"
) -> Array:
    """The exact Hessian of the loss at ``params``.

    Computed as Hessian-vector products by forward-over-reverse differentiation of
    :func:`xornet.network.backward` (no step size: exact up to rounding, about 1e-16 of the
    largest entry), one for each direction of the identity.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_inputs)
    y : ndarray of shape (n_samples,)
    activation : {"sigmoid", "tanh", "relu"}
        For ReLU the second derivative of the activation is taken as 0, its value everywhere
        but at the kink ``z = 0`` (where no second derivative exists).
    kind : {"bce", "sse"}
        The loss (see :func:`xornet.loss`).

    Returns
    -------
    ndarray of shape (n_params, n_params)
        Symmetric; rows and columns in ``Params.ravel()`` order (W1, b1, W2, b2, W3).
    """
    theta, shape, X, y = prepare(params, X, y, activation, kind)
    H: Array = hessians(theta, shape, X, y, activation, kind)[1][0]
    return H


def hessian_vector_product(
    params: Params,
    X: Array,
    y: Array,
    v: Array,
    activation: str = "sigmoid",
    kind: str = "bce",
) -> Array:
    """``H v``: the Hessian of the loss applied to one direction, without forming ``H``.

    Parameters
    ----------
    params : Params
    X, y : ndarray
    v : ndarray of shape (n_params,)
        A direction in ``Params.ravel()`` order.
    activation, kind : str
        As :func:`hessian`.

    Returns
    -------
    ndarray of shape (n_params,)
    """
    theta, shape, X, y = prepare(params, X, y, activation, kind)
    v = np.asarray(v, dtype=np.float64)
    if v.shape != (shape.size,):
        raise XornetError(f"v has shape {v.shape}; the network has {shape.size} parameters")
    Hv: Array = hessian_products(theta, shape, X, y, activation, kind, v[None, None])[1][0, 0]
    return Hv


class Spectrum(NamedTuple):
    """The loss, gradient and Hessian eigen-decomposition at a point.

    Attributes
    ----------
    loss : float
    gradient : ndarray of shape (n_params,)
    eigenvalues : ndarray of shape (n_params,)
        Ascending.
    eigenvectors : ndarray of shape (n_params, n_params)
        Orthonormal; column ``i`` belongs to ``eigenvalues[i]``.
    """

    loss: float
    gradient: Array
    eigenvalues: Array
    eigenvectors: Array


def spectrum(
    params: Params, X: Array, y: Array, activation: str = "sigmoid", kind: str = "bce"
) -> Spectrum:
    """The Hessian's eigenvalues and eigenvectors at ``params`` (with the loss and gradient).

    Parameters
    ----------
    params : Params
    X, y : ndarray
    activation, kind : str
        As :func:`hessian`.

    Returns
    -------
    Spectrum
    """
    theta, shape, X, y = prepare(params, X, y, activation, kind)
    first, H = hessians(theta, shape, X, y, activation, kind)
    lam, vecs = np.linalg.eigh(H[0])
    return Spectrum(float(first.loss[0]), first.gradient[0], lam, vecs)


def losses(theta: Array, shape: Shape, X: Array, y: Array, activation: str, kind: str) -> Array:
    """The loss of each of the stacked networks ``theta (N, P)``: (N,)."""
    out: Array = stacked.losses(forward(unpack(theta, shape), X, activation).Z2, y, kind)
    return out
