"""``xornet train``: train a network, or continue a saved run, and show what it learned."""

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
    STOP_RULES,
    UsageError,
    add_data_options,
    add_model_options,
    flag_error,
    positive_int,
)
from xornet.errors import XornetError

if TYPE_CHECKING:
    from xornet.data import Dataset
    from xornet.params import Params
    from xornet.training import Trainer, TrainResult


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "train",
        help="train a network and show what it learned",
        description="Train a network (XOR by default) and show the truth table, "
        "the loss and a plain-words verdict. --save keeps the model with where its run stands; "
        "--resume continues that run.",
    )
    add_data_options(p)
    add_model_options(p)
    out = p.add_argument_group("output and resuming")
    out.add_argument(
        "--save", type=Path, metavar="FILE", help="save the model and its run's state (.npz)"
    )
    out.add_argument(
        "--resume",
        type=Path,
        metavar="FILE",
        help="continue the run saved in FILE by --save, with its configuration and data; "
        "--steps sets its new step limit (counting the steps taken), and the stop rules "
        "(--tol, --no-tol, --stop-when-correct, --margin) may change",
    )
    out.add_argument("--json", action="store_true", help="print one JSON object instead")
    out.add_argument(
        "--plots",
        type=Path,
        metavar="DIR",
        help="write figures (loss, boundary, hidden space, network) as PNGs",
    )
    out.add_argument(
        "--starts",
        type=positive_int,
        metavar="N",
        help="with --plots: also a grid of N starts (seeds 0..N-1) with outcomes",
    )
    out.add_argument(
        "--animation",
        type=Path,
        metavar="FILE",
        help="write an animation of training (.gif, or .mp4 with ffmpeg)",
    )
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Train (or resume), save, draw, then report."""
    from xornet.modelfile import save_model

    _check_outputs(args)
    if args.resume is not None:
        trainer, dataset, seed, data = _resumed(args)
        resumed: tuple[Path, int] | None = (args.resume, trainer.steps)
    else:
        trainer, dataset, seed, data = _fresh(args)
        resumed = None
    start = trainer.params.copy()
    result = _train(trainer, quiet=args.quiet or args.json)
    if args.save is not None:
        record = output.model_record(result, data, seed)
        save_model(args.save, result.params, result.config.activation, record,
                   state=trainer.state())  # fmt: skip
    figures = _figures(args, result, dataset, seed, start)
    if args.json:
        print(json.dumps(output.train_json(result, dataset, seed, args.save, resumed), indent=2))
    else:
        output.print_train(result, dataset, seed, args.save, sys.stdout, resumed)
        for path in figures:
            print(f"figure      {path}")
    return EXIT_INTERRUPTED if result.stop_reason == "interrupted" else EXIT_OK


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse output options that cannot work before training, not after it."""
    if args.starts is not None and args.plots is None:
        raise UsageError("--starts goes with --plots DIR")
    if args.resume is not None and args.animation is not None:
        raise UsageError("--animation draws a run from its start; it cannot go with --resume")
    if args.save is not None and not args.save.parent.is_dir():
        raise XornetError(f"{args.save}: directory {args.save.parent} does not exist")


def _fresh(args: argparse.Namespace) -> tuple[Trainer, Dataset, int, dict[str, Any]]:
    """A new run from the flags. Without --seed, one is drawn from fresh entropy (and
    printed, so that any run can be repeated)."""
    import numpy as np

    from xornet.training import Trainer

    dataset = common.load_data(args)
    config = common.config_from_args(args)
    if args.seed is None:
        seed = int(np.random.default_rng().integers(2**32))
    else:
        seed = common.check_seed(args.seed, "--seed")
    trainer = Trainer(dataset.X, dataset.y, config, rng=seed, engine=args.engine)
    return trainer, dataset, seed, common.data_record(args, dataset)


def _resumed(args: argparse.Namespace) -> tuple[Trainer, Dataset, int, dict[str, Any]]:
    """The run saved in ``args.resume``, continued with its configuration and data; only the
    step limit and the stop rules may change."""
    from xornet.errors import ModelFileError
    from xornet.modelfile import load_model
    from xornet.training import Trainer

    path = args.resume
    common.refuse_config_flags(args, "--resume continues the run with its saved configuration",
                               allowed=("steps", *STOP_RULES))  # fmt: skip
    model = load_model(path)
    if model.state is None or "config" not in model.metadata:
        raise ModelFileError(f"{path}: holds no training run to resume (xornet train --save "
                             "writes one)")  # fmt: skip
    saved = common.saved_config(model, path)
    seed = model.metadata.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ModelFileError(f"{path}: the saved seed {seed!r} is not valid")
    try:
        config = saved.replace(**common.config_changes(args))
    except XornetError as exc:
        raise flag_error(exc) from None
    dataset = common.load_data(args, model.metadata)
    data = common.data_record(args, dataset, model.metadata)
    fingerprint = model.metadata.get("data_sha256")
    if fingerprint is not None and fingerprint != data["data_sha256"]:
        raise XornetError(f"{dataset.name} is not the data the run in {path} was trained on; "
                          "give the same --dataset or --csv")  # fmt: skip
    state = model.state
    if config.steps <= state.step:
        raise UsageError(f"the run in {path} is at step {state.step:,} and its step limit is "
                         f"{config.steps:,}; give a larger --steps to continue it")  # fmt: skip
    trainer = Trainer.resume(dataset.X, dataset.y, config, model.params, state, engine=args.engine)
    return trainer, dataset, seed, data


def _train(trainer: Trainer, *, quiet: bool) -> TrainResult:
    """Run the trainer to its end with a progress bar; the first Ctrl-C stops it cleanly."""
    bar = common.progress_bar(trainer.config.steps, enabled=not quiet, initial=trainer.steps)
    with common.Interrupt() as interrupt:

        def callback(step: int, loss: float) -> bool:
            if bar is not None:
                bar.update(step - bar.n)
                bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)
            return interrupt.requested

        try:
            trainer.run(callback=callback)
        finally:
            if bar is not None:
                bar.close()
    return trainer.result()


def _figures(args: argparse.Namespace, result: TrainResult, dataset: Dataset, seed: int,
             start: Params) -> list[Path]:  # fmt: skip
    """The figures train was asked for (--plots, --starts, --animation)."""
    config = result.config
    written: list[Path] = []
    if args.plots is not None:
        from xornet.plotting import LossCurve, plot_starts, save_figures, save_png

        written += save_figures(args.plots, result.params, dataset.X, dataset.y,
                                config.activation, curve=LossCurve.from_result(result),
                                feature_names=dataset.feature_names)  # fmt: skip
        if args.starts is not None:
            from xornet.config import start_params_many

            seeds = list(range(args.starts))
            starts = start_params_many(config, dataset.n_features, dataset.n_classes, seeds)
            fig = plot_starts(dataset.X, dataset.y, config, seeds, params=starts)
            written.append(save_png(fig, args.plots / "starts.png"))
    if args.animation is not None:
        from xornet.plotting import animate

        written.append(animate(dataset.X, dataset.y, config, args.animation, rng=seed,
                               params=start))  # fmt: skip
    return written
