"""Hidden space: where the hidden layer puts the samples, and where the output unit splits it.

The post's central claim is that the hidden layer maps the four XOR points to places where one
straight line, the output unit, separates the classes. This module computes that picture with
NumPy alone, so that the figures (:func:`xornet.plotting.plot_hidden_space`) and the
playground, which draws it in the browser, show the same geometry without matplotlib.

* :func:`output_inputs`: what the output unit sees, the hidden activations (and the inputs,
  with a shortcut), of shape (n_samples, m);
* :func:`output_boundaries`: the output's boundaries in that space, each ``w . h + b = 0``;
* :func:`hidden_plane`: a plane of that space (the space itself for 2 units, the 2 leading
  principal components for more, :func:`principal_directions`) with the samples and the
  boundaries in its coordinates;
* :func:`input_grid_lines`: lines of the input plane mapped into hidden space, to show how
  the hidden layer bends it.
"""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np

from xornet._typing import Array
from xornet.network import forward
from xornet.params import Params

__all__ = [
    "GRID_LINES",
    "LINE_POINTS",
    "HiddenPlane",
    "axis_names",
    "hidden_plane",
    "input_grid_lines",
    "output_boundaries",
    "output_inputs",
    "principal_directions",
]


def output_inputs(params: Params, X: Array, activation: str = "sigmoid",
                  H: Array | None = None) -> Array:  # fmt: skip
    """What the output unit sees: the hidden activations, and with a shortcut the inputs too.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_features)
    activation : str
    H : ndarray of shape (n_samples, n_hidden), optional
        The hidden activations when the caller has them (``forward(params, X).H``).

    Returns
    -------
    ndarray of shape (n_samples, m)
        ``m = n_hidden``, or ``n_hidden + n_features`` with a shortcut (``[H, X]``).

    Raises
    ------
    ValueError
        If ``H`` has the wrong shape.
    """
    if H is None:
        H = forward(params, X, activation).H
    elif H.shape != (X.shape[0], params.n_hidden):
        raise ValueError(f"hidden has shape {H.shape}, expected {(X.shape[0], params.n_hidden)}")
    return H if params.W3 is None else np.column_stack([H, X])


def axis_names(params: Params) -> list[str]:
    """The names of the axes of :func:`output_inputs`: ``h1, h2, ...`` (then ``x1, ...``)."""
    names = [f"h{j + 1}" for j in range(params.n_hidden)]
    return names + ([f"x{i + 1}" for i in range(params.n_inputs)] if params.shortcut else [])


#: The input plane's grid of :func:`input_grid_lines`: this many lines along each input, each
#: of this many points (so ``2 * GRID_LINES * LINE_POINTS`` points are mapped in all).
GRID_LINES: Final = 9
LINE_POINTS: Final = 60


def input_grid_lines(params: Params, X: Array, activation: str = "sigmoid") -> list[Array]:
    """Lines of a square grid over the input plane, mapped into hidden space.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, 2)
        The grid covers its range with a margin of 0.25.
    activation : str

    Returns
    -------
    list of ndarray of shape (LINE_POINTS, m)
        ``2 * GRID_LINES`` lines (``GRID_LINES`` along each input), each as
        :data:`LINE_POINTS` points of :func:`output_inputs`.
    """
    low, high = X.min(axis=0) - 0.25, X.max(axis=0) + 0.25
    t = np.linspace(0.0, 1.0, LINE_POINTS)
    lines = []
    for v in np.linspace(0.0, 1.0, GRID_LINES):
        along_x1 = np.column_stack([low[0] + (high[0] - low[0]) * t,
                                    np.full_like(t, low[1] + (high[1] - low[1]) * v)])  # fmt: skip
        along_x2 = np.column_stack([np.full_like(t, low[0] + (high[0] - low[0]) * v),
                                    low[1] + (high[1] - low[1]) * t])  # fmt: skip
        lines += [output_inputs(params, along_x1, activation),
                  output_inputs(params, along_x2, activation)]  # fmt: skip
    return lines


def output_boundaries(params: Params) -> list[tuple[Array, float, str]]:
    """The output's boundaries in hidden space, each ``w . h + b = 0``, with a label.

    For one output, where it is 0.5; for a softmax, where two classes' logits are equal,
    ``(W2[:, a] - W2[:, c]) . h + (b2[a] - b2[c]) = 0``, for each pair of classes.

    Parameters
    ----------
    params : Params

    Returns
    -------
    list of (w, b, label)
        ``w`` of shape (m,), over what the output sees (:func:`output_inputs`).
    """
    K = params.n_outputs
    # With a shortcut the output sees (h, x), weighted by (W2, W3).
    W = params.W2 if params.W3 is None else np.vstack([params.W2, params.W3])
    if K == 1:
        return [(W[:, 0], float(params.b2[0]), "output = 0.5")]
    return [(W[:, a] - W[:, c], float(params.b2[a] - params.b2[c]),
             f"class {a} = class {c}") for a in range(K) for c in range(a + 1, K)]  # fmt: skip


class HiddenPlane(NamedTuple):
    """A plane of hidden space, ``h = origin + basis @ c``, and the samples in it.

    Attributes
    ----------
    origin : ndarray of shape (n_hidden,)
    basis : ndarray of shape (n_hidden, 2)
    coords : ndarray of shape (n_samples, 2)
        The samples' hidden activations in the plane's coordinates ``c``.
    lines : list of (a, c0, label)
        Each output boundary within the plane, ``a . c + c0 = 0`` with ``a`` of shape (2,).
    labels : tuple of str
        The two axes' names.
    title : str
    """

    origin: Array
    basis: Array
    coords: Array
    lines: list[tuple[Array, float, str]]
    labels: tuple[str, str]
    title: str

    def project(self, points: Array) -> Array:
        """Coordinates in the plane of hidden activations ``points`` of shape (m, n_hidden)."""
        out: Array = (points - self.origin) @ np.linalg.pinv(self.basis).T
        return out


def principal_directions(C: Array) -> Array:
    """The two leading principal directions of centred points, with a fixed sign.

    The eigenvectors of the smaller of the scatter matrix ``C.T @ C`` (m, m) and the Gram
    matrix ``C @ C.T`` (n, n), which are the right singular vectors of ``C`` at a fraction of
    an SVD's cost. Each direction's largest component (by size) is positive, so the same
    points give the same picture, never its mirror image. A direction along which the
    points do not spread (fewer than 3 distinct points) is completed by an orthonormal one.

    Parameters
    ----------
    C : ndarray of shape (n_points, m)
        Points with their mean subtracted, ``m >= 2``.

    Returns
    -------
    ndarray of shape (m, 2)
        Orthonormal columns, the leading direction first.
    """
    n, m = C.shape
    if m <= n:
        _, V = np.linalg.eigh(C.T @ C)  # ascending eigenvalues
        basis = V[:, ::-1][:, :2].copy()
    else:  # fewer points than dimensions: C.T u / |C.T u| for the Gram matrix's eigenvectors
        w, U = np.linalg.eigh(C @ C.T)
        basis = np.zeros((m, 2))
        lead = C.T @ U[:, ::-1][:, :2]  # (m, k), k = min(n, 2) columns of norm sqrt(w)
        spread = np.sqrt(np.maximum(w[::-1][: lead.shape[1]], 0.0))
        floor = 1e-12 * max(float(spread[0]) if spread.size else 0.0, 1e-300)
        for k in range(lead.shape[1]):
            if spread[k] > floor:
                basis[:, k] = lead[:, k] / np.linalg.norm(lead[:, k])
        for k in range(2):  # no spread along it: any unit vector orthogonal to the others
            if not basis[:, k].any():
                for e in np.eye(m):
                    v = e - basis @ (basis.T @ e)
                    if np.linalg.norm(v) > 0.5:
                        basis[:, k] = v / np.linalg.norm(v)
                        break
    signs = np.sign(basis[np.argmax(np.abs(basis), axis=0), [0, 1]])
    out: Array = basis * np.where(signs == 0, 1.0, signs)
    return out


def hidden_plane(
    params: Params, X: Array, activation: str = "sigmoid", *, hidden: Array | None = None
) -> HiddenPlane:
    """The samples' hidden activations in a plane, with the output's boundaries as lines.

    The plane is hidden space itself for 2 hidden units, a line for 1, and the plane of the
    two leading principal components of the samples' activations for 3 or more.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_features)
    activation : str
    hidden : ndarray of shape (n_samples, n_hidden), optional
        The samples' hidden activations when the caller has them already
        (``forward(params, X, activation).H``); computed from ``X`` when not given.

    Returns
    -------
    HiddenPlane
    """
    H = output_inputs(params, X, activation, hidden)
    h = H.shape[1]
    names = axis_names(params)
    if params.shortcut:
        space = f"the output's inputs ({', '.join(names)}: hidden units and the shortcut)"
    else:
        space = f"hidden space ({h} unit{'s' if h > 1 else ''})"
    if h == 1:
        origin, basis = np.zeros(1), np.array([[1.0, 0.0]])
        labels, title = ("h1 (the only hidden unit)", ""), "hidden space (1 unit)"
    elif h == 2:
        origin, basis = np.zeros(2), np.eye(2)
        labels = (f"{names[0]}", f"{names[1]}")
        if not params.shortcut:
            labels = ("h1 (hidden unit 1)", "h2 (hidden unit 2)")
        title = f"{space} and the output unit's separating line"
    else:
        origin = H.mean(axis=0)
        basis = principal_directions(H - origin)  # (h, 2)
        labels = ("principal component 1", "principal component 2")
        title = f"{space}, 2 principal components"
    # Each boundary w . h + b = 0 within the plane, h = origin + basis @ c:
    # (w @ basis) . c + (w . origin + b) = 0, a straight line in the coordinates c.
    lines = [(w @ basis, float(w @ origin + b), label)
             for w, b, label in output_boundaries(params)]  # fmt: skip
    plane = HiddenPlane(origin, basis, np.empty((0, 2)), lines, labels, title)
    return plane._replace(coords=plane.project(H))
