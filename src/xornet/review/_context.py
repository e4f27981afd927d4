"""What the checks share: the :class:`Context` of a review, the signature check, and
:func:`examine`, the comparison of a learner's outputs with the right ones.

The per-function checks (:mod:`~xornet.review._check_layers`,
:mod:`~xornet.review._check_network`, :mod:`~xornet.review._check_optimize`) are functions of a
:class:`Context` that add findings; :mod:`xornet.review.checks` runs them in order.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from xornet.review._call import Outcome, call, signature_of
from xornet.review._cases import POST_SEED, Case, relation, same, shown
from xornet.review._model import Shown
from xornet.review._record import Finding
from xornet.review._words import fix_for, say
from xornet.review.catalogue import Mistake, matching

__all__ = ["EXPLAIN", "Context", "Event", "examine", "signature"]


#: The command that shows the right numbers of the review's main case, line by line.
EXPLAIN: Final = f"xornet explain --preset post --seed {POST_SEED} --layout post"

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
