"""A mkdocs hook: the notebooks stay pages when the site has two languages.

mkdocs-jupyter makes each ``.ipynb`` a page by wrapping its file; mkdocs-static-i18n, which
runs last, rebuilds every file for each language as a plain one, so a notebook would be
copied as it is instead of rendered. This hook, run after both, marks the notebooks as pages
again (their addresses are already right).
"""

from __future__ import annotations

import re
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files


def _page() -> bool:
    return True


@event_priority(-110)  # after mkdocs-static-i18n's on_files (-100)
def on_files(files: Files, config: Any) -> Files:
    for file in files:
        if file.src_uri.startswith("notebooks/") and file.src_uri.endswith(".ipynb"):
            file.is_documentation_page = _page  # type: ignore[method-assign]
    return files


def _anchors(items: Any) -> list[str]:
    return [a for item in items for a in (item.id, *_anchors(item.children))]


def on_page_content(html: str, page: Any, **_: Any) -> str:
    """Give a notebook's non-ASCII headings the ids its table of contents links to.

    mkdocs-jupyter writes a heading's id from its ASCII letters only, so a Korean heading gets
    ``id=""`` while the table of contents (Python-Markdown's) links to ``#_1``, ``#_2``...: the
    links went nowhere. The empty ids take, in order, the contents' ids the page lacks.
    """
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    missing = iter([a for a in _anchors(page.toc) if f'id="{a}"' not in html])
    return re.sub(
        r'(<h[1-6][^>]*\bid=")("[^>]*>.*?href="#)(")',
        lambda m: ((a := next(missing, "")) and f"{m[1]}{a}{m[2]}{a}{m[3]}") or m[0],
        html,
    )
