"""The ``xornet`` command line: argument parsing and printing only, no maths.

One module per group of commands (``train``, ``predict``, ``explain`` with ``gradcheck``,
``figures`` for ``plot`` and ``report``, ``sweep``, ``review``, ``landscape``, ``tools`` for
``playground`` and ``cache``), each registering its parser and the function that runs it; the
option groups they share and the flag of each configuration field in
:mod:`xornet.cli.options`; what they print in :mod:`xornet.cli.output`. Building the parser
imports no NumPy, so ``xornet --help`` is quick.

Exit codes (every exit of :func:`main`):

* 0: success; also ``--help``, ``--version``, and output cut short by its reader (``| head``);
* 1: training diverged (its loss or weights stopped being finite: one line; or its loss ended
  orders of magnitude above its start: the result is printed first), a gradient check
  failed, or a reviewed submission failed a check; also any error xornet did not foresee,
  with Python's traceback (a bug: report it);
* 2: bad arguments, data or files, or a task too large for memory: one line on stderr naming
  the problem, no traceback;
* 130: interrupted with Ctrl-C: ``train`` reports the run as it stands (and saves it with
  ``--save``), every other command stops with one line.

Commands that train a run (train, explain, report, landscape) take ``--seed``; without it
they draw one and print it (:func:`xornet.cli.common.run_seed`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from xornet.cli import explain, figures, landscape, predict, review, sweep, tools, train
from xornet.cli.options import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    UsageError,
)
from xornet.errors import WARNING_LINE, one_line

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


def build_parser() -> Parser:
    """The argument parser of the ``xornet`` command."""
    from xornet import __version__

    parser = Parser(
        prog="xornet",
        description="A two-layer neural network that learns XOR, from the study post.",
    )
    parser.add_argument("--version", action="version", version=f"xornet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    parser.commands = sub.choices
    train.add_parser(sub)
    predict.add_parser(sub)
    explain.add_parsers(sub)  # gradcheck
    figures.add_parsers(sub)  # plot
    figures.add_report(sub)
    sweep.add_parser(sub)
    explain.add_explain(sub)
    tools.add_parsers(sub)  # playground, cache
    review.add_parser(sub)
    landscape.add_parser(sub)
    return parser


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
    from xornet.engines import check_environment
    from xornet.errors import TrainingDiverged, XornetError

    parser = build_parser()
    try:
        args, extras = parser.parse_known_args(argv)
        if args.command is None:
            parser.error(f"choose a command: {', '.join(parser.commands)}")
        command = parser.commands[args.command]
        if extras:
            command.unknown(extras, parser.commands)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return int(exc.code or 0)
    from xornet.cli.common import NOTES

    NOTES.clear()
    try:
        check_environment()
        with _warnings_said():
            code = int(args.run(args))
        for text in NOTES:  # after the output, and only when the command did its work
            print(f"xornet: note: {text}", file=sys.stderr)
        return code
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as Unix tools do
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:  # Ctrl-C outside train's own handling (which reports the run)
        print("xornet: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        print(f"{command.prog}: error: out of memory: the data, the network or the number of "
              "runs is too large for this machine", file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    except TrainingDiverged as exc:
        print(f"xornet: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except UsageError as exc:
        print(f"{command.prog}: error: {exc} (see {command.prog} --help)", file=sys.stderr)
        return EXIT_USAGE
    except (XornetError, OSError) as exc:
        print(f"xornet: error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USAGE


@contextmanager
def _warnings_said() -> Iterator[None]:
    """While a command runs, what the ``xornet`` logger warns of (a ``cc`` that fails:
    :func:`xornet.engines._native.attempt`) is printed as ``xornet: warning: ...``, one line
    like the command's errors and notes; as it was before, after."""
    logger = logging.getLogger("xornet")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(WARNING_LINE))
    handler.setLevel(logging.WARNING)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # not also through a handler of the root logger's
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
