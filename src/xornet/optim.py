"""Optimizers: each holds only its own state and updates the parameters in place.

``step(params, grads)`` applies one update. The optimizer never sees the model or the data.
"""

from __future__ import annotations

from typing import Any, Final, Protocol

import numpy as np

from xornet._names import OPTIMIZER_NAMES
from xornet._typing import Array
from xornet.params import Params

__all__ = ["GD", "OPTIMIZERS", "Adam", "Momentum", "Optimizer", "make_optimizer"]

#: Optimizer names accepted by :func:`make_optimizer` and the CLI.
OPTIMIZERS: Final = OPTIMIZER_NAMES


class Optimizer(Protocol):
    """What the training loop needs of an optimizer."""

    def step(self, params: Params, grads: Params) -> None:
        """Update ``params`` in place from ``grads`` (same shapes)."""

    def get_state(self) -> dict[str, Any]:
        """The optimizer's own state, to save a run (lists of arrays shaped as the params)."""

    def set_state(self, state: dict[str, Any], params: Params) -> None:
        """Continue from a saved :meth:`get_state` (checked against ``params``' shapes)."""


def _arrays(state: dict[str, Any], key: str, params: Params) -> list[Array] | None:
    """``state[key]``: None, or arrays of the parameters' shapes (copied), with no nan (an
    infinity is a state a run can reach: Adam's ``v`` past the float range)."""
    value = state.get(key)
    if value is None:
        return None
    arrays = [np.array(a, dtype=np.float64) for a in value]
    if [a.shape for a in arrays] != [w.shape for w in params] or any(
        np.isnan(a).any() for a in arrays
    ):
        raise ValueError(f"optimizer state {key!r} does not fit the parameters")
    return arrays


def _check_lr(learning_rate: float) -> float:
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning rate must be a positive finite number, got {learning_rate}")
    return float(learning_rate)


class GD:
    """Plain gradient descent, as in the post: ``w <- w - lr * g``.

    Parameters
    ----------
    learning_rate : float
        Step size ``lr`` (> 0).
    """

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = _check_lr(learning_rate)

    def __repr__(self) -> str:
        return f"GD(learning_rate={self.learning_rate})"

    def step(self, params: Params, grads: Params) -> None:
        """Apply one update in place."""
        for w, g in zip(params, grads, strict=True):
            w -= self.learning_rate * g

    def get_state(self) -> dict[str, Any]:
        """Plain gradient descent keeps no state."""
        return {}

    def set_state(self, state: dict[str, Any], params: Params) -> None:
        """Nothing to restore."""


class Momentum:
    """Classical (heavy-ball) momentum, optionally Nesterov.

    Heavy ball: ``v <- mu v - lr g``, then ``w <- w + v``. This is the form of Rumelhart, Hinton
    and Williams (1986), ``dw(t) = -lr dE/dw + alpha dw(t-1)``, not the moving-average form.

    Nesterov (the Sutskever et al. 2013 rewriting, with the gradient taken at the current
    weights): ``v <- mu v - lr g``, then ``w <- w + mu v - lr g``.

    Parameters
    ----------
    learning_rate : float
        Step size ``lr`` (> 0).
    momentum : float
        Momentum ``mu`` in [0, 1).
    nesterov : bool
        Use Nesterov's look-ahead update.
    """

    def __init__(self, learning_rate: float, momentum: float = 0.9, nesterov: bool = False) -> None:
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        self.learning_rate = _check_lr(learning_rate)
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.velocities: list[Array] | None = None

    def __repr__(self) -> str:
        return (
            f"Momentum(learning_rate={self.learning_rate}, momentum={self.momentum}, "
            f"nesterov={self.nesterov})"
        )

    def step(self, params: Params, grads: Params) -> None:
        """Apply one update in place."""
        if self.velocities is None:
            self.velocities = [np.zeros_like(w) for w in params]
        mu, lr = self.momentum, self.learning_rate
        for w, g, v in zip(params, grads, self.velocities, strict=True):
            v *= mu
            v -= lr * g
            if self.nesterov:
                w += mu * v - lr * g
            else:
                w += v

    def get_state(self) -> dict[str, Any]:
        """The velocities (None before the first step)."""
        return {"velocities": None if self.velocities is None else
                [v.copy() for v in self.velocities]}  # fmt: skip

    def set_state(self, state: dict[str, Any], params: Params) -> None:
        """Continue with saved velocities."""
        self.velocities = _arrays(state, "velocities", params)


class Adam:
    """Adam, the variant of Kingma and Ba (2015), Algorithm 1.

    With ``t`` counting from 1::

        m <- b1 m + (1 - b1) g
        v <- b2 v + (1 - b2) g^2
        m_hat = m / (1 - b1^t),  v_hat = v / (1 - b2^t)
        w <- w - lr m_hat / (sqrt(v_hat) + eps)

    ``eps`` is added to the bias-corrected ``sqrt(v_hat)``, as in the paper's Algorithm 1
    (scikit-learn's MLP instead folds the bias correction into the step size, which places
    ``eps`` differently; the two agree to about ``eps``).

    Parameters
    ----------
    learning_rate : float
        Step size ``lr`` (> 0).
    beta1, beta2 : float
        Decay rates of the moment estimates, in [0, 1).
    eps : float
        Added to the denominator (> 0).
    """

    def __init__(
        self,
        learning_rate: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        for name, beta in (("beta1", beta1), ("beta2", beta2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {beta}")
        if not eps > 0:
            raise ValueError(f"eps must be positive, got {eps}")
        self.learning_rate = _check_lr(learning_rate)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.t = 0
        self.m: list[Array] | None = None
        self.v: list[Array] | None = None

    def __repr__(self) -> str:
        return (
            f"Adam(learning_rate={self.learning_rate}, beta1={self.beta1}, "
            f"beta2={self.beta2}, eps={self.eps})"
        )

    def step(self, params: Params, grads: Params) -> None:
        """Apply one update in place."""
        if self.m is None or self.v is None:
            self.m = [np.zeros_like(w) for w in params]
            self.v = [np.zeros_like(w) for w in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        correction1 = 1.0 - b1**self.t
        correction2 = 1.0 - b2**self.t
        for w, g, m, v in zip(params, grads, self.m, self.v, strict=True):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * g * g
            w -= self.learning_rate * (m / correction1) / (np.sqrt(v / correction2) + self.eps)

    def get_state(self) -> dict[str, Any]:
        """The step count ``t`` and the moments ``m``, ``v`` (None before the first step)."""
        return {
            "t": self.t,
            "m": None if self.m is None else [a.copy() for a in self.m],
            "v": None if self.v is None else [a.copy() for a in self.v],
        }

    def set_state(self, state: dict[str, Any], params: Params) -> None:
        """Continue with a saved step count and moments."""
        t = state.get("t", 0)
        if isinstance(t, bool) or not isinstance(t, int | np.integer) or t < 0:
            raise ValueError(f"Adam's step count must be an integer >= 0, got {t!r}")
        m, v = _arrays(state, "m", params), _arrays(state, "v", params)
        if v is not None and any((a < 0).any() for a in v):
            raise ValueError("Adam's second moments v must be >= 0")
        if (m is None) != (v is None) or (m is None) != (t == 0):
            raise ValueError("Adam's saved moments and step count do not agree")
        self.t, self.m, self.v = int(t), m, v


def make_optimizer(
    name: str,
    learning_rate: float,
    *,
    momentum: float = 0.9,
    nesterov: bool = False,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> Optimizer:
    """Build an optimizer by name.

    Parameters
    ----------
    name : {"gd", "momentum", "adam"}
    learning_rate : float
    momentum, nesterov
        For ``"momentum"``.
    beta1, beta2, eps
        For ``"adam"``.

    Returns
    -------
    Optimizer
    """
    if name == "gd":
        return GD(learning_rate)
    if name == "momentum":
        return Momentum(learning_rate, momentum, nesterov)
    if name == "adam":
        return Adam(learning_rate, beta1, beta2, eps)
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
