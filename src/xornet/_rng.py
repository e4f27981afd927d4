"""Turning an ``rng`` argument into a Generator (Scientific Python SPEC 7)."""

from __future__ import annotations

from typing import TypeAlias

import numpy as np

RngLike: TypeAlias = int | np.random.Generator | None


def as_generator(rng: RngLike) -> np.random.Generator:
    """Normalise ``rng`` to a ``numpy.random.Generator``.

    Parameters
    ----------
    rng : None, int or numpy.random.Generator
        ``None``: fresh, unpredictable entropy. An ``int``: a seed, the same numbers every time.
        A ``Generator``: used as is (and advanced), so a caller can thread one stream through.

    Returns
    -------
    numpy.random.Generator
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, int | np.integer) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    kind = type(rng).__name__
    raise TypeError(f"rng must be None, an int or a numpy.random.Generator, not {kind}")
