"""Figures: the loss curve, the decision boundary, the hidden space, the network, animations.

matplotlib is imported inside each function that draws (``pip install 'xornet[plot]'``), so
``import xornet`` and importing this package stay light. Every function returns a
``matplotlib.figure.Figure`` built with the object-oriented API (no pyplot state), which a
notebook shows and :func:`save_figures` writes.

The package's modules are private; its public names are here:

* one network's figures (``_figures``): :func:`plot_loss` (with :class:`LossCurve`),
  :func:`plot_boundary`, :func:`plot_hidden_space`, :func:`plot_network`,
  :func:`save_figures`;
* many runs (``_runs``): :func:`plot_starts` (at most :data:`MAX_STARTS`, :func:`check_starts`),
  :func:`plot_sweep`;
* training as an animation (``_animation``): :func:`animate`, driving a
  :class:`xornet.Trainer`;
* what they share (``_base``): :func:`class_colours`, a colour for each of any number of
  classes; :func:`save_png`, :func:`png_bytes`.

Every text made from a name (features, settings, slices) is drawn as written: never parsed
as mathtext or LaTeX.

The hidden-space geometry the figures draw (:func:`hidden_plane`,
:func:`output_boundaries`, :class:`HiddenPlane`) lives in :mod:`xornet.hidden_space`, which
needs NumPy alone; it is also importable from here.
"""

from xornet.hidden_space import HiddenPlane, hidden_plane, output_boundaries
from xornet.plotting._animation import animate, frame_steps
from xornet.plotting._base import CLASS_COLOURS, CMAP, class_colours, png_bytes, save_png
from xornet.plotting._figures import (
    LossCurve,
    figure_limits,
    plot_boundary,
    plot_hidden_space,
    plot_loss,
    plot_network,
    save_figures,
)
from xornet.plotting._runs import MAX_STARTS, check_starts, plot_starts, plot_sweep

__all__ = [
    "CLASS_COLOURS",
    "CMAP",
    "MAX_STARTS",
    "HiddenPlane",
    "LossCurve",
    "animate",
    "check_starts",
    "class_colours",
    "figure_limits",
    "frame_steps",
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
