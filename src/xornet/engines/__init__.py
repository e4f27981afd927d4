"""Fast paths. Each is tested against the NumPy reference (:mod:`xornet.network`).

``engine="numpy"`` is the reference loop in :func:`xornet.train`. ``engine="numba"`` runs the
whole loop in one compiled function (:mod:`xornet.engines._kernels`), cached on disk so that a
second process does not compile again; a long full-batch run of a small network runs a loop
with its step written out for its shape (:mod:`xornet.engines._unrolled`), four times as fast.
Many networks at once run in SIMD lanes (:mod:`xornet.engines._lanes`), their step also written
out when the job is long; both loops' exps are written without libm (:mod:`xornet.engines._exp`).
``engine="auto"`` picks numba when it is installed and the run is long enough to pay for
loading it (about a second per process: importing numba and reading the compiled code from its
cache).

For whoever edits the engines: numba's disk cache of a compiled function is invalidated only by
changes to the function's own file (a documented numba limitation), so after editing
``_exp.py`` or ``_kernels.py`` delete ``src/xornet/engines/__pycache__/*.nbi`` and ``*.nbc``
before timing or testing (an installed upgrade replaces every file and is not affected; the
written-out kernels hash the code they call into their names).
"""

from __future__ import annotations

import importlib.util
from typing import Final, Literal

from xornet._names import ENGINE_NAMES
from xornet.errors import XornetError

__all__ = ["AUTO_MIN_STEPS", "ENGINES", "Engine", "numba_available", "resolve_engine"]

Engine = Literal["numpy", "numba"]
#: Engine names accepted across the library and the CLI.
ENGINES: Final = ENGINE_NAMES
#: ``auto`` chooses numba for runs of at least this many steps. Below it the NumPy loop
#: (tens of microseconds a step) finishes before numba would have loaded.
AUTO_MIN_STEPS: Final = 20_000


def numba_available() -> bool:
    """Whether numba is installed (checked without importing it).

    Returns
    -------
    bool
    """
    return importlib.util.find_spec("numba") is not None


def resolve_engine(engine: str, steps: int | None = None) -> Engine:
    """Turn ``"auto" | "numpy" | "numba"`` into the engine that will run.

    Parameters
    ----------
    engine : {"auto", "numpy", "numba"}
    steps : int, optional
        Length of the run; ``auto`` picks numpy for runs shorter than ``AUTO_MIN_STEPS``.
        None: a long run (many networks).

    Returns
    -------
    {"numpy", "numba"}

    Raises
    ------
    XornetError
        For an unknown name, or ``"numba"`` when numba is not installed.
    """
    if engine == "auto":
        long_run = steps is None or steps >= AUTO_MIN_STEPS
        return "numba" if long_run and numba_available() else "numpy"
    if engine == "numpy":
        return "numpy"
    if engine == "numba":
        if not numba_available():
            raise XornetError(
                "engine 'numba' needs numba: pip install 'xornet[fast]' (or use --engine numpy)"
            )
        return "numba"
    raise XornetError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
