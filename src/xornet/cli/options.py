"""The parser's pieces: its error handling, value types, the option groups that commands
share, and the one table from :class:`~xornet.TrainConfig` fields to their flags.

Everything here imports argparse and :mod:`xornet._names` only, so that ``xornet --help``
loads no NumPy.
"""

from __future__ import annotations

import argparse
import difflib
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final, NoReturn

from xornet._names import (
    ACTIVATION_NAMES,
    ENGINE_NAMES,
    INIT_NAMES,
    LOSS_NAMES,
    OPTIMIZER_NAMES,
    PRESET_NAMES,
)
from xornet.errors import XornetError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

#: Each TrainConfig field and the flag that sets it, for every command: errors name the flag.
FLAGS: Final = {
    "hidden": "--hidden",
    "shortcut": "--shortcut",
    "activation": "--activation",
    "init": "--init",
    "init_scale": "--init-scale",
    "loss": "--loss",
    "optimizer": "--optimizer",
    "learning_rate": "--lr",
    "momentum": "--momentum",
    "nesterov": "--nesterov",
    "beta1": "--beta1",
    "beta2": "--beta2",
    "eps": "--eps",
    "steps": "--steps",
    "batch_size": "--batch-size",
    "shuffle": "--no-shuffle",
    "record_every": "--record-every",
    "tol": "--tol",
    "stop_when_correct": "--stop-when-correct",
    "margin": "--margin",
    "start": "--start",
}

#: ``--seed`` of every command that trains a run (train, explain, report, landscape): one rule,
#: :func:`xornet.cli.common.run_seed`.
SEED_HELP: Final = ("seed of the start weights and the shuffling (with --start post: the post's "
                    "np.random.seed); without it, one is drawn and printed, so that any run can "
                    "be repeated")  # fmt: skip

#: The fields of the stop rules: they decide when a run ends, not what a step computes.
STOP_RULES: Final = ("tol", "stop_when_correct", "margin")

STARTS: Final = ("random", "post")  # as xornet.config.STARTS, which needs NumPy


class UsageError(XornetError):
    """A bad combination of flags, found after parsing: reported as the parser reports its
    errors (one line naming the flag, the ``--help`` hint, exit 2)."""


def path_arg(text: str) -> Path:
    """A path argument. An empty one is an error: ``Path("")`` is the current directory, which
    would turn a forgotten file name into writing (or reading) the working directory."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; give a file or directory name")
    return Path(text)


def flag_error(exc: XornetError) -> UsageError:
    """A configuration error in the words of the command line: ``learning_rate: ...``
    becomes ``--lr: ...``, and a field quoted with its value (``init 'he'``) its flag."""
    text = str(exc)
    field, sep, rest = text.partition(": ")
    if sep and field in FLAGS:
        text = f"{FLAGS[field]}: {rest}"
    pattern = r"(?<![\w-])(" + "|".join(map(re.escape, FLAGS)) + r")(?= ')"
    return UsageError(re.sub(pattern, lambda m: FLAGS[m.group(1)], text))


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr, with the ``--help`` hint and
    the closest known flag for a mistyped one, and exit code 2."""

    #: The command's parsers by name (on the top-level parser).
    commands: dict[str, Parser]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # argparse takes "-1e3" for a flag (its pattern of a negative number has no exponent),
        # so "xornet predict M 0 -1e3" was refused; every number is a value here.
        self._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def unknown(self, extras: Iterable[str], commands: Mapping[str, Parser]) -> NoReturn:
        """Refuse unknown arguments, saying which other ``commands`` take a flag that this
        command lacks (``train --lang``: explain and review), else suggesting the nearest flag
        of this command (a closeness that would offer ``--label`` for ``--lang``)."""
        extras = list(extras)
        known = [s for s in self._option_string_actions if s.startswith("--")]
        hints, owners = [], []
        for flag in (arg.split("=")[0] for arg in extras if arg.startswith("-")):
            names = [name for name, p in commands.items() if flag in p._option_string_actions]
            if names:
                owners.append(f"{flag} is an option of {', '.join(f'xornet {n}' for n in names)}")
            else:
                hints += difflib.get_close_matches(flag, known, n=1)
        hint = f"; did you mean {' or '.join(dict.fromkeys(hints))}?" if hints else ""
        self.error(f"unrecognized arguments: {' '.join(extras)}{hint}"
                   + "".join(f"; {owner}" for owner in dict.fromkeys(owners)))  # fmt: skip


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def port(text: str) -> int:
    value = count(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is from 0 to 65535, got {value}")
    return value


# argparse names a type in its errors ("invalid positive integer value: 'x'").
positive_int.__name__ = "positive integer"
count.__name__ = "integer"
finite_float.__name__ = "number"


def add_data_options(p: argparse.ArgumentParser) -> None:
    """--dataset or --csv, and the settings of a random set (None when not given, so that a
    saved model's own data can fill them)."""
    g = p.add_argument_group("data")
    src = g.add_mutually_exclusive_group()
    src.add_argument(
        "--dataset",
        metavar="NAME",
        help="xor (default), and, or, nand, nor, xnor, parityN (e.g. parity3), "
        "noisy-xor, moons, circles, spiral, spiralK (K classes, e.g. spiral3)",
    )
    src.add_argument(
        "--csv",
        type=path_arg,
        metavar="FILE",
        help="train on a CSV file with a header; labels 0/1, or 0..K-1 for K classes",
    )
    g.add_argument("--label", default="label", help="label column of --csv (default: label)")
    g.add_argument("--samples", type=positive_int, help="points of a random set (default 200)")
    g.add_argument("--noise", type=finite_float, help="noise of a random set")
    g.add_argument("--data-seed", type=int, help="seed of a random set's points (default 0)")


def add_model_options(p: argparse.ArgumentParser, *, stop_rules: bool = True) -> None:
    """The TrainConfig flags (None when not given: the preset decides), --seed and --engine.

    ``stop_rules=False`` leaves out what only a whole run uses (--steps, the stop rules,
    --record-every, --no-shuffle), for commands that take one step.
    """
    g = p.add_argument_group("model and training (defaults come from --preset)")
    g.add_argument(
        "--preset",
        choices=PRESET_NAMES,
        help="default (when not given): 8 hidden units, lr 1.0, up to 10,000 steps, stop at loss "
        "0.01; post: the study post exactly (2 hidden, lr 0.01, 200,000 steps, its starts)",
    )
    g.add_argument("--hidden", type=positive_int, help="hidden units")
    g.add_argument(
        "--shortcut",
        action="store_true",
        default=None,
        help="also connect the inputs straight to the output (the 1986 2-1-1 network)",
    )
    g.add_argument("--activation", choices=ACTIVATION_NAMES)
    g.add_argument("--init", choices=INIT_NAMES, help="weight initialisation")
    g.add_argument(
        "--init-scale", type=finite_float, help="uniform init: weights and biases from U(-R, R)"
    )
    g.add_argument(
        "--start",
        choices=STARTS,
        help="random: weights drawn with --init from --seed (the default preset's); post: what "
        "the post's code draws after np.random.seed(SEED) (the post preset's)",
    )
    g.add_argument(
        "--loss",
        choices=LOSS_NAMES,
        help="bce: mean cross-entropy (the post); sse: 1/2 sum of squared errors",
    )
    g.add_argument("--optimizer", choices=OPTIMIZER_NAMES)
    g.add_argument("--lr", "--learning-rate", dest="learning_rate", type=finite_float)
    g.add_argument("--momentum", type=finite_float, help="momentum coefficient")
    g.add_argument("--nesterov", action="store_true", default=None, help="Nesterov momentum")
    g.add_argument("--beta1", type=finite_float, help="Adam beta1")
    g.add_argument("--beta2", type=finite_float, help="Adam beta2")
    g.add_argument("--eps", type=finite_float, help="Adam epsilon")
    if stop_rules:
        g.add_argument("--steps", type=count, help="maximum parameter updates")
    g.add_argument("--batch-size", type=positive_int, help="samples per update (default: all)")
    if stop_rules:
        g.add_argument(
            "--no-shuffle",
            dest="shuffle",
            action="store_false",
            default=None,
            help="mini-batches in a fixed order instead of reshuffling each epoch",
        )
        g.add_argument("--record-every", type=positive_int, help="record the loss every K steps")
        add_tol(g)
        g.add_argument(
            "--stop-when-correct",
            action="store_true",
            default=None,
            help="stop once every sample is on the right side of 0.5",
        )
        g.add_argument(
            "--margin",
            type=finite_float,
            help="'right side' means beyond 0.5 +- MARGIN (0.1: the 40-20-40 rule)",
        )
    g.add_argument("--seed", type=int, help=SEED_HELP)
    add_engine(g)


def add_tol(g: argparse._ArgumentGroup, text: str = "stop once the loss is at most TOL") -> None:
    """--tol TOL or --no-tol (stored as "off")."""
    tol = g.add_mutually_exclusive_group()
    tol.add_argument("--tol", type=finite_float, help=text)
    tol.add_argument(
        "--no-tol",
        dest="tol",
        action="store_const",
        const="off",
        help="never stop early on the loss",
    )


def add_engine(g: argparse._ArgumentGroup) -> None:
    """--engine, auto by default."""
    g.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        default="auto",
        help="numpy: the reference loop; numba: the whole loop compiled (same results to "
        "1e-10); auto: numba when installed and the run is long enough to pay for loading it",
    )
