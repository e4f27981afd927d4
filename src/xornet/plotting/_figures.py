"""The figures of one network: its loss curve, decision boundary, hidden space and diagram.

The hidden-space figure is the post's central claim made visible: the hidden layer maps the
four XOR points to places where one straight line (the output unit) separates the classes.
Its geometry is :mod:`xornet.hidden_space` (NumPy only); this module draws it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, NamedTuple

import numpy as np

from xornet._typing import Array
from xornet.hidden_space import (
    GRID_LINES,
    LINE_POINTS,
    axis_names,
    hidden_plane,
    input_grid_lines,
    output_boundaries,
    output_inputs,
)
from xornet.params import Params
from xornet.plotting._base import (
    CLASS_COLOURS,
    LEGEND_CLASSES,
    PLAIN,
    class_colours,
    class_key,
    draw_output_map,
    draw_points,
    figure_of,
    grid_over,
    need_2d,
    new_figure,
    save_png,
    set_title,
    shorten,
    step_axis,
    wrap,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "LossCurve",
    "figure_limits",
    "plot_boundary",
    "plot_hidden_space",
    "plot_loss",
    "plot_network",
    "save_figures",
]


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
    # matplotlib widens the axes by a margin, which overflows (or fails) for losses near the
    # largest float: such losses (a diverging run's, a file's) are drawn at 1e200.
    losses = np.minimum(losses, 1e200)
    fig = new_figure(figsize=(10, 3.8), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, scale in zip(axes, ("linear", "log"), strict=True):
        ax.plot(steps, losses, color="#333333", linewidth=1.6)
        ax.set_yscale(scale)
        step_axis(ax.xaxis)
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        set_title(ax, f"loss, {scale} scale")
        ax.grid(alpha=0.3)
        if steps.size:
            ax.set_xlim(left=min(0.0, float(steps.min())))  # no tick before step 0
            ax.axvline(steps[-1], color=CLASS_COLOURS[1], linestyle="--", linewidth=1)
            if stop_reason:
                ax.annotate(f"stop: {stop_reason.replace('_', ' ')}", (steps[-1], losses[-1]),
                            xytext=(-8, 12), textcoords="offset points", ha="right",
                            color=CLASS_COLOURS[1], **PLAIN)  # fmt: skip
    return fig


#: The network's diagram is drawn for at most this many hidden units (about 5 ms each; a wider
#: network's diagram, a model file's say, would take minutes and show no one unit).
NETWORK_UNITS: Final = 256

#: The decision boundary is drawn on a grid of this many points along each axis, ...
BOUNDARY_GRID: Final = 200

#: ... unless that would take more than this many hidden activations, grid points times hidden
#: units (about 20 ns each: a second): a wider network's boundary is drawn on the finest grid
#: within it, and the page says so (the post's 2-2-1 network: 80,000; a 2-100000-1 model
#: file's on the full grid: 4 billion, a minute and a half) ...
BOUNDARY_WORK: Final = 50_000_000

#: ... and not at all when that grid would have fewer than this many points along each axis.
BOUNDARY_GRID_MIN: Final = 16

#: The hidden space's faint lines, the input plane's grid mapped through the hidden layer, are
#: drawn when they take at most this many hidden activations (their points times hidden units:
#: 1,080 points, so up to 18,518 units).
GRID_LINES_WORK: Final = 20_000_000


def finest_grid(units: int, work: int, finest: int) -> int:
    """Points along each axis of the finest square grid, at most ``finest``, whose points
    times ``units`` (hidden activations to map it) are at most ``work``."""
    return min(finest, math.isqrt(work // max(units, 1)))


def boundary_grid(n_hidden: int) -> int:
    """The grid, points along each axis, to draw a network's decision boundary on:
    :data:`BOUNDARY_GRID`, or the finest coarser one within :data:`BOUNDARY_WORK`; 0 when
    that would be coarser than :data:`BOUNDARY_GRID_MIN` (not drawn)."""
    r = finest_grid(n_hidden, BOUNDARY_WORK, BOUNDARY_GRID)
    return r if r >= BOUNDARY_GRID_MIN else 0


def grid_lines_fit(n_hidden: int) -> tuple[bool, int]:
    """Whether the hidden space's grid lines are drawn for ``n_hidden`` units (within
    :data:`GRID_LINES_WORK`), and the hidden activations they would take."""
    work = 2 * GRID_LINES * LINE_POINTS * n_hidden  # lines along each of 2 inputs
    return work <= GRID_LINES_WORK, work


def figure_limits(params: Params, X: Array) -> list[str]:
    """What :func:`save_figures` draws differently for this network, one sentence each (none
    for a network of ordinary width)."""
    h, full, notes = params.n_hidden, BOUNDARY_GRID, []
    r = boundary_grid(h)
    if X.shape[1] == 2 and r < full:
        drawn = f"drawn on a {r} x {r} grid, not {full} x {full}" if r else "not drawn"
        notes.append(f"boundary {drawn}: {h:,} hidden units over the full grid are over "
                     f"{BOUNDARY_WORK:,} hidden activations")  # fmt: skip
    if X.shape[1] == 2 and not grid_lines_fit(h)[0]:
        notes.append(f"hidden space without the input plane's grid lines: {h:,} hidden units "
                     f"would take over {GRID_LINES_WORK:,} hidden activations")  # fmt: skip
    if h > NETWORK_UNITS:
        notes.append(f"network diagram not drawn: {h:,} hidden units, more than {NETWORK_UNITS}")
    return notes


def plot_boundary(
    params: Params,
    X: Array,
    y: Array,
    activation: str = "sigmoid",
    *,
    resolution: int = 200,
    ax: Axes | None = None,
    feature_names: Sequence[str] | None = None,
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
    feature_names : sequence of 2 str, optional
        The axes' labels (``x1``, ``x2`` when None).

    Returns
    -------
    matplotlib.figure.Figure
    """
    need_2d(X, "the decision boundary")
    if ax is None:
        fig = new_figure(figsize=(5, 4.4), layout="constrained")
        ax = fig.add_subplot()
    xx, _, grid = grid_over(X, resolution)
    image = draw_output_map(ax, params, grid, xx.shape, activation)
    draw_points(ax, X, y, params.n_classes)
    first, second = feature_names if feature_names is not None else ("x1", "x2")
    ax.set_xlabel(shorten(first, 40), **PLAIN)
    ax.set_ylabel(shorten(second, 40), **PLAIN)
    if params.n_outputs == 1:
        set_title(ax, "decision boundary: p(y = 1) and the 0.5 contour")
        figure_of(ax).colorbar(image, ax=ax).set_label("p(y = 1)", **PLAIN)
    else:
        set_title(ax, "decision regions: the most probable class")
        class_key(ax, params.n_classes, loc="best", fontsize=8)
    return figure_of(ax)


def plot_hidden_space(
    params: Params,
    X: Array,
    y: Array,
    activation: str = "sigmoid",
    *,
    ax: Axes | None = None,
    grid_lines: bool = True,
) -> Figure:
    """The samples mapped through the hidden layer, with the output unit's separating line.

    With 2 hidden units the hidden space is a plane; with 3, a 3-D view with the separating
    plane; with 1, a line; with more, the plane of the two leading principal components of the
    mapped points (labelled as such), with the output unit's boundary where it crosses that
    plane. For 2-D inputs a grid of the input plane is mapped too, as faint lines, to show how
    the hidden layer bends the plane.

    A softmax output has a boundary per pair of classes, each drawn and named for up to 4
    classes; with more, the figure draws where the most probable class changes (and the
    3-D view draws no planes).

    Parameters
    ----------
    params : Params
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    activation : str
    ax : matplotlib Axes, optional
        Draw into this axes (a 3-D axes when the network has 3 hidden units).
    grid_lines : bool
        Draw the input plane's grid lines (2-D inputs only): False spares mapping their
        points through a very wide hidden layer (:func:`xornet.hidden_space.input_grid_lines`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    H = output_inputs(params, X, activation)
    boundaries = output_boundaries(params)
    m = H.shape[1]  # the dimension of what the output unit sees
    if ax is None:
        fig = new_figure(figsize=(5, 4.6), layout="constrained")
        ax = fig.add_subplot(projection="3d" if m == 3 else None)
    lines = input_grid_lines(params, X, activation) if grid_lines and X.shape[1] == 2 else []
    if m == 3:
        _hidden_3d(ax, H, y, params.n_classes, boundaries, lines, axis_names(params),
                   params.shortcut)  # fmt: skip
        return figure_of(ax)
    plane = hidden_plane(params, X, activation)
    for line in lines:
        drawn = plane.project(line)
        ax.plot(drawn[:, 0], drawn[:, 1], color="grey", alpha=0.3, linewidth=0.8)
    coords = plane.coords
    draw_points(ax, coords, y, params.n_classes)
    if len(plane.lines) <= _NAMED_BOUNDARIES:
        for k, (a, c0, label) in enumerate(plane.lines):
            _line(ax, a, c0, coords, label, _LINE_STYLES[k % 4])
    else:
        _regions(ax, plane.lines, params.n_classes, coords)
    ax.set_xlabel(plane.labels[0], **PLAIN)
    ax.set_ylabel(plane.labels[1], **PLAIN)
    set_title(ax, plane.title)
    class_key(ax, params.n_classes, loc="best")
    return figure_of(ax)


_LINE_STYLES = ("-", "--", ":", "-.")
# Up to 6 boundaries (4 classes) each is drawn whole and named: one per pair of classes.
# Beyond, the lines of K(K-1)/2 pairs would cover the plane (499,500 for 1,000 classes): the
# figure draws where the most probable class changes instead.
_NAMED_BOUNDARIES = 6


def _regions(ax: Axes, lines: list[tuple[Array, float, str]], K: int, coords: Array) -> None:
    """Draw where the most probable class changes over the plane of ``coords``.

    The first ``K - 1`` boundaries are the pairs (0, k), ``a . c + c0 = z_0 - z_k``, so
    ``-(a . c + c0)`` is class k's logit less class 0's: the winner is their argmax.
    """
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1e-3)
    lo, hi = lo - pad, hi + pad
    u, v = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    grid = np.column_stack([u.ravel(), v.ravel()])  # (200*200, 2)
    relative = [np.zeros(len(grid))] + [-(grid @ a + c0) for a, c0, _ in lines[: K - 1]]
    winner = np.argmax(np.column_stack(relative), axis=1).reshape(u.shape)
    present = np.unique(winner)
    if present.size > 1:
        ax.contour(u, v, winner, levels=(present[:-1] + present[1:]) / 2, colors="black",
                   linewidths=1.2)  # fmt: skip
    ax.plot([], [], color="black", linewidth=1.2, label="where the most probable class changes")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])


def _hidden_3d(ax: Any, H: Array, y: Array, n_classes: int,
               boundaries: list[tuple[Array, float, str]], lines: list[Array],
               names: list[str], shortcut: bool) -> None:  # fmt: skip
    for line in lines:
        ax.plot(line[:, 0], line[:, 1], line[:, 2], color="grey", alpha=0.25, linewidth=0.8)
    n = max(n_classes, int(y.max()) + 1 if y.size else 0)
    colours = class_colours(n)
    if n > LEGEND_CLASSES:
        ax.scatter(H[:, 0], H[:, 1], H[:, 2], s=60, c=[colours[int(k)] for k in y],
                   depthshade=False)  # fmt: skip
    else:
        for label in range(n):
            rows = y == label
            ax.scatter(H[rows, 0], H[rows, 1], H[rows, 2], s=60, c=colours[label],
                       label=f"class {label}", depthshade=False)  # fmt: skip
    lo, hi = H.min(axis=0), H.max(axis=0)
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 10), np.linspace(lo[1], hi[1], 10))
    drawn = len(boundaries) <= _NAMED_BOUNDARIES  # the planes of more pairs fill the box
    for w, b, _ in boundaries if drawn else []:
        if abs(w[2]) > 1e-12:  # the plane w . h + b = 0, solved for h3
            ax.plot_surface(g0, g1, -(b + w[0] * g0 + w[1] * g1) / w[2], alpha=0.25,
                            color="black")  # fmt: skip
    ax.set_xlabel(names[0], **PLAIN)
    ax.set_ylabel(names[1], **PLAIN)
    ax.set_zlabel(names[2], **PLAIN)
    # The box shrunk a little inside its axes: at full size matplotlib cut the third
    # axis's label at the figure's edge.
    ax.set_box_aspect(None, zoom=0.85)
    planes = "its separating plane(s)" if drawn else "the classes (no planes for >4 classes)"
    if shortcut:
        set_title(ax, f"what the output sees ({', '.join(names)}) and {planes}", fontsize=9)
    else:
        set_title(ax, f"hidden space (3 units) and {planes}")
    class_key(ax, n_classes, loc="upper left")


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
        Labels of the input units (a long one is shortened, and written beside its unit).

    Returns
    -------
    matplotlib.figure.Figure
    """
    d, h = params.n_inputs, params.n_hidden
    names = list(feature_names or [f"x{i + 1}" for i in range(d)])
    fig = new_figure(figsize=(6, 4.2), layout="constrained")
    # A wider margin than constrained layout's 3 points: the labels beside the outer units
    # (the output's biases, long input names) set the figure's edge, and once touched it.
    fig.set_layout_engine("constrained", w_pad=0.1, h_pad=0.1)
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
                if W.size <= 16:  # labelled part of the way along (W2: halfway, clear of
                    # the hidden units' bias labels)
                    near = 0.75 if W is params.W3 else 0.5 if W is params.W2 else 0.6
                    mx, my = near * src[i] + (1.0 - near) * dst[j]
                    ax.text(mx, my, _weight_text(weight), fontsize=7, ha="center", va="center",
                            bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none",
                                  "alpha": 0.8}, zorder=2, **PLAIN)  # fmt: skip
    for points, biases, label in ((inputs, None, names), (hidden, params.b1, None),
                                  (output, params.b2, out_names)):  # fmt: skip
        size = 900 if len(points) <= 4 else max(250, 3600 // len(points))
        ax.scatter(points[:, 0], points[:, 1], s=size, c="white", edgecolors="#333333",
                   linewidths=1.5, zorder=3)  # fmt: skip
        beside = np.sqrt(size) / 2 + 3  # points from a unit's centre to just outside it
        for u, (x, yv) in enumerate(points):
            text = label[u] if label else f"h{u + 1}"
            if len(text) <= 3:  # inside the unit
                ax.text(x, yv, text, ha="center", va="center", fontsize=9, zorder=4, **PLAIN)
            else:  # beside it, on the left (constrained layout makes room)
                ax.annotate(shorten(text, 20), (x, yv), xytext=(-beside, 0),
                            textcoords="offset points", ha="right", va="center", fontsize=9,
                            zorder=4, **PLAIN)  # fmt: skip
            if biases is not None:
                # Below a hidden unit when there is room (to its right the label would sit on
                # its outgoing weights and their labels), else to the right of the unit.
                below = points is hidden and len(points) <= 4
                ax.annotate(f"b={_weight_text(biases[u])}", (x, yv),
                            xytext=(0, -beside) if below else (beside, 0),
                            textcoords="offset points", ha="center" if below else "left",
                            va="top" if below else "center", fontsize=7, color="#555555",
                            zorder=4, **PLAIN)  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    dashed = ", dashed: the shortcut" if params.shortcut else ""
    # Over the figure, not the axes: long input names move the axes off centre.
    fig.suptitle(wrap(f"the {d}-{h}-{k} network: orange weights positive, blue negative, "
                      f"width by size{dashed}", fig.get_figwidth() - 0.3, 9), fontsize=9,
                 **PLAIN)  # fmt: skip
    return fig


def _weight_text(value: float) -> str:
    """A weight's label on the diagram: two decimals, or in scientific notation from 10^4.

    A weight of 1e120 in fixed notation is 124 characters, wider than the figure: constrained
    layout then has no room left for the axes and gives up (with a warning).
    """
    return f"{value:+.2f}" if abs(value) < 1e4 else f"{value:+.2e}"


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
    ``network.png``. Each file is written atomically. A very wide network's figures are bounded
    as the report's are (:func:`boundary_grid`, :func:`grid_lines_fit`,
    :data:`NETWORK_UNITS`): its boundary on a coarser grid, or none; its hidden space without
    the input plane's grid lines; no diagram. :func:`figure_limits` says which, in words.

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
    resolution = boundary_grid(params.n_hidden)
    if X.shape[1] == 2 and resolution:
        figures["boundary"] = plot_boundary(params, X, y, activation, resolution=resolution,
                                            feature_names=feature_names)  # fmt: skip
    lines = grid_lines_fit(params.n_hidden)[0]
    figures["hidden"] = plot_hidden_space(params, X, y, activation, grid_lines=lines)
    if params.n_hidden <= NETWORK_UNITS:
        figures["network"] = plot_network(params, feature_names)
    return [save_png(fig, directory / f"{name}.png") for name, fig in figures.items()]
