"""What the commands print and save: the truth table, a run's report, the JSON shapes, a
model file's record and the sweep's table. No arithmetic beyond formatting."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

if TYPE_CHECKING:
    from xornet._typing import Array
    from xornet.config import TrainConfig
    from xornet.data import Dataset
    from xornet.sweep import SweepRow
    from xornet.training import TrainResult

_MAX_ROWS: Final = 16

#: The sweep table's column head of each axis.
SWEEP_HEADS: Final = {"hidden": "hidden", "activation": "activation", "init": "init",
                      "optimizer": "optimizer", "learning_rate": "lr", "momentum": "momentum",
                      "batch_size": "batch", "steps": "steps", "loss": "loss",
                      "init_scale": "scale", "margin": "margin"}  # fmt: skip


def table(X: Array, names: Sequence[str], p: Array, y: Array | None) -> list[str]:
    """The truth table: inputs, target, probability, predicted class (and a mark).

    ``p`` is the probability of class 1 (two classes) or of each class; for more than two
    classes the probability column shows the predicted class's.
    """
    from xornet.diagnosis import predicted_class

    head = "  ".join(f"{n:>6}" for n in names)
    label, w = ("p(y=1)", 7) if p.ndim == 1 else ("p(class)", 8)
    lines = [
        f"{head} | {'target':>6}  {label:>{w}}  class"
        if y is not None
        else f"{head} | {label:>{w}}  class"
    ]
    classes = predicted_class(p)
    for i in range(min(len(p), _MAX_ROWS)):
        inputs = "  ".join(f"{v:>6.3g}" for v in X[i])
        predicted = int(classes[i])
        shown = p[i] if p.ndim == 1 else p[i, predicted]
        if y is None:
            lines.append(f"{inputs} | {shown:>{w}.4f}  {predicted:>5}")
        else:
            mark = "ok" if predicted == int(y[i]) else "WRONG"
            lines.append(f"{inputs} | {int(y[i]):>6}  {shown:>{w}.4f}  {predicted:>5}  {mark}")
    if len(p) > _MAX_ROWS:
        lines.append(f"... {len(p) - _MAX_ROWS} more rows")
    return lines


def print_train(
    result: TrainResult,
    dataset: Dataset,
    seed: int,
    save: Path | None,
    out: TextIO,
    resumed: tuple[Path, int] | None = None,
    compiler: str | None = None,
) -> None:
    """A run's report: the network, the truth table, loss, accuracy, steps, time, verdict.

    The time is the training loop's; loading the numba engine before it shows apart
    (``compiler``: what compiled it for this machine, ``"cc"`` or ``"numba"``; None: it was
    read from the cache).
    """
    c = result.config
    n_right = round(result.accuracy * dataset.n_samples)
    lines = [
        f"xornet: {dataset.name}, {network(c, dataset.n_features, result.params.n_outputs)}, "
        f"seed {seed}",
        "",
        *table(dataset.X, dataset.feature_names, result.probabilities, dataset.y),
        "",
        f"final loss  {result.final_loss:.6g}",
        f"accuracy    {result.accuracy:.1%} ({n_right}/{dataset.n_samples})",
        f"steps       {result.steps:,} ({reason(result.stop_reason, c)})",
    ]
    if resumed is not None:
        lines.append(f"resumed     from {resumed[0]} at step {resumed[1]:,}")
    seconds = f"{result.train_seconds:.3g} s ({engine(result)})"
    lines += [f"time        {seconds}{loading(result, compiler)}", ""]
    lines += labelled("outcome", result.outcome.summary)
    if result.outcome.suggestion:
        lines += labelled("", result.outcome.suggestion)
    if save is not None:
        lines.append(f"saved       {save}")
    out.write("\n".join(lines) + "\n")


#: The width of a result's lines: the label's column and the text wrapped beside it.
WIDTH: Final = 100


def labelled(label: str, text: str) -> list[str]:
    """``text`` beside ``label`` in the results' 12-character column, wrapped to
    :data:`WIDTH` under itself: ``outcome     Stalled: ...``."""
    lines = textwrap.wrap(text, WIDTH, initial_indent=f"{label:<12}",
                          subsequent_indent=" " * 12, break_on_hyphens=False)  # fmt: skip
    return lines or [label]


def network(c: TrainConfig, n_features: int, n_outputs: int) -> str:
    """The network and how it trains, in words: ``2-8-1 network, sigmoid hidden units, normal
    init, gradient descent at lr 1``."""
    optimizer = {"gd": "gradient descent", "momentum": "momentum", "adam": "Adam"}[c.optimizer]
    return (
        f"{n_features}-{c.hidden}-{n_outputs} network{'' if n_outputs == 1 else ' (softmax)'}"
        f"{' with shortcut weights' if c.shortcut else ''}, {c.activation} hidden units, "
        f"{c.init} init, {optimizer} at lr {c.learning_rate:g}"
    )


#: The numba engine's loops (:attr:`xornet.TrainResult.loops`) in words.
LOOP_WORDS = {"general": "general loop", "written": "step written out",
              "written-c": "step written out, in C"}  # fmt: skip


def engine(result: TrainResult) -> str:
    """The engine, and which of its loops ran: ``numba engine: step written out, in C``."""
    loops = " + ".join(LOOP_WORDS[loop] for loop in result.loops)
    return f"{result.engine} engine{': ' if loops else ''}{loops}"


def loading(result: TrainResult, compiler: str | None) -> str:
    """The time of loading the numba engine, apart from training ("" with NumPy's); what
    compiled it, when something did (:func:`.common.announce_compiling`)."""
    if result.engine != "numba":
        return ""
    doing = "loading it" if compiler is None else "compiling it for this machine (once)"
    if compiler == "cc" and "written-c" not in result.loops:  # said in a warning
        doing = "trying cc (which failed) and loading or compiling numba's loop"
    return f", after {result.compile_seconds:.3g} s {doing}"


def reason(stop_reason: str, config: TrainConfig) -> str:
    """Why a run stopped, in words."""
    return {
        "max_steps": "the step limit",
        "tolerance": f"stopped at loss <= {config.tol:g}" if config.tol is not None else "",
        "all_correct": "stopped once every sample was right",
        "interrupted": "interrupted",
    }[stop_reason]


def train_json(result: TrainResult, dataset: Dataset, seed: int, save: Path | None,
               resumed: tuple[Path, int] | None = None) -> dict[str, Any]:  # fmt: skip
    """``train --json``: the run's result as one JSON object."""
    record = {
        "dataset": dataset.name,
        "final_loss": result.final_loss,
        "accuracy": result.accuracy,
        "probabilities": result.probabilities.tolist(),
        "targets": dataset.y.tolist(),
        "outcome": result.outcome.kind,
        "outcome_summary": result.outcome.summary,
        "suggestion": result.outcome.suggestion,
        "steps": result.steps,
        "stop_reason": result.stop_reason,
        "train_seconds": result.train_seconds,
        "compile_seconds": result.compile_seconds,
        "engine": result.engine,
        "loops": list(result.loops),
        "seed": seed,
        "config": result.config.to_dict(),
        "loss_history": result.loss_history.tolist(),
        "history_steps": result.history_steps.tolist(),
        "saved_to": None if save is None else str(save),
        "figures": [],
    }
    if resumed is not None:
        record["resumed_from"] = {"file": str(resumed[0]), "step": resumed[1]}
    return record


def model_record(result: TrainResult, data: dict[str, Any], seed: int) -> dict[str, Any]:
    """The metadata a trained model is saved with (``data`` from :func:`common.data_record`);
    its loss records as :func:`xornet.modelfile.history_metadata` keeps them."""
    from xornet.modelfile import history_metadata

    return {
        "config": result.config.to_dict(),
        **data,
        "seed": seed,
        "steps": result.steps,
        "stop_reason": result.stop_reason,
        "final_loss": result.final_loss,
        "accuracy": result.accuracy,
        "outcome": result.outcome.kind,
        **history_metadata(result.loss_history, result.history_steps),
    }


def print_sweep(rows: Sequence[SweepRow], grid: dict[str, Any], title: str) -> None:
    """The sweep's table: a row per setting, its success rate, interval, steps to solve, epochs
    to the criterion (``tol``) with how many reached it, outcomes."""
    from xornet._html import spread_text
    from xornet.sweep import OUTCOME_COLUMNS

    print(title)
    head = [SWEEP_HEADS[a] for a in grid]
    outcome_head = ["solved", "2@0.5", "all@0.5", "other", "improving", "diverged"]
    columns = [f"{h:>8}" for h in head]
    columns += [f"{'success':>7}", f"{'95% CI':>13}", f"{'steps to solve (p10-p90)':>26}",
                f"{'epochs to tol (p10-p90)':>25}", f"{'reached':>7}"]  # fmt: skip
    columns += [f"{h:>8}" for h in outcome_head]
    print("  ".join(columns))
    for row in rows:
        values = "  ".join(f"{v!s:>8}" for v in row.settings.values())
        ci = f"{row.ci_low:.1%}-{row.ci_high:.1%}"
        steps = spread_text(row.steps_median, row.steps_p10, row.steps_p90)
        epochs = spread_text(row.epochs_median, row.epochs_p10, row.epochs_p90)
        reached = "-" if row.reached is None else row.reached
        counts = "  ".join(f"{row.outcomes[c]:>8}" for c in OUTCOME_COLUMNS)
        print(f"{values}  {row.success_rate:>7.1%}  {ci:>13}  {steps:>26}  {epochs:>25}  "
              f"{reached:>7}  {counts}")  # fmt: skip


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def colour(stream: TextIO = sys.stdout) -> bool:
    """ANSI colour only on a terminal that wants it (https://no-color.org)."""
    wanted = "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    return wanted and stream.isatty()
