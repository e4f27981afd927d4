"""What a review is made of: findings, the result of each check, and how the submission behaved.

Plain data that travels as JSON from the process that ran the learner's code to the one that
prints the review (:meth:`Review.to_dict` and :meth:`Review.from_dict` are inverse), and that
shows itself as text and HTML through :mod:`xornet.review.render`. Its words (:data:`CHECKS`,
:data:`STATUSES`, :data:`SCHEMA`, :class:`Shown`) are those of :mod:`xornet.review._model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xornet.review._model import SCHEMA, Shown
from xornet.review.render import finding_html, render_text, review_html

__all__ = ["Finding", "Review"]


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
        Each of :data:`CHECKS`: ``"pass"``, ``"fail"`` or ``"skip"`` (not asked for, or
        not run because the file does not parse).
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
        return render_text(self, lang=lang)

    def __str__(self) -> str:
        return self.render()

    def _repr_html_(self) -> str:
        return review_html(self)
