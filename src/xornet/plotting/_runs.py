"""Figures of many runs: a grid of starts, and the success rates of a sweep."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from xornet._typing import Array
from xornet.errors import XornetError
from xornet.params import Params
from xornet.plotting._base import (
    CLASS_COLOURS,
    PLAIN,
    draw_output_map,
    draw_points,
    grid_over,
    legend,
    need_2d,
    new_figure,
    set_title,
    shorten,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MAX_STARTS", "check_starts", "plot_starts", "plot_sweep"]

#: The most starts a grid of starts draws: a hundred rows of four (seconds; the image about
#: 30,000 pixels tall). 100,000 made a figure no image can hold, after minutes of drawing.
MAX_STARTS: Final = 400


def check_starts(count: int, name: str = "the grid of starts") -> None:
    """Refuse a grid of more than :data:`MAX_STARTS` starts, before any training.

    Raises
    ------
    XornetError
        Naming ``name`` (the command line: its flag).
    """
    if count > MAX_STARTS:
        raise XornetError(f"{name}: at most {MAX_STARTS} starts are drawn, got {count:,}")


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

    Raises
    ------
    XornetError
        For data without two features, or more than :data:`MAX_STARTS` seeds.
    """
    from xornet.engines.many import train_many

    need_2d(X, "the grid of starts")
    check_starts(len(seeds))
    many = train_many(X, y, config, list(seeds), params=params)
    rows = -(-len(seeds) // columns)
    fig = new_figure(figsize=(2.6 * columns, 2.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, squeeze=False)).ravel()
    xx, _, grid = grid_over(X, resolution)
    for k, ax in enumerate(axes):
        if k >= len(seeds):
            ax.set_axis_off()
            continue
        params_k = many.params(k)
        draw_output_map(ax, params_k, grid, xx.shape, config.activation, linewidth=1.0)
        draw_points(ax, X, y, params_k.n_classes, size=25)
        ax.set_xticks([])
        ax.set_yticks([])
        colour = "black" if many.outcome[k] == "solved" else CLASS_COLOURS[1]
        set_title(ax, f"seed {seeds[k]}: {many.outcome[k]}", fontsize=9, color=colour)
    solved = float(np.mean(many.outcome == "solved"))
    fig.suptitle(f"{len(seeds)} starts, {solved:.0%} solved", fontsize=11, **PLAIN)
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
    fig = new_figure(figsize=(6, 4.4), layout="constrained")
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
        ax.set_xticks(positions, [shorten(label, 12) for label in labels], **PLAIN)
        ax.set_xlabel(axis, **PLAIN)
        ax.set_ylim(-0.02, 1.02)
        ax.set_ylabel("fraction of starts solved")
        ax.grid(alpha=0.3)
        legend(ax, loc="lower right")
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
        ax.set_xticks(range(len(xs)), [shorten(str(v), 12) for v in xs], **PLAIN)
        ax.set_yticks(range(len(ys)), [shorten(str(v), 12) for v in ys], **PLAIN)
        ax.set_xlabel(first, **PLAIN)
        ax.set_ylabel(second, **PLAIN)
        fig.colorbar(image, ax=ax, label="fraction of starts solved")
    set_title(ax, f"success rate over {runs} starts per setting")
    return fig
