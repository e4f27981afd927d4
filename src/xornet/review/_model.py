"""The words a review is written in: its checks, levels and statuses, a value shown beside the
right one, a file's printable name.

The review itself (:class:`~xornet.review._record.Finding`,
:class:`~xornet.review._record.Review`) is in :mod:`xornet.review._record`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final

__all__ = ["CHECKS", "LEVELS", "SCHEMA", "STATUSES", "Shown", "source_name"]

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

#: The version of the JSON layout of :meth:`~xornet.review._record.Review.to_dict`.
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


def source_name(path: str | PurePath) -> str:
    """A file's name as a review shows it: printable text, one line.

    A file name is bytes to the system: one that is not UTF-8 (``\\xff``) or holds a line break
    or control character is shown escaped (``\\xff``, ``\\n``), so that it can be printed,
    written to the grades' CSV and HTML, and keeps to its row.
    """
    text = os.fsencode(path).decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)
