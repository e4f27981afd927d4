"""An animation of training: the decision boundary and the hidden space, frame by frame."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from xornet._typing import Array
from xornet.errors import XornetError
from xornet.params import Params
from xornet.plotting._base import need_2d, new_figure
from xornet.plotting._figures import plot_boundary, plot_hidden_space

__all__ = ["animate"]


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

    need_2d(X, "the animation")
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
    fig = new_figure(figsize=(10, 4.4), layout="constrained")
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
