"""The loss landscape, measured: curvature, the kind of point a run ends at, and slices.

Why does a run stall? This package answers with measurements, for any network xornet trains
(one sigmoid output or a softmax, cross-entropy or squared error, sigmoid, tanh or ReLU hidden
units, with or without the shortcut):

* :func:`hessian`, :func:`hessian_vector_product`, :func:`spectrum`: the exact Hessian of the
  loss, by forward-over-reverse differentiation of :func:`xornet.network.backward` (tested
  against autograd and against central differences of the gradient);
* :func:`classify_point`, :func:`classify_many`: a point is a *minimum*, a *saddle* (with its
  escape direction and the loss falling along it), a *plateau*, *sloped* (not near a
  stationary point), or, given the run's :class:`Trend`, *at infinity* (the loss still falling
  while the weights grow like the log of the step); every threshold is in :class:`Thresholds`;
* :func:`classify_end_state` and :func:`diagnose_with_landscape`: a run's end, its trend
  measured by continuing it 10 and 100 times longer;
* :class:`LandscapeRecorder`: a callback for :meth:`xornet.Trainer.run` recording the gradient
  norm, the weight norm and the extreme eigenvalues at each loss record (and the path);
  :func:`run_with_path`, the path alone, with either engine;
* :func:`slice_1d`, :func:`slice_between`, :func:`slice_2d`: the loss along a line or a plane,
  along eigenvectors, filter-normalised random directions (Li et al. 2018,
  :func:`filter_normalised_direction`) or a path's principal directions
  (:func:`path_directions`), with the path projected. Figures: :mod:`xornet.landscape_plots`.

Parameters are packed as ``Params.ravel()`` (W1, b1, W2, b2, then W3): eigenvectors, directions
and paths are vectors in that order.
"""

from __future__ import annotations

from xornet.landscape._classify import (
    KINDS,
    Classification,
    Escape,
    Thresholds,
    Trend,
    classify_many,
    classify_point,
)
from xornet.landscape._hessian import Spectrum, hessian, hessian_vector_product, spectrum
from xornet.landscape._record import (
    LandscapeRecorder,
    check_longer,
    classify_end_state,
    diagnose_with_landscape,
    run_with_path,
)
from xornet.landscape._slices import (
    LossSlice,
    filter_normalised_direction,
    path_directions,
    project,
    slice_1d,
    slice_2d,
    slice_between,
)

__all__ = [
    "KINDS",
    "Classification",
    "Escape",
    "LandscapeRecorder",
    "LossSlice",
    "Spectrum",
    "Thresholds",
    "Trend",
    "check_longer",
    "classify_end_state",
    "classify_many",
    "classify_point",
    "diagnose_with_landscape",
    "filter_normalised_direction",
    "hessian",
    "hessian_vector_product",
    "path_directions",
    "project",
    "run_with_path",
    "slice_1d",
    "slice_2d",
    "slice_between",
    "spectrum",
]
