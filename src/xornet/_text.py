"""How xornet prints an array: the one rule that ``explain``, the HTML views and the review
share, so a number reads the same wherever a learner meets it."""

from __future__ import annotations

from typing import Final

import numpy as np

from xornet._typing import Array

__all__ = ["array_text"]

_PRECISION: Final = 4


def array_text(value: Array, max_line_width: int = 75) -> str:
    """An array as NumPy prints it at 4 decimals, but a number shown as zero has no sign.

    NumPy prints ``-0.0``, and a small negative number that rounds to zero, as ``-0.``: a
    sign without a value. The array itself is not changed.
    """
    options = {"precision": _PRECISION, "suppress_small": True, "max_line_width": max_line_width}
    shown = np.where(value == 0, 0.0, value)  # -0.0 as 0.0
    text = np.array2string(shown, **options)  # type: ignore[arg-type]
    if "e" not in text:  # fixed notation: what rounds to zero prints as zero
        shown = np.where(np.abs(shown) < 0.5 * 10.0**-_PRECISION, 0.0, shown)
        text = np.array2string(shown, **options)  # type: ignore[arg-type]
    return text
