"""The engines' environment variables, read and checked in one place, with nothing heavy
imported (the command line checks them before every command: :func:`.check_environment`).
"""

from __future__ import annotations

import os

from xornet.errors import XornetError, quoted

__all__ = ["NATIVE_VARIABLE", "VECTOR_BITS_VARIABLE", "asked_vector_bits", "native_allowed"]

#: 0 leaves the written-out loops to numba instead of the C compiler (:mod:`._native`).
NATIVE_VARIABLE = "XORNET_NATIVE"
#: Set it to 512, 256 or 128 to run the lanes with vectors of at most that many bits whatever
#: the CPU has (for example 256 to run an AVX2 machine's kernels on an AVX-512 one).
VECTOR_BITS_VARIABLE = "XORNET_VECTOR_BITS"


def native_allowed() -> bool:
    """Whether :data:`NATIVE_VARIABLE` lets the C compiler compile the written-out loops: unset
    or 1, not 0 (:func:`._native.available` also asks whether ``cc`` is there).

    Raises
    ------
    XornetError
        If it is set to anything but 0 or 1 (``off`` would read as on).
    """
    asked = os.environ.get(NATIVE_VARIABLE, "").strip()
    if asked not in ("", "0", "1"):
        raise XornetError(f"{NATIVE_VARIABLE} must be 0 or 1, got {quoted(asked)}")
    return asked != "0"


def asked_vector_bits() -> int | None:
    """The most bits :data:`VECTOR_BITS_VARIABLE` allows the lanes' vectors, None when unset
    (:func:`._lanes.vector_bits` decides the width with the CPU's).

    Raises
    ------
    XornetError
        If the variable is set to anything but 128, 256 or 512.
    """
    asked = os.environ.get(VECTOR_BITS_VARIABLE, "").strip()
    if not asked:
        return None
    if asked not in ("128", "256", "512"):
        raise XornetError(f"{VECTOR_BITS_VARIABLE} must be 128, 256 or 512, got {quoted(asked)}")
    return int(asked)
