"""Finite-difference gradient checking of the backward pass."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from xornet._typing import Array
from xornet.errors import XornetError
from xornet.network import Cache, backward, check_data, forward, loss
from xornet.params import Params

__all__ = ["MAX_WORK", "GradCheck", "gradient_check", "numerical_gradient"]

#: The most hidden activations a numerical gradient computes: two forward passes a parameter,
#: each over every sample, ``2 x parameters x samples x hidden units`` (2e9: about half a
#: minute). A larger check, a 2-100000-1 network's (hours), is refused before any work.
MAX_WORK: Final = 2 * 10**9


def _check_work(params: Params, n_samples: int) -> None:
    """Refuse a numerical gradient of more than :data:`MAX_WORK` hidden activations."""
    size = params.ravel().size
    work = 2 * size * n_samples * params.n_hidden
    if work > MAX_WORK:
        raise XornetError(
            f"a gradient check of {size:,} parameters on {n_samples:,} samples computes "
            f"{work:.1e} hidden activations (two forward passes a parameter), more than the "
            f"{MAX_WORK:.0e} it is bounded to; check fewer hidden units or samples"
        )


def numerical_gradient(
    params: Params,
    X: Array,
    y: Array,
    activation: str = "sigmoid",
    eps: float = 1e-5,
    kind: str = "bce",
) -> Params:
    """Central-difference gradient of the loss over all parameters packed into one vector.

    ``g_i = (L(theta + eps e_i) - L(theta - eps e_i)) / (2 eps)`` for each scalar parameter.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    activation : {"sigmoid", "tanh", "relu"}
    eps : float
        Half-width of the difference.
    kind : {"bce", "sse"}
        The loss.

    Returns
    -------
    Params
        The numerical gradient, with the parameters' shapes.

    Raises
    ------
    XornetError
        For an ``eps`` that is not a positive finite number (a difference over nothing), or a
        check of more than :data:`MAX_WORK` hidden activations, before any work.
    """
    if not (isinstance(eps, int | float) and 0 < eps < math.inf):
        raise XornetError(f"eps must be a positive finite number, got {eps!r}")
    _check_work(params, len(X))
    theta = params.ravel()
    grad = np.empty_like(theta)
    for i in range(theta.size):
        shifted = theta.copy()
        shifted[i] = theta[i] + eps
        plus = loss(forward(params.unravel(shifted), X, activation), y, kind)
        shifted[i] = theta[i] - eps
        minus = loss(forward(params.unravel(shifted), X, activation), y, kind)
        grad[i] = (plus - minus) / (2.0 * eps)
    return params.unravel(grad)


@dataclass(frozen=True)
class GradCheck:
    """Result of :func:`gradient_check`.

    Attributes
    ----------
    errors : dict of str to float
        Worst relative error per parameter array (``W1``, ``b1``, ``W2``, ``b2``), over the
        entries checked (0 when none was).
    tolerance : float
        The threshold ``passed`` compares against.
    unchecked : dict of str to int
        Per array, how many entries were not checked because their central difference crosses
        relu's kink at 0 (a difference across it is not a derivative); empty for the smooth
        activations.
    """

    errors: dict[str, float]
    tolerance: float
    unchecked: dict[str, int] = field(default_factory=dict)

    @property
    def worst(self) -> float:
        """The largest relative error over all parameters."""
        return max(self.errors.values())

    @property
    def passed(self) -> bool:
        """Whether every relative error is at most ``tolerance``."""
        return self.worst <= self.tolerance


def gradient_check(
    params: Params,
    X: Array,
    y: Array,
    activation: str = "sigmoid",
    *,
    eps: float = 1e-5,
    tolerance: float = 1e-6,
    floor: float = 1e-6,
    kind: str = "bce",
) -> GradCheck:
    """Compare the backward pass with central differences, parameter by parameter.

    The relative error of one scalar is ``|a - n| / max(|a| + |n|, floor * max(1, |L|))`` for
    the analytic gradient ``a``, the numerical one ``n`` and the loss ``L``. The floor is there
    because central differences cannot resolve tiny gradients: rounding the loss (about
    ``1e-16 |L|``) and dividing by ``2 eps`` leaves noise of about ``1e-11 |L|`` in every
    numerical gradient (for ``eps = 1e-5``), so gradients smaller than the floor are judged by
    their absolute error. The default ``eps`` is close to the optimum for central differences,
    about the cube root of machine epsilon.

    With relu, an entry of ``W1`` or ``b1`` whose difference moves some hidden pre-activation
    across 0 is left out (counted in ``unchecked``): there the difference measures relu's kink,
    not its derivative, and would fail a right backward pass. XOR's input (0, 0) with biases
    that start at 0 puts every unit there.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    activation : {"sigmoid", "tanh", "relu"}
    eps : float
        Half-width of the central difference.
    tolerance : float
        Largest relative error that passes.
    floor : float
        Smallest denominator of the relative error, relative to the loss (see above).
    kind : {"bce", "sse"}
        The loss.

    Returns
    -------
    GradCheck
        The worst relative error per parameter array, and the entries left unchecked.

    Raises
    ------
    XornetError
        As :func:`numerical_gradient`, before the forward pass.
    """
    check_data(params, X, y)
    _check_work(params, len(X))
    cache = forward(params, X, activation)
    scale = floor * max(1.0, abs(loss(cache, y, kind)))
    analytic = backward(params, cache, y, kind)
    numeric = numerical_gradient(params, X, y, activation, eps, kind)
    kinks = _across_the_kink(cache, eps) if activation == "relu" else {}
    errors, unchecked = {}, {}
    for name, a, n in zip(params.names, analytic, numeric, strict=True):
        rel = np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), scale)
        if name in kinks and kinks[name].any():
            unchecked[name] = int(kinks[name].sum())
            rel = rel[~kinks[name]]
        errors[name] = float(rel.max(initial=0.0))
    return GradCheck(errors, tolerance, unchecked)


def _across_the_kink(cache: Cache, eps: float) -> dict[str, npt.NDArray[np.bool_]]:
    """Which entries of ``W1`` and ``b1`` move a hidden pre-activation across relu's kink when
    shifted by ``eps``: ``Z1[i, k]`` moves by ``eps * X[i, j]`` for ``W1[j, k]`` and by
    ``eps`` for ``b1[k]``. The other arrays leave ``Z1`` where it is."""
    distance = np.abs(cache.Z1)  # (n, h): how far each pre-activation is from the kink
    moved = eps * np.abs(cache.X)  # (n, d): how far a shift of W1[j, :] moves sample i's
    return {"W1": np.any(moved[:, :, None] > distance[:, None, :], axis=0),
            "b1": np.any(distance < eps, axis=0)}  # fmt: skip
