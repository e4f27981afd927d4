"""Calling a learner's function: copies of the inputs in, every outcome caught and described.

A learner's function may raise, call ``sys.exit``, print, warn about overflow, or change the
arrays it was given. :func:`call` turns each of these into data (an :class:`Outcome`) so that
a check can say what happened and where in the learner's code, and xornet never shows a
traceback of its own. Two things are let through on purpose: :class:`CheckTimeout` (a check's
time is up) and ``MemoryError`` (the memory limit was reached); the checks runner records them.
"""

from __future__ import annotations

import copy
import inspect
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Final

import numpy as np

from xornet.errors import one_line

__all__ = ["ERROR_CHARS", "CheckTimeout", "Interrupted", "Outcome", "call", "signature_of"]

#: The longest error of the learner's code a review quotes, its type name first (one line).
ERROR_CHARS: Final = 300


class CheckTimeout(BaseException):
    """Raised inside a check whose time limit has passed.

    A ``BaseException``, so that a learner's ``except Exception`` does not swallow it.
    """


class Interrupted(Exception):  # noqa: N818  (it says what happened, as KeyboardInterrupt does)
    """A ``KeyboardInterrupt`` raised by the learner's code in the review's own process.

    No Ctrl-C reaches that process (it runs in its own session and its parent kills it), so
    an interrupt there is the code's own ``raise KeyboardInterrupt``: the review's guard turns
    it into this error, which the checks report as the learner's, with its traceback.
    """


@dataclass
class Outcome:
    """What happened when a learner's function was called.

    Attributes
    ----------
    value : object
        What it returned (None when it did not return).
    error : str or None
        ``"ValueError: shapes (2,2) and (3,5) not aligned"`` when it raised.
    lineno : int or None
        The line of the learner's code where it raised (innermost frame in the learner's files).
    line : str or None
        That line's text.
    exited : str or None
        The argument of ``sys.exit`` when it called it.
    warnings : list of str
        Runtime warnings it raised (overflow in ``exp``, divide by zero in ``log``, ...).
    seconds : float
    """

    value: Any = None
    error: str | None = None
    lineno: int | None = None
    line: str | None = None
    exited: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the function returned."""
        return self.error is None and self.exited is None


def call(
    fn: Callable[..., Any], *args: Any, files: Iterable[str] = (), copy_args: bool = True
) -> Outcome:
    """Call ``fn(*args)`` on deep copies of ``args`` and describe what happened.

    Parameters
    ----------
    fn : callable
        The learner's function.
    *args
        Its arguments (copied, so the learner's code cannot change the review's arrays).
    files : iterable of str
        The file names of the learner's code, to find the line where an error was raised.
    copy_args : bool
        Copy the arguments first (False only to run the learner's module code in its
        namespace).

    Returns
    -------
    Outcome
    """
    if copy_args:
        args = copy.deepcopy(args)
    outcome = Outcome()
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn"):
        warnings.simplefilter("always")
        start = time.perf_counter()
        try:
            outcome.value = fn(*args)
        except (CheckTimeout, MemoryError, KeyboardInterrupt):
            raise
        except SystemExit as exc:
            outcome.exited = repr(exc.code)
            outcome.lineno, outcome.line = _learner_frame(exc.__traceback__, set(files))
        except Exception as exc:  # any error of the learner's code becomes a finding
            outcome.error = one_line(exc, limit=ERROR_CHARS, with_type=True)
            outcome.lineno, outcome.line = _learner_frame(exc.__traceback__, set(files))
        outcome.seconds = time.perf_counter() - start
    outcome.warnings = list(dict.fromkeys(str(w.message) for w in caught))
    return outcome


def _learner_frame(tb: TracebackType | None, files: set[str]) -> tuple[int | None, str | None]:
    """The innermost frame of the traceback that is in the learner's code: (line, text)."""
    found: tuple[int | None, str | None] = (None, None)
    for frame in traceback.extract_tb(tb):
        if frame.filename in files:
            found = (frame.lineno, (frame.line or "").strip() or None)
    return found


def signature_of(fn: Callable[..., Any]) -> inspect.Signature | None:
    """The function's signature, or None when Python cannot tell it (a builtin, a C function)."""
    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None
