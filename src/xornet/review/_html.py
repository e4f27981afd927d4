"""A review as HTML: in a Jupyter notebook (``_repr_html_``), and as the pages a course
reviewer gets for a folder of submissions (a summary table linking each review).

Every text that comes from a submission (its file name, what it printed, the values it
returned) is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Final

from xornet.review._model import CHECKS, Finding, Review, Shown
from xornet.review.render import _array_text, _score, _words, summary_line

__all__ = ["finding_html", "page", "review_html", "summary_html"]

_COLOURS: Final = {"fail": "#c62828", "warn": "#b26a00", "note": "#455a64", "pass": "#2e7d32",
                   "skip": "#777"}  # fmt: skip

_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; }
.xr table { border-collapse: collapse; }
.xr td, .xr th { padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; text-align: left; }
.xr pre { background: #f6f6f6; padding: 0.4em; margin: 0.2em 0; }
.xr .finding { border-left: 4px solid; padding: 0.2em 0.8em; margin: 0.8em 0; }
"""


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


def finding_html(finding: Finding, lang: str = "en") -> str:
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


def review_html(review: Review, lang: str = "en") -> str:
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


def page(title: str, body: str) -> str:
    """A standalone HTML page."""
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{_STYLE}</style></head><body>{body}</body></html>\n")  # fmt: skip


def summary_html(reviews: Sequence[Review], links: Mapping[str, str], lang: str = "en") -> str:
    """The page of a folder's reviews: one row per submission, linking to its review.

    Parameters
    ----------
    reviews : sequence of Review
    links : mapping of str to str
        Each review's source to the (relative) address of its page.
    lang : {"en", "ko"}
    """
    words = _words(lang)
    ran = [c for c in CHECKS if any(r.checks.get(c, "skip") != "skip" for r in reviews)]
    head = "".join(f"<th><code>{_e(c)}</code></th>" for c in ran)
    rows = []
    for r in reviews:
        cells = "".join(f'<td style="color: {_COLOURS[r.checks.get(c, "skip")]}">'
                        f"{_e(words[r.checks.get(c, 'skip')])}</td>" for c in ran)  # fmt: skip
        name = (
            f'<a href="{_e(links[r.source])}">{_e(r.source)}</a>'
            if r.source in links
            else _e(r.source)
        )
        rows.append(f"<tr><td>{name}</td><td>{_e(r.status)}</td>{cells}"
                    f"<td>{_e(summary_line(r, lang=lang))}</td></tr>")  # fmt: skip
    passed = sum(r.passed for r in reviews)
    body = (f'<div class="xr"><h2>xornet review: {passed} / {len(reviews)}</h2>'
            f"<table><tr><th></th><th>status</th>{head}<th></th></tr>{''.join(rows)}"
            "</table></div>")  # fmt: skip
    return page("xornet review", body)
