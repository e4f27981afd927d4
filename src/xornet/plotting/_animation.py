"""An animation of training: the decision boundary and the hidden space, frame by frame.

The frames are snapshots of one :class:`xornet.Trainer` run (``trainer.run(until=step)``), so
an animation shows exactly the run that :func:`xornet.train` makes with the same settings and
start: its loss, batches and their order, optimizer, start weights and stop rules. Long
stretches between frames run compiled when the engine is numba.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from xornet._rng import RngLike
from xornet._typing import Array, IntArray
from xornet.config import TrainConfig
from xornet.errors import XornetError
from xornet.hidden_space import axis_names
from xornet.params import Params
from xornet.plotting._base import PLAIN, need_2d, new_figure
from xornet.plotting._figures import plot_boundary, plot_hidden_space

__all__ = ["animate", "frame_steps"]


def frame_steps(steps: int, frames: int) -> IntArray:
    """The steps at which an animation draws its frames: 0, then spaced geometrically.

    Geometric spacing gives the fast early changes as many frames as the slow late ones.

    Parameters
    ----------
    steps : int
        The run's last step (``config.steps``).
    frames : int
        At most this many frames (fewer when early steps coincide).

    Returns
    -------
    ndarray of int64, shape (n_frames,)
        Increasing, from 0 to ``steps``.
    """
    marks = np.geomspace(1, max(steps, 1), frames - 1).astype(np.int64)
    return np.unique(np.minimum(np.r_[0, marks], steps))


def animate(
    X: Array,
    y: Array,
    config: TrainConfig,
    path: str | Path,
    *,
    rng: RngLike = None,
    params: Params | None = None,
    frames: int = 60,
    fps: int = 12,
    engine: str = "auto",
    progress: Callable[[int, int], object] | None = None,
) -> Path:
    """Write an animation of training: the decision boundary and the hidden space together.

    The frames follow one :class:`xornet.Trainer` run, taken at the steps of
    :func:`frame_steps`. A run that a stop rule ends (``tol``, ``stop_when_correct``) ends the
    animation there: its last frame is the step it stopped at, titled with the reason.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of shape (n_samples,)
    config : TrainConfig
        The run; ``steps`` is the last frame unless a stop rule comes first.
    path : str or Path
        ``.gif`` (Pillow) or ``.mp4`` (needs ffmpeg on the PATH).
    rng : None, int or numpy.random.Generator
        As :class:`xornet.Trainer`: the start weights when ``params`` is None, and the
        mini-batch order.
    params : Params, optional
        The start weights.
    frames : int
        At most this many frames (at least 2).
    fps : int
        Frames per second.
    engine : {"auto", "numpy", "numba"}
        Chosen once for the whole run (``auto``: numba for at least
        :data:`xornet.engines.AUTO_MIN_STEPS` steps, if installed), so every stretch between
        two frames of a long run is compiled.
    progress : callable, optional
        ``progress(done, total)`` after each frame is drawn (``total`` counts the frames
        planned; a stop rule may end the animation before).

    Returns
    -------
    Path
        The file written (atomically).

    Raises
    ------
    XornetError
        For a path that is not ``.gif`` or ``.mp4``, MP4 without ffmpeg, fewer than 2 frames,
        data without 2 features, or settings the :class:`xornet.Trainer` refuses; all before
        any training.
    TrainingDiverged
        If the run diverges (nothing is written).
    """
    from matplotlib.animation import FFMpegWriter, PillowWriter

    from xornet._atomic import atomic_write
    from xornet.engines import resolve_engine
    from xornet.training import Trainer

    need_2d(X, "the animation")
    path = Path(path)
    if path.suffix not in (".gif", ".mp4"):
        raise XornetError(f"{path}: the animation must be a .gif or an .mp4 file")
    if path.suffix == ".mp4" and shutil.which("ffmpeg") is None:
        raise XornetError(f"{path}: MP4 needs ffmpeg on the PATH; write a .gif instead")
    if frames < 2:
        raise XornetError(f"frames must be at least 2, got {frames}")
    chosen = resolve_engine(engine, config.steps)
    trainer = Trainer(X, y, config, rng=rng, params=params, engine=chosen)
    marks = frame_steps(config.steps, frames)
    # What the output sees is 3-D (a 3-D view) for 3 hidden units, or 1 with the shortcut.
    three_d = len(axis_names(trainer.params)) == 3
    fig = new_figure(figsize=(10, 4.4), layout="constrained")
    writer = PillowWriter(fps=fps) if path.suffix == ".gif" else FFMpegWriter(fps=fps)
    tmp = path.with_name(f".{path.name}.frames{path.suffix}")
    try:
        with writer.saving(fig, str(tmp), dpi=80):
            for done, mark in enumerate(marks, start=1):
                trainer.run(until=int(mark))
                stopped = trainer.stop_reason in ("tolerance", "all_correct")
                fig.clear()
                left = fig.add_subplot(1, 2, 1)
                right = fig.add_subplot(1, 2, 2, projection="3d" if three_d else None)
                plot_boundary(trainer.params, trainer.X, trainer.y, config.activation,
                              resolution=80, ax=left)  # fmt: skip
                plot_hidden_space(trainer.params, trainer.X, trainer.y, config.activation,
                                  ax=right)  # fmt: skip
                title = f"step {trainer.steps:,}"
                if stopped:
                    title += f" (stop: {str(trainer.stop_reason).replace('_', ' ')})"
                fig.suptitle(title, **PLAIN)
                writer.grab_frame()
                if progress is not None:
                    progress(done, len(marks))
                if stopped:
                    break
        atomic_write(path, lambda f: f.write(tmp.read_bytes()))
    finally:
        tmp.unlink(missing_ok=True)
    return path
