"""``xornet landscape``: what kind of point a run ends at, measured (:mod:`xornet.landscape`).

A run is trained with a :class:`~xornet.Trainer` from a preset and the training flags (or read
from ``--model FILE``), its end is classified by :func:`xornet.landscape.classify_end_state`
(the exact Hessian there, the loss along the escape direction, and the run continued 10 and
100 times longer for its trend), and the numbers are printed; ``--plots DIR`` draws the
spectrum and the slices (:func:`xornet.landscape_plots.save_landscape_figures`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xornet.cli import common, output
from xornet.cli.options import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    add_data_options,
    add_model_options,
    path_arg,
)
from xornet.errors import TrainingDiverged

if TYPE_CHECKING:
    from xornet.config import TrainConfig
    from xornet.data import Dataset
    from xornet.diagnosis import Outcome
    from xornet.landscape import Classification, LandscapeRecorder
    from xornet.params import Params
    from xornet.training import TrainState

#: How much longer the run is continued for its trend, by default (as classify_end_state).
LONGER = (10, 100)


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "landscape",
        help="classify where a run ends: minimum, saddle, plateau or heading to infinity",
        description="Train a run (or read --model FILE) and classify its end state with what "
        "was measured there: the gradient norm, the Hessian's extreme eigenvalues, the loss "
        "along the escape direction (the lowest curvature's), and the run's trend when it is "
        "continued 10 and 100 times longer (without its stop rules).",
    )
    add_data_options(p)
    add_model_options(p)
    g = p.add_argument_group("the landscape")
    g.add_argument(
        "--model",
        type=path_arg,
        metavar="FILE",
        help="classify the end of a saved run (train --save), with its saved configuration",
    )
    trend = g.add_mutually_exclusive_group()
    trend.add_argument(
        "--longer",
        type=_factor,
        nargs="+",
        metavar="F",
        help="continue the run to F times its steps for the trend (default: 10 100)",
    )
    trend.add_argument(
        "--no-trend", action="store_true", help="classify the end alone, without running on"
    )
    g.add_argument(
        "--plots",
        type=path_arg,
        metavar="DIR",
        help="write the spectrum and the loss slices (escape direction, the two lowest "
        "eigenvectors, two random directions) as PNGs",
    )
    g.add_argument(
        "--path",
        action="store_true",
        help="with --plots: also record the run (with the NumPy engine, a Hessian at each loss "
        "record) and draw its path on a slice and its curvature over the steps",
    )
    g.add_argument("--json", action="store_true", help="print one JSON object instead")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def _factor(text: str) -> int:
    """A whole number of 2 or more; the error says so for '2.5' too, not 'invalid factor'."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be an integer of 2 or more, got {text}")
    return value


def run(args: argparse.Namespace) -> int:
    """Check the options, train or load the run, classify its end, print, draw."""
    from xornet.landscape import classify_end_state

    longer = _longer(args)
    if args.plots is not None:
        common.check_directory_target(args.plots, "--plots")
        common.need_matplotlib()
    if args.path and (args.plots is None or args.model is not None):
        raise UsageError("--path records a run trained here, for --plots; give --plots DIR "
                         "and no --model")  # fmt: skip
    recorder = None
    if args.model is not None:
        end = _saved(args)
    else:
        end, recorder = _trained(args)
        if end.stopped == "interrupted":
            print("xornet: interrupted", file=sys.stderr)
            return EXIT_INTERRUPTED
    if end.outcome.kind == "diverged":
        raise TrainingDiverged(f"training diverged at step {end.steps:,}: {end.outcome.summary} "
                               "Nothing to classify.", end.steps)  # fmt: skip
    X, y, config = end.dataset.X, end.dataset.y, end.config
    if end.steps > 0 and longer:
        common.announce_compiling(X, config, end.params.n_outputs, (longer[-1] - 1) * end.steps,
                                  args.engine)  # fmt: skip
    point = classify_end_state(X, y, config, end.params, steps=end.steps, state=end.state,
                               longer=longer, engine=args.engine)  # fmt: skip
    figures: list[Path] = []
    if args.plots is not None:
        from xornet.landscape_plots import save_landscape_figures

        figures = save_landscape_figures(args.plots, end.params, X, y, point,
                                         activation=config.activation, kind=config.loss,
                                         recorder=recorder, rng=end.seed or 0)  # fmt: skip
    if args.json:
        print(json.dumps(_record(end, point, figures), indent=2))
    else:
        sys.stdout.write(_text(end, point, figures))
    return EXIT_OK


def _longer(args: argparse.Namespace) -> tuple[int, ...]:
    """The factors of the trend: ``--longer``'s (increasing), none with ``--no-trend``."""
    if args.no_trend:
        return ()
    if args.longer is None:
        return LONGER
    factors = tuple(args.longer)
    if list(factors) != sorted(set(factors)):
        raise UsageError(f"--longer: the factors must increase, got {' '.join(map(str, factors))}")
    return factors


class _End:
    """The end of a run to classify: where it stands and what it was."""

    def __init__(
        self,
        dataset: Dataset,
        config: TrainConfig,
        params: Params,
        steps: int,
        state: TrainState | None,
        outcome: Outcome,
        *,
        seed: int | None,
        stopped: str | None,
        model: Path | None = None,
    ) -> None:
        self.dataset, self.config, self.params, self.steps = dataset, config, params, steps
        self.state, self.outcome, self.seed, self.stopped = state, outcome, seed, stopped
        self.model = model


def _trained(args: argparse.Namespace) -> tuple[_End, LandscapeRecorder | None]:
    """A run from the flags, trained here (recorded with ``--path``)."""
    from xornet.landscape import LandscapeRecorder, check_longer
    from xornet.training import Trainer

    dataset = common.load_data(args)
    config = common.config_from_args(args)
    # The trend's size at the most steps the run can take, before any is taken.
    check_longer(_longer(args), config.steps, config.record_every)
    seed = common.run_seed(args.seed)
    engine = "numpy" if args.path else args.engine
    trainer = Trainer(dataset.X, dataset.y, config, rng=seed, engine=engine)
    recorder = LandscapeRecorder(trainer) if args.path else None
    common.announce_compiling(trainer.X, config, trainer.params.n_outputs, config.steps, engine)
    result = common.train_run(trainer, quiet=args.quiet or args.json, callback=recorder)
    end = _End(dataset, config, result.params, result.steps, trainer.state(), result.outcome,
               seed=seed, stopped=result.stop_reason)  # fmt: skip
    return end, recorder


def _saved(args: argparse.Namespace) -> _End:
    """The run saved in ``--model``: its configuration, data, step and (when kept) state."""
    from xornet.errors import ModelFileError

    common.refuse_config_flags(args, "landscape --model takes the model's saved configuration")
    model, dataset = common.model_and_data(args)
    config = common.saved_config(model, args.model)
    if model.state is not None:
        steps = model.state.step
    else:
        steps = model.metadata.get("steps", 0)
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ModelFileError(f"{args.model}: the saved step count {steps!r} is not valid")
    seed = model.metadata.get("seed")
    seed = seed if isinstance(seed, int) and not isinstance(seed, bool) else None
    stopped = model.metadata.get("stop_reason")
    known = ("max_steps", "tolerance", "all_correct", "interrupted")
    return _End(dataset, config, model.params, steps, model.state,
                common.model_outcome(model, dataset, config), seed=seed,
                stopped=stopped if stopped in known else None, model=args.model)  # fmt: skip


def _text(end: _End, point: Classification, figures: list[Path]) -> str:
    """The classification and its numbers, one line each, then the measured summary."""
    from xornet.diagnosis import UNMEASURED

    c, t = end.config, point.thresholds
    where = f"{end.model}, " if end.model is not None else ""
    seed = "" if end.seed is None else f", seed {end.seed}"
    lines = [
        f"xornet landscape: {where}{end.dataset.name}, "
        f"{output.network(c, end.dataset.n_features, end.params.n_outputs)}{seed}",
        "",
        f"run         {end.steps:,} steps"
        + ("" if end.stopped is None else f" ({output.reason(end.stopped, c)})"),
        *output.labelled("outcome", end.outcome.summary.replace(UNMEASURED, "")),
        "",
        f"end state   {point.kind}",
        f"loss        {point.loss:.6g}",
        f"gradient    norm {point.gradient_norm:.3g}",
        f"weights     norm {point.weight_norm:.4g}",
        f"curvature   lowest eigenvalue {point.eigenvalues[0]:.3g}, highest "
        f"{point.eigenvalues[-1]:.3g}: {point.n_negative} negative, {point.n_flat} flat "
        f"(|eigenvalue| <= {t.curvature:.0e}), {point.n_positive} positive",
    ]
    if point.n_symmetries:
        lines.append(f"            {point.n_symmetries} flat by ReLU's rescaling symmetry")
    if point.escape is not None:
        e = point.escape
        fall = (
            f"the loss falls by {e.fall:.3g} within {e.at:.3g}" if e.falls
            else "the loss does not fall"
        )  # fmt: skip
        lines.append(
            f"escape      along the lowest eigenvector (curvature {e.curvature:.3g}) {fall}"
        )
    else:
        lines.append("escape      none (no negative curvature)")
    if point.trend is None:
        lines.append("run longer  not measured" + (" (no steps taken)" if end.steps == 0 else ""))
    else:
        tr = point.trend
        lines.append(
            f"run longer  steps {' -> '.join(f'{s:,}' for s in tr.steps)}: loss "
            f"{' -> '.join(f'{v:.6g}' for v in tr.losses)}"
        )
        lines.append(
            "            weight norm "
            f"{' -> '.join(f'{v:.4g}' for v in tr.weight_norms)} (growth per tenfold of steps "
            f"{', '.join(f'{g:+.3g}' for g in tr.growths)})"
        )
        limit = tr.limit()
        if limit is not None:
            lines.append(f"            the loss is heading for about {limit:.4g}")
    lines += ["", *output.labelled("measured", point.summary)]
    lines += [f"figure      {path}" for path in figures]
    return "\n".join(lines) + "\n"


def _record(end: _End, point: Classification, figures: list[Path]) -> dict[str, Any]:
    """``landscape --json``: the run and its end state's classification as one object."""
    from xornet.diagnosis import UNMEASURED

    return {
        "dataset": end.dataset.name,
        "model": None if end.model is None else str(end.model),
        "seed": end.seed,
        "config": end.config.to_dict(),
        "steps": end.steps,
        "stop_reason": end.stopped,
        "outcome": end.outcome.kind,
        "outcome_summary": end.outcome.summary.replace(UNMEASURED, ""),
        "landscape": point.as_dict(),
        "figures": [str(path) for path in figures],
    }
