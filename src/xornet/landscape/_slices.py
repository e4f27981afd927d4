"""Loss slices: the loss along one or two directions through a point (private).

Directions are vectors in packed parameter space (``Params.ravel()`` order). Three kinds:

* between two parameter sets (the start and the end of a run, two solutions);
* random, scaled per unit as Li et al. (2018, "Visualizing the Loss Landscape of Neural Nets")
  scale per filter: each unit's incoming weights and bias (a column of ``W1`` with its ``b1``; an
  output's column of ``W2`` with its ``b2`` and, with a shortcut, its column of ``W3``) get a
  Gaussian direction of the same norm as theirs. Li et al. leave biases out; in a network this
  small they are a third of the parameters, so here they belong to their unit;
* the Hessian's eigenvectors (:func:`xornet.landscape.spectrum`), or a path's principal
  components (:func:`path_directions`, as Li et al. choose them to show a training path).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xornet._rng import RngLike, as_generator
from xornet._typing import Array
from xornet.errors import XornetError
from xornet.landscape._hessian import Shape, losses, unpack
from xornet.params import Params

#: Largest number of points a slice evaluates (a 2-D slice of 401 x 401).
MAX_POINTS = 401 * 401


@dataclass(frozen=True, eq=False)
class LossSlice:
    """The loss on a line or a plane through ``centre``.

    Attributes
    ----------
    centre : ndarray of shape (n_params,)
        The point the slice passes through (at coordinates 0).
    directions : ndarray of shape (1, n_params) or (2, n_params)
        ``point = centre + a * directions[0] (+ b * directions[1])``.
    a : ndarray of shape (n_a,)
        Coordinates along the first direction.
    b : ndarray of shape (n_b,) or None
        Along the second (2-D slices).
    losses : ndarray of shape (n_a,) or (n_b, n_a)
        The loss at each point (rows follow ``b``, columns ``a``, as an image).
    labels : tuple of str
        What each direction is, for the axes.
    centre_loss : float
        The loss at the centre.
    path : ndarray of shape (n_points, 1 or 2) or None
        A training path in the slice's coordinates (its points' least-squares coordinates).
    """

    centre: Array
    directions: Array
    a: Array
    b: Array | None
    losses: Array
    labels: tuple[str, ...]
    centre_loss: float
    path: Array | None = None

    @property
    def ndim(self) -> int:
        """1 for a line, 2 for a plane."""
        return int(self.directions.shape[0])


def _shape(params: Params) -> Shape:
    return Shape.of(params)


def _losses(points: Array, params: Params, X: Array, y: Array, activation: str, kind: str) -> Array:
    """The loss at each packed point (G, P) -> (G,)."""
    with np.errstate(over="ignore"):  # a far slice may saturate; the loss stays finite
        return losses(points, _shape(params), X, y, activation, kind)


def _direction(params: Params, v: Array, name: str) -> Array:
    v = np.asarray(v, dtype=np.float64).ravel()
    if v.shape != (params.size,):
        raise XornetError(f"{name} has {v.size} entries; the network has {params.size} parameters")
    if not (np.isfinite(v).all() and np.any(v != 0)):
        raise XornetError(f"{name} must be finite and not zero")
    return v


def _coordinates(values: Array | None, default: Array, name: str) -> Array:
    a = default if values is None else np.asarray(values, dtype=np.float64).ravel()
    if a.size < 2 or not np.isfinite(a).all():
        raise XornetError(f"{name} needs at least two finite coordinates")
    return a


def filter_normalised_direction(params: Params, rng: RngLike = None) -> Array:
    """A random direction scaled per unit (Li et al. 2018's filter normalisation).

    Parameters
    ----------
    params : Params
        The point the direction will be used at.
    rng : None, int or numpy.random.Generator

    Returns
    -------
    ndarray of shape (n_params,)
        Gaussian, then each unit's block (its incoming weights and its bias) rescaled to the
        norm of the same block of ``params``.
    """
    gen = as_generator(rng)
    theta = params.ravel()
    d = gen.standard_normal(theta.size)
    for unit in unit_blocks(_shape(params)):
        drawn = np.linalg.norm(d[unit])
        d[unit] *= np.linalg.norm(theta[unit]) / drawn if drawn > 0 else 0.0
    return d


def unit_blocks(shape: Shape) -> list[Array]:
    """The packed indices of each unit's incoming weights and bias: hidden unit ``j``'s
    ``W1[:, j]`` and ``b1[j]``, then output ``c``'s ``W2[:, c]``, ``b2[c]`` (and ``W3[:, c]``)."""
    W1, b1, W2, b2, W3 = unpack(np.arange(shape.size, dtype=np.float64), shape)  # indices
    hidden = [np.r_[W1[:, j], b1[0, j]] for j in range(shape.h)]
    outputs = [
        np.r_[W2[:, c], b2[0, c], W3[:, c] if W3 is not None else []] for c in range(shape.k)
    ]
    return [block.astype(np.intp) for block in hidden + outputs]


def path_directions(path: Array, centre: Array) -> tuple[Array, Array]:
    """The two principal directions of a training path about ``centre`` (Li et al. 2018).

    Parameters
    ----------
    path : ndarray of shape (n_points, n_params)
        Parameters along a run (:attr:`LandscapeRecorder.path`).
    centre : ndarray of shape (n_params,)
        Usually the run's end.

    Returns
    -------
    directions : ndarray of shape (2, n_params)
        Orthonormal: the first two right singular vectors of ``path - centre``.
    explained : ndarray of shape (2,)
        The fraction of the path's squared distance from the centre that each explains.
    """
    M = np.asarray(path, dtype=np.float64) - np.asarray(centre, dtype=np.float64)
    if M.ndim != 2 or M.shape[0] < 2:
        raise XornetError("a path needs at least two points to have principal directions")
    _, s, Vt = np.linalg.svd(M, full_matrices=False)
    total = float(np.sum(s**2))
    if Vt.shape[0] < 2 or total == 0.0:
        raise XornetError("the path does not move away from the centre in two directions")
    explained = s[:2] ** 2 / total
    return Vt[:2].copy(), explained


def project(path: Array, centre: Array, directions: Array) -> Array:
    """Coordinates of each point of ``path`` in the slice's directions (least squares).

    Parameters
    ----------
    path : ndarray of shape (n_points, n_params)
    centre : ndarray of shape (n_params,)
    directions : ndarray of shape (k, n_params)

    Returns
    -------
    ndarray of shape (n_points, k)
    """
    M = np.asarray(path, dtype=np.float64) - centre
    coords = np.linalg.lstsq(directions.T, M.T, rcond=None)[0]
    return np.asarray(coords.T, dtype=np.float64)


def slice_1d(
    params: Params,
    X: Array,
    y: Array,
    direction: Array,
    a: Array | None = None,
    *,
    activation: str = "sigmoid",
    kind: str = "bce",
    label: str = "direction",
    path: Array | None = None,
) -> LossSlice:
    """The loss along a line: ``L(params + a * direction)``.

    Parameters
    ----------
    params : Params
        The centre.
    X : ndarray of shape (n_samples, n_inputs)
    y : ndarray of shape (n_samples,)
    direction : ndarray of shape (n_params,)
    a : ndarray of shape (n_a,), optional
        Coordinates (default 101 points from -1 to 1).
    activation, kind : str
        As :func:`xornet.loss`.
    label : str
    path : ndarray of shape (n_points, n_params), optional
        A training path to project onto the line.

    Returns
    -------
    LossSlice
    """
    v = _direction(params, direction, "direction")
    a = _coordinates(a, np.linspace(-1.0, 1.0, 101), "a")
    if a.size > MAX_POINTS:
        raise XornetError(f"a slice of {a.size} points is more than {MAX_POINTS}")
    centre = params.ravel()
    losses = _losses(centre + a[:, None] * v, params, X, y, activation, kind)
    coords = None if path is None else project(path, centre, v[None])
    return LossSlice(
        centre,
        v[None].copy(),
        a,
        None,
        losses,
        (label,),
        float(_losses(centre[None], params, X, y, activation, kind)[0]),
        coords,
    )


def slice_between(
    start: Params,
    end: Params,
    X: Array,
    y: Array,
    a: Array | None = None,
    *,
    activation: str = "sigmoid",
    kind: str = "bce",
) -> LossSlice:
    """The loss on the straight line from ``start`` (at 0) to ``end`` (at 1).

    Parameters
    ----------
    start, end : Params
        Of the same network.
    X, y : ndarray
    a : ndarray, optional
        Coordinates (default 121 points from -0.1 to 1.1).
    activation, kind : str

    Returns
    -------
    LossSlice
        Centred at ``start``.
    """
    if _shape(start) != _shape(end):
        raise XornetError(f"cannot slice between {start!r} and {end!r}: different networks")
    a = _coordinates(a, np.linspace(-0.1, 1.1, 121), "a")
    return slice_1d(
        start,
        X,
        y,
        end.ravel() - start.ravel(),
        a,
        activation=activation,
        kind=kind,
        label="start (0) to end (1)",
    )


def slice_2d(
    params: Params,
    X: Array,
    y: Array,
    directions: Array,
    a: Array | None = None,
    b: Array | None = None,
    *,
    activation: str = "sigmoid",
    kind: str = "bce",
    labels: tuple[str, str] = ("direction 1", "direction 2"),
    path: Array | None = None,
) -> LossSlice:
    """The loss on a plane: ``L(params + a * directions[0] + b * directions[1])``.

    Parameters
    ----------
    params : Params
        The centre.
    X, y : ndarray
    directions : ndarray of shape (2, n_params)
    a, b : ndarray, optional
        Coordinates (default 41 points from -1 to 1 each).
    activation, kind : str
    labels : (str, str)
    path : ndarray of shape (n_points, n_params), optional
        A training path to project onto the plane (least squares).

    Returns
    -------
    LossSlice
        ``losses`` of shape (n_b, n_a).
    """
    D = np.asarray(directions, dtype=np.float64)
    if D.ndim != 2 or D.shape[0] != 2:
        raise XornetError(f"a plane needs two directions, got an array of shape {D.shape}")
    d1, d2 = (_direction(params, D[i], f"direction {i + 1}") for i in range(2))
    a = _coordinates(a, np.linspace(-1.0, 1.0, 41), "a")
    b = _coordinates(b, np.linspace(-1.0, 1.0, 41), "b")
    if a.size * b.size > MAX_POINTS:
        raise XornetError(f"a slice of {a.size} x {b.size} points is more than {MAX_POINTS}")
    if abs(d1 @ d2) >= np.linalg.norm(d1) * np.linalg.norm(d2) * (1.0 - 1e-9):
        raise XornetError("the two directions are parallel: they span a line, not a plane")
    centre = params.ravel()
    grid = centre + a[None, :, None] * d1 + b[:, None, None] * d2  # (n_b, n_a, P)
    losses = _losses(grid.reshape(-1, centre.size), params, X, y, activation, kind)
    V = np.stack([d1, d2])
    coords = None if path is None else project(path, centre, V)
    return LossSlice(
        centre,
        V,
        a,
        b,
        losses.reshape(b.size, a.size),
        labels,
        float(_losses(centre[None], params, X, y, activation, kind)[0]),
        coords,
    )
