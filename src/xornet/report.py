"""A self-contained HTML report of one trained network.

One file, viewable offline: the configuration, the truth table, the outcome, the loss curve,
the loss landscape at the end (:mod:`xornet.landscape`: what kind of point the weights sit at,
the Hessian's spectrum, a slice with the training path), the decision boundary, the hidden
space, the network diagram and the explanation of one training step. Figures are embedded as
base64 PNG; the page references no external URL.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from xornet._atomic import atomic_write
from xornet._typing import Array
from xornet.config import settings_that_apply
from xornet.diagnosis import predicted_class
from xornet.errors import XornetError
from xornet.explain import Explanation, explain_step, render
from xornet.network import predict_proba
from xornet.optim import Optimizer
from xornet.params import Params
from xornet.plotting import _figures as limits  # the figures' bounds, one home

if TYPE_CHECKING:
    from xornet.plotting import LossCurve

__all__ = ["SECTIONS", "build_report", "write_report"]

#: The ids of the report's sections, in order.
SECTIONS = ("configuration", "truth-table", "outcome", "loss", "landscape", "boundary", "hidden",
            "network", "explain")  # fmt: skip

#: The landscape section is measured for networks whose exact Hessian costs at most this many
#: parameter-parameter-sample products, ``P^2 n`` (about a second or two on one core): XOR's
#: networks are far below it (the post's 2-2-1 network: 324).
LANDSCAPE_WORK: Final = 10_000_000


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222;
       padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 0.2rem 0.6rem; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
.wrong { color: #b02a00; font-weight: bold; } img { max-width: 100%; }
pre { background: #f7f7f7; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
.outcome { padding: 0.6rem 0.8rem; border-left: 4px solid #1f5fa8; background: #f3f7fc; }
"""


def _png(fig: Any) -> str:
    from xornet.plotting import png_bytes

    encoded = base64.b64encode(png_bytes(fig, dpi=100)).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{encoded}">'


def build_report(
    params: Params,
    X: Array,
    y: Array,
    *,
    activation: str = "sigmoid",
    title: str = "xornet report",
    config: dict[str, Any] | None = None,
    outcome: Any = None,
    curve: LossCurve | None = None,
    feature_names: Sequence[str] | None = None,
    explain_params: Params | None = None,
    optimizer: Optimizer | None = None,
    explanation: Explanation | None = None,
    path: Array | None = None,
) -> str:
    """The report as an HTML string.

    Parameters
    ----------
    params : Params
        The trained network.
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    activation : str
    title : str
    config : dict, optional
        Shown as the configuration table, the settings that apply to the run only
        (:func:`xornet.config.settings_that_apply`); its ``loss`` (``bce`` when absent) is the
        loss of the step explained from ``explain_params``.
    outcome : Outcome, optional
        The diagnosis.
    curve : LossCurve, optional
        The loss history (see :class:`xornet.plotting.LossCurve`).
    feature_names : sequence of str, optional
    explain_params : Params, optional
        The parameters whose next full-batch step is explained (the initial ones for "the
        first step"); ``params`` when None. Unused with ``explanation``.
    optimizer : Optimizer, optional
        Of the explained step; plain gradient descent at learning rate 0.01 when None.
        Unused with ``explanation``.
    explanation : Explanation, optional
        The step to show, e.g. ``explain_next(trainer)`` of the run's :class:`xornet.Trainer`
        before it runs (its batch, optimizer and loss exactly).
    path : ndarray of shape (n_points, n_params), optional
        The weights along the run, ending at ``params``
        (:func:`xornet.landscape.run_with_path`): the landscape section's slice is then the
        plane of the path's two principal directions, the path drawn; without it, the plane
        of the two lowest-curvature eigenvectors.

    Returns
    -------
    str
    """
    from xornet.plotting import plot_network

    names = list(feature_names or [f"x{i + 1}" for i in range(X.shape[1])])
    esc = html.escape
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<title>{esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
             f"<h1>{esc(title)}</h1>\n"]  # fmt: skip

    rows = "".join(f"<tr><th>{esc(str(k))}</th><td>{esc(_setting_text(k, v))}</td></tr>"
                   for k, v in settings_that_apply(config or {}).items())  # fmt: skip
    parts.append(f'<section id="configuration"><h2>Configuration</h2><table>{rows}</table>'
                 f"<p>{X.shape[1]}-{params.n_hidden}-{params.n_outputs} network, "
                 f"{esc(activation)} hidden units."
                 "</p></section>\n")  # fmt: skip

    p = predict_proba(params, X, activation)
    classes = predicted_class(p)
    head = "".join(f"<th>{esc(n)}</th>" for n in names)
    body = []
    for i in range(min(len(y), 64)):
        predicted = int(classes[i])
        shown = p[i] if p.ndim == 1 else p[i, predicted]
        mark = "" if predicted == int(y[i]) else ' class="wrong"'
        values = [*(f"{v:.4g}" for v in X[i]), str(int(y[i])), f"{shown:.4f}", str(predicted)]
        cells = "".join(f'<td class="num">{v}</td>' for v in values)
        body.append(f"<tr{mark}>{cells}</tr>")
    more = f"<p>... and {len(y) - 64} more rows.</p>" if len(y) > 64 else ""
    parts.append(f'<section id="truth-table"><h2>Truth table</h2><table><tr>{head}'
                 f"<th>target</th><th>{'p(y=1)' if p.ndim == 1 else 'p(class)'}</th>"
                 "<th>class</th></tr>"
                 f"{''.join(body)}</table>{more}</section>\n")  # fmt: skip

    verdict = esc(str(outcome)) if outcome is not None else "(no diagnosis)"
    parts.append(f'<section id="outcome"><h2>Outcome</h2><p class="outcome">{verdict}</p>'
                 "</section>\n")  # fmt: skip

    if curve is not None:
        loss_fig = _png(curve.plot())
    else:
        loss_fig = "<p>No loss history was recorded for this model.</p>"
    parts.append(f'<section id="loss"><h2>Loss curve</h2>{loss_fig}</section>\n')
    kind = str((config or {}).get("loss", "bce"))
    parts.append(_landscape_section(params, X, y, activation, kind, path))
    parts.append(_boundary_section(params, X, y, activation))
    parts.append(_hidden_section(params, X, y, activation))
    if params.n_hidden > limits.NETWORK_UNITS:
        diagram = (f"<p>Not drawn: {params.n_hidden:,} hidden units, more than the "
                   f"{limits.NETWORK_UNITS} this report draws.</p>")  # fmt: skip
    else:
        diagram = _png(plot_network(params, names))
    parts.append(f'<section id="network"><h2>The network</h2>{diagram}</section>\n')

    if explanation is None:
        start = params if explain_params is None else explain_params
        explanation = explain_step(start, X, y, activation=activation, optimizer=optimizer,
                                   kind=kind)  # fmt: skip
        first = explain_params is not None
    else:
        first = explanation.step == 0
    text = render(explanation)
    which = "the first training step" if first else "the next training step"
    parts.append(f'<section id="explain"><h2>Every number of {which}</h2>'
                 f"<pre>{esc(text)}</pre></section>\n")  # fmt: skip
    parts.append("</body>\n</html>\n")
    return "".join(parts)


def _setting_text(name: str, value: object) -> str:
    """A setting as the configuration table shows it: an unset one in words, not ``None``."""
    if value is None:
        return "full batch" if name == "batch_size" else "none"
    return str(value)


def _boundary_section(params: Params, X: Array, y: Array, activation: str) -> str:
    """The decision boundary on the grid :func:`~xornet.plotting._figures.boundary_grid`
    gives, a coarser one said on the page, or a line saying why it is not drawn."""
    from xornet.plotting import plot_boundary

    head = '<section id="boundary"><h2>Decision boundary</h2>'
    if X.shape[1] != 2:
        return f"{head}<p>The decision boundary is drawn for 2 input features only.</p></section>\n"
    h, full, least = params.n_hidden, limits.BOUNDARY_GRID, limits.BOUNDARY_GRID_MIN
    r = limits.boundary_grid(h)
    budget = (f"beyond this report's budget ({full**2 * h:,} hidden activations, "
              f"{limits.BOUNDARY_WORK:,} allowed)")  # fmt: skip
    if r == 0:
        return (f"{head}<p>Not drawn: the output of {h:,} hidden units over a "
                f"{full} × {full} grid is {budget}, and a grid coarser than "
                f"{least} × {least} would not show the boundary.</p></section>\n")  # fmt: skip
    note = ""
    if r < full:
        note = (f"<p>Drawn on a {r} × {r} grid, not {full} × {full}: the "
                f"output of {h:,} hidden units over the full grid is {budget}.</p>")  # fmt: skip
    figure = _png(plot_boundary(params, X, y, activation, resolution=r))
    return f"{head}{note}{figure}</section>\n"


def _hidden_section(params: Params, X: Array, y: Array, activation: str) -> str:
    """The hidden space, its grid lines only when
    :func:`~xornet.plotting._figures.grid_lines_fit` (said on the page when left out)."""
    from xornet.plotting import plot_hidden_space

    lines, work = limits.grid_lines_fit(params.n_hidden)
    note = ""
    if X.shape[1] == 2 and not lines:
        note = (f"<p>The input plane's grid lines are not drawn: mapping them through "
                f"{params.n_hidden:,} hidden units is beyond this report's budget ({work:,} "
                f"hidden activations, {limits.GRID_LINES_WORK:,} allowed).</p>")  # fmt: skip
    figure = _png(plot_hidden_space(params, X, y, activation, grid_lines=lines))
    return ('<section id="hidden"><h2>Hidden space</h2><p>The samples where the hidden layer '
            "puts them. The output unit is one straight line in this plane: it classifies "
            "every sample right only when the hidden layer has moved the classes to its two "
            f"sides.</p>{note}{figure}</section>\n")  # fmt: skip


def _landscape_section(
    params: Params, X: Array, y: Array, activation: str, kind: str, path: Array | None
) -> str:
    """The end weights' point of the loss landscape (:func:`xornet.landscape.classify_point`,
    measured there only), its spectrum and a slice through it."""
    from xornet.landscape import classify_point
    from xornet.landscape_plots import plot_end_slice, plot_spectrum

    head = '<section id="landscape"><h2>Loss landscape at the end</h2>'
    work = params.size**2 * X.shape[0]
    if work > LANDSCAPE_WORK:
        return (f"{head}<p>Not measured: the exact Hessian of {params.size:,} parameters over "
                f"{X.shape[0]} samples is beyond this report's budget ({work:,} products, "
                f"{LANDSCAPE_WORK:,} allowed).</p></section>\n")  # fmt: skip
    try:
        point = classify_point(params, X, y, activation, kind)
    except XornetError as exc:  # weights beyond what can be measured
        return f"{head}<p>Not measured: {html.escape(str(exc))}.</p></section>\n"
    t = point.thresholds
    if point.escape is None:
        escape = "none (no negative curvature)"
    elif point.escape.falls:
        escape = (f"the loss falls by {point.escape.fall:.6g} within {point.escape.at:.6g} "
                  "along the lowest eigenvector")  # fmt: skip
    else:
        escape = "the loss does not fall along the lowest eigenvector"
    rows = [
        ("kind", point.kind),
        ("loss", f"{point.loss:.6g}"),
        ("gradient norm", f"{point.gradient_norm:.6g}"),
        ("weight norm", f"{point.weight_norm:.6g}"),
        ("lowest Hessian eigenvalue", f"{point.eigenvalues[0]:.6g}"),
        ("highest Hessian eigenvalue", f"{point.eigenvalues[-1]:.6g}"),
        (f"eigenvalues below, within, above ±{t.curvature:.0e}",
         f"{point.n_negative}, {point.n_flat}, {point.n_positive}"),
        ("escape", escape),
    ]  # fmt: skip
    table = "".join(f'<tr><th>{html.escape(k)}</th><td class="num">{html.escape(v)}</td></tr>'
                    for k, v in rows)  # fmt: skip
    if path is not None and len(path) >= 3:
        where = ("The loss around the end on the plane of the training path's two principal "
                 f"directions (Li et al. 2018), the path drawn through {len(path)} "
                 "points.")  # fmt: skip
    else:
        path = None
        where = ("The loss around the end on the plane of the Hessian's two lowest-curvature "
                 "eigenvectors (no training path was given).")  # fmt: skip
    figure = plot_end_slice(params, X, y, point, path=path, activation=activation, kind=kind)
    return (f'{head}<p class="outcome">{html.escape(point.summary)}</p><table>{table}</table>'
            "<p>Measured at the end weights only: the run was not continued, so its trend (the "
            "loss still falling while the weights grow, the sign of a minimum at infinity) is "
            "not part of this verdict; <code>xornet landscape</code> measures it.</p>"
            f"{_png(plot_spectrum(point))}<p>{html.escape(where)}</p>{_png(figure)}"
            "</section>\n")  # fmt: skip


def write_report(path: str | Path, page: str) -> Path:
    """Write the report atomically.

    Parameters
    ----------
    path : str or Path
    page : str
        From :func:`build_report`.

    Returns
    -------
    Path
    """
    data = page.encode("utf-8")
    atomic_write(path, lambda f: f.write(data))
    return Path(path)
