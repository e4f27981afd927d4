"""What every figure shares: matplotlib on demand, the class colours, the output over a grid,
and writing PNG files.

matplotlib is imported inside the functions that draw, so importing this module (and
:mod:`xornet.plotting`) does not import it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from xornet._typing import Array
from xornet.errors import XornetError
from xornet.network import forward
from xornet.params import Params

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CLASS_COLOURS",
    "CMAP",
    "draw_output_map",
    "draw_points",
    "grid_over",
    "need_2d",
    "new_figure",
    "png_bytes",
    "save_png",
]

# Class 0 blue, class 1 orange, then more for the softmax networks' further classes.
CLASS_COLOURS = ("#1f5fa8", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c", "#495057",
                 "#e67700", "#0b7285", "#5c940d", "#862e9c")  # fmt: skip
CMAP = "RdBu_r"  # probability: blue near 0, red near 1


def new_figure(**kwargs: Any) -> Figure:
    """A new matplotlib figure (no pyplot state), or a clear error without matplotlib."""
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise XornetError("figures need matplotlib: pip install 'xornet[plot]'") from None
    return Figure(**kwargs)


def need_2d(X: Array, what: str) -> None:
    """Refuse, naming ``what``, data without exactly 2 input features."""
    if X.shape[1] != 2:
        raise XornetError(f"{what} needs 2 input features, the data has {X.shape[1]}")


def draw_points(ax: Axes, P2: Array, y: Array, size: float = 60.0) -> None:
    """The samples at 2-D positions ``P2`` (n_samples, 2), one colour per class."""
    for label in range(max(2, int(y.max()) + 1)):
        rows = y == label
        ax.scatter(P2[rows, 0], P2[rows, 1], s=size, c=CLASS_COLOURS[label], edgecolors="white",
                   linewidths=1.2, zorder=3, label=f"class {label}")  # fmt: skip


def draw_output_map(ax: Axes, params: Params, grid: Array, shape: tuple[int, ...],
                    activation: str, linewidth: float = 1.5) -> Any:  # fmt: skip
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
