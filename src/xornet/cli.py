"""The ``xornet`` command line: argument parsing and printing only, no maths.

Exit codes: 0 success; 1 training diverged or a gradient check failed; 2 bad arguments,
data or files (one line on stderr, no traceback); 130 training interrupted with Ctrl-C
(after reporting, and saving when ``--save`` was given).
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from xornet._names import (
    ACTIVATION_NAMES,
    ENGINE_NAMES,
    INIT_NAMES,
    LOSS_NAMES,
    OPTIMIZER_NAMES,
    PRESET_NAMES,
)

if TYPE_CHECKING:
    from xornet._typing import Array

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


_positive_int.__name__ = "positive integer"
_count.__name__ = "integer"
_finite_float.__name__ = "number"


def _add_data_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("data")
    src = g.add_mutually_exclusive_group()
    src.add_argument(
        "--dataset",
        default="xor",
        metavar="NAME",
        help="xor (default), and, or, nand, nor, xnor, parityN (e.g. parity3), "
        "noisy-xor, moons, circles, spiral, spiralK (K classes, e.g. spiral3)",
    )
    src.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="train on a CSV file with a header; labels 0/1, or 0..K-1 for K classes",
    )
    g.add_argument("--label", default="label", help="label column of --csv (default: label)")
    g.add_argument("--samples", type=_positive_int, default=200, help="points of a random set")
    g.add_argument("--noise", type=_finite_float, help="noise of a random set")
    g.add_argument(
        "--data-seed", type=int, default=0, help="seed of a random set's points (default 0)"
    )


def _add_model_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model and training (defaults come from --preset)")
    g.add_argument(
        "--preset",
        choices=PRESET_NAMES,
        default="default",
        help="default: 8 hidden units, lr 1.0, up to 10,000 steps, stop at loss 0.01; "
        "post: the study post exactly (2 hidden, lr 0.01, 200,000 steps)",
    )
    g.add_argument("--hidden", type=_positive_int, help="hidden units")
    g.add_argument(
        "--shortcut",
        action="store_true",
        default=None,
        help="also connect the inputs straight to the output (the 1986 2-1-1 network)",
    )
    g.add_argument("--activation", choices=ACTIVATION_NAMES)
    g.add_argument("--init", choices=INIT_NAMES, help="weight initialisation")
    g.add_argument(
        "--init-scale", type=_finite_float, help="uniform init: weights and biases from U(-R, R)"
    )
    g.add_argument(
        "--loss",
        choices=LOSS_NAMES,
        help="bce: mean cross-entropy (the post); sse: 1/2 sum of squared errors",
    )
    g.add_argument("--optimizer", choices=OPTIMIZER_NAMES)
    g.add_argument("--lr", "--learning-rate", dest="learning_rate", type=_finite_float)
    g.add_argument("--momentum", type=_finite_float, help="momentum coefficient")
    g.add_argument("--nesterov", action="store_true", default=None, help="Nesterov momentum")
    g.add_argument("--beta1", type=_finite_float, help="Adam beta1")
    g.add_argument("--beta2", type=_finite_float, help="Adam beta2")
    g.add_argument("--eps", type=_finite_float, help="Adam epsilon")
    g.add_argument("--steps", type=_count, help="maximum parameter updates")
    g.add_argument("--batch-size", type=_positive_int, help="samples per update (default: all)")
    g.add_argument(
        "--no-shuffle",
        dest="shuffle",
        action="store_false",
        default=None,
        help="mini-batches in a fixed order instead of reshuffling each epoch",
    )
    g.add_argument("--record-every", type=_positive_int, help="record the loss every K steps")
    tol = g.add_mutually_exclusive_group()
    tol.add_argument("--tol", type=_finite_float, help="stop once the loss is at most TOL")
    tol.add_argument(
        "--no-tol",
        dest="tol",
        action="store_const",
        const="off",
        help="never stop early on the loss",
    )
    g.add_argument(
        "--stop-when-correct",
        action="store_true",
        default=None,
        help="stop once every sample is on the right side of 0.5",
    )
    g.add_argument(
        "--margin",
        type=_finite_float,
        help="'right side' means beyond 0.5 +- MARGIN (0.1: the 40-20-40 rule)",
    )
    g.add_argument(
        "--seed",
        type=int,
        help="seed for the initial weights and shuffling "
        "(with --preset post: the post's np.random.seed)",
    )
    g.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        default="auto",
        help="numpy: the reference loop; numba: the whole loop compiled (same results to "
        "1e-10); auto: numba when installed and the run is long enough to pay for loading it",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``xornet`` command."""
    from xornet import __version__

    parser = _Parser(
        prog="xornet",
        description="A two-layer neural network that learns XOR, from the study post.",
    )
    parser.add_argument("--version", action="version", version=f"xornet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "train",
        help="train a network and show what it learned",
        description="Train a network (XOR by default) and show the truth table, "
        "the loss and a plain-words verdict.",
    )
    _add_data_options(p)
    _add_model_options(p)
    out = p.add_argument_group("output")
    out.add_argument("--save", type=Path, metavar="FILE", help="save the model (.npz)")
    out.add_argument("--json", action="store_true", help="print one JSON object instead")
    out.add_argument(
        "--plots",
        type=Path,
        metavar="DIR",
        help="write figures (loss, boundary, hidden space, network) as PNGs",
    )
    out.add_argument(
        "--starts",
        type=_positive_int,
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

    p = sub.add_parser(
        "predict",
        help="apply a saved model",
        description="Print the probability and class a saved model gives.",
    )
    p.add_argument("model", type=Path, help="model file written by train --save")
    p.add_argument(
        "values", nargs="*", type=_finite_float, help="feature values, one sample after another"
    )
    p.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="CSV with a header holding the model's feature columns",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser(
        "gradcheck",
        help="check the gradients against finite differences",
        description="Compare the backward pass with central differences.",
    )
    _add_data_options(p)
    p.add_argument("--hidden", type=_positive_int, default=3)
    p.add_argument("--shortcut", action="store_true", help="with input-to-output weights W3")
    p.add_argument("--activation", choices=ACTIVATION_NAMES, default="sigmoid")
    p.add_argument("--init", choices=INIT_NAMES, default="normal")
    p.add_argument("--loss", choices=LOSS_NAMES, default="bce")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eps", type=_finite_float, default=1e-5, help="finite-difference step")
    p.add_argument(
        "--tolerance", type=_finite_float, default=1e-6, help="largest relative error that passes"
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser(
        "plot",
        help="draw the figures of a saved model",
        description="Write the figures of a saved model as PNG files.",
    )
    p.add_argument("model", type=Path, help="model file written by train --save")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    _add_data_options(p)

    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report",
        description="Train (or load a model) and write one HTML file with the "
        "configuration, truth table, outcome, figures and the first step "
        "explained. It needs no network access to view.",
    )
    _add_data_options(p)
    _add_model_options(p)
    p.add_argument("--model", type=Path, metavar="FILE", help="report on a saved model")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("report.html"),
        metavar="FILE",
        help="the HTML file to write (default report.html)",
    )

    p = sub.add_parser(
        "sweep",
        help="train many starts for each setting of a grid and compare them",
        description="For every combination of the given values, train one network per seed "
        "and print the success rate (with a Wilson 95%% interval), the steps to solve and "
        "the outcomes. With --preset post the starts are the post's np.random.seed(s) weights.",
    )
    _add_data_options(p)
    g = p.add_argument_group("the grid (each takes one or more values)")
    g.add_argument("--preset", choices=PRESET_NAMES, default="default")
    g.add_argument("--hidden", type=_positive_int, nargs="+")
    g.add_argument("--activation", choices=ACTIVATION_NAMES, nargs="+")
    g.add_argument("--init", choices=INIT_NAMES, nargs="+")
    g.add_argument("--optimizer", choices=OPTIMIZER_NAMES, nargs="+")
    g.add_argument("--lr", "--learning-rate", dest="learning_rate", type=_finite_float, nargs="+")
    g.add_argument("--momentum", type=_finite_float, nargs="+")
    g.add_argument("--batch-size", type=_positive_int, nargs="+")
    g.add_argument("--steps", type=_count, nargs="+")
    g.add_argument("--loss", choices=LOSS_NAMES, nargs="+")
    g.add_argument("--init-scale", type=_finite_float, nargs="+")
    g.add_argument("--margin", type=_finite_float, nargs="+")
    g.add_argument("--stop-when-correct", action="store_true",
                   help="stop each network once every sample is right (see --margin)")  # fmt: skip
    g.add_argument("--shortcut", action="store_true",
                   help="networks with input-to-output weights (the 2-1-1 network)")  # fmt: skip
    g.add_argument(
        "--no-shuffle",
        dest="shuffle",
        action="store_false",
        default=True,
        help="mini-batches in a fixed order (needed with --batch-size: many "
        "networks at once do not reshuffle)",
    )
    g = p.add_argument_group("starts and output")
    g.add_argument(
        "--seeds",
        type=_positive_int,
        default=100,
        metavar="N",
        help="starts per setting (default 100)",
    )
    g.add_argument(
        "--first-seed", type=int, default=0, metavar="S", help="seeds S .. S+N-1 (default 0)"
    )
    tol = g.add_mutually_exclusive_group()
    tol.add_argument(
        "--tol", type=_finite_float, help="stop a network once its loss is at most TOL"
    )
    tol.add_argument("--no-tol", dest="tol", action="store_const", const="off")
    g.add_argument("--engine", choices=ENGINE_NAMES, default="auto")
    g.add_argument("--out-csv", type=Path, metavar="FILE", help="also write the table as CSV")
    g.add_argument(
        "--plot",
        type=Path,
        metavar="FILE",
        help="draw the success rate (PNG): a line over one swept setting, a heat map over two",
    )
    g.add_argument(
        "--study",
        type=Path,
        metavar="FILE",
        help="a TOML file naming a study: [study] dataset, preset, seeds, "
        "first_seed; [grid] settings with lists of values; [config] fixed settings",
    )
    g.add_argument("--json", action="store_true", help="print JSON instead of the table")
    g.add_argument("--quiet", action="store_true", help="no progress bar")

    p = sub.add_parser(
        "explain",
        help="show every number of one training step",
        description="One full-batch training step, every array with its name, shape, formula "
        "and values, in the post's order: forward 1-5, backward 1-7, update.",
    )
    _add_data_options(p)
    _add_model_options(p)
    p.add_argument(
        "--after",
        type=_count,
        default=0,
        metavar="N",
        help="explain the step after N training steps (default 0: the first)",
    )
    p.add_argument(
        "--model",
        type=Path,
        metavar="FILE",
        help="explain a step of a saved model instead of fresh weights",
    )
    p.add_argument(
        "--lang",
        choices=("en", "ko"),
        default="en",
        help="labels in English or Korean (formulas are the same)",
    )
    p.add_argument("--json", action="store_true", help="every array as JSON")

    p = sub.add_parser(
        "playground",
        help="watch the network learn in the browser, live",
        description="Start a local web server with the playground page (the playground extra) "
        "and open it in the browser. Ctrl-C stops it.",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; anything else is "
        "reachable from the network and prints a warning)",
    )
    p.add_argument("--port", type=_port, default=8765, help="TCP port (default 8765; 0: any free)")
    p.add_argument("--no-browser", action="store_true", help="do not open the browser")

    p = sub.add_parser(
        "cache",
        help="show or clear the compiled kernels kept on disk",
        description="The steps written out per network shape are compiled once and kept under "
        "$XDG_CACHE_HOME/xornet/kernels (by default ~/.cache). Show where, how many and how "
        "big; --clear deletes them (each is compiled again, in seconds, when next needed).",
    )
    p.add_argument("--clear", action="store_true", help="delete every compiled kernel")
    p.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _port(text: str) -> int:
    value = _count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is from 0 to 65535, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``xornet`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
        The exit code.
    """
    from xornet.errors import TrainingDiverged, XornetError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return int(exc.code or 0)
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "train": _train,
        "predict": _predict,
        "gradcheck": _gradcheck,
        "explain": _explain,
        "plot": _plot,
        "report": _report,
        "sweep": _sweep,
        "playground": _playground,
        "cache": _cache,
    }
    try:
        return commands[args.command](args)
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except TrainingDiverged as exc:
        print(f"xornet: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (XornetError, OSError) as exc:
        print(f"xornet: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


def _playground(args: argparse.Namespace) -> int:
    from xornet.playground import serve

    try:
        serve(args.host, args.port, open_browser=not args.no_browser)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    return EXIT_OK


def _cache(args: argparse.Namespace) -> int:
    from xornet.engines._unrolled import cache_dir, cache_usage, clear_cache

    kernels, size = clear_cache() if args.clear else cache_usage()
    if args.json:
        print(json.dumps({"path": str(cache_dir()), "kernels": kernels, "bytes": size,
                          "cleared": args.clear}))  # fmt: skip
    elif args.clear:
        print(f"removed {_plural(kernels, 'kernel')} ({size / 1e6:.1f} MB) from {cache_dir()}")
    else:
        print(f"{cache_dir()}: {_plural(kernels, 'kernel')}, {size / 1e6:.1f} MB")
    return EXIT_OK


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


# ----------------------------------------------------------------------------- train


def _load_data(args: argparse.Namespace) -> Any:
    from xornet.data import load_csv, make_dataset
    from xornet.errors import XornetError

    if args.csv is not None:
        return load_csv(args.csv, label=args.label)
    try:
        return make_dataset(
            args.dataset, n_samples=args.samples, noise=args.noise, rng=args.data_seed
        )
    except ValueError as exc:
        raise XornetError(str(exc)) from None


def _config(args: argparse.Namespace) -> Any:
    from xornet.config import PRESETS

    names = ("hidden", "shortcut", "activation", "init", "init_scale", "loss", "optimizer",
             "learning_rate", "momentum", "nesterov", "beta1", "beta2", "eps", "steps",
             "batch_size", "shuffle", "record_every", "tol", "stop_when_correct",
             "margin")  # fmt: skip
    changes = {name: getattr(args, name) for name in names if getattr(args, name) is not None}
    if changes.get("tol") == "off":
        changes["tol"] = None
    return PRESETS[args.preset].replace(**changes)


class _Interrupt:
    """Turns the first Ctrl-C into a flag the training callback reads; a second one aborts."""

    def __init__(self) -> None:
        self.requested = False
        self.previous: Any = None

    def __enter__(self) -> _Interrupt:
        try:
            self.previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave Ctrl-C as it is
            self.previous = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


def _train(args: argparse.Namespace) -> int:
    from xornet.modelfile import save_model
    from xornet.params import post_initial_params
    from xornet.training import train

    dataset = _load_data(args)
    config = _config(args)
    # Without --seed, draw one from fresh entropy and print it, so any run can be repeated.
    import numpy as np

    seed = args.seed if args.seed is not None else int(np.random.default_rng().integers(2**32))
    params = None
    if args.preset == "post" and config.init == "normal" and not config.shortcut:
        # The post's exact initial weights: what np.random.seed(seed); init_parameters() draws.
        params = post_initial_params(
            seed, config.hidden, dataset.n_features, n_classes=dataset.n_classes
        )

    bar = _progress_bar(config.steps, enabled=not (args.quiet or args.json))
    with _Interrupt() as interrupt:

        def callback(step: int, loss: float) -> bool:
            if bar is not None:
                bar.update(step - bar.n)
                bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)
            return interrupt.requested

        try:
            result = train(
                dataset.X,
                dataset.y,
                config,
                rng=seed,
                params=params,
                callback=callback,
                engine=args.engine,
            )
        finally:
            if bar is not None:
                bar.close()

    if args.save is not None:
        save_model(args.save, result.params, config.activation, _metadata(result, dataset, seed))
    figures = _train_figures(args, result, dataset, config, seed, params)
    if args.json:
        print(json.dumps(_train_json(result, dataset, seed, args.save), indent=2))
    else:
        _print_train(result, dataset, seed, args.save, sys.stdout)
        for path in figures:
            print(f"figure      {path}")
    return EXIT_INTERRUPTED if result.stop_reason == "interrupted" else EXIT_OK


def _train_figures(args: argparse.Namespace, result: Any, dataset: Any, config: Any, seed: int,
                   start: Any) -> list[Path]:  # fmt: skip
    """The figures train was asked for (--plots, --starts, --animation)."""
    written: list[Path] = []
    if args.starts is not None and args.plots is None:
        from xornet.errors import XornetError

        raise XornetError("--starts goes with --plots DIR")
    if args.plots is not None:
        from xornet.plotting import LossCurve, plot_starts, save_figures, save_png

        written += save_figures(args.plots, result.params, dataset.X, dataset.y,
                                config.activation, curve=LossCurve.from_result(result),
                                feature_names=dataset.feature_names)  # fmt: skip
        if args.starts is not None:
            from xornet.params import post_initial_params_many

            seeds = list(range(args.starts))
            starts = None
            if args.preset == "post" and config.init == "normal" and not config.shortcut:
                starts = post_initial_params_many(seeds, config.hidden, dataset.n_features,
                                                  n_classes=dataset.n_classes)  # fmt: skip
            fig = plot_starts(dataset.X, dataset.y, config, seeds, params=starts)
            written.append(save_png(fig, args.plots / "starts.png"))
    if args.animation is not None:
        from xornet.plotting import animate

        written.append(animate(dataset.X, dataset.y, config, args.animation, rng=seed,
                               params=start))  # fmt: skip
    return written


def _progress_bar(total: int, *, enabled: bool) -> Any:
    """A tqdm bar on a terminal that appears only for runs longer than a second (or None)."""
    if not (enabled and sys.stderr.isatty()):
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the 'cli' extra is not installed: no bar
        return None
    return tqdm(total=total, delay=1.0, unit="step", unit_scale=True, leave=False, file=sys.stderr)


def _metadata(result: Any, dataset: Any, seed: int) -> dict[str, Any]:
    return {
        "config": result.config.to_dict(),
        "dataset": dataset.name,
        "feature_names": list(dataset.feature_names),
        "seed": seed,
        "steps": result.steps,
        "stop_reason": result.stop_reason,
        "final_loss": result.final_loss,
        "accuracy": result.accuracy,
        "outcome": result.outcome.kind,
        "loss_history": result.loss_history.tolist(),
        "history_steps": result.history_steps.tolist(),
    }


def _train_json(result: Any, dataset: Any, seed: int, save: Path | None) -> dict[str, Any]:
    return {
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
        "engine": result.engine,
        "seed": seed,
        "config": result.config.to_dict(),
        "loss_history": result.loss_history.tolist(),
        "history_steps": result.history_steps.tolist(),
        "saved_to": None if save is None else str(save),
        "figures": [],
    }


_MAX_ROWS = 16


def _table(X: Array, names: Sequence[str], p: Array, y: Array | None) -> list[str]:
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


def _print_train(result: Any, dataset: Any, seed: int, save: Path | None, out: TextIO) -> None:
    c = result.config
    optimizer = {"gd": "gradient descent", "momentum": "momentum", "adam": "Adam"}[c.optimizer]
    n_right = round(result.accuracy * dataset.n_samples)
    lines = [
        f"xornet: {dataset.name}, {dataset.n_features}-{c.hidden}-{result.params.n_outputs} "
        f"network{'' if result.params.n_outputs == 1 else ' (softmax)'}"
        f"{' with shortcut weights' if c.shortcut else ''}, {c.activation} "
        f"hidden units, {c.init} init, {optimizer} at lr {c.learning_rate:g}, seed {seed}",
        "",
        *_table(dataset.X, dataset.feature_names, result.probabilities, dataset.y),
        "",
        f"final loss  {result.final_loss:.6g}",
        f"accuracy    {result.accuracy:.1%} ({n_right}/{dataset.n_samples})",
        f"steps       {result.steps:,} ({_reason(result.stop_reason, c)})",
        f"time        {result.train_seconds:.3g} s ({result.engine} engine)",
        "",
        f"outcome     {result.outcome.summary}",
    ]
    if result.outcome.suggestion:
        lines.append(f"            {result.outcome.suggestion}")
    if save is not None:
        lines.append(f"saved       {save}")
    out.write("\n".join(lines) + "\n")


def _reason(stop_reason: str, config: Any) -> str:
    return {
        "max_steps": "the step limit",
        "tolerance": f"stopped at loss <= {config.tol:g}" if config.tol is not None else "",
        "all_correct": "stopped once every sample was right",
        "interrupted": "interrupted",
    }[stop_reason]


# ----------------------------------------------------------------------------- predict


def _predict(args: argparse.Namespace) -> int:
    from xornet.data import load_features_csv
    from xornet.errors import XornetError
    from xornet.modelfile import load_model

    model = load_model(args.model)
    d = model.params.n_inputs
    names = tuple(model.metadata.get("feature_names") or [f"x{i + 1}" for i in range(d)])
    if args.csv is not None and args.values:
        raise XornetError("give feature values or --csv, not both")
    if args.csv is not None:
        X = load_features_csv(args.csv, names)
    elif not args.values:
        raise XornetError(f"no input: give {d} feature values per sample, or --csv FILE")
    elif len(args.values) % d:
        raise XornetError(
            f"the model takes {d} features per sample, but {len(args.values)} values were given"
        )
    else:
        import numpy as np

        X = np.array(args.values, dtype=np.float64).reshape(-1, d)
    from xornet.diagnosis import predicted_class

    p = model.predict_proba(X)
    if args.json:
        print(
            json.dumps(
                {
                    "inputs": X.tolist(),
                    "probabilities": p.tolist(),
                    "classes": predicted_class(p).tolist(),
                },
                indent=2,
            )
        )
    else:
        print("\n".join(_table(X, names, p, None)))
    return EXIT_OK


# ----------------------------------------------------------------------------- gradcheck


def _gradcheck(args: argparse.Namespace) -> int:
    from xornet.gradcheck import gradient_check
    from xornet.params import init_params

    dataset = _load_data(args)
    params = init_params(dataset.n_features, args.hidden, args.init, rng=args.seed,
                         n_classes=dataset.n_classes, shortcut=args.shortcut)  # fmt: skip
    check = gradient_check(
        params,
        dataset.X,
        dataset.y,
        args.activation,
        eps=args.eps,
        tolerance=args.tolerance,
        kind=args.loss,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "errors": check.errors,
                    "worst": check.worst,
                    "tolerance": check.tolerance,
                    "passed": check.passed,
                },
                indent=2,
            )
        )
    else:
        print(
            f"gradient check: {dataset.name}, "
            f"{dataset.n_features}-{args.hidden}-{params.n_outputs} {args.activation}, "
            f"{args.init} init, seed {args.seed}, eps {args.eps:g}"
        )
        for name, error in check.errors.items():
            print(f"  {name:<3} worst relative error {error:.2e}")
        verdict = "passed" if check.passed else "FAILED"
        print(f"{verdict}: worst {check.worst:.2e} (tolerance {check.tolerance:.0e})")
    return EXIT_OK if check.passed else EXIT_FAILED


# ----------------------------------------------------------------------------- plot


def _plot(args: argparse.Namespace) -> int:

    from xornet.plotting import LossCurve, save_figures

    model, dataset = _model_and_data(args)
    meta = model.metadata
    written = save_figures(args.out, model.params, dataset.X, dataset.y, model.activation,
                           curve=LossCurve.from_metadata(meta),
                           feature_names=meta.get("feature_names"))  # fmt: skip
    for path in written:
        print(f"figure      {path}")
    return EXIT_OK


def _model_and_data(args: argparse.Namespace) -> tuple[Any, Any]:
    """The model of ``args.model`` and the data to show it on (by default its own dataset)."""
    from xornet.errors import XornetError
    from xornet.modelfile import load_model

    model = load_model(args.model)
    trained_on = model.metadata.get("dataset")
    builtin = trained_on is None or _is_builtin(str(trained_on))
    if args.csv is None and args.dataset == "xor" and not builtin:
        raise XornetError(f"the model was trained on {trained_on!r}, not a built-in dataset; "
                          "give its data with --csv FILE")  # fmt: skip
    dataset = _load_data(_dataset_args(args, model.metadata))
    if dataset.n_features != model.params.n_inputs:
        raise XornetError(f"the model takes {model.params.n_inputs} features but {dataset.name} "
                          f"has {dataset.n_features}")  # fmt: skip
    return model, dataset


def _is_builtin(name: str) -> bool:
    from xornet.data import DATASETS

    return name in DATASETS or (name.startswith("parity") and name[6:].isdigit())


def _dataset_args(args: argparse.Namespace, meta: dict[str, Any]) -> argparse.Namespace:
    """Draw on the training data the model was saved with, unless a dataset is given."""
    known = meta.get("dataset")
    if args.csv is None and args.dataset == "xor" and known and _is_builtin(str(known)):
        return argparse.Namespace(**{**vars(args), "dataset": known})
    return args


# ----------------------------------------------------------------------------- report


def _report(args: argparse.Namespace) -> int:
    import numpy as np

    from xornet.diagnosis import diagnose
    from xornet.params import init_params, post_initial_params
    from xornet.plotting import LossCurve
    from xornet.report import build_report, write_report
    from xornet.training import train

    if args.model is not None:
        model, dataset = _model_and_data(args)
        meta = model.metadata
        curve = LossCurve.from_metadata(meta)
        history = np.array([] if curve is None else curve.losses, dtype=np.float64)
        p = model.predict_proba(dataset.X)
        page = build_report(
            model.params, dataset.X, dataset.y, activation=model.activation,
            title=f"xornet report: {args.model.name}", config=meta.get("config"),
            outcome=diagnose(p, dataset.y, np.append(history, meta.get("final_loss", np.nan))),
            curve=curve, feature_names=meta.get("feature_names"),
        )  # fmt: skip
    else:
        dataset = _load_data(args)
        config = _config(args)
        seed = 0 if args.seed is None else args.seed
        if args.preset == "post" and config.init == "normal" and not config.shortcut:
            start = post_initial_params(seed, config.hidden, dataset.n_features,
                                        n_classes=dataset.n_classes)  # fmt: skip
        else:
            start = init_params(dataset.n_features, config.hidden, config.init, seed,
                                config.init_scale, n_classes=dataset.n_classes,
                                shortcut=config.shortcut)  # fmt: skip
        result = train(dataset.X, dataset.y, config, rng=seed, params=start,
                       engine=args.engine)  # fmt: skip
        optimizer = config.new_optimizer()
        page = build_report(
            result.params, dataset.X, dataset.y, activation=config.activation,
            title=f"xornet report: {dataset.name}, seed {seed}", config=config.to_dict(),
            outcome=result.outcome, curve=LossCurve.from_result(result),
            feature_names=dataset.feature_names, explain_params=start, optimizer=optimizer,
        )  # fmt: skip
    print(f"report      {write_report(args.out, page)}")
    return EXIT_OK


# ----------------------------------------------------------------------------- sweep

_SWEEP_FLAGS = {"hidden": "hidden", "activation": "activation", "init": "init",
                "optimizer": "optimizer", "learning_rate": "lr", "momentum": "momentum",
                "batch_size": "batch", "steps": "steps", "loss": "loss",
                "init_scale": "scale", "margin": "margin"}  # fmt: skip


def _sweep(args: argparse.Namespace) -> int:
    import csv
    import io

    from xornet.config import PRESETS
    from xornet.errors import XornetError
    from xornet.modelfile import atomic_write
    from xornet.sweep import OUTCOME_COLUMNS, sweep

    config_overrides: dict[str, Any] = {}
    if args.study is not None:
        args, config_overrides = _read_study(args)
    dataset = _load_data(args)
    base = PRESETS[args.preset].replace(**config_overrides)
    if not args.shuffle:
        base = base.replace(shuffle=False)
    if args.stop_when_correct:
        base = base.replace(stop_when_correct=True)
    if args.shortcut:
        base = base.replace(shortcut=True)
    if args.batch_size and base.shuffle:
        raise XornetError("sweeps train mini-batches in a fixed order; add --no-shuffle")
    if args.tol is not None:
        base = base.replace(tol=None if args.tol == "off" else args.tol)
    grid = {axis: getattr(args, axis) for axis in _SWEEP_FLAGS if getattr(args, axis)}
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    post_init = args.preset == "post"
    bar = _progress_bar(1, enabled=not (args.quiet or args.json))

    def progress(done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(done - bar.n)

    try:
        rows = sweep(dataset.X, dataset.y, base, grid, seeds, post_init=post_init,
                     engine=args.engine, progress=progress)  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
    records = [row.as_dict() for row in rows]
    if args.out_csv is not None:
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(records)
        data = text.getvalue().encode("utf-8")
        atomic_write(args.out_csv, lambda f: f.write(data))
    if args.json:
        print(json.dumps({"dataset": dataset.name, "preset": args.preset, "seeds": len(seeds),
                          "first_seed": args.first_seed, "shortcut": base.shortcut,
                          "rows": records}, indent=2))  # fmt: skip
        return EXIT_OK
    starts = " (the post's initial weights)" if post_init else ""
    network = ", shortcut networks (inputs also wired to the output)" if base.shortcut else ""
    print(f"xornet sweep: {dataset.name}, preset {args.preset}{network}, "
          f"seeds {seeds[0]}..{seeds[-1]}{starts}")  # fmt: skip
    head = [_SWEEP_FLAGS[a] for a in grid]
    outcome_head = ["solved", "2@0.5", "all@0.5", "other", "improving", "diverged"]
    columns = [f"{h:>8}" for h in head]
    columns += [f"{'success':>7}", f"{'95% CI':>13}", f"{'steps to solve (p10-p90)':>26}"]
    columns += [f"{h:>8}" for h in outcome_head]
    print("  ".join(columns))
    for row in rows:
        values = "  ".join(f"{v!s:>8}" for v in row.settings.values())
        ci = f"{row.ci_low:.1%}-{row.ci_high:.1%}"
        if row.steps_median is None:
            steps = "-"
        else:
            steps = f"{row.steps_median:,.0f} ({row.steps_p10:,.0f}-{row.steps_p90:,.0f})"
        counts = "  ".join(f"{row.outcomes[c]:>8}" for c in OUTCOME_COLUMNS)
        print(f"{values}  {row.success_rate:>7.1%}  {ci:>13}  {steps:>26}  {counts}")
    if args.out_csv is not None:
        print(f"table       {args.out_csv}")
    if args.plot is not None:
        from xornet.plotting import plot_sweep, save_png

        varied = [a for a in grid if len(grid[a]) > 1] or list(grid)[:1]
        if not varied:
            raise XornetError("--plot needs at least one swept setting")
        print(f"figure      {save_png(plot_sweep(rows, varied), args.plot)}")
    return EXIT_OK


def _read_study(args: argparse.Namespace) -> tuple[argparse.Namespace, dict[str, Any]]:
    """Fill the sweep's arguments from a TOML study file; flags given explicitly still win."""
    import tomllib

    from xornet.config import TrainConfig
    from xornet.errors import XornetError
    from xornet.sweep import SWEEP_AXES

    path = args.study
    try:
        study = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise XornetError(f"{path}: no such study file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise XornetError(f"{path}: not a valid TOML file ({exc})") from None
    unknown = set(study) - {"study", "grid", "config"}
    if unknown:
        raise XornetError(f"{path}: unknown sections {', '.join(sorted(unknown))}")
    values = vars(args).copy()
    head = study.get("study", {})
    defaults = {"dataset": "xor", "preset": "default", "seeds": 100, "first_seed": 0}
    for key, value in head.items():
        if key == "name":
            continue
        if key not in defaults:
            raise XornetError(f"{path}: unknown [study] key {key!r}")
        kind = str if key in ("dataset", "preset") else int
        if (key == "preset" and value not in PRESET_NAMES) or not isinstance(value, kind):
            raise XornetError(f"{path}: [study] {key} = {value!r} is not valid")
        if values[key] == defaults[key]:  # not set on the command line
            values[key] = value
    for axis, options in study.get("grid", {}).items():
        if axis not in SWEEP_AXES:
            raise XornetError(f"{path}: cannot sweep {axis!r}; choose from {', '.join(SWEEP_AXES)}")
        if not isinstance(options, list) or not options:
            raise XornetError(f"{path}: [grid] {axis} must be a non-empty list")
        if values[axis] is None:
            values[axis] = options
    fields = set(TrainConfig.__dataclass_fields__)
    overrides = dict(study.get("config", {}))
    bad = set(overrides) - fields
    if bad:
        raise XornetError(f"{path}: unknown [config] keys {', '.join(sorted(bad))}")
    return argparse.Namespace(**values), overrides


# ----------------------------------------------------------------------------- explain


def _explain(args: argparse.Namespace) -> int:
    import numpy as np

    from xornet.errors import XornetError
    from xornet.explain import advance, explain_step, render, to_json
    from xornet.params import init_params, post_initial_params

    config = _config(args)
    if config.batch_size is not None:
        raise XornetError("explain shows full-batch steps (the post's); drop --batch-size")
    seed = 0 if args.seed is None else args.seed
    if args.model is not None:
        model, dataset = _model_and_data(args)
        params, activation = model.params.copy(), model.activation
    else:
        dataset = _load_data(args)
        activation = config.activation
        K = dataset.n_classes
        if args.preset == "post" and config.init == "normal" and not config.shortcut:
            params = post_initial_params(seed, config.hidden, dataset.n_features, n_classes=K)
        else:
            params = init_params(dataset.n_features, config.hidden, config.init, seed,
                                 config.init_scale, n_classes=K,
                                 shortcut=config.shortcut)  # fmt: skip
    optimizer = config.new_optimizer()
    with np.errstate(over="raise", invalid="raise"):
        try:
            advance(params, dataset.X, dataset.y, activation, optimizer, args.after, config.loss)
        except FloatingPointError:
            raise XornetError(f"training diverged within the first {args.after} steps; "
                              "try a smaller learning rate") from None  # fmt: skip
    explanation = explain_step(params, dataset.X, dataset.y, activation=activation,
                               optimizer=optimizer, step=args.after, kind=config.loss)  # fmt: skip
    if args.json:
        print(to_json(explanation))
    else:
        sys.stdout.write(render(explanation, lang=args.lang, colour=_colour(sys.stdout)))
    return EXIT_OK


def _colour(stream: TextIO) -> bool:
    """ANSI colour only on a terminal that wants it (https://no-color.org)."""
    import os

    wanted = "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    return wanted and stream.isatty()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
