"""What kind of point a network sits at, with the evidence (private; see xornet.landscape).

A point is read twice. Locally, from the gradient ``g`` and the Hessian's eigenpairs
``(lambda_i, v_i)`` (exact, :mod:`._hessian`), with one resolution (:class:`Thresholds`): a
change of the loss below ``flat`` over a move of ``radius`` in weight space counts as none, so

* a curvature is *flat* when ``|lambda| radius^2 / 2 <= flat``, negative or positive beyond;
* the point is *near a stationary point* when the local quadratic model's stationary point
  ``-sum_i (g . v_i / lambda_i) v_i`` (over the curved directions) lies within ``radius`` and
  the gradient within the flat directions moves the loss by at most ``flat`` over ``radius``.

Then a *minimum*: near a stationary point, every curvature positive (or the loss within
``flat`` of its lower bound 0); a *saddle*: near a stationary point, a negative curvature, and
the loss, measured along its eigenvector (signed downhill, at ``radius / 16`` to ``4 radius``),
falls; a *plateau*: near a stationary point, no negative curvature, and flat directions (beyond
a ReLU network's rescaling symmetries, along which the loss is exactly constant); *sloped*: not
near a stationary point.

Along the run, a :class:`Trend` from the loss and the weight norm at steps a tenfold apart: the
loss still falling while the norm grows by about the same amount each tenfold of steps (like
``log(step)``) is the signature of a *minimum at infinity*, the kind a sloped point or a plateau
becomes when its trend shows it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np

from xornet._typing import Array
from xornet.config import TrainConfig
from xornet.data import check_Xy
from xornet.errors import XornetError
from xornet.landscape._hessian import Shape, hessians, losses, prepare, unpack
from xornet.params import Params, n_outputs_for

PointKind = Literal["minimum", "saddle", "plateau", "sloped", "at infinity"]

#: The kinds of point, from the finite to the infinite.
KINDS: Final[tuple[PointKind, ...]] = ("minimum", "saddle", "plateau", "sloped", "at infinity")

#: The largest parameter a point may have to be classified: the norms and products of larger
#: ones overflow (a model file's weights may be any finite number).
MAX_PARAMETER: Final = 1e100

#: Distances probed along an escape direction, as multiples of ``Thresholds.radius``.
ESCAPE_PROBES: Final = np.array([1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0, 2.0, 4.0])


@dataclass(frozen=True)
class Thresholds:
    """The resolution of a classification (defaults for XOR-sized networks and losses).

    Parameters
    ----------
    radius : float
        A move in weight space that matters, in weight units (default 1: the post's weights
        start as standard normal draws).
    flat : float
        A change of the loss below this counts as none (default 1e-4; the losses here are of
        order 0.1 to 1: mean cross-entropy starts at ln 2, the 1986 total squared error at 0.5).
    growth : float
        A weight norm that grows by more than this per tenfold of steps is growing (default 0.1).
    log_ratio : float
        Two successive tenfolds' growths within this factor of each other grow like
        ``log(step)`` (default 2; a power law ``step^a`` has the ratio ``10^a``).
    """

    radius: float = 1.0
    flat: float = 1e-4
    growth: float = 0.1
    log_ratio: float = 2.0

    def __post_init__(self) -> None:
        for name in ("radius", "flat", "growth"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise XornetError(f"thresholds: {name} must be a positive number, got {value}")
        if not (math.isfinite(self.log_ratio) and self.log_ratio > 1):
            raise XornetError(f"thresholds: log_ratio must exceed 1, got {self.log_ratio}")

    @property
    def curvature(self) -> float:
        """Largest ``|lambda|`` that counts as flat: ``2 flat / radius^2``."""
        return 2.0 * self.flat / self.radius**2

    @property
    def gradient(self) -> float:
        """Largest gradient norm that counts as zero: ``flat / radius``."""
        return self.flat / self.radius


@dataclass(frozen=True, eq=False)
class Escape:
    """The loss along the direction of lowest curvature, from the point.

    Attributes
    ----------
    direction : ndarray of shape (n_params,)
        Unit eigenvector of the lowest eigenvalue, signed so that the gradient does not point
        along it (``g . v <= 0``): the way down.
    curvature : float
        Its eigenvalue.
    distances : ndarray of shape (n_probes,)
        Distances probed along ``direction``.
    losses : ndarray of shape (n_probes,)
        The loss at each.
    fall : float
        The loss at the point minus the lowest loss probed (positive: the loss fell).
    at : float
        The distance of the lowest loss probed.
    """

    direction: Array
    curvature: float
    distances: Array
    losses: Array
    fall: float
    at: float

    @property
    def falls(self) -> bool:
        """Whether the loss fell along the direction by more than its rounding."""
        return self.fall > 1e-12 * max(1.0, float(np.max(np.abs(self.losses))))


@dataclass(frozen=True)
class Trend:
    """The course of a run at a point: the loss and the weight norm at steps a tenfold apart.

    Attributes
    ----------
    steps : tuple of int
        Two or three steps, each about ten times the one before (the point is at the last).
    losses, weight_norms : tuple of float
        At those steps.
    correct : tuple of bool or None
        Whether every sample was right at each (when known).
    """

    steps: tuple[int, ...]
    losses: tuple[float, ...]
    weight_norms: tuple[float, ...]
    correct: tuple[bool, ...] | None = None

    def __post_init__(self) -> None:
        if not 2 <= len(self.steps) == len(self.losses) == len(self.weight_norms):
            raise XornetError("a trend needs the loss and the weight norm at two or more steps")
        if self.correct is not None and len(self.correct) != len(self.steps):
            raise XornetError("a trend's correct flags must match its steps")
        if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise XornetError(f"a trend's steps must increase, got {self.steps}")

    @property
    def falls(self) -> tuple[float, ...]:
        """The loss's fall over each interval (positive: it fell)."""
        return tuple(a - b for a, b in zip(self.losses, self.losses[1:], strict=False))

    @property
    def growths(self) -> tuple[float, ...]:
        """The weight norm's growth per tenfold of steps over each interval."""
        return tuple(
            (b - a) / math.log10(t1 / t0)
            for a, b, t0, t1 in zip(
                self.weight_norms, self.weight_norms[1:], self.steps, self.steps[1:], strict=False
            )
        )

    def loss_falling(self) -> bool:
        """Whether the loss fell over every interval by more than its rounding."""
        return all(
            f > 1e-12 * max(1.0, abs(b)) for f, b in zip(self.falls, self.losses[1:], strict=False)
        )

    def log_like(self, thresholds: Thresholds) -> bool:
        """Whether the norm grows by more than ``thresholds.growth`` per tenfold of steps over
        every interval, by amounts within ``thresholds.log_ratio`` of each other."""
        g = self.growths
        if min(g) <= thresholds.growth:
            return False
        return max(g) / min(g) <= thresholds.log_ratio

    def to_infinity(self, thresholds: Thresholds) -> bool:
        """The signature of a minimum at infinity: the loss still falling while the weight norm
        grows like ``log(step)``."""
        return self.loss_falling() and self.log_like(thresholds)

    def limit(self) -> float | None:
        """Where the loss is heading if its excess keeps shrinking by the same factor each
        interval (a geometric tail; with gradient flow at infinity the excess falls like
        ``1 / step``, tenfold per tenfold).

        None without three records, with a fall that does not shrink, or when the limit is
        below half the last loss: a loss still falling tenfold per tenfold of steps (a solved
        run's, heading for 0) has no limit above 0 that three records can tell apart.
        """
        if len(self.losses) < 3:
            return None
        f1, f2 = self.falls[-2:]
        if not 0 < f2 < f1:
            return None
        r = f2 / f1
        limit = self.losses[-1] - f2 * r / (1.0 - r)
        return limit if limit >= self.losses[-1] / 2 else None

    def as_dict(self) -> dict[str, Any]:
        """For JSON."""
        return {
            "steps": list(self.steps),
            "losses": list(self.losses),
            "weight_norms": list(self.weight_norms),
            "correct": None if self.correct is None else list(self.correct),
            "limit": self.limit(),
        }


@dataclass(frozen=True, eq=False)
class Classification:
    """A point of the loss landscape: what kind it is, and the numbers that say so.

    Attributes
    ----------
    kind : {"minimum", "saddle", "plateau", "sloped", "at infinity"}
        See :mod:`xornet.landscape`.
    loss : float
    gradient_norm : float
    weight_norm : float
    eigenvalues : ndarray of shape (n_params,)
        The Hessian's, ascending.
    eigenvectors : ndarray of shape (n_params, n_params)
        Column ``i`` belongs to ``eigenvalues[i]``.
    n_negative, n_flat, n_positive : int
        Eigenvalues below, within and above ``+-thresholds.curvature``.
    n_symmetries : int
        Flat directions explained by the network's symmetries (ReLU's rescaling of a live
        hidden unit's weights in against out); 0 for sigmoid and tanh.
    newton_distance : float
        How far the local quadratic model's stationary point is, over the curved directions.
    flat_slope : float
        The gradient's norm within the flat directions.
    outward : float
        Cosine between the way down (``-g``) and the weights themselves: near 1, descending
        makes the weights grow.
    escape : Escape or None
        The loss along the lowest-curvature direction (probed when that curvature is negative).
    trend : Trend or None
        The run's course, when measured.
    thresholds : Thresholds
    """

    kind: PointKind
    loss: float
    gradient_norm: float
    weight_norm: float
    eigenvalues: Array
    eigenvectors: Array
    n_negative: int
    n_flat: int
    n_positive: int
    n_symmetries: int
    newton_distance: float
    flat_slope: float
    outward: float
    escape: Escape | None = None
    trend: Trend | None = None
    thresholds: Thresholds = field(default_factory=Thresholds)

    def __repr__(self) -> str:
        return (
            f"Classification(kind={self.kind!r}, loss={self.loss:.6g}, "
            f"gradient_norm={self.gradient_norm:.3g}, "
            f"eigenvalues=[{self.eigenvalues[0]:.3g} .. {self.eigenvalues[-1]:.3g}])"
        )

    @property
    def near_stationary(self) -> bool:
        """Whether the local quadratic model has a stationary point within the radius and the
        flat directions carry no slope (see the module's definitions)."""
        t = self.thresholds
        return self.newton_distance <= t.radius and self.flat_slope <= t.gradient

    @property
    def at_floor(self) -> bool:
        """Whether the loss is within ``thresholds.flat`` of its lower bound, 0."""
        return self.loss <= self.thresholds.flat

    @property
    def evidence(self) -> str:
        """The measured numbers behind :attr:`kind`, in one sentence."""
        t = self.thresholds
        parts = [
            f"loss {self.loss:.6g}, gradient norm {self.gradient_norm:.2g}, "
            f"weight norm {self.weight_norm:.3g}",
            f"Hessian eigenvalues {self.eigenvalues[0]:.2g} .. {self.eigenvalues[-1]:.2g} "
            f"({self.n_negative} below -{t.curvature:.0e}, {self.n_flat} within, "
            f"{self.n_positive} above)",
        ]
        if self.n_symmetries:
            parts.append(f"{self.n_symmetries} flat by ReLU's rescaling symmetry")
        if self.escape is not None:
            e = self.escape
            parts.append(
                f"along the escape direction the loss falls by {e.fall:.2g} within {e.at:.3g}"
                if e.falls
                else "along the escape direction the loss does not fall"
            )
        if self.at_floor:
            parts.append(f"the loss is within {t.flat:g} of its lower bound 0")
        if self.near_stationary:
            parts.append(
                f"a stationary point of the local model lies {self.newton_distance:.2g} away"
            )
        else:
            parts.append(
                f"no stationary point within {t.radius:g} (the gradient in the flat "
                f"directions is {self.flat_slope:.2g}; cosine of the way down with the "
                f"weights {self.outward:+.2f})"
            )
        if self.trend is not None:
            tr = self.trend
            losses = " -> ".join(f"{v:.5g}" for v in tr.losses)
            growth = ", ".join(f"{g:+.2f}" for g in tr.growths)
            steps = " -> ".join(f"{s:,}" for s in tr.steps)
            parts.append(
                f"over steps {steps} the loss went {losses} and the weight norm grew "
                f"{growth} per tenfold of steps"
            )
            if tr.correct is not None:
                right = [f"{s:,}" for s, c in zip(tr.steps, tr.correct, strict=True) if c]
                parts.append(
                    f"every sample right at step {', '.join(right)}"
                    if right
                    else "some sample wrong at every one of these steps"
                )
        return "; ".join(parts) + "."

    @property
    def summary(self) -> str:
        """What the point is, in plain words, then :attr:`evidence`."""
        limit = None if self.trend is None else self.trend.limit()
        heading = "" if limit is None else f" The loss is heading for about {limit:.4g}."
        return f"{_KIND_WORDS[self.kind]}.{heading} Measured: {self.evidence}"

    def as_dict(self) -> dict[str, Any]:
        """The classification for JSON (numbers and lists, no arrays)."""
        escape = None
        if self.escape is not None:
            e = self.escape
            escape = {
                "direction": e.direction.tolist(),
                "curvature": e.curvature,
                "fall": e.fall,
                "at": e.at,
            }
        return {
            "kind": self.kind,
            "loss": self.loss,
            "gradient_norm": self.gradient_norm,
            "weight_norm": self.weight_norm,
            "eigenvalues": self.eigenvalues.tolist(),
            "n_negative": self.n_negative,
            "n_flat": self.n_flat,
            "n_positive": self.n_positive,
            "n_symmetries": self.n_symmetries,
            "newton_distance": self.newton_distance,
            "flat_slope": self.flat_slope,
            "outward": self.outward,
            "escape": escape,
            "trend": None if self.trend is None else self.trend.as_dict(),
            "summary": self.summary,
        }


_KIND_WORDS: Final[dict[str, str]] = {
    "minimum": "A minimum (gradient near zero, no negative curvature, and every curvature "
    "positive or the loss at its floor)",
    "saddle": "A saddle (gradient near zero, negative curvature, and the loss falls along it)",
    "plateau": "A plateau (gradient near zero, no negative curvature, flat directions)",
    "sloped": "Not near a stationary point (the loss slopes down from here)",
    "at infinity": "Heading for a minimum at infinity (the loss still falls while the weights "
    "grow like the log of the step)",
}


def classify_point(
    params: Params,
    X: Array,
    y: Array,
    activation: str = "sigmoid",
    kind: str = "bce",
    *,
    thresholds: Thresholds | None = None,
    trend: Trend | None = None,
) -> Classification:
    """Classify one point of the loss landscape, with the evidence.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_inputs)
    y : ndarray of shape (n_samples,)
    activation : {"sigmoid", "tanh", "relu"}
    kind : {"bce", "sse"}
        The loss.
    thresholds : Thresholds, optional
    trend : Trend, optional
        The run's course at this point (see :class:`Trend`; :func:`classify_end_state`
        measures it by running on): with it a point that is not a saddle, whose loss still
        falls while its weights grow like ``log(step)``, is ``"at infinity"``.

    Returns
    -------
    Classification

    Raises
    ------
    XornetError
        For parameters that are not finite or are beyond ``MAX_PARAMETER`` (1e100), or more
        of them than the exact Hessian takes (``MAX_HESSIAN_PARAMETERS``, 2,500).
    """
    theta, shape, X, y = prepare(params, X, y, activation, kind)
    return _classify(theta, shape, X, y, activation, kind, thresholds or Thresholds(), [trend])[0]


def classify_many(
    thetas: Array,
    X: Array,
    y: Array,
    config: TrainConfig,
    *,
    n_classes: int = 2,
    thresholds: Thresholds | None = None,
    trends: Sequence[Trend | None] | None = None,
) -> list[Classification]:
    """Classify many points at once (vectorised), such as :func:`xornet.train_many`'s ends.

    Parameters
    ----------
    thetas : ndarray of shape (n_networks, n_params)
        Packed parameters (``Params.ravel()`` order; :attr:`xornet.ManyResult.thetas`).
    X : ndarray of shape (n_samples, n_inputs)
    y : ndarray of shape (n_samples,)
    config : TrainConfig
        Supplies the network (``hidden``, ``shortcut``, ``activation``) and the loss.
    n_classes : int
    thresholds : Thresholds, optional
    trends : sequence of Trend or None, optional
        One per network.

    Returns
    -------
    list of Classification
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    check_Xy(X, y, n_classes)
    if config.loss == "sse" and n_classes > 2:
        raise XornetError("the squared-error loss needs one sigmoid output (two classes)")
    thetas = np.atleast_2d(np.asarray(thetas, dtype=np.float64))
    shape = Shape(X.shape[1], config.hidden, n_outputs_for(n_classes), config.shortcut)
    if thetas.shape[1] != shape.size:
        raise XornetError(
            f"thetas have {thetas.shape[1]} parameters; a {shape.d}-{shape.h}-"
            f"{shape.k} network{' with shortcut' if shape.shortcut else ''} has "
            f"{shape.size}"
        )
    if trends is not None and len(trends) != thetas.shape[0]:
        raise XornetError(f"{len(trends)} trends for {thetas.shape[0]} networks")
    return _classify(
        thetas, shape, X, y, config.activation, config.loss, thresholds or Thresholds(), trends
    )


def _classify(
    thetas: Array,
    shape: Shape,
    X: Array,
    y: Array,
    activation: str,
    kind: str,
    t: Thresholds,
    trends: Sequence[Trend | None] | None,
) -> list[Classification]:
    """The classification of stacked networks (the definitions are the module's)."""
    if not np.isfinite(thetas).all():
        raise XornetError("cannot classify non-finite parameters (a diverged run)")
    if np.abs(thetas).max(initial=0.0) > MAX_PARAMETER:
        raise XornetError(f"parameters beyond {MAX_PARAMETER:.0e} are too large to classify "
                          "(the loss's curvature there overflows)")  # fmt: skip
    N = thetas.shape[0]
    first, H = hessians(thetas, shape, X, y, activation, kind)
    lam, vecs = np.linalg.eigh(H)  # (N, P), (N, P, P): columns are eigenvectors
    g = first.gradient
    g_eig = np.einsum("np,npq->nq", g, vecs)  # the gradient in the eigenbasis
    flat = np.abs(lam) <= t.curvature
    curved = ~flat
    safe = np.where(curved, lam, 1.0)
    newton = np.sqrt(np.sum(np.where(curved, g_eig / safe, 0.0) ** 2, axis=1))
    flat_slope = np.sqrt(np.sum(np.where(flat, g_eig, 0.0) ** 2, axis=1))
    g_norm = np.linalg.norm(g, axis=1)
    w_norm = np.linalg.norm(thetas, axis=1)
    outward = -np.sum(g * thetas, axis=1) / np.maximum(g_norm * w_norm, np.finfo(float).tiny)
    n_sym = _relu_symmetries(thetas, shape) if activation == "relu" else np.zeros(N, np.int64)
    # the escape direction: the lowest eigenvector, signed downhill, probed where it curves down
    v = vecs[:, :, 0] * np.where(g_eig[:, 0] > 0, -1.0, 1.0)[:, None]  # (N, P)
    probed = np.flatnonzero(lam[:, 0] < -t.curvature)
    distances = ESCAPE_PROBES * t.radius
    along = np.full((N, distances.size), np.nan)
    if probed.size:
        points = thetas[probed, None, :] + distances[None, :, None] * v[probed, None, :]
        along[probed] = losses(
            points.reshape(-1, shape.size), shape, X, y, activation, kind
        ).reshape(probed.size, -1)
    results = []
    for i in range(N):
        escape = None
        if lam[i, 0] < -t.curvature:
            j = int(np.argmin(along[i]))
            escape = Escape(
                v[i].copy(),
                float(lam[i, 0]),
                distances.copy(),
                along[i].copy(),
                float(first.loss[i] - along[i, j]),
                float(distances[j]),
            )
        n_neg = int(np.sum(lam[i] < -t.curvature))
        n_flat = int(np.sum(flat[i]))
        trend = None if trends is None else trends[i]
        point = Classification(
            kind="sloped",
            loss=float(first.loss[i]),
            gradient_norm=float(g_norm[i]),
            weight_norm=float(w_norm[i]),
            eigenvalues=lam[i].copy(),
            eigenvectors=vecs[i].copy(),
            n_negative=n_neg,
            n_flat=n_flat,
            n_positive=lam.shape[1] - n_neg - n_flat,
            n_symmetries=int(min(n_sym[i], n_flat)),
            newton_distance=float(newton[i]),
            flat_slope=float(flat_slope[i]),
            outward=float(outward[i]),
            escape=escape,
            trend=trend,
            thresholds=t,
        )
        results.append(_with_kind(point))
    return results


def _with_kind(p: Classification) -> Classification:
    """The point with its kind decided, by the module's definitions."""
    t = p.thresholds
    kind: PointKind = "sloped"
    if p.near_stationary:
        if p.n_negative:
            kind = "saddle" if p.escape is not None and p.escape.falls else "plateau"
        elif p.n_flat > p.n_symmetries and not p.at_floor:
            kind = "plateau"
        else:
            kind = "minimum"
    if kind != "saddle" and p.trend is not None and p.trend.to_infinity(t):
        kind = "at infinity"
    return dataclasses.replace(p, kind=kind)


def _relu_symmetries(thetas: Array, shape: Shape) -> Array:
    """Per network, the hidden units with weights both in and out: each is a direction
    (in-weights up, out-weights down) along which a ReLU network's loss is exactly constant."""
    W1, b1, W2, _, _ = unpack(thetas, shape)
    fan_in = np.abs(W1).sum(axis=-2) + np.abs(b1[..., 0, :])  # (N, h)
    fan_out = np.abs(W2).sum(axis=-1)  # (N, h)
    live: Array = np.sum((fan_in > 0) & (fan_out > 0), axis=1)
    return live
