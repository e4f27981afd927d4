"""A review as text for a terminal (English or Korean), as JSON, as one line for a table, and
as HTML (a notebook's display, a course reviewer's page of one submission).

These read a review through :class:`ReviewLike`, what a :class:`~xornet.review._record.Review`
holds, so that a review can show itself through them. The pages of a folder's reviews are in
:mod:`xornet.review._html`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final, Protocol

import numpy as np

from xornet._text import array_text
from xornet.errors import XornetError
from xornet.review._model import CHECKS, Shown
from xornet.review._words import LANGS

__all__ = ["finding_html", "render_text", "review_html", "summary_line", "to_json"]


class FindingLike(Protocol):
    """What the views read of a finding (:class:`~xornet.review._record.Finding`)."""

    @property
    def check(self) -> str: ...
    @property
    def level(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def text(self) -> Mapping[str, str]: ...
    @property
    def fix(self) -> Mapping[str, str]: ...
    @property
    def step(self) -> str | None: ...
    @property
    def shown(self) -> Sequence[Shown]: ...
    @property
    def explain(self) -> str | None: ...


class ReviewLike(Protocol):
    """What the views read of a review (:class:`~xornet.review._record.Review`)."""

    @property
    def source(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def checks(self) -> Mapping[str, str]: ...
    @property
    def findings(self) -> Sequence[FindingLike]: ...
    @property
    def output(self) -> str: ...
    @property
    def passed(self) -> bool: ...
    def count(self, level: str) -> int: ...
    def to_dict(self) -> dict[str, Any]: ...


_WORDS: Final = {
    "en": {
        "title": "xornet review: {source}",
        "pass": "pass", "fail": "FAIL", "skip": "-", "warn": "WARN", "note": "note",
        "warnings": "{n} warning(s)",
        "expected": "expected", "yours": "yours", "shape": "shape", "none": "(nothing)",
        "fix": "Fix", "explain": "Compare line by line", "step": "step",
        "result_pass": "All {m} checks pass.", "result_fail": "{k} of {m} checks pass.",
        "output": "What the code printed (cut to its start):",
        "skip_full": "not run (--full runs the post's 200,000 steps)",
        "skip_unparsed": "not run (the file does not parse)",
        "ok": "", "hangs": "Some of the code did not finish in time.",
        "memory": "Some of the code ran out of memory.",
        "exits": "The code called sys.exit.",
        "crashes": "The process running the code died.",
        "unreadable": "The submission could not be read.",
        "one_pass": "all {m} checks pass", "one_fail": "{k}/{m} pass; {check}: {text}",
    },
    "ko": {
        "title": "xornet 리뷰: {source}",
        "pass": "통과", "fail": "실패", "skip": "-", "warn": "경고", "note": "참고",
        "warnings": "경고 {n}개",
        "expected": "기대값", "yours": "제출 코드", "shape": "모양", "none": "(없음)",
        "fix": "고치는 법", "explain": "한 줄씩 비교", "step": "단계",
        "result_pass": "검사 {m}개를 모두 통과했다.",
        "result_fail": "검사 {m}개 중 {k}개를 통과했다.",
        "output": "코드가 출력한 내용 (앞부분):",
        "skip_full": "실행하지 않음 (--full은 글의 200,000단계를 실행한다)",
        "skip_unparsed": "실행하지 않음 (파일에 문법 오류가 있다)",
        "ok": "", "hangs": "코드의 일부가 제한 시간 안에 끝나지 않았다.",
        "memory": "코드의 일부가 메모리 한도를 넘었다.",
        "exits": "코드가 sys.exit를 불렀다.",
        "crashes": "코드를 실행하던 프로세스가 죽었다.",
        "unreadable": "제출물을 읽을 수 없었다.",
        "one_pass": "검사 {m}개 모두 통과", "one_fail": "{k}/{m} 통과; {check}: {text}",
    },
}  # fmt: skip


def _words(lang: str) -> dict[str, str]:
    if lang not in LANGS:
        raise XornetError(f"lang must be 'en' or 'ko', got {lang!r}")
    return _WORDS[lang]


def _array_text(value: Any) -> str:
    if value is None:
        return ""
    try:
        array = np.asarray(value, dtype=np.float64)  # "nan" and "inf" are numbers again
    except (TypeError, ValueError):
        return str(value)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    return array_text(array, max_line_width=88)


def _shown_lines(s: Shown, words: dict[str, str]) -> list[str]:
    lines = []
    for label, value, shape in ((words["expected"], s.expected, s.expected_shape),
                                (words["yours"], s.actual, s.actual_shape)):  # fmt: skip
        where = f", {words['shape']} {tuple(shape)}" if shape is not None and len(shape) else ""
        text = _array_text(value) if value is not None else words["none"]
        head = f"  {s.name} {label}{where}:"
        if "\n" in text or len(head) + len(text) > 90:
            lines += [head] + ["      " + line for line in text.splitlines()]
        else:
            lines.append(f"{head} {text}")
    return lines


def _finding_lines(f: FindingLike, words: dict[str, str], lang: str) -> list[str]:
    head = f"[{words[f.level]}] {f.check}"
    if f.step:
        head += f"  · {words['step']} {f.step}"  # the post's step has its own ')'
    lines = [head, "  " + f.text[lang]]
    if f.fix.get(lang):
        lines.append(f"  {words['fix']}: {f.fix[lang]}")
    for s in f.shown:
        lines += _shown_lines(s, words)
    if f.explain:
        lines.append(f"  {words['explain']}: {f.explain}")
    return lines


def _score(review: ReviewLike) -> tuple[int, int]:
    ran = [r for r in review.checks.values() if r != "skip"]
    return sum(r == "pass" for r in ran), len(ran)


def render_text(review: ReviewLike, *, lang: str = "en") -> str:
    """The review for a terminal: each check's result, then each finding with its numbers.

    Parameters
    ----------
    review : Review
    lang : {"en", "ko"}

    Returns
    -------
    str
    """
    words = _words(lang)
    lines = [words["title"].format(source=review.source)]
    if review.status != "ok":
        lines.append(words[review.status])
    width = max(len(c) for c in CHECKS)
    unparsed = any(f.code == "load.syntax" for f in review.findings)
    for check in CHECKS:
        if check not in review.checks:
            continue
        result = review.checks[check]
        extra = ""
        n = sum(f.check == check and f.level == "warn" for f in review.findings)
        if n:
            extra = "  (" + words["warnings"].format(n=n) + ")"
        if result == "skip" and unparsed:
            extra = "  " + words["skip_unparsed"]
        elif result == "skip" and check == "full":
            extra = "  " + words["skip_full"]
        lines.append(f"  {check:<{width}}  {words[result]}{extra}")
    for finding in review.findings:
        lines += ["", *_finding_lines(finding, words, lang)]
    if review.output.strip():
        lines += ["", words["output"]] + ["  " + line for line in review.output.splitlines()[:20]]
    k, m = _score(review)
    if review.status != "unreadable":
        lines += ["", words["result_pass" if review.passed else "result_fail"].format(k=k, m=m)]
    return "\n".join(lines) + "\n"


def summary_line(review: ReviewLike, *, lang: str = "en") -> str:
    """The review in one line: how many checks pass and the first failure."""
    words = _words(lang)
    k, m = _score(review)
    if review.passed:
        n = review.count("warn")
        return words["one_pass"].format(m=m) + (f" ({words['warnings'].format(n=n)})" if n else "")
    first = next((f for f in review.findings if f.level == "fail"), None)
    if first is None:
        return words[review.status] or words["result_fail"].format(k=k, m=m)
    text = " ".join(first.text[lang].split())
    text = text if len(text) <= 160 else text[:157] + "..."
    return words["one_fail"].format(k=k, m=m, check=first.check, text=text)


def to_json(review: ReviewLike, *, lang: str = "en") -> str:
    """The review as JSON (:meth:`Review.to_dict`, plus the summary line in ``lang``)."""
    record = review.to_dict()
    record["summary"] = summary_line(review, lang=lang)
    return json.dumps(record, indent=2, ensure_ascii=False)


#: The colour of each result and level in HTML.
_COLOURS: Final = {"fail": "#c62828", "warn": "#b26a00", "note": "#455a64", "pass": "#2e7d32",
                   "skip": "#777"}  # fmt: skip


def _e(text: object) -> str:
    return html.escape(str(text))


def _shown_html(s: Shown, lang: str) -> str:
    words = _words(lang)
    cells = []
    for label, value, shape in ((words["expected"], s.expected, s.expected_shape),
                                (words["yours"], s.actual, s.actual_shape)):  # fmt: skip
        text = _array_text(value) if value is not None else words["none"]
        shape_text = f" {tuple(shape)}" if shape else ""
        cells.append(f"<td><b>{_e(s.name)}</b> {_e(label)}{_e(shape_text)}"
                     f"<pre>{_e(text)}</pre></td>")  # fmt: skip
    return "<tr>" + "".join(cells) + "</tr>"


def finding_html(finding: FindingLike, lang: str = "en") -> str:
    """One finding: its level, check and step, text, fix, values and explain command."""
    words = _words(lang)
    f = finding
    colour = _COLOURS[f.level]
    parts = [f'<div class="finding" style="border-color: {colour}">',
             f'<b style="color: {colour}">{_e(words[f.level])}</b>',
             f" <code>{_e(f.check)}</code>"]  # fmt: skip
    if f.step:
        parts.append(f" &middot; <code>{_e(f.step)}</code>")
    parts.append(f"<p>{_e(f.text[lang])}</p>")
    if f.fix.get(lang):
        parts.append(f"<p><i>{_e(words['fix'])}:</i> <code>{_e(f.fix[lang])}</code></p>")
    if f.shown:
        parts.append("<table>" + "".join(_shown_html(s, lang) for s in f.shown) + "</table>")
    if f.explain:
        parts.append(f"<p>{_e(words['explain'])}: <code>{_e(f.explain)}</code></p>")
    parts.append("</div>")
    return "".join(parts)


def review_html(review: ReviewLike, lang: str = "en") -> str:
    """A review as an HTML fragment: the checks' table, then every finding."""
    words = _words(lang)
    rows = "".join(
        f'<tr><td><code>{_e(c)}</code></td><td style="color: {_COLOURS[r]}">'
        f"{_e(words[r])}</td></tr>"
        for c, r in ((c, review.checks[c]) for c in CHECKS if c in review.checks)
    )
    k, m = _score(review)
    result = words["result_pass" if review.passed else "result_fail"].format(k=k, m=m)
    status = f"<p><b>{_e(words[review.status])}</b></p>" if review.status != "ok" else ""
    findings = "".join(finding_html(f, lang) for f in review.findings)
    output = ""
    if review.output.strip():
        output = f"<p>{_e(words['output'])}</p><pre>{_e(review.output)}</pre>"
    title = _e(words["title"].format(source=review.source))
    return (f'<div class="xr"><h3>{title}</h3>{status}<table>{rows}</table>'
            f"<p>{_e(result)}</p>{findings}{output}</div>")  # fmt: skip
