"""Running the checks on a learner's functions, and :func:`check` for a running notebook.

:func:`run_checks` takes the learner's namespace (the names a file or notebook defined) and
runs the checks of :data:`~xornet.review._model.CHECKS` in order; each check is a function of a
:class:`Context` that adds findings and sets its result. The per-function checks live in
:mod:`~xornet.review._check_layers`, :mod:`~xornet.review._check_network` and
:mod:`~xornet.review._check_optimize`; :func:`examine` is the comparison they share.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

from xornet.review._call import (
    CheckTimeout,
    Outcome,
    _learner_frame,
    _one_line,
    call,
    signature_of,
)
from xornet.review._cases import POST_SEED, Case, relation, same, shown
from xornet.review._load import Submission
from xornet.review._model import CHECKS, Finding, Review, Shown
from xornet.review._words import fix_for, say
from xornet.review.catalogue import Mistake, matching

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

#: The command that shows the right numbers of the review's main case, line by line.
EXPLAIN: Final = f"xornet explain --preset post --seed {POST_SEED} --layout post"
#: The most of what a learner's code prints that a review keeps.
OUTPUT_LIMIT: Final = 4000

Event = Callable[[dict[str, Any]], None]


@dataclass
class Context:
    """What the checks share: the learner's names, the findings so far, each check's result.

    Attributes
    ----------
    namespace : mapping
        The learner's names.
    files : set of str
        File names of the learner's code (for the line an error was raised on).
    where : callable
        ``where(line)``: that line as the learner finds it, in English and Korean.
    full_reference : dict or None
        The reference's result of the post's whole run, when the full run is checked.
    """

    namespace: Mapping[str, Any]
    files: set[str] = field(default_factory=set)
    where: Callable[[int], dict[str, str]] = lambda n: {"en": f"line {n}", "ko": f"{n}번째 줄"}
    full_reference: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    results: dict[str, str] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)
    on_event: Event = lambda event: None
    problems: set[str] = field(default_factory=set)

    def function(self, name: str, check: str | None = None) -> Callable[..., Any] | None:
        """The learner's function ``name``, or None (with a finding for ``check``, by default
        the function's own) when there is none."""
        fn = self.namespace.get(name)
        if callable(fn):
            return fn  # type: ignore[no-any-return]
        names = [k for k, v in self.namespace.items() if callable(v) and not k.startswith("_")]
        import difflib

        close = difflib.get_close_matches(name, names, n=1, cutoff=0.7)
        self.add(check or name, "fail", "missing", name=name,
                 close=f" ({close[0]}?)" if close else "")  # fmt: skip
        return None

    def call(self, fn: Callable[..., Any], *args: Any, copy_args: bool = True) -> Outcome:
        """Call a learner's function (see :func:`xornet.review._call.call`)."""
        outcome = call(fn, *args, files=self.files, copy_args=copy_args)
        if outcome.exited is not None:
            self.problems.add("exits")
        return outcome

    def add(self, check: str, level: str, code: str, *, step: str | None = None,
            shown: Sequence[Shown] = (), explain: str | None = None,
            data: dict[str, Any] | None = None, **args: Any) -> None:  # fmt: skip
        """Add a finding whose words are those of ``code`` with ``args``."""
        finding = Finding(check, level, code, say(code, **args), fix_for(code, **args), step,
                          tuple(shown), explain, dict(data or {}))  # fmt: skip
        self.findings.append(finding)
        self.on_event({"event": "finding", "finding": finding.to_dict()})

    def failed(self, check: str) -> bool:
        """Whether ``check`` has a failing finding."""
        return any(f.check == check and f.level == "fail" for f in self.findings)

    def outcome_problem(self, check: str, name: str, outcome: Outcome, case: Case) -> None:
        """A finding for a call that did not return."""
        at = {"en": "", "ko": ""}
        if outcome.lineno:
            where = self.where(outcome.lineno)
            line = f": {outcome.line}" if outcome.line else ""
            at = {lang: f" ({where[lang]}{line})" for lang in ("en", "ko")}
        if outcome.exited is not None:
            self.add(check, "fail", "exits", name=name, code_=outcome.exited, at=at,
                     case=case.label)  # fmt: skip
        else:
            self.add(check, "fail", "raises", name=name, error=outcome.error, at=at,
                     case=case.label)  # fmt: skip


def signature(ctx: Context, check: str, fn: Callable[..., Any], params: str, n: int,
              defaults: Mapping[int, Any] = {}) -> bool:  # fmt: skip
    """Whether ``fn`` takes the post's ``n`` positional arguments (a finding when not), and a
    warning for each default that differs from the post's (by position)."""
    sig = signature_of(fn)
    if sig is None:
        return True
    try:
        sig.bind(*range(n))
    except TypeError:
        ctx.add(check, "fail", "signature", name=check, theirs=f"{check}{sig}", post=params)
        return False
    positional = [p for p in sig.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]  # fmt: skip
    for index, post_default in defaults.items():
        if index < len(positional):
            default = positional[index].default
            if default is inspect.Parameter.empty or default != post_default:
                theirs = "none" if default is inspect.Parameter.empty else repr(default)
                ctx.add(check, "warn", "default", name=positional[index].name,
                        theirs=theirs, post=repr(post_default))  # fmt: skip
    return True


def examine(
    ctx: Context,
    check: str,
    fn: Callable[..., Any],
    cases: Sequence[Case],
    normalise: Callable[[Any], dict[str, Any] | None],
    keys: Sequence[str],
    mistakes: Sequence[Mistake],
    explain_first: Callable[[list[dict[str, Any] | None]], bool] | None = None,
) -> list[dict[str, Any] | None] | None:
    """Call ``fn`` on each case and compare its normalised outputs with the right ones.

    Adds one failing finding for the first problem: a call that did not return, an output of
    the wrong kind, what ``explain_first(outputs)`` finds (it returns True when it added a
    finding), a known mistake, or the first wrong output. Returns the normalised outputs (None
    for a case whose call failed), or None when every call failed.
    """
    outputs: list[dict[str, Any] | None] = []
    for case in cases:
        outcome = ctx.call(fn, *case.args)
        if not outcome.ok:
            if not ctx.failed(check):
                ctx.outcome_problem(check, check, outcome, case)
            outputs.append(None)
            continue
        output = normalise(outcome.value)
        if output is None and not ctx.failed(check):
            ctx.add(check, "fail", "returns", name=check, got=_describe(outcome.value))
        outputs.append(output)
    if all(o is None for o in outputs):
        return None
    wrong = [(c, o, k) for c, o in zip(cases, outputs, strict=True) if o is not None
             for k in keys if not same(o.get(k), c.ref[k])]  # fmt: skip
    if not wrong or (explain_first is not None and explain_first(outputs)):
        return outputs
    found = matching(mistakes, cases, outputs)
    case, output, key = wrong[0]
    show = [
        shown(k, case.ref[k], output.get(k)) for k in keys if not same(output.get(k), case.ref[k])
    ]
    if found:
        m = found[0]
        ctx.add(check, "fail", "mistake", step=m.step, shown=show, explain=EXPLAIN,
                data={"mistake": m.key}, what=m.what, fix_=m.fix, case=case.label)  # fmt: skip
        return outputs
    right_on_post = outputs[0] is not None and all(same(outputs[0].get(k), cases[0].ref[k])
                                                   for k in keys)  # fmt: skip
    ctx.add(check, "fail", "only_post" if right_on_post else "wrong", shown=show, explain=EXPLAIN,
            name=key, how=relation(output.get(key), case.ref[key]), case=case.label)  # fmt: skip
    return outputs


def _describe(value: Any) -> str:
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)} values"
    shape = getattr(value, "shape", None)
    kind = type(value).__name__
    return f"a {kind} of shape {shape}" if shape is not None else f"a {kind}"


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
    from xornet.review import _check_layers, _check_network, _check_optimize

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
            ctx.add(name, "fail", "value_raises", name=name, error=_one_line(exc), at=at)
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
        else:  # nothing was defined: no check can pass
            ctx.results.update(dict.fromkeys(CHECKS[1:], "fail"))
            ctx.results["full"] = "fail" if full else "skip"
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
