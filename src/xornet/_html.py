"""How xornet's results look in a Jupyter notebook: the HTML behind each ``_repr_html_``.

A trained result shows its truth table, verdict and a small loss curve; ``train_many`` its
outcome counts and first networks; a sweep its table; an explanation every named array of the
step, in English with a switch to Korean; a model file its record and arrays. Everything is
built with NumPy and the standard library (the loss curve is an inline SVG), every text is
escaped, and nothing is computed here that the objects do not already hold. :func:`frame`
turns records into a pandas ``DataFrame`` for the ``to_frame`` methods.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import numpy as np

from xornet._text import array_text
from xornet._typing import Array

__all__ = [
    "explanation_html",
    "frame",
    "loss_svg",
    "many_html",
    "model_html",
    "result_html",
    "sweep_html",
]

#: Rows of a table shown before "... N more".
MAX_ROWS: Final = 16

_OPTIMIZERS: Final = {"gd": "gradient descent", "momentum": "momentum", "adam": "Adam"}

# Doubled class selectors outrank the host page's own table and <pre> rules (JupyterLab's
# fixed table layout, a documentation theme's padding), so a result looks the same everywhere.
_STYLE: Final = (
    "<style>"
    ".xn.xn{font-family:system-ui,sans-serif;font-size:13px;line-height:1.4}"
    ".xn.xn table{border-collapse:collapse;margin:0.3em 0;table-layout:auto;width:auto;"
    "display:table;font-size:13px;border:none;box-shadow:none}"
    ".xn.xn td,.xn.xn th{padding:0.15em 0.6em;border:none;border-bottom:1px solid #ddd;"
    "text-align:right;vertical-align:top;background:none}"
    ".xn.xn th{background:#f3f3f3;font-weight:bold}"
    ".xn.xn td.l,.xn.xn th.l{text-align:left}"
    ".xn.xn pre{margin:0;padding:0;background:none;font-size:12px;white-space:pre;"
    "word-break:normal;overflow-wrap:normal;border:none}"
    ".xn.xn .ok{color:#2e7d32}.xn.xn .bad{color:#c62828;font-weight:bold}"
    ".xn.xn .verdict{border-left:4px solid;padding:0.2em 0.7em;margin:0.4em 0}"
    ".xn.xn .dim{color:#666}.xn.xn code,.xn.xn .nw{white-space:nowrap}"
    ".xn.xn td.m{min-width:16em}"
    "</style>"
)

_VERDICT_COLOURS: Final = {"solved": "#2e7d32", "plateau": "#c62828", "improving": "#b26a00",
                           "diverged": "#c62828", "untrained": "#455a64"}  # fmt: skip

# Ids for the language switch: one per explanation shown, the same sequence in every run of
# a notebook (stored outputs stay comparable).
_ids: Iterator[int] = itertools.count(1)


def _e(text: object) -> str:
    return html.escape(str(text))


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], left: int = 0) -> str:
    """A table of already-escaped cells; the first ``left`` columns align left."""

    def cells(tag: str, row: Sequence[str]) -> str:
        return "".join(f'<{tag}{" class=l" if i < left else ""}>{c}</{tag}>'
                       for i, c in enumerate(row))  # fmt: skip

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
    head_row = f"<thead><tr>{cells('th', head)}</tr></thead>"
    return f"<table class='xn-t'>{head_row}<tbody>{body}</tbody></table>"


def _network(d: int, h: int, k: int, shortcut: bool, activation: str) -> str:
    softmax = "" if k == 1 else " (softmax)"
    extra = " with shortcut weights" if shortcut else ""
    return f"{d}-{h}-{k} network{softmax}{extra}, {activation} hidden units"


def loss_svg(steps: Array, losses: Array, *, width: int = 320, height: int = 110) -> str:
    """A small loss curve as inline SVG: the loss on a log axis against the step.

    Parameters
    ----------
    steps : ndarray of shape (n_records,)
    losses : ndarray of shape (n_records,)
        Non-positive and non-finite losses are left out (a log axis cannot show them).
    width, height : int
        Pixels.

    Returns
    -------
    str
        An ``<svg>`` element, or an empty string when fewer than two losses can be drawn.
    """
    steps, losses = np.asarray(steps, dtype=np.float64), np.asarray(losses, dtype=np.float64)
    keep = np.isfinite(losses) & (losses > 0)
    steps, losses = steps[keep], losses[keep]
    if steps.size < 2:
        return ""
    left, right, top, bottom = 46, 8, 8, 18  # room for the axis labels
    log = np.log10(losses)
    low, high = float(log.min()), float(log.max())
    span = high - low if high > low else 1.0
    x = left + (steps - steps[0]) / max(steps[-1] - steps[0], 1.0) * (width - left - right)
    y = top + (high - log) / span * (height - top - bottom)
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
    axis = f"M{left},{top} V{height - bottom} H{width - right}"
    text = 'font-size="10" fill="#555"'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="loss curve">'
        f'<path d="{axis}" stroke="#999" fill="none"/>'
        f'<polyline points="{points}" stroke="#1565c0" stroke-width="1.5" fill="none"/>'
        f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" {text}>{10**high:.3g}</text>'
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" {text}>'
        f"{10**low:.3g}</text>"
        f'<text x="{left}" y="{height - 4}" {text}>step {steps[0]:,.0f}</text>'
        f'<text x="{width - right}" y="{height - 4}" text-anchor="end" {text}>'
        f"{steps[-1]:,.0f}</text></svg>"
    )


def _truth_table(X: Array, y: Array, p: Array) -> str:
    """Inputs, target, probability, predicted class and a mark, as the CLI's table."""
    from xornet.diagnosis import predicted_class

    classes = predicted_class(p)
    label = "p(y=1)" if p.ndim == 1 else "p(class)"
    head = [*(f"x{j + 1}" for j in range(X.shape[1])), "target", label, "class", ""]
    rows = []
    for i in range(min(len(p), MAX_ROWS)):
        predicted = int(classes[i])
        shown = p[i] if p.ndim == 1 else p[i, predicted]
        right = predicted == int(y[i])
        mark = '<span class="ok">ok</span>' if right else '<span class="bad">WRONG</span>'
        rows.append([*(f"{v:.3g}" for v in X[i]), str(int(y[i])), f"{shown:.4f}",
                     str(predicted), mark])  # fmt: skip
    more = f'<div class="dim">... {len(p) - MAX_ROWS} more rows</div>' if len(p) > MAX_ROWS else ""
    return _table(head, rows) + more


def _verdict(kind: str, summary: str, suggestion: str) -> str:
    colour = _VERDICT_COLOURS.get(kind, "#455a64")
    tip = f'<br><span class="dim">{_e(suggestion)}</span>' if suggestion else ""
    return (f'<div class="verdict" style="border-color:{colour}" title="{_e(kind)}">'
            f"{_e(summary)}{tip}</div>")  # fmt: skip


def result_html(result: Any) -> str:
    """A trained result: the network, the truth table, loss, steps, the verdict, the curve."""
    c, p = result.config, result.params
    tol = f"loss <= {c.tol:g}" if c.tol is not None else "tolerance"
    reason = {"max_steps": "the step limit", "tolerance": tol,
              "all_correct": "every sample right", "interrupted": "interrupted"}  # fmt: skip
    head = (f"{_network(p.n_inputs, p.n_hidden, p.n_outputs, p.shortcut, c.activation)}, "
            f"{c.init} init, {_OPTIMIZERS[c.optimizer]} at lr {c.learning_rate:g}")  # fmt: skip
    facts = [
        ["final loss", f"{result.final_loss:.6g}"],
        ["accuracy", f"{result.accuracy:.1%}"],
        ["steps", f"{result.steps:,} ({_e(reason.get(result.stop_reason, result.stop_reason))})"],
    ]
    table = (_truth_table(result.X, result.y, result.probabilities)
             if result.X is not None and result.y is not None else "")  # fmt: skip
    facts_html = "".join(f'<tr><th class="l">{k}</th><td class="l">{v}</td></tr>'
                         for k, v in facts)  # fmt: skip
    curve = loss_svg(np.append(result.history_steps, result.steps),
                     np.append(result.loss_history, result.final_loss))  # fmt: skip
    return (
        f'<div class="xn">{_STYLE}<b>TrainResult</b>: {_e(head)}'
        f'<div style="display:flex;gap:1.5em;flex-wrap:wrap;align-items:flex-start">'
        f"<div>{table}</div><div><table class='xn-t'>{facts_html}</table>{curve}</div></div>"
        f"{_verdict(result.outcome.kind, result.outcome.summary, result.outcome.suggestion)}"
        "</div>"
    )


def many_html(many: Any) -> str:
    """``train_many``'s result: how many networks ended each way, and the first networks."""
    kinds, counts = np.unique(many.outcome, return_counts=True)
    n = len(many)
    summary = ", ".join(f"{_e(k)} {c:,} ({c / n:.1%})" for k, c in zip(kinds, counts, strict=True))
    head = ["network", "seed", "lr", "steps", "stop", "final loss", "accuracy", "solved at",
            "outcome"]  # fmt: skip
    rows = []
    for i in range(min(n, MAX_ROWS)):
        solved_at = f"{many.solve_step[i]:,}" if many.solve_step[i] >= 0 else "-"
        rows.append([str(i), str(many.seeds[i]), f"{many.learning_rates[i]:g}",
                     f"{many.steps[i]:,}", _e(many.stop_reason[i]), f"{many.final_loss[i]:.6g}",
                     f"{many.accuracy[i]:.1%}", solved_at, _e(many.outcome[i])])  # fmt: skip
    more = f'<div class="dim">... {n - MAX_ROWS:,} more networks</div>' if n > MAX_ROWS else ""
    network = f"{many.n_inputs}-{many.n_hidden}-{1 if many.n_classes == 2 else many.n_classes}"
    return (f'<div class="xn">{_STYLE}<b>ManyResult</b>: {n:,} {network} networks '
            f"({_e(many.engine)} engine): {summary}{_table(head, rows)}{more}</div>")  # fmt: skip


def spread_text(median: float | None, p10: float | None, p90: float | None) -> str:
    """``"264 (161-550)"``: a median and its 10th-90th percentile, or ``-`` for none."""
    if median is None or p10 is None or p90 is None:
        return "-"
    return f"{median:,.0f} ({p10:,.0f}-{p90:,.0f})"


def sweep_html(rows: Sequence[Any], outcome_columns: Sequence[str]) -> str:
    """A sweep's table: each setting, its success rate with the Wilson 95% interval, the steps
    to solve and the epochs to the criterion (median, 10th-90th percentile; with how many
    reached the criterion) and each outcome's count (``outcome_columns``, the sweep's own
    list)."""
    axes = list(rows[0].settings) if rows else []
    head = [*axes, "success", "95% CI", "steps to solve (p10-p90)", "epochs to tol (p10-p90)",
            "reached", "solved", "2@0.5", "all@0.5", "other", "improving",
            "diverged"]  # fmt: skip
    body = [
        [*(_e(f"{r.settings[a]:g}" if isinstance(r.settings[a], float) else r.settings[a])
           for a in axes),
         f"{r.success_rate:.1%}", f"{r.ci_low:.1%}-{r.ci_high:.1%}",
         f"<span class='nw'>{spread_text(r.steps_median, r.steps_p10, r.steps_p90)}</span>",
         f"<span class='nw'>{spread_text(r.epochs_median, r.epochs_p10, r.epochs_p90)}</span>",
         "-" if r.reached is None else str(r.reached),
         *(str(r.outcomes[k]) for k in outcome_columns)]
        for r in rows
    ]  # fmt: skip
    runs = f" ({rows[0].runs:,} starts per setting)" if rows else ""
    return f'<div class="xn">{_STYLE}<b>Sweep</b>{runs}{_table(head, body)}</div>'


def _words_of(e: Any, q: Any, words: Mapping[str, Any]) -> tuple[str, str, str]:
    """A quantity's formula and its meaning in English and Korean, as ``render`` words it."""
    table = words["words"]
    if e.loss == "sse" and q.key in words["sse"]:
        table = words["sse"]
    elif e["W2"].shape[1] > 1 and q.key in words["softmax"]:
        table = words["softmax"]
    formula, english, korean = table[q.key]
    act, grad = words["act"][e.activation]
    shortcut = " + X @ W3" if "W3" in e else ""
    return formula.format(act=act, grad=grad, shortcut=shortcut), english, korean


def _both(english: str, korean: str) -> str:
    return f'<span class="xn-en">{_e(english)}</span><span class="xn-ko">{_e(korean)}</span>'


def explanation_html(e: Any, words: Mapping[str, Any]) -> str:
    """Every array of one step, stage by stage, in the post's order, in English with a
    switch to Korean (two radio buttons and CSS: no script). ``words`` are explain's tables
    (formulas, meanings, headings, update rules), handed over by the explanation itself."""
    en, ko = words["headings"]["en"], words["headings"]["ko"]
    d, h = e["W1"].shape
    fill = {"d": d, "h": h, "k": e["W2"].shape[1], "act": e.activation, "step": e.step}
    rules = words["rules"]
    rule = rules.get(e.optimizer, rules["gd"]).format(lr=e.learning_rate)
    parts, stage = [], None
    for q in e.quantities:
        if q.key.endswith("_new") and q.key != "loss_new":
            continue
        if q.stage != stage:
            if stage is not None:
                parts.append("</tbody></table>")
            stage = q.stage
            parts.append(f"<h4>{_both(en[stage].format(rule=rule), ko[stage].format(rule=rule))}"
                         "</h4><table class='xn-t'><tbody>")  # fmt: skip
        formula, english, korean = _words_of(e, q, words)
        number = f"{q.number})" if q.number else ""
        value = np.asarray(q.value)
        if q.key == "loss_new":
            change = f" {float(value - e['loss']):+.3g}"
            shown, english, korean = f"{float(value):.6f}", english + change, korean + change
        elif value.ndim == 0:
            shown = f"{float(value):.6f}"
        else:
            shown = f"<pre>{_e(array_text(value))}</pre>"
        shape = "" if value.ndim == 0 else _e(value.shape)
        parts.append(f'<tr><td class="l">{number}</td><td class="l"><code>{_e(formula)}</code>'
                     f'</td><td class="l dim nw">{shape}</td><td class="l">{shown}</td>'
                     f'<td class="l m dim">{_both(english, korean)}</td></tr>')  # fmt: skip
    parts.append("</tbody></table>")
    news = [[f"<code>{k} &lt;-</code>", f"<pre>{_e(array_text(e[f'{k}_new']))}</pre>"]
            for k in ("W1", "b1", "W2", "b2", "W3") if f"{k}_new" in e]  # fmt: skip
    parts.append(_table(["", ""], news, left=2))
    n = next(_ids)
    box = f"xn-ex-{n}"
    switch = (
        f"<style>#{box} .xn-ko{{display:none}}"
        f"#{box} input.xn-to-ko:checked ~ div .xn-ko{{display:inline}}"
        f"#{box} input.xn-to-ko:checked ~ div .xn-en{{display:none}}</style>"
        f'<input type="radio" name="{box}" id="{box}-en" checked>'
        f'<label for="{box}-en">English</label> '
        f'<input type="radio" name="{box}" id="{box}-ko" class="xn-to-ko">'
        f'<label for="{box}-ko">한국어</label>'
    )
    title = _both(en["title"].format(**fill), ko["title"].format(**fill))
    return (f'<div class="xn" id="{box}">{_STYLE}{switch}<div><b>{title}</b>'
            f"{''.join(parts)}</div></div>")  # fmt: skip


def model_html(model: Any) -> str:
    """A model file's contents: the network, its metadata record and its arrays."""
    p = model.params
    head = _network(p.n_inputs, p.n_hidden, p.n_outputs, p.shortcut, model.activation)
    state = ("with the run's state (it can be continued)" if model.state is not None
             else "the network only")  # fmt: skip
    meta = [[_e(k), f"<code>{_e(_short(v))}</code>"] for k, v in model.metadata.items()]
    arrays = [
        [_e(name), f'<span class="nw">{_e(a.shape)}</span>', f"<pre>{_e(array_text(a))}</pre>"]
        for name, a in zip(p.names, p, strict=True)
    ]
    return (f'<div class="xn">{_STYLE}<b>Model</b>: {_e(head)}, {state}'
            f'<div style="display:flex;gap:1.5em;flex-wrap:wrap;align-items:flex-start">'
            f"{_table(['array', 'shape', 'values'], arrays, left=3)}"
            f"{_table(['metadata', ''], meta, left=2)}</div></div>")  # fmt: skip


def _short(value: object, limit: int = 120) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def frame(records: Sequence[Mapping[str, Any]]) -> Any:
    """Records as a pandas ``DataFrame`` (one row per record).

    Raises
    ------
    ImportError
        If pandas is not installed, saying how to install it.
    """
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError("to_frame needs pandas: pip install pandas") from error
    return pd.DataFrame.from_records(list(records))
