"""A mkdocs hook: the notebooks stay pages when the site has two languages.

mkdocs-jupyter makes each ``.ipynb`` a page by wrapping its file; mkdocs-static-i18n, which
runs last, rebuilds every file for each language as a plain one, so a notebook would be
copied as it is instead of rendered. This hook, run after both, marks the notebooks as pages
again (their addresses are already right).
"""

from __future__ import annotations

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
