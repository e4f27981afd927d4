"""Figures: the loss curve, the decision boundary, the hidden space, the network, animations.

matplotlib is imported inside each function (``pip install 'xornet[plot]'``), so ``import
xornet`` stays light. Every function returns a ``matplotlib.figure.Figure`` built with the
object-oriented API (no pyplot state), which a notebook shows and :func:`save_figures` writes.

The hidden-space figure is the post's central claim made visible: the hidden layer maps the
four XOR points to places where one straight line (the output unit) separates the classes.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from xornet._typing import Array
from xornet.errors import XornetError
from xornet.network import forward
from xornet.params import Params

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "HiddenPlane",
    "LossCurve",
    "animate",
    "hidden_plane",
    "output_boundaries",
    "plot_boundary",
    "plot_hidden_space",
    "plot_loss",
    "plot_network",
    "plot_starts",
    "plot_sweep",
    "png_bytes",
    "save_figures",
    "save_png",
]

# Class 0 blue, class 1 orange, then more for the softmax networks' further classes.
CLASS_COLOURS = ("#1f5fa8", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c", "#495057",
                 "#e67700", "#0b7285", "#5c940d", "#862e9c")  # fmt: skip
CMAP = "RdBu_r"  # probability: blue near 0, red near 1


class LossCurve(NamedTuple):
    """A run's loss history, as the loss figure draws it.

    Attributes
    ----------
    losses : ndarray of shape (n_records,)
    steps : ndarray of shape (n_records,)
        The step of each record.
    final_step : int or None
    final_loss : float or None
        The end of training, drawn as the last point.
    stop_reason : str or None
    """

    losses: Array
    steps: Array
    final_step: int | None = None
    final_loss: float | None = None
    stop_reason: str | None = None

    @classmethod
    def from_result(cls, result: Any) -> LossCurve:
        """The curve of a :class:`xornet.TrainResult`."""
        return cls(result.loss_history, result.history_steps.astype(np.float64), result.steps,
                   result.final_loss, result.stop_reason)  # fmt: skip

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> LossCurve | None:
        """The curve saved in a model file's metadata, or None when it holds none."""
        losses, steps = meta.get("loss_history"), meta.get("history_steps")
        if not losses or not steps:
            return None
        return cls(np.array(losses, dtype=np.float64), np.array(steps, dtype=np.float64),
                   meta.get("steps"), meta.get("final_loss"), meta.get("stop_reason"))  # fmt: skip

    def plot(self) -> Figure:
        """The loss figure of this curve (see :func:`plot_loss`)."""
        return plot_loss(self.losses, self.steps, final_step=self.final_step,
                         final_loss=self.final_loss, stop_reason=self.stop_reason)  # fmt: skip


def _figure(**kwargs: Any) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise XornetError("figures need matplotlib: pip install 'xornet[plot]'") from None
    return Figure(**kwargs)


def _need_2d(X: Array, what: str) -> None:
    if X.shape[1] != 2:
        raise XornetError(f"{what} needs 2 input features, the data has {X.shape[1]}")


def _points(ax: Axes, P2: Array, y: Array, size: float = 60.0) -> None:
    for label in range(max(2, int(y.max()) + 1)):
        rows = y == label
        ax.scatter(P2[rows, 0], P2[rows, 1], s=size, c=CLASS_COLOURS[label], edgecolors="white",
                   linewidths=1.2, zorder=3, label=f"class {label}")  # fmt: skip


def _output_map(ax: Axes, params: Params, grid: Array, shape: tuple[int, ...], activation: str,
                linewidth: float = 1.5) -> Any:  # fmt: skip
    """Draw the network's output over a grid; return the image (for a colour bar).

    One output: ``p(y = 1)`` as a blue-red map with its 0.5 contour. More classes: each point
    in its most probable class's colour, paler where that class is less sure, with the lines
    where the most probable class changes.
    """
    from matplotlib.colors import ListedColormap

    P = forward(params, grid, activation).P
    if P.shape[1] == 1:
        p = P[:, 0].reshape(shape)
        image = ax.pcolormesh(*_mesh(grid, shape), p, cmap=CMAP, vmin=0.0, vmax=1.0,
                              shading="auto")  # fmt: skip
        ax.contour(*_mesh(grid, shape), p, levels=[0.5], colors="black", linewidths=linewidth)
        return image
    K = P.shape[1]
    winner = np.argmax(P, axis=1).reshape(shape)
    sure = P.max(axis=1).reshape(shape)  # from 1/K (undecided) to 1
    cmap = ListedColormap(CLASS_COLOURS[:K])
    alpha = 0.25 + 0.5 * (sure - 1 / K) / (1 - 1 / K)  # pale where the winner is unsure
    image = ax.pcolormesh(*_mesh(grid, shape), winner, cmap=cmap, vmin=-0.5, vmax=K - 0.5,
                          shading="auto", alpha=alpha)  # fmt: skip
    ax.contour(*_mesh(grid, shape), winner, levels=np.arange(K - 1) + 0.5, colors="black",
               linewidths=linewidth)  # fmt: skip
    return image


def _mesh(grid: Array, shape: tuple[int, ...]) -> tuple[Array, Array]:
    return grid[:, 0].reshape(shape), grid[:, 1].reshape(shape)


def _grid(X: Array, resolution: int) -> tuple[Array, Array, Array]:
    """A square grid over the data's range with a margin: xx, yy (r, r) and points (r*r, 2)."""
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.25 * np.maximum(high - low, 1e-9)
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


def plot_loss(
    loss_history: Array,
    history_steps: Array,
    *,
    final_step: int | None = None,
    final_loss: float | None = None,
    stop_reason: str | None = None,
) -> Figure:
    """The loss curve, on a linear and a log scale, with the stop marked.

    Parameters
    ----------
    loss_history : ndarray of shape (n_records,)
    history_steps : ndarray of shape (n_records,)
        The step of each record.
    final_step, final_loss : optional
        The end of training, drawn as the last point.
    stop_reason : str, optional
        Written next to the stop marker.

    Returns
    -------
    matplotlib.figure.Figure
    """
    steps = np.asarray(history_steps, dtype=np.float64)
    losses = np.asarray(loss_history, dtype=np.float64)
    if final_step is not None and final_loss is not None:
        steps, losses = np.append(steps, final_step), np.append(losses, final_loss)
    fig = _figure(figsize=(10, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, scale in zip(axes, ("linear", "log"), strict=True):
        ax.plot(steps, losses, color="#333333", linewidth=1.6)
        ax.set_yscale(scale)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_title(f"loss, {scale} scale")
        ax.grid(alpha=0.3)
        if steps.size:
            ax.axvline(steps[-1], color=CLASS_COLOURS[1], linestyle="--", linewidth=1)
            if stop_reason:
                ax.annotate(f"stop: {stop_reason.replace('_', ' ')}", (steps[-1], losses[-1]),
                            xytext=(-8, 12), textcoords="offset points", ha="right",
                            color=CLASS_COLOURS[1])  # fmt: skip
    return fig


def plot_boundary(
    params: Params,
    X: Array,
    y: Array,
    activation: str = "sigmoid",
    *,
    resolution: int = 200,
    ax: Axes | None = None,
) -> Figure:
    """The predicted probability over the input plane, its 0.5 contour and the points.

    With more than two classes: the most probable class over the plane, and the boundaries
    between the classes' regions.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    activation : str
    resolution : int
        Grid points along each axis.
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    _need_2d(X, "the decision boundary")
    if ax is None:
        fig = _figure(figsize=(5, 4.4), layout="constrained")
        ax = fig.add_subplot()
    xx, _, grid = _grid(X, resolution)
    image = _output_map(ax, params, grid, xx.shape, activation)
    _points(ax, X, y)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    if params.n_outputs == 1:
        ax.set_title("decision boundary: p(y = 1) and the 0.5 contour")
        ax.figure.colorbar(image, ax=ax, label="p(y = 1)")
    else:
        ax.set_title("decision regions: the most probable class")
        ax.legend(loc="best", fontsize=8)
    return ax.get_figure()  # type: ignore[return-value]


def _hidden(params: Params, X: Array, activation: str, H: Array | None = None) -> Array:
    """What the output unit sees: the hidden activations (``H``, or computed), and with a
    shortcut the inputs too."""
    if H is None:
        H = forward(params, X, activation).H
    elif H.shape != (X.shape[0], params.n_hidden):
        raise ValueError(f"hidden has shape {H.shape}, expected {(X.shape[0], params.n_hidden)}")
    return H if params.W3 is None else np.column_stack([H, X])


def _axis_names(params: Params) -> list[str]:
    names = [f"h{j + 1}" for j in range(params.n_hidden)]
    return names + ([f"x{i + 1}" for i in range(params.n_inputs)] if params.shortcut else [])


def _input_grid_lines(params: Params, X: Array, activation: str) -> list[Array]:
    """Lines of a grid over the input plane, each mapped into hidden space: (60, h) arrays."""
    low, high = X.min(axis=0) - 0.25, X.max(axis=0) + 0.25
    t = np.linspace(0.0, 1.0, 60)
    lines = []
    for v in np.linspace(0.0, 1.0, 9):
        along_x1 = np.column_stack([low[0] + (high[0] - low[0]) * t,
                                    np.full_like(t, low[1] + (high[1] - low[1]) * v)])  # fmt: skip
        along_x2 = np.column_stack([np.full_like(t, low[0] + (high[0] - low[0]) * v),
                                    low[1] + (high[1] - low[1]) * t])  # fmt: skip
        lines += [_hidden(params, along_x1, activation), _hidden(params, along_x2, activation)]
    return lines


def plot_hidden_space(
    params: Params,
    X: Array,
    y: Array,
    activation: str = "sigmoid",
    *,
    ax: Axes | None = None,
) -> Figure:
    """The samples mapped through the hidden layer, with the output unit's separating line.

    With 2 hidden units the hidden space is a plane; with 3, a 3-D view with the separating
    plane; with 1, a line; with more, the plane of the two leading principal components of the
    mapped points (labelled as such), with the output unit's boundary where it crosses that
    plane. For 2-D inputs a grid of the input plane is mapped too, as faint lines, to show how
    the hidden layer bends the plane.

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    activation : str
    ax : matplotlib Axes, optional
        Draw into this axes (a 3-D axes when the network has 3 hidden units).

    Returns
    -------
    matplotlib.figure.Figure
    """
    H = _hidden(params, X, activation)
    boundaries = output_boundaries(params)
    m = H.shape[1]  # the dimension of what the output unit sees
    if ax is None:
        fig = _figure(figsize=(5, 4.6), layout="constrained")
        ax = fig.add_subplot(projection="3d" if m == 3 else None)
    lines = _input_grid_lines(params, X, activation) if X.shape[1] == 2 else []
    if m == 3:
        _hidden_3d(ax, H, y, boundaries, lines, _axis_names(params), params.shortcut)
        return ax.get_figure()  # type: ignore[return-value]
    plane = hidden_plane(params, X, activation)
    for line in lines:
        drawn = plane.project(line)
        ax.plot(drawn[:, 0], drawn[:, 1], color="grey", alpha=0.3, linewidth=0.8)
    coords = plane.coords
    _points(ax, coords, y)
    for k, (a, c0, label) in enumerate(plane.lines):
        _line(ax, a, c0, coords, label, _LINE_STYLES[k % 4])
    ax.set_xlabel(plane.labels[0])
    ax.set_ylabel(plane.labels[1])
    ax.set_title(plane.title)
    ax.legend(loc="best")
    return ax.get_figure()  # type: ignore[return-value]


def output_boundaries(params: Params) -> list[tuple[Array, float, str]]:
    """The output's boundaries in hidden space, each ``w . h + b = 0``, with a label.

    For one output, where it is 0.5; for a softmax, where two classes' logits are equal,
    ``(W2[:, a] - W2[:, c]) . h + (b2[a] - b2[c]) = 0``, for each pair of classes.

    Returns
    -------
    list of (w, b, label)
        ``w`` of shape (n_hidden,).
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


def hidden_plane(
    params: Params, X: Array, activation: str = "sigmoid", *, hidden: Array | None = None
) -> HiddenPlane:
    """The samples' hidden activations in a plane, with the output's boundaries as lines.

    The plane is hidden space itself for 2 hidden units, a line for 1, and the plane of the
    two leading principal components of the samples' activations for 3 or more. NumPy only
    (no matplotlib): the playground draws the same picture in the browser.

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
    H = _hidden(params, X, activation, hidden)
    h = H.shape[1]
    names = _axis_names(params)
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
        _, _, vt = np.linalg.svd(H - origin, full_matrices=False)
        basis = vt[:2].T  # (h, 2): the two leading principal directions
        if basis.shape[1] < 2:  # a single sample: any second direction will do
            basis = np.column_stack([basis, np.zeros(h)])
        labels = ("principal component 1", "principal component 2")
        title = f"{space}, 2 principal components"
    # Each boundary w . h + b = 0 within the plane, h = origin + basis @ c:
    # (w @ basis) . c + (w . origin + b) = 0, a straight line in the coordinates c.
    lines = [(w @ basis, float(w @ origin + b), label)
             for w, b, label in output_boundaries(params)]  # fmt: skip
    plane = HiddenPlane(origin, basis, np.empty((0, 2)), lines, labels, title)
    return plane._replace(coords=plane.project(H))


_LINE_STYLES = ("-", "--", ":", "-.")


def _hidden_3d(ax: Any, H: Array, y: Array, boundaries: list[tuple[Array, float, str]],
               lines: list[Array], names: list[str], shortcut: bool) -> None:  # fmt: skip
    for line in lines:
        ax.plot(line[:, 0], line[:, 1], line[:, 2], color="grey", alpha=0.25, linewidth=0.8)
    for label in range(max(2, int(y.max()) + 1)):
        rows = y == label
        ax.scatter(H[rows, 0], H[rows, 1], H[rows, 2], s=60, c=CLASS_COLOURS[label],
                   label=f"class {label}", depthshade=False)  # fmt: skip
    lo, hi = H.min(axis=0), H.max(axis=0)
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 10), np.linspace(lo[1], hi[1], 10))
    for w, b, _ in boundaries:
        if abs(w[2]) > 1e-12:  # the plane w . h + b = 0, solved for h3
            ax.plot_surface(g0, g1, -(b + w[0] * g0 + w[1] * g1) / w[2], alpha=0.25,
                            color="black")  # fmt: skip
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.set_zlabel(names[2])
    if shortcut:
        ax.set_title(f"what the output sees ({', '.join(names)}) and its separating plane(s)",
                     fontsize=9)  # fmt: skip
    else:
        ax.set_title("hidden space (3 units) and the output's separating plane(s)")
    ax.legend(loc="upper left")


def _line(ax: Axes, a: Array, c0: float, coords: Array, label: str = "output = 0.5",
          style: str = "-") -> None:  # fmt: skip
    """Draw a[0] u + a[1] v + c0 = 0 across the points' range."""
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad, hi + pad
    if abs(a[1]) > abs(a[0]):
        u = np.linspace(lo[0], hi[0], 2)
        v = -(c0 + a[0] * u) / a[1]
    elif abs(a[0]) > 0:
        v = np.linspace(lo[1], hi[1], 2)
        u = -(c0 + a[1] * v) / a[0]
    else:
        return
    ax.plot(u, v, color="black", linewidth=1.8, linestyle=style, label=label)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])


def plot_network(params: Params, feature_names: Sequence[str] | None = None) -> Figure:
    """The network as a diagram: units, connections coloured by sign, width by size, biases.

    Parameters
    ----------
    params : Params
    feature_names : sequence of str, optional
        Labels of the input units.

    Returns
    -------
    matplotlib.figure.Figure
    """
    d, h = params.n_inputs, params.n_hidden
    names = list(feature_names or [f"x{i + 1}" for i in range(d)])
    fig = _figure(figsize=(6, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()

    def column(count: int, x: float) -> Array:
        ys = np.linspace(0.9, 0.1, count) if count > 1 else np.array([0.5])
        return np.column_stack([np.full(count, x), ys])

    k = params.n_outputs
    inputs, hidden, output = column(d, 0.1), column(h, 0.5), column(k, 0.9)
    out_names = ["p"] if k == 1 else [f"p{c}" for c in range(k)]
    scale = max(*(np.abs(W).max() for W in (params.W1, params.W2, params.W3) if W is not None),
                1e-12)  # fmt: skip
    layers = [(inputs, hidden, params.W1), (hidden, output, params.W2)]
    if params.W3 is not None:  # the shortcut, drawn dashed: it passes the hidden layer by
        layers.append((inputs, output, params.W3))
    for src, dst, W in layers:
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                weight = W[i, j]
                ax.plot([src[i, 0], dst[j, 0]], [src[i, 1], dst[j, 1]],
                        color=CLASS_COLOURS[1] if weight > 0 else CLASS_COLOURS[0],
                        linewidth=0.5 + 5.0 * abs(weight) / scale, alpha=0.8, zorder=1,
                        linestyle="--" if W is params.W3 else "-")  # fmt: skip
                if W.size <= 16:
                    near = 0.75 if W is params.W3 else 0.6  # where along the edge to label it
                    mx, my = near * src[i] + (1.0 - near) * dst[j]
                    ax.text(mx, my, f"{weight:+.2f}", fontsize=7, ha="center", va="center",
                            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                                  "alpha": 0.8}, zorder=2)  # fmt: skip
    for points, biases, label in ((inputs, None, names), (hidden, params.b1, None),
                                  (output, params.b2, out_names)):  # fmt: skip
        size = 900 if len(points) <= 4 else max(250, 3600 // len(points))
        ax.scatter(points[:, 0], points[:, 1], s=size, c="white", edgecolors="#333333",
                   linewidths=1.5, zorder=3)  # fmt: skip
        for u, (x, yv) in enumerate(points):
            text = label[u] if label else f"h{u + 1}"
            ax.text(x, yv, text, ha="center", va="center", fontsize=9, zorder=4)
            if biases is not None:  # to the right of the unit, clear of its neighbours
                ax.text(x + 0.045, yv, f"b={biases[u]:+.2f}", ha="left", va="center",
                        fontsize=7, color="#555555", zorder=4)  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    dashed = ", dashed: the shortcut" if params.shortcut else ""
    ax.set_title(f"the {d}-{h}-{k} network: orange weights positive, blue negative, "
                 f"width by size{dashed}", fontsize=9)  # fmt: skip
    return fig


def plot_starts(
    X: Array,
    y: Array,
    config: Any,
    seeds: Sequence[int],
    *,
    columns: int = 4,
    resolution: int = 80,
    params: Sequence[Params] | None = None,
) -> Figure:
    """Small decision-boundary plots for many starts, each titled with its outcome.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    config : TrainConfig
    seeds : sequence of int
        One start per seed (trained together with :func:`xornet.train_many`).
    columns : int
        Plots per row.
    resolution : int
        Grid points along each axis of each plot.
    params : sequence of Params, optional
        Initial parameters per seed (e.g. the post's, from :func:`post_initial_params`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from xornet.engines.many import train_many

    _need_2d(X, "the grid of starts")
    many = train_many(X, y, config, list(seeds), params=params)
    rows = -(-len(seeds) // columns)
    fig = _figure(figsize=(2.6 * columns, 2.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    xx, _, grid = _grid(X, resolution)
    for k, ax in enumerate(axes):
        if k >= len(seeds):
            ax.set_axis_off()
            continue
        _output_map(ax, many.params(k), grid, xx.shape, config.activation, linewidth=1.0)
        _points(ax, X, y, size=25)
        ax.set_xticks([])
        ax.set_yticks([])
        colour = "black" if many.outcome[k] == "solved" else CLASS_COLOURS[1]
        ax.set_title(f"seed {seeds[k]}: {many.outcome[k]}", fontsize=9, color=colour)
    solved = float(np.mean(many.outcome == "solved"))
    fig.suptitle(f"{len(seeds)} starts, {solved:.0%} solved", fontsize=11)
    return fig


def plot_sweep(rows: Sequence[Any], axes: Sequence[str]) -> Figure:
    """Success rates of a sweep: a line with 95% intervals over one axis, a heat map over two.

    Parameters
    ----------
    rows : sequence of SweepRow
        From :func:`xornet.sweep.sweep`.
    axes : sequence of str
        The one or two swept settings to draw against (every row must differ only in them).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not 1 <= len(axes) <= 2:
        raise XornetError(f"a sweep plot shows one or two swept settings, not {len(axes)}")
    fig = _figure(figsize=(6, 4.4), layout="constrained")
    ax = fig.add_subplot()
    runs = rows[0].runs if rows else 0
    if len(axes) == 1:
        (axis,) = axes
        labels = [str(r.settings[axis]) for r in rows]
        rate = np.array([r.success_rate for r in rows])
        low = rate - np.array([r.ci_low for r in rows])
        high = np.array([r.ci_high for r in rows]) - rate
        positions = np.arange(len(rows))
        ax.errorbar(positions, rate, yerr=[low, high], fmt="o-", color=CLASS_COLOURS[0],
                    capsize=4, label="success rate, 95% Wilson interval")  # fmt: skip
        ax.set_xticks(positions, labels)
        ax.set_xlabel(axis)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("fraction of starts solved")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right")
    else:
        first, second = axes
        xs = list(dict.fromkeys(r.settings[first] for r in rows))
        ys = list(dict.fromkeys(r.settings[second] for r in rows))
        table = np.full((len(ys), len(xs)), np.nan)
        for r in rows:
            table[ys.index(r.settings[second]), xs.index(r.settings[first])] = r.success_rate
        image = ax.imshow(table, cmap="viridis", vmin=0.0, vmax=1.0, origin="lower",
                          aspect="auto")  # fmt: skip
        for (i, j), value in np.ndenumerate(table):
            ax.text(j, i, f"{value:.0%}", ha="center", va="center",
                    color="white" if value < 0.6 else "black")  # fmt: skip
        ax.set_xticks(range(len(xs)), [str(v) for v in xs])
        ax.set_yticks(range(len(ys)), [str(v) for v in ys])
        ax.set_xlabel(first)
        ax.set_ylabel(second)
        fig.colorbar(image, ax=ax, label="fraction of starts solved")
    ax.set_title(f"success rate over {runs} starts per setting")
    return fig


def animate(
    X: Array,
    y: Array,
    config: Any,
    path: str | Path,
    *,
    rng: Any = None,
    params: Params | None = None,
    frames: int = 60,
    fps: int = 12,
) -> Path:
    """Write an animation of training: the decision boundary and the hidden space together.

    Frames are spaced geometrically in steps, so the fast early changes get as many frames as
    the slow late ones. Full-batch training with the reference loop.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    config : TrainConfig
        Network, optimizer and ``steps`` (the last frame).
    path : str or Path
        ``.gif`` (Pillow) or ``.mp4`` (needs ffmpeg on the PATH).
    rng : None, int or numpy.random.Generator
        For the initial weights when ``params`` is None.
    params : Params, optional
        Initial parameters.
    frames : int
    fps : int

    Returns
    -------
    Path
        The file written (atomically).
    """
    from matplotlib.animation import FFMpegWriter, PillowWriter

    from xornet.data import infer_n_classes
    from xornet.explain import advance
    from xornet.modelfile import atomic_write
    from xornet.params import init_params

    _need_2d(X, "the animation")
    path = Path(path)
    if path.suffix not in (".gif", ".mp4"):
        raise XornetError(f"{path}: the animation must be a .gif or an .mp4 file")
    if path.suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise XornetError(f"{path}: MP4 needs ffmpeg on the PATH; write a .gif instead")
    if frames < 2:
        raise XornetError(f"frames must be at least 2, got {frames}")
    if params is None:
        current = init_params(X.shape[1], config.hidden, config.init, rng, config.init_scale,
                              n_classes=infer_n_classes(y), shortcut=config.shortcut)  # fmt: skip
    else:
        current = params.copy()
    optimizer = config.new_optimizer()
    marks = np.unique(np.r_[0, np.geomspace(1, max(config.steps, 1), frames - 1).astype(int)])
    fig = _figure(figsize=(10, 4.4), layout="constrained")
    writer = PillowWriter(fps=fps) if path.suffix == ".gif" else FFMpegWriter(fps=fps)
    tmp = path.with_name(f".{path.name}.frames{path.suffix}")
    try:
        with writer.saving(fig, str(tmp), dpi=80):
            done = 0
            for mark in marks:
                advance(current, X, y, config.activation, optimizer, int(mark) - done)
                done = int(mark)
                fig.clear()
                left = fig.add_subplot(1, 2, 1)
                right = fig.add_subplot(1, 2, 2, projection="3d" if config.hidden == 3 else None)
                plot_boundary(current, X, y, config.activation, resolution=80, ax=left)
                plot_hidden_space(current, X, y, config.activation, ax=right)
                fig.suptitle(f"step {done:,}")
                writer.grab_frame()
        atomic_write(path, lambda f: f.write(tmp.read_bytes()))
    finally:
        tmp.unlink(missing_ok=True)
    return path


def save_figures(
    directory: str | Path,
    params: Params,
    X: Array,
    y: Array,
    activation: str = "sigmoid",
    *,
    curve: LossCurve | None = None,
    feature_names: Sequence[str] | None = None,
) -> list[Path]:
    """Write the figures for one trained network as PNG files into ``directory``.

    ``loss.png`` (when a curve is given), ``boundary.png (2-D inputs), ``hidden.png``,
    ``network.png``. Each file is written atomically.

    Parameters
    ----------
    directory : str or Path
        Created if missing.
    params : Params
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    activation : str
    curve : LossCurve, optional
        For the loss figure (skipped when None).
    feature_names : sequence of str, optional

    Returns
    -------
    list of Path
        The files written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Figure] = {}
    if curve is not None:
        figures["loss"] = curve.plot()
    if X.shape[1] == 2:
        figures["boundary"] = plot_boundary(params, X, y, activation)
    figures["hidden"] = plot_hidden_space(params, X, y, activation)
    figures["network"] = plot_network(params, feature_names)
    return [save_png(fig, directory / f"{name}.png") for name, fig in figures.items()]


def save_png(fig: Figure, path: str | Path, dpi: int = 110) -> Path:
    """Write a figure as a PNG file, atomically.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
    dpi : int

    Returns
    -------
    Path
    """
    from xornet.modelfile import atomic_write

    data = png_bytes(fig, dpi)
    atomic_write(path, lambda f: f.write(data))
    return Path(path)


def png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    """A figure rendered as PNG.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    dpi : int

    Returns
    -------
    bytes
    """
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
