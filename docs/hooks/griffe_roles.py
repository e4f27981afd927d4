"""A griffe extension for the documentation site: Sphinx roles in docstrings become code.

xornet's numpydoc docstrings name other objects the Sphinx way (:func:`xornet.train`,
:class:`~xornet.Trainer`). Markdown has no roles, so each becomes a code span of the name
(the last part only, after ``~``), as Sphinx would show it.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj|const|term):`(~?)([^`]+)`")


def _code(match: re.Match[str]) -> str:
    name = match.group(2)
    return f"`{name.rsplit('.', 1)[-1] if match.group(1) else name}`"


class SphinxRoles(griffe.Extension):
    """Rewrites each docstring's roles before it is parsed."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = _ROLE.sub(_code, obj.docstring.value)
