"""Running the checks on a learner's functions, and :func:`check` for a running notebook.

:func:`run_checks` takes the learner's namespace (the names a file or notebook defined) and
runs the checks of :data:`~xornet.review._model.CHECKS` in order; each check is a function of a
:class:`Context` that adds findings and sets its result. The per-function checks live in
:mod:`~xornet.review._check_layers`, :mod:`~xornet.review._check_network` and
:mod:`~xornet.review._check_optimize`; what they share (:class:`Context`, :func:`examine`, the
comparison) in :mod:`~xornet.review._context`.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

import numpy as np

from xornet.errors import one_line
from xornet.review import _check_layers, _check_network, _check_optimize
from xornet.review._call import ERROR_CHARS, CheckTimeout, _learner_frame
from xornet.review._context import EXPLAIN, Context, Event, examine
from xornet.review._load import Submission
from xornet.review._model import CHECKS
from xornet.review._record import Review

__all__ = [
    "EXPLAIN",
    "Context",
    "check",
    "check_load",
    "examine",
    "review_submission",
    "run_checks",
    "status_of",
]

#: The most of what a learner's code prints that a review keeps.
OUTPUT_LIMIT: Final = 4000


class _Bounded(io.StringIO):
    """A text buffer that keeps only its first :data:`OUTPUT_LIMIT` characters."""

    def write(self, text: str) -> int:
        room = OUTPUT_LIMIT + 1 - self.tell()
        if room > 0:
            super().write(text[:room])
        return len(text)


@contextlib.contextmanager
def _no_limit(check: str) -> Iterator[None]:
    yield


def run_checks(
    ctx: Context,
    *,
    full: bool = False,
    guard: Callable[[str], contextlib.AbstractContextManager[None]] = _no_limit,
) -> dict[str, str]:
    """Run every check after ``load`` on ``ctx``; return each check's result.

    Parameters
    ----------
    ctx : Context
    full : bool
        Also run the post's whole training (200,000 steps) and compare it.
    guard : callable
        ``guard(check)``: a context that raises :class:`CheckTimeout` when the check's time is
        up (the review's process uses an alarm; in a notebook there is none).
    """
    runners: dict[str, Callable[[Context], None]] = {
        "init_parameters": _check_layers.init_parameters,
        "affine": _check_layers.affine,
        "sigmoid": _check_layers.sigmoid,
        "binary_cross_entropy": _check_layers.binary_cross_entropy,
        "forward_loss": _check_network.forward_loss,
        "get_gradients": _check_network.get_gradients,
        "optimize": _check_optimize.optimize,
        "full": _check_optimize.full,
    }
    for name in CHECKS[1:]:
        if name == "full" and not full:
            ctx.results[name] = "skip"
            continue
        ctx.on_event({"event": "start", "check": name})
        try:
            with guard(name):
                runners[name](ctx)
        except CheckTimeout:
            ctx.problems.add("hangs")
            ctx.add(name, "fail", "timeout", name=name)
        except MemoryError:
            ctx.problems.add("memory")
            ctx.add(name, "fail", "memory", name=name)
        except (Exception, SystemExit) as exc:
            # The learner's function returned, and what it returned raised when read (its
            # __array__, __eq__ or __len__): a finding, not a failure of the review. An error
            # with no frame in the learner's code is xornet's own, and is raised.
            lineno, line = _learner_frame(exc.__traceback__, ctx.files)
            if lineno is None:
                raise
            where = ctx.where(lineno)
            at = {lang: f" ({where[lang]}: {line})" if line else f" ({where[lang]})"
                  for lang in ("en", "ko")}  # fmt: skip
            error = one_line(exc, limit=ERROR_CHARS, with_type=True)
            ctx.add(name, "fail", "value_raises", name=name, error=error, at=at)
        ctx.results[name] = "fail" if ctx.failed(name) else "pass"
        ctx.on_event({"event": "result", "check": name, "result": ctx.results[name]})
    return ctx.results


def check_load(ctx: Context, submission: Submission) -> bool:
    """Run the submission's definitions into ``ctx.namespace``; False when it does not parse.

    Runs the learner's code: only in the review's own process.
    """
    from xornet.review._load import execute

    loaded = execute(submission)
    ctx.namespace = loaded.namespace
    if loaded.syntax_error is not None:
        lineno, msg, text = loaded.syntax_error
        ctx.add("load", "fail", "load.syntax", where=submission.where(lineno), msg=msg, text=text)
        ctx.results["load"] = "fail"
        return False
    for lineno, error, exited in loaded.errors:
        if exited:
            ctx.problems.add("exits")
        module = error.startswith(("ModuleNotFoundError", "ImportError"))
        code = "load.exit" if exited else "load.module" if module else "load.error"
        ctx.add("load", "warn" if module else "fail", code, where=submission.where(lineno),
                error=error)  # fmt: skip
    if submission.skipped:
        ctx.add("load", "note", "load.magic", lines="; ".join(submission.skipped[:6]))
    if loaded.skipped:
        more = ", ..." if len(loaded.skipped) > 8 else ""
        lines = {lang: "; ".join(submission.where(n)[lang] for n in loaded.skipped[:8]) + more
                 for lang in ("en", "ko")}  # fmt: skip
        ctx.add("load", "note", "load.skipped", count=len(loaded.skipped), lines=lines)
    ctx.results["load"] = "fail" if ctx.failed("load") else "pass"
    return True


def status_of(problems: set[str]) -> str:
    """The review's status from what went wrong while running the learner's code."""
    for status in ("crashes", "memory", "hangs", "exits"):
        if status in problems:
            return status
    return "ok"


def review_submission(
    submission: Submission,
    *,
    full: bool = False,
    full_reference: dict[str, Any] | None = None,
    guard: Callable[[str], contextlib.AbstractContextManager[None]] = _no_limit,
    on_event: Event = lambda event: None,
) -> Review:
    """Load a submission's definitions and run every check, in this process.

    Runs the learner's code: :func:`xornet.review.review_file` calls it in a separate process
    with limits (:mod:`xornet.review._worker`).

    Parameters
    ----------
    submission : Submission
    full : bool
    full_reference : dict, optional
        The reference's whole run, when already computed.
    guard, on_event
        As :func:`run_checks` and :class:`Context`.

    Returns
    -------
    Review
    """
    start = time.perf_counter()
    ctx = Context({}, {submission.filename}, submission.where, full_reference, on_event=on_event)
    buffer = _Bounded()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        on_event({"event": "start", "check": "load"})
        try:
            with guard("load"):
                loaded = check_load(ctx, submission)
        except CheckTimeout:
            ctx.problems.add("hangs")
            ctx.add("load", "fail", "timeout", name="load")
            loaded = True
        except MemoryError:
            ctx.problems.add("memory")
            ctx.add("load", "fail", "memory", name="load")
            loaded = True
        ctx.results["load"] = "fail" if ctx.failed("load") else "pass"
        on_event({"event": "result", "check": "load", "result": ctx.results["load"]})
        if loaded:
            run_checks(ctx, full=full, guard=guard)
        else:  # nothing was defined: no other check can run, and none is said to fail
            ctx.results.update(dict.fromkeys(CHECKS[1:], "skip"))
    results: dict[str, str] = {c: ctx.results[c] for c in CHECKS if c in ctx.results}
    return Review(submission.name, status_of(ctx.problems), results, ctx.findings,
                  time.perf_counter() - start, buffer.getvalue()[:OUTPUT_LIMIT])  # fmt: skip


def check(namespace: Mapping[str, Any], *, full: bool = False) -> Review:
    """Review the post's seven functions as defined in a running notebook or module.

    ``xornet.review.check(globals())`` in a Jupyter notebook reviews the functions the
    notebook defined; the review renders as HTML there. The functions run in the calling
    process, with no time or memory limit (they are the learner's own).

    Parameters
    ----------
    namespace : mapping
        Names to find the functions in (``globals()``, or ``vars(module)``).
    full : bool
        Also run the post's whole training (200,000 steps, some seconds) and compare it.

    Returns
    -------
    Review
    """
    start = time.perf_counter()
    files = {fn.__code__.co_filename for fn in namespace.values() if inspect.isfunction(fn)}
    ctx = Context(namespace, files)
    state = np.random.get_state()  # noqa: NPY002  (the learner's global state, kept)
    buffer = _Bounded()
    try:
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            ctx.results["load"] = "pass"
            run_checks(ctx, full=full)
    finally:
        np.random.set_state(state)  # noqa: NPY002  # the checks seed the learner's global state: put it back
    return Review("<namespace>", status_of(ctx.problems), dict(ctx.results), ctx.findings,
                  time.perf_counter() - start, buffer.getvalue()[:OUTPUT_LIMIT])  # fmt: skip
