"""Figures of the loss landscape: the Hessian's spectrum, loss slices, a run's curvature.

matplotlib is imported inside each function (``pip install 'xornet[plot]'``), so importing
xornet stays light. Every function returns a ``matplotlib.figure.Figure`` built with the
object-oriented API (no pyplot state), like :mod:`xornet.plotting`, whose :func:`save_png`
writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from xornet._typing import Array
from xornet.errors import XornetError
from xornet.landscape import (
    Classification,
    LandscapeRecorder,
    LossSlice,
    filter_normalised_direction,
    path_directions,
    slice_1d,
    slice_2d,
)
from xornet.params import Params
from xornet.plotting._base import PLAIN, legend, set_title

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "KIND_COLOURS",
    "plot_end_slice",
    "plot_end_states",
    "plot_run",
    "plot_slice",
    "plot_spectrum",
    "save_landscape_figures",
]

#: A colour per kind of point, and for the signs of curvature in the spectrum.
KIND_COLOURS = {
    "minimum": "#2b8a3e",
    "saddle": "#d9480f",
    "plateau": "#868e96",
    "sloped": "#1f5fa8",
    "at infinity": "#7048e8",
}
NEGATIVE, FLAT, POSITIVE = "#d9480f", "#adb5bd", "#1f5fa8"
LOSS_MAP = "viridis"  # low loss dark, high loss bright


def _figure(**kwargs: Any) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise XornetError("figures need matplotlib: pip install 'xornet[plot]'") from None
    return Figure(**kwargs)


def plot_spectrum(point: Classification) -> Figure:
    """The Hessian's eigenvalues at a point, coloured by sign, with the flat band shaded.

    The axis is linear within the flat band ``+-thresholds.curvature`` and logarithmic beyond
    (symlog), so the tiny and the large eigenvalues both show.

    Parameters
    ----------
    point : Classification
        From :func:`xornet.landscape.classify_point` (or ``classify_many``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    lam = point.eigenvalues
    tol = point.thresholds.curvature
    fig = _figure(figsize=(6.4, 3.8), layout="constrained")
    ax = fig.add_subplot()
    colours = [NEGATIVE if v < -tol else POSITIVE if v > tol else FLAT for v in lam]
    index = np.arange(1, lam.size + 1)
    ax.bar(index, lam, color=colours, width=0.7, zorder=2)
    ax.axhspan(-tol, tol, color="#f1f3f5", zorder=0, label=f"flat (|λ| ≤ {tol:.0e})")
    ax.axhline(0.0, color="#495057", linewidth=0.8, zorder=1)
    ax.set_yscale("symlog", linthresh=tol)
    ax.set_xticks(index)
    ax.set_xlabel("eigenvalue (ascending)")
    ax.set_ylabel("curvature λ")
    set_title(
        ax,
        f"Hessian spectrum: {point.kind} (loss {point.loss:.4g}, |g| {point.gradient_norm:.2g})",
        fontsize=10,
    )
    legend(ax, loc="upper left", fontsize=8)
    return fig


def plot_slice(s: LossSlice, *, log: bool = False) -> Figure:
    """A loss slice: a curve (1-D) or a filled contour map (2-D), the centre marked, and the
    training path drawn when the slice carries one.

    Parameters
    ----------
    s : LossSlice
        From :func:`xornet.landscape.slice_1d`, ``slice_between`` or ``slice_2d``.
    log : bool
        Colour (or plot) the logarithm of the loss, for slices whose losses span decades.

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = _figure(figsize=(6.0, 4.6) if s.ndim == 2 else (6.0, 3.6), layout="constrained")
    ax = fig.add_subplot()
    values = np.log10(np.maximum(s.losses, 1e-300)) if log else s.losses
    centre = np.log10(max(s.centre_loss, 1e-300)) if log else s.centre_loss
    what = "log10 loss" if log else "loss"
    if s.b is None:
        ax.plot(s.a, values, color=POSITIVE, linewidth=1.8, label=what)
        ax.plot([0.0], [centre], "o", color=NEGATIVE, zorder=3, label="centre")
        if s.path is not None:
            ax.plot(
                s.path[:, 0],
                np.full(s.path.shape[0], np.min(values)),
                "|",
                color="#495057",
                markersize=10,
                label="path (projected)",
            )
        ax.set_xlabel(s.labels[0], **PLAIN)
        ax.set_ylabel(what)
        legend(ax, fontsize=8)
        return fig
    mesh = ax.pcolormesh(s.a, s.b, values, cmap=LOSS_MAP, shading="nearest", zorder=0)
    ax.contour(s.a, s.b, values, levels=12, colors="white", linewidths=0.5, alpha=0.6)
    fig.colorbar(mesh, ax=ax).set_label(what, **PLAIN)
    if s.path is not None:
        ax.plot(
            s.path[:, 0], s.path[:, 1], "-", color="#f8f9fa", linewidth=1.5, label="training path"
        )
        ax.plot(s.path[0, 0], s.path[0, 1], "o", color="#f8f9fa", markersize=5, label="start")
    ax.plot([0.0], [0.0], "*", color=NEGATIVE, markersize=14, label="centre", zorder=3)
    ax.set_xlabel(s.labels[0], **PLAIN)
    ax.set_ylabel(s.labels[1], **PLAIN)
    ax.set_xlim(s.a[0], s.a[-1])
    ax.set_ylim(s.b[0], s.b[-1])
    legend(ax, fontsize=8, loc="upper right")
    return fig


def plot_run(recorder: LandscapeRecorder) -> Figure:
    """A run's landscape along its loss records: the loss and the gradient norm, the weight
    norm, and the lowest and highest Hessian eigenvalue, against the step (log scale).

    Parameters
    ----------
    recorder : LandscapeRecorder
        After ``trainer.run(callback=recorder)``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    steps = recorder.steps
    if steps.size < 2:
        raise XornetError("the recorder holds fewer than two records: nothing to plot")
    x = np.maximum(steps, 1.0)  # step 0 drawn at 1 on the log axis
    fig = _figure(figsize=(6.4, 6.6), layout="constrained")
    top, middle, bottom = fig.subplots(3, 1, sharex=True)
    top.loglog(x, recorder.losses, color=POSITIVE, label="loss")
    top.loglog(
        x, np.maximum(recorder.gradient_norms, 1e-300), color=NEGATIVE, label="gradient norm"
    )
    legend(top, fontsize=8)
    middle.semilogx(x, recorder.weight_norms, color="#2b8a3e", label="weight norm")
    legend(middle, fontsize=8)
    bottom.semilogx(x, recorder.highest, color=POSITIVE, label="highest eigenvalue")
    bottom.semilogx(x, recorder.lowest, color=NEGATIVE, label="lowest eigenvalue")
    bottom.axhline(0.0, color="#495057", linewidth=0.8)
    lows = np.abs(recorder.lowest[np.isfinite(recorder.lowest)])
    linthresh = float(np.min(lows[lows > 0])) if np.any(lows > 0) else 1e-6
    bottom.set_yscale("symlog", linthresh=max(linthresh, 1e-12))
    bottom.set_xlabel("step")
    legend(bottom, fontsize=8)
    return fig


def plot_end_states(
    points: Sequence[Classification], labels: Sequence[str] | None = None
) -> Figure:
    """Many end states at once: the lowest eigenvalue against the gradient norm, coloured by
    kind (the study's overview).

    Parameters
    ----------
    points : sequence of Classification
    labels : sequence of str, optional
        A marker group per point (for instance the run's outcome): each group gets its own
        marker.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not points:
        raise XornetError("no points to plot")
    fig = _figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.add_subplot()
    tol = points[0].thresholds.curvature
    g = np.array([p.gradient_norm for p in points])
    low = np.array([p.eigenvalues[0] for p in points])
    kinds = np.array([p.kind for p in points])
    groups = np.array(labels) if labels is not None else np.full(len(points), "")
    # A marker per group, reused beyond seven groups (the eighth group's points were once
    # left out).
    markers = {group: "o^sDv<>"[i % 7] for i, group in enumerate(sorted(set(groups)))}
    for kind, colour in KIND_COLOURS.items():
        for group, marker in markers.items():
            rows = (kinds == kind) & (groups == group)
            if rows.any():
                name = f"{kind} ({group})" if group else kind
                ax.scatter(
                    np.maximum(g[rows], 1e-300),
                    low[rows],
                    s=16,
                    c=colour,
                    marker=marker,
                    label=f"{name}: {int(rows.sum())}",
                )
    ax.set_xscale("log")
    ax.set_yscale("symlog", linthresh=tol)
    ax.axhspan(-tol, tol, color="#f1f3f5", zorder=0)
    ax.set_xlabel("gradient norm")
    ax.set_ylabel("lowest Hessian eigenvalue")
    legend(ax, fontsize=7, loc="best")
    return fig


def plot_end_slice(
    params: Params,
    X: Array,
    y: Array,
    point: Classification,
    *,
    path: Array | None = None,
    activation: str = "sigmoid",
    kind: str = "bce",
    points: int = 61,
) -> Figure:
    """The loss on a plane through a point: the plane of a training path's two principal
    directions (Li et al. 2018), the path drawn and the loss coloured by its logarithm; without
    a path, the plane of the two lowest-curvature eigenvectors.

    Parameters
    ----------
    params : Params
        The point (at coordinates 0), usually the run's end.
    X, y : ndarray
    point : Classification
        Its classification, for the eigenvectors.
    path : ndarray of shape (n_points, n_params), optional
        The parameters along the run (:attr:`xornet.landscape.LandscapeRecorder.path`,
        :func:`xornet.landscape.run_with_path`), at least three points.
    activation, kind : str
    points : int
        Grid points along each direction: over 1.15 times the path's reach, or
        ``+-max(1, weight norm / 4)`` along the eigenvectors.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if path is None:
        scale = max(1.0, 0.25 * point.weight_norm)  # eigenvectors are unit: a few units out
        grid = np.linspace(-scale, scale, points)
        labels = tuple(f"eigenvector {i + 1} (λ = {point.eigenvalues[i]:.2g})" for i in (0, 1))
        D = point.eigenvectors[:, :2].T
    else:
        D, explained = path_directions(path, params.ravel())
        reach = 1.15 * float(np.max(np.abs((path - params.ravel()) @ D.T))) or 1.0
        grid = np.linspace(-reach, reach, points)
        labels = tuple(f"path direction {i + 1} ({100 * e:.0f}%)" for i, e in enumerate(explained))
    s = slice_2d(params, X, y, D, grid, grid, activation=activation, kind=kind,
                 labels=(labels[0], labels[1]), path=path)  # fmt: skip
    return plot_slice(s, log=path is not None)


def save_landscape_figures(
    directory: str | Path,
    params: Params,
    X: Array,
    y: Array,
    point: Classification,
    *,
    activation: str = "sigmoid",
    kind: str = "bce",
    recorder: LandscapeRecorder | None = None,
    rng: int = 0,
) -> list[Path]:
    """Write the landscape figures of one point as PNG files into ``directory``.

    ``spectrum.png``; ``escape.png``, the loss along the lowest-curvature eigenvector;
    ``eigen.png``, the plane of the two lowest-curvature eigenvectors; ``random.png``, the
    plane of two filter-normalised random directions (Li et al. 2018); and with a recorder,
    ``path.png`` (the plane of the path's two principal directions, the path drawn) and
    ``run.png``. Each file is written atomically.

    Parameters
    ----------
    directory : str or Path
        Created if missing.
    params : Params
        The point (its coordinates 0 on every slice).
    X, y : ndarray
    point : Classification
        Its classification (for the spectrum and the eigenvectors).
    activation, kind : str
    recorder : LandscapeRecorder, optional
        A recorded run ending at ``params`` (with its path).
    rng : int
        Seed of the random directions.

    Returns
    -------
    list of Path
        The files written.
    """
    from xornet.plotting import save_png

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    V = point.eigenvectors
    scale = max(1.0, 0.25 * point.weight_norm)  # eigenvectors are unit: look a few units out
    a = np.linspace(-scale, scale, 81)
    figures: dict[str, Figure] = {"spectrum": plot_spectrum(point)}
    lowest = f"eigenvector 1 (λ = {point.eigenvalues[0]:.2g})"
    figures["escape"] = plot_slice(
        slice_1d(params, X, y, V[:, 0], a, activation=activation, kind=kind, label=lowest)
    )
    figures["eigen"] = plot_end_slice(params, X, y, point, activation=activation, kind=kind)
    gen = np.random.default_rng(rng)
    D = np.stack([filter_normalised_direction(params, gen) for _ in range(2)])
    figures["random"] = plot_slice(
        slice_2d(
            params,
            X,
            y,
            D,
            np.linspace(-1, 1, 61),
            np.linspace(-1, 1, 61),
            activation=activation,
            kind=kind,
            labels=("random direction 1", "random direction 2"),
        )
    )
    if recorder is not None and recorder.path.shape[0] >= 3:
        figures["path"] = plot_end_slice(
            params, X, y, point, path=recorder.path, activation=activation, kind=kind
        )
        figures["run"] = plot_run(recorder)
    return [save_png(fig, directory / f"{name}.png") for name, fig in figures.items()]
