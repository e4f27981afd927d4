"""What a review is made of: findings, the result of each check, and how the submission behaved.

Plain data that travels as JSON from the process that ran the learner's code to the one that
prints the review (:meth:`Review.to_dict` and :meth:`Review.from_dict` are inverse).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Final

__all__ = ["CHECKS", "LEVELS", "SCHEMA", "STATUSES", "Finding", "Review", "Shown", "source_name"]

#: The checks, in the order they run; each is "pass" or "fail" in a review (``full`` only with
#: ``full=True``, otherwise "skip"). A review passes when every check that ran passes.
CHECKS: Final = (
    "load",
    "init_parameters",
    "affine",
    "sigmoid",
    "binary_cross_entropy",
    "forward_loss",
    "get_gradients",
    "optimize",
    "full",
)

#: How serious a finding is: a failed check, a warning that fails nothing, or a note.
LEVELS: Final = ("fail", "warn", "note")

#: How the submission behaved. ``ok``: it was reviewed normally. ``hangs``: some check ran out
#: of time; ``memory``: some check ran out of memory; ``exits``: it called ``sys.exit`` (or
#: ``os._exit``); ``crashes``: the process running it died; ``unreadable``: it could not be
#: read at all (no review, exit code 2).
STATUSES: Final = ("ok", "hangs", "memory", "exits", "crashes", "unreadable")

#: The version of the JSON layout of :meth:`Review.to_dict`.
SCHEMA: Final = "xornet.review/1"


@dataclass(frozen=True)
class Shown:
    """An array (or number) the learner's code returned, next to the right one.

    Attributes
    ----------
    name : str
        The post's name, e.g. ``dLdW1``.
    expected, actual : nested lists, float or None
        The values, as JSON would carry them (None: not produced).
    expected_shape, actual_shape : list of int or None
    """

    name: str
    expected: Any
    actual: Any
    expected_shape: list[int] | None = None
    actual_shape: list[int] | None = None


@dataclass(frozen=True)
class Finding:
    """One thing the review found.

    Attributes
    ----------
    check : str
        One of :data:`CHECKS`.
    level : {"fail", "warn", "note"}
    code : str
        A stable identifier for machines, e.g. ``get_gradients.mistake``.
    text : dict of str to str
        What was found, in English (``"en"``) and Korean (``"ko"``).
    fix : dict of str to str
        What to do about it, in both languages (empty when there is nothing to do).
    step : str or None
        The post's step, e.g. ``backward 1) dLdZ2``.
    shown : tuple of Shown
        Expected and actual values.
    explain : str or None
        The ``xornet explain`` command that shows the right numbers of this step.
    data : dict
        Machine-readable details (the mistake's key, the largest error, ...).
    """

    check: str
    level: str
    code: str
    text: dict[str, str]
    fix: dict[str, str] = field(default_factory=dict)
    step: str | None = None
    shown: tuple[Shown, ...] = ()
    explain: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data."""
        return {
            "check": self.check,
            "level": self.level,
            "code": self.code,
            "text": dict(self.text),
            "fix": dict(self.fix),
            "step": self.step,
            "shown": [vars(s) for s in self.shown],
            "explain": self.explain,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Finding:
        """The inverse of :meth:`to_dict`."""
        shown = tuple(Shown(**s) for s in d.get("shown", ()))
        return cls(d["check"], d["level"], d["code"], dict(d["text"]), dict(d.get("fix", {})),
                   d.get("step"), shown, d.get("explain"), dict(d.get("data", {})))  # fmt: skip

    def _repr_html_(self) -> str:
        from xornet.review.render import finding_html

        return finding_html(self)


@dataclass
class Review:
    """The review of one submission.

    Attributes
    ----------
    source : str
        The file reviewed (or ``<namespace>`` for :func:`xornet.review.check`).
    status : str
        One of :data:`STATUSES`.
    checks : dict of str to str
        Each of :data:`CHECKS`: ``"pass"``, ``"fail"`` or ``"skip"`` (not asked for).
    findings : list of Finding
        In the order of the checks.
    seconds : float
        Wall time of the review.
    output : str
        What the learner's code printed (truncated).
    """

    source: str
    status: str = "ok"
    checks: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    output: str = ""

    @property
    def passed(self) -> bool:
        """Whether every check that ran passed."""
        ran = [r for r in self.checks.values() if r != "skip"]
        return self.status != "unreadable" and bool(ran) and all(r == "pass" for r in ran)

    @property
    def exit_code(self) -> int:
        """0 when every check passed, 1 when some failed, 2 when nothing could be reviewed."""
        if self.status == "unreadable":
            return 2
        return 0 if self.passed else 1

    def count(self, level: str) -> int:
        """How many findings of ``level`` the review has."""
        return sum(f.level == level for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        """The review as JSON-ready data (its layout is named by :data:`SCHEMA`)."""
        return {
            "schema": SCHEMA,
            "source": self.source,
            "status": self.status,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "checks": dict(self.checks),
            "findings": [f.to_dict() for f in self.findings],
            "seconds": self.seconds,
            "output": self.output,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Review:
        """The inverse of :meth:`to_dict`."""
        return cls(d["source"], d["status"], dict(d["checks"]),
                   [Finding.from_dict(f) for f in d["findings"]], float(d["seconds"]),
                   d.get("output", ""))  # fmt: skip

    def render(self, lang: str = "en") -> str:
        """The review as text (see :func:`xornet.review.render.render_text`)."""
        from xornet.review.render import render_text

        return render_text(self, lang=lang)

    def __str__(self) -> str:
        return self.render()

    def _repr_html_(self) -> str:
        from xornet.review.render import review_html

        return review_html(self)


def source_name(path: str | PurePath) -> str:
    """A file's name as a review shows it: printable text, one line.

    A file name is bytes to the system: one that is not UTF-8 (``\\xff``) or holds a line break
    or control character is shown escaped (``\\xff``, ``\\n``), so that it can be printed,
    written to the grades' CSV and HTML, and keeps to its row.
    """
    text = os.fsencode(path).decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)
