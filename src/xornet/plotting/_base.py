"""What every figure shares: matplotlib on demand, the class colours, plain text, the output
over a grid, and writing PNG files.

matplotlib is imported inside the functions that draw, so importing this module (and
:mod:`xornet.plotting`) does not import it.

Every text that shows a name (a feature, a setting, a title made from them) is plain text:
``$``, ``^``, ``_`` and ``\\`` in a name are drawn as written, never parsed as mathtext or
LaTeX (a feature named ``cost ($)`` and ``$x$`` once made every figure fail).
"""

from __future__ import annotations

import colorsys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from xornet._typing import Array
from xornet.errors import XornetError
from xornet.network import forward
from xornet.params import Params

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure
    from matplotlib.legend import Legend

__all__ = [
    "CLASS_COLOURS",
    "CMAP",
    "LEGEND_CLASSES",
    "PLAIN",
    "class_colours",
    "class_key",
    "draw_output_map",
    "draw_points",
    "figure_of",
    "grid_over",
    "legend",
    "need_2d",
    "new_figure",
    "png_bytes",
    "save_png",
    "set_title",
    "shorten",
    "step_axis",
    "wrap",
]

# Class 0 blue, class 1 orange, then more for the softmax networks' further classes.
CLASS_COLOURS = ("#1f5fa8", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c", "#495057",
                 "#e67700", "#0b7285", "#5c940d", "#862e9c")  # fmt: skip
CMAP = "RdBu_r"  # probability: blue near 0, red near 1

#: Text properties that draw a string as written: no mathtext (``$...$``), no LaTeX.
PLAIN: Final[dict[str, Any]] = {"parse_math": False, "usetex": False}

#: Up to this many classes a legend names each class; beyond, a colour bar keys them.
LEGEND_CLASSES: Final = 10


def class_colours(n_classes: int) -> list[str]:
    """A distinct colour for each of ``n_classes`` classes, as ``#rrggbb``.

    The first 10 are :data:`CLASS_COLOURS`, the next 10 a lighter tint of each (as
    matplotlib's ``tab20`` pairs its colours), and any more are hues around the colour
    wheel (a golden angle apart) in three alternating lightnesses, so that neighbouring
    classes differ in both. A class keeps its colour whatever the number of classes.

    Parameters
    ----------
    n_classes : int

    Returns
    -------
    list of str
    """
    tints = [_hex(*(v + 0.4 * (1.0 - v) for v in _rgb(c))) for c in CLASS_COLOURS]
    twenty = [*CLASS_COLOURS, *tints]
    # Beyond 20, the golden angle around the wheel: each new hue falls in the widest gap
    # left by the ones before, whatever the number of classes.
    wheel = [_hex(*colorsys.hls_to_rgb((k * 0.381966) % 1.0, (0.3, 0.42, 0.62)[k % 3], 0.75))
             for k in range(max(n_classes - len(twenty), 0))]  # fmt: skip
    return [*twenty, *wheel][:n_classes]


def _rgb(colour: str) -> tuple[float, float, float]:
    """``#rrggbb`` as three floats in [0, 1]."""
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return r, g, b


def _hex(r: float, g: float, b: float) -> str:
    """Three floats in [0, 1] as ``#rrggbb``."""
    return "#" + "".join(f"{round(255 * v):02x}" for v in (r, g, b))


def wrap(text: str, inches: float, fontsize: float | str) -> str:
    """``text`` broken into lines (at spaces) that each fit ``inches`` at ``fontsize``.

    The lines are measured in the font they are drawn in, as plain text.
    """
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font, measure = FontProperties(size=fontsize), TextToPath()

    def fits(line: str) -> bool:
        width, _, _ = measure.get_text_width_height_descent(line, font, ismath=False)
        return bool(width <= 72 * inches)  # TextToPath measures in points

    lines: list[str] = []
    for word in text.split(" "):
        if lines and fits(f"{lines[-1]} {word}"):
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return "\n".join(lines)


def set_title(ax: Axes, text: str, **kwargs: Any) -> None:
    """A plain-text title, wrapped to lines that fit the axes' column of the figure.

    A title wider than the figure once ran off it ("...separating lin"); constrained
    layout fits one that is only wider than its axes.
    """
    from matplotlib import rcParams

    fig = figure_of(ax)
    spec = ax.get_subplotspec()
    columns = spec.get_gridspec().ncols if spec is not None else 1
    # Less the layout's margins, and twice the distance by which the axes may sit off the
    # column's centre (tick labels and an axis label on one side, a colour bar on the other).
    inches = fig.get_figwidth() / columns - 0.9
    size = kwargs.get("fontsize", rcParams["axes.titlesize"])
    ax.set_title(wrap(text, inches, size), **PLAIN, **kwargs)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def legend(ax: Axes, **kwargs: Any) -> Legend | None:
    """The axes' legend with plain-text labels, or None when nothing is labelled."""
    handles, labels = ax.get_legend_handles_labels()
    if not handles:
        return None
    made = ax.legend(handles, labels, **kwargs)
    for text in made.get_texts():
        text.set(**PLAIN)
    return made


def class_key(ax: Axes, n_classes: int, **kwargs: Any) -> None:
    """Name the classes' colours: a legend for up to :data:`LEGEND_CLASSES` classes (with the
    axes' other labelled lines), a colour bar of the classes beyond."""
    if n_classes <= LEGEND_CLASSES:
        legend(ax, **kwargs)
        return
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.ticker import MaxNLocator

    legend(ax, **kwargs)  # the lines; the classes' points are not labelled beyond the limit
    norm = BoundaryNorm(np.arange(n_classes + 1) - 0.5, n_classes)
    mappable = ScalarMappable(norm, ListedColormap(class_colours(n_classes)))
    bar = figure_of(ax).colorbar(mappable, ax=ax)
    bar.set_label("class", **PLAIN)
    bar.ax.yaxis.set_major_locator(MaxNLocator(nbins=8, integer=True))


def step_axis(axis: Axis) -> None:
    """Training steps along an axis: a few round ticks, written short (2,500, 25k, 1.5M).

    matplotlib's default wrote nine six-digit numbers under a 200,000-step curve, run
    together. At most 7 ticks, each label at most 5 characters.
    """
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_major_locator(MaxNLocator(nbins=6, integer=True, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(FuncFormatter(_step_label))


def _step_label(x: float, _position: int | None = None) -> str:
    """A step as a short label: 800, 2,500, 25k, 1.5M."""
    if abs(x) >= 1e6:
        return f"{x / 1e6:g}M"
    if abs(x) >= 1e4:
        return f"{x / 1e3:g}k"
    return f"{x:,.0f}"


def new_figure(**kwargs: Any) -> Figure:
    """A new matplotlib figure (no pyplot state), or a clear error without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise XornetError("figures need matplotlib: pip install 'xornet[plot]'") from None
    return Figure(**kwargs)


def figure_of(ax: Axes) -> Figure:
    """The figure an axes is drawn in."""
    fig = ax.get_figure(root=True)
    if fig is None:
        raise XornetError("the axes belong to no figure")
    return fig


def need_2d(X: Array, what: str) -> None:
    """Refuse, naming ``what``, data without exactly 2 input features."""
    if X.shape[1] != 2:
        raise XornetError(f"{what} needs 2 input features, the data has {X.shape[1]}")


def draw_points(ax: Axes, P2: Array, y: Array, n_classes: int = 2, size: float = 60.0) -> None:
    """The samples at 2-D positions ``P2`` (n_samples, 2), one colour per class.

    Each class is labelled ``class k`` for the legend when there are at most
    :data:`LEGEND_CLASSES` classes (:func:`class_key` draws a colour bar beyond).
    """
    n = max(n_classes, int(y.max()) + 1 if y.size else 0)
    colours = class_colours(n)
    style: dict[str, Any] = {"edgecolors": "white", "linewidths": 1.2, "zorder": 3}
    if n > LEGEND_CLASSES:  # one call, however many classes
        ax.scatter(P2[:, 0], P2[:, 1], s=size, c=[colours[int(k)] for k in y], **style)
        return
    for label in range(n):
        rows = y == label
        ax.scatter(P2[rows, 0], P2[rows, 1], s=size, c=colours[label], label=f"class {label}",
                   **style)  # fmt: skip


#: The most hidden activations (grid points times hidden units) an output map computes at once:
#: a wide network's map (a model file's, say) is computed in slices of the grid, in bounded
#: memory.
MAP_BLOCK: Final = 2**22


def map_outputs(params: Params, grid: Array, activation: str) -> Array:
    """The network's outputs ``P`` (n, k) over a grid's n points, in slices of at most
    :data:`MAP_BLOCK` hidden activations."""
    rows = max(1, MAP_BLOCK // params.n_hidden)
    return np.concatenate([forward(params, grid[i : i + rows], activation).P
                           for i in range(0, max(grid.shape[0], 1), rows)])  # fmt: skip


def draw_output_map(ax: Axes, params: Params, grid: Array, shape: tuple[int, ...],
                    activation: str, linewidth: float = 1.5) -> Any:  # fmt: skip
    """Draw the network's output over a grid; return the image (for a colour bar).

    One output: ``p(y = 1)`` as a blue-red map with its 0.5 contour. More classes: each point
    in its most probable class's colour, paler where that class is less sure, with the lines
    where the most probable class changes.
    """
    from matplotlib.colors import ListedColormap

    P = map_outputs(params, grid, activation)
    if P.shape[1] == 1:
        p = P[:, 0].reshape(shape)
        image = ax.pcolormesh(*_mesh(grid, shape), p, cmap=CMAP, vmin=0.0, vmax=1.0,
                              shading="auto")  # fmt: skip
        ax.contour(*_mesh(grid, shape), p, levels=[0.5], colors="black", linewidths=linewidth)
        return image
    K = P.shape[1]
    winner = np.argmax(P, axis=1).reshape(shape)
    sure = P.max(axis=1).reshape(shape)  # from 1/K (undecided) to 1
    cmap = ListedColormap(class_colours(K))
    alpha = 0.25 + 0.5 * (sure - 1 / K) / (1 - 1 / K)  # pale where the winner is unsure
    image = ax.pcolormesh(*_mesh(grid, shape), winner, cmap=cmap, vmin=-0.5, vmax=K - 0.5,
                          shading="auto", alpha=alpha)  # fmt: skip
    present = np.unique(winner)  # levels between the classes that win somewhere, not all K
    if present.size > 1:
        ax.contour(*_mesh(grid, shape), winner, levels=(present[:-1] + present[1:]) / 2,
                   colors="black", linewidths=linewidth)  # fmt: skip
    return image


def _mesh(grid: Array, shape: tuple[int, ...]) -> tuple[Array, Array]:
    """The grid's points (r*r, 2) as the two (r, r) coordinate arrays a mesh plot takes."""
    return grid[:, 0].reshape(shape), grid[:, 1].reshape(shape)


def grid_over(X: Array, resolution: int) -> tuple[Array, Array, Array]:
    """A square grid over the data's range with a margin: xx, yy (r, r) and points (r*r, 2)."""
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.25 * np.maximum(high - low, 1e-9)
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution)
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.column_stack([xx.ravel(), yy.ravel()])


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
    from xornet._atomic import atomic_write

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
