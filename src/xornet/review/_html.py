"""The HTML pages a course reviewer gets for a folder of submissions: a summary table linking
each review's page (one review as HTML is :func:`xornet.review.render.review_html`).

Every text that comes from a submission (its file name, what it printed, the values it
returned) is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from xornet.review._model import CHECKS
from xornet.review.render import _COLOURS, ReviewLike, _e, _words, summary_line

__all__ = ["page", "summary_html"]

_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; }
.xr table { border-collapse: collapse; }
.xr td, .xr th { padding: 0.2em 0.7em; border-bottom: 1px solid #ddd; text-align: left; }
.xr pre { background: #f6f6f6; padding: 0.4em; margin: 0.2em 0; }
.xr .finding { border-left: 4px solid; padding: 0.2em 0.8em; margin: 0.8em 0; }
"""


def page(title: str, body: str) -> str:
    """A standalone HTML page."""
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{_STYLE}</style></head><body>{body}</body></html>\n")  # fmt: skip


def summary_html(reviews: Sequence[ReviewLike], links: Mapping[str, str], lang: str = "en") -> str:
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
