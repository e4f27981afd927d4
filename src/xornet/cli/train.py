"""``xornet train``: train a network, or continue a saved run, and show what it learned."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xornet.cli import common, output
from xornet.cli.options import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    STOP_RULES,
    UsageError,
    add_data_options,
    add_model_options,
    flag_error,
    path_arg,
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
        "--save", type=path_arg, metavar="FILE", help="save the model and its run's state (.npz)"
    )
    out.add_argument(
        "--resume",
        type=path_arg,
        metavar="FILE",
        help="continue the run saved in FILE by --save, with its configuration and data; "
        "--steps sets its new step limit (counting the steps taken), and the stop rules "
        "(--tol, --no-tol, --stop-when-correct, --margin) may change",
    )
    out.add_argument("--json", action="store_true", help="print one JSON object instead")
    out.add_argument(
        "--plots",
        type=path_arg,
        metavar="DIR",
        help="write figures (loss, boundary, hidden space, network) as PNGs",
    )
    out.add_argument(
        "--starts",
        type=positive_int,
        metavar="N",
        help="with --plots: also a grid of N starts (seeds 0..N-1) with outcomes (at most 400)",
    )
    out.add_argument(
        "--animation",
        type=path_arg,
        metavar="FILE",
        help="write an animation of training (.gif, or .mp4 with ffmpeg)",
    )
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the outputs, train (or resume), save, report, then draw.

    The result is printed before the figures are drawn (an animation trains the run again,
    frame by frame, with its own progress bar); ``--json`` prints one object at the end.
    """
    from xornet.modelfile import save_model

    _check_outputs(args)
    if args.resume is not None:
        trainer, dataset, seed, data = _resumed(args)
        resumed: tuple[Path, int] | None = (args.resume, trainer.steps)
    else:
        trainer, dataset, seed, data = _fresh(args)
        resumed = None
    _check_figures(args, dataset)
    start = trainer.params.copy()
    quiet = args.quiet or args.json
    left = trainer.config.steps - trainer.steps
    compiling = common.announce_compiling(trainer.X, trainer.config, trainer.params.n_outputs,
                                          left, trainer.engine)  # fmt: skip
    result = common.train_run(trainer, quiet=quiet)
    if args.save is not None:
        record = output.model_record(result, data, seed)
        save_model(args.save, result.params, result.config.activation, record,
                   state=trainer.state())  # fmt: skip
    if args.json:
        record = output.train_json(result, dataset, seed, args.save, resumed)
        record["figures"] = [str(p) for p in _figures(args, result, dataset, seed, start, quiet)]
        print(json.dumps(record, indent=2))
    else:
        output.print_train(result, dataset, seed, args.save, sys.stdout, resumed, compiling)
        sys.stdout.flush()  # the result shows before the figures are drawn
        for path in _figures(args, result, dataset, seed, start, quiet):
            print(f"figure      {path}", flush=True)
    return exit_code(result)


def exit_code(result: TrainResult) -> int:
    """130 for a run stopped by Ctrl-C, 1 for one that diverged (its loss ended orders of
    magnitude above its start: :func:`xornet.diagnosis.classify`), else 0."""
    if result.stop_reason == "interrupted":
        return EXIT_INTERRUPTED
    return EXIT_FAILED if result.outcome.kind == "diverged" else EXIT_OK


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse output options that cannot work before training, not after it."""
    if args.starts is not None and args.plots is None:
        raise UsageError("--starts goes with --plots DIR")
    if args.resume is not None and args.animation is not None:
        raise UsageError("--animation draws a run from its start; it cannot go with --resume")
    if args.save is not None:
        common.check_file_target(args.save, "--save")
    if args.plots is not None:
        common.check_directory_target(args.plots, "--plots")
    if args.animation is not None:
        common.check_file_target(args.animation, "--animation")
        if args.animation.suffix not in (".gif", ".mp4"):
            raise UsageError(f"--animation: {args.animation} must be a .gif or an .mp4 file")
        if args.animation.suffix == ".mp4" and shutil.which("ffmpeg") is None:
            raise UsageError(f"--animation: {args.animation}: MP4 needs ffmpeg on the PATH; "
                             "write a .gif instead")  # fmt: skip
    if args.plots is not None or args.animation is not None:
        common.need_matplotlib()
    if args.starts is not None:
        from xornet.plotting import check_starts

        try:
            check_starts(args.starts, "--starts")
        except XornetError as exc:
            raise UsageError(str(exc)) from None


def _check_figures(args: argparse.Namespace, dataset: Dataset) -> None:
    """What the figures need of the data, checked before training too."""
    if args.animation is not None and dataset.n_features != 2:
        raise UsageError(f"--animation draws 2 input features; {dataset.name} has "
                         f"{dataset.n_features}")  # fmt: skip


def _fresh(args: argparse.Namespace) -> tuple[Trainer, Dataset, int, dict[str, Any]]:
    """A new run from the flags. Without --seed, one is drawn from fresh entropy (and
    printed, so that any run can be repeated)."""
    from xornet.training import Trainer

    dataset = common.load_data(args)
    config = common.config_from_args(args)
    seed = common.run_seed(args.seed)
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
    common.run_config(config)
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


def _figures(args: argparse.Namespace, result: TrainResult, dataset: Dataset, seed: int,
             start: Params, quiet: bool) -> Iterator[Path]:  # fmt: skip
    """The figures train was asked for (--plots, --starts, --animation), each as written."""
    config = result.config
    if args.plots is not None:
        from xornet.plotting import LossCurve, plot_starts, save_figures, save_png

        yield from save_figures(args.plots, result.params, dataset.X, dataset.y,
                                config.activation, curve=LossCurve.from_result(result),
                                feature_names=dataset.feature_names)  # fmt: skip
        if args.starts is not None:
            from xornet.config import start_params_many

            seeds = list(range(args.starts))
            starts = start_params_many(config, dataset.n_features, dataset.n_classes, seeds)
            fig = plot_starts(dataset.X, dataset.y, config, seeds, params=starts)
            yield save_png(fig, args.plots / "starts.png")
    if args.animation is not None:
        from xornet.plotting import animate

        bar = common.progress_bar(1, enabled=not quiet, unit="frame")

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.total = total
                bar.update(done - bar.n)

        try:
            yield animate(dataset.X, dataset.y, config, args.animation, rng=seed, params=start,
                          engine=args.engine, progress=progress)  # fmt: skip
        finally:
            if bar is not None:
                bar.close()
