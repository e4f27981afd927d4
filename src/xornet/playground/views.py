"""What the playground's page draws over the input plane and in the hidden space, as JSON-ready
numbers: the decision boundary, each hidden unit's output (TensorFlow Playground's node
pictures) and the hidden plane. Plain functions of the weights and the data, each bounded in
cost by :data:`~xornet.playground.settings.LIMITS` whatever the data."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from xornet._typing import Array
from xornet.hidden_space import hidden_plane
from xornet.network import forward
from xornet.params import Params
from xornet.playground.settings import LIMITS, _extent
from xornet.plotting._figures import finest_grid

__all__ = ["boundary", "grid", "hidden", "rounded", "units"]


def rounded(a: Array, digits: int) -> list[Any]:
    """An array as nested lists of rounded floats (smaller JSON)."""
    out: list[Any] = np.round(np.asarray(a, dtype=np.float64), digits).tolist()
    return out


def grid(X: Array, r: int) -> Array:
    """An ``r`` x ``r`` grid over the extent of ``X`` (a quarter of its range around it), as
    rows of points of shape (r * r, 2); the first ``r`` rows are the lowest y, x rising."""
    low, high = _extent(X)
    xs = np.linspace(low[0], high[0], r)
    ys = np.linspace(low[1], high[1], r)
    xx, yy = np.meshgrid(xs, ys)  # row j is y = ys[j]
    points: Array = np.column_stack([xx.ravel(), yy.ravel()])  # (r * r, 2)
    return points


def boundary(params: Params, X: Array, activation: str) -> dict[str, Any] | None:
    """The network's output over the input plane at ``LIMITS["resolution"]`` squared points:
    the probability of class 1, or the most probable class and its probability; None without
    a plane (not 2 features)."""
    if X.shape[1] != 2:
        return None
    r = LIMITS["resolution"]
    P = forward(params, grid(X, r), activation).P
    if P.shape[1] == 1:
        return {"size": r, "p": rounded(P[:, 0], 3)}
    return {"size": r, "class": np.argmax(P, axis=1).tolist(), "p": rounded(P.max(axis=1), 3)}


def units(params: Params, X: Array, activation: str) -> dict[str, Any] | None:
    """Each hidden unit's output over the input plane, or None without a plane (not 2
    features).

    ``levels`` holds, base64-encoded, bytes of shape (n_hidden, size * size): each unit's
    output at ``size`` x ``size`` points of the boundary's extent, from the lowest y up, as
    a level from 0 to 255 of ``range`` (level ``q`` is ``lo + (hi - lo) q / 255``). Bytes,
    not numbers in JSON, because they cost a frame next to nothing to send and to read:
    the pictures are drawn 44 pixels wide at most. ``size`` shrinks as units grow so that
    all of them together stay within ``LIMITS["unit_cells"]``. ``range`` is the
    activation's scale, centred on its middle value (0.5 for the sigmoid, 0 for tanh and
    relu), so one colour scale serves every unit: ``[0, 1]``, ``[-1, 1]``, and
    ``[-m, m]`` for relu's largest value ``m``.
    """
    if X.shape[1] != 2:
        return None
    h = params.n_hidden
    r = finest_grid(h, LIMITS["unit_cells"], LIMITS["unit_resolution"])
    H = forward(params, grid(X, r), activation).H  # (r * r, h)
    if activation == "sigmoid":
        lo, hi = 0.0, 1.0
    elif activation == "tanh":
        lo, hi = -1.0, 1.0
    else:  # relu: from 0 up, unbounded
        top = round(max(float(np.max(H)), 1e-4), 4)
        lo, hi = -top, top
    levels = np.clip(np.rint((H.T - lo) / (hi - lo) * 255), 0, 255).astype(np.uint8)
    return {"size": r, "levels": base64.b64encode(levels.tobytes()).decode("ascii"),
            "range": [lo, hi]}  # fmt: skip


def hidden(params: Params, X: Array, activation: str, H: Array) -> dict[str, Any]:
    """The hidden plane of the rows ``X`` whose hidden activations are ``H``: their
    coordinates, the output's lines, the axes' labels and the title."""
    plane = hidden_plane(params, X, activation, hidden=H)
    return {
        "coords": rounded(plane.coords, 4),
        "lines": [[*rounded(a, 6), round(c0, 6), label] for a, c0, label in plane.lines],
        "labels": list(plane.labels),
        "title": plane.title,
    }
