"""What a known mistake is: :class:`Mistake`, one wrong version of a step of the post's code.

The mistakes themselves are in :mod:`xornet.review.catalogue` (the backward pass's) and
:mod:`xornet.review._layer_mistakes` (the other functions').
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xornet._typing import Array
from xornet.review._cases import Case

__all__ = ["Mistake", "Rule"]

#: A step of the backward pass: it reads the arrays before it by the post's names and returns
#: its own (an array, or a number for a mistaken np.sum).
Rule = Callable[[Mapping[str, Array]], Any]


@dataclass(frozen=True)
class Mistake:
    """One known mistake.

    Attributes
    ----------
    key : str
        Stable identifier, e.g. ``no_mean``.
    function : str
        The post's function it is made in.
    step : str
        The post's step where it is made, e.g. ``backward 1) dLdZ2 = (1/m) * (YHat - Y)``.
    produce : callable
        ``produce(case)``: what the mistake returns on a case, by the post's names (only the
        outputs it determines).
    what, fix : dict of str to str
        The mistake and its correction, in English and Korean.
    at : str
        The post's name of the array the mistake is made in (``dLdZ2``), or the function's.
    swaps : mapping of str to rule
        For the backward pass: the steps it replaces.
    """

    key: str
    function: str
    step: str
    produce: Callable[[Case], dict[str, Any]]
    what: dict[str, str]
    fix: dict[str, str]
    at: str = ""
    swaps: Mapping[str, Rule] = field(default_factory=dict)
