"""``xornet plot`` and ``xornet report``: a model's figures as PNGs, and one self-contained
HTML page about a run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from xornet.cli import common
from xornet.cli.options import EXIT_OK, add_data_options, add_model_options, path_arg


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "plot",
        help="draw the figures of a saved model",
        description="Write the figures of a saved model as PNG files.",
    )
    p.add_argument("model", type=path_arg, help="model file written by train --save")
    p.add_argument("--out", type=path_arg, required=True, metavar="DIR", help="output directory")
    add_data_options(p)
    p.set_defaults(run=plot)


def add_report(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report",
        description="Train (or load a model) and write one HTML file with the "
        "configuration, truth table, outcome, the loss landscape at the end (the kind of "
        "point, the Hessian's spectrum, a slice with the training path), figures and the "
        "first step explained. It needs no network access to view.",
    )
    add_data_options(p)
    add_model_options(p)
    p.add_argument("--model", type=path_arg, metavar="FILE", help="report on a saved model")
    p.add_argument(
        "--out",
        type=path_arg,
        default=Path("report.html"),
        metavar="FILE",
        help="the HTML file to write (default report.html)",
    )
    p.set_defaults(run=report)


def plot(args: argparse.Namespace) -> int:
    from xornet.plotting import LossCurve, figure_limits, save_figures

    model, dataset = common.model_and_data(args)
    meta = model.metadata
    written = save_figures(args.out, model.params, dataset.X, dataset.y, model.activation,
                           curve=LossCurve.from_metadata(meta),
                           feature_names=meta.get("feature_names"))  # fmt: skip
    for path in written:
        print(f"figure      {path}")
    for note in figure_limits(model.params, dataset.X):
        print(f"note        {note}")
    return EXIT_OK


def report(args: argparse.Namespace) -> int:
    """Report on a saved model, or train one (with --seed, or a seed drawn and printed, as
    train does) and report on it."""
    from dataclasses import replace

    from xornet.explain import explain_next
    from xornet.landscape import run_with_path
    from xornet.plotting import LossCurve, figure_limits
    from xornet.report import build_report, write_report
    from xornet.training import Trainer

    common.check_file_target(args.out, "--out")
    common.need_matplotlib()
    if args.model is not None:
        common.refuse_config_flags(args, "report --model shows the model as it was trained")
        model, dataset = common.model_and_data(args)
        meta = model.metadata
        config = common.saved_config(model, args.model)
        params = model.params
        # The model's next step, with its own optimizer, learning rate and step count (as
        # explain --model shows it).
        trainer, offset = common.model_trainer(model, dataset, config, 0, args.engine)
        explanation = explain_next(trainer)
        page = build_report(
            model.params, dataset.X, dataset.y, activation=model.activation,
            title=f"xornet report: {args.model.name}", config=meta.get("config"),
            outcome=common.model_outcome(model, dataset, config),
            curve=LossCurve.from_metadata(meta), feature_names=meta.get("feature_names"),
            explanation=replace(explanation, step=explanation.step + offset),
        )  # fmt: skip
    else:
        dataset = common.load_data(args)
        config = common.config_from_args(args)
        seed = common.run_seed(args.seed)
        trainer = Trainer(dataset.X, dataset.y, config, rng=seed, engine=args.engine)
        start = trainer.params.copy()
        common.announce_compiling(trainer.X, config, trainer.params.n_outputs, config.steps,
                                  args.engine)  # fmt: skip
        result = trainer.run().result()
        # The path for the landscape's slice: the same run again, in stretches (cheap beside
        # the report's figures; the run reported stays the one train gives).
        again = Trainer(dataset.X, dataset.y, config, rng=seed, engine=args.engine)
        path = run_with_path(again)
        print(f"seed        {seed}")
        params = result.params
        page = build_report(
            result.params, dataset.X, dataset.y, activation=config.activation,
            title=f"xornet report: {dataset.name}, seed {seed}", config=config.to_dict(),
            outcome=result.outcome, curve=LossCurve.from_result(result),
            feature_names=dataset.feature_names, explain_params=start,
            optimizer=config.new_optimizer(), path=path,
        )  # fmt: skip
    print(f"report      {write_report(args.out, page)}")
    for note in figure_limits(params, dataset.X):  # the page says so too, in its sections
        print(f"note        {note}")
    return EXIT_OK
