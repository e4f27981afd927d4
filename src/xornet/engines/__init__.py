"""Fast paths. Each is tested against the NumPy reference (:mod:`xornet.network`).

One network (:func:`xornet.train`, :class:`xornet.Trainer`): ``engine="numpy"`` is the
reference loop of the Trainer; ``engine="numba"`` hands stretches of the run to
:func:`.fused.advance`, which runs them in one compiled loop (:mod:`._kernels`), or, for a long
full-batch run of a small network, in a loop with the step written out for its shape
(:mod:`._written`), which the system's C compiler compiles when there is one
(:mod:`._native`).

Many networks (:func:`xornet.train_many`, in :mod:`.many`, which validates the job, draws the
starts and picks an engine): ``numpy`` stacks them along a leading axis through the
reference's own forward and backward (:mod:`._stacked`); ``numba`` runs them in SIMD lanes, in
blocks spread over the threads (:mod:`._blocks` driving :mod:`._lanes`, or the written-out step
for a small network, compiled in C when there is a C compiler: :mod:`._native_lanes`;
:func:`.many.choose_kernel` says which), or otherwise through the one-network loop per network.

Shared by the compiled loops: the exps written without libm (:mod:`._exp`), and the disk cache
of the written-out kernels (:mod:`._cache`; ``xornet cache``).

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

__all__ = [
    "AUTO_MIN_STEPS",
    "ENGINES",
    "Engine",
    "check_environment",
    "numba_available",
    "resolve_engine",
]

Engine = Literal["numpy", "numba"]
#: Engine names accepted across the library and the CLI.
ENGINES: Final = ENGINE_NAMES
#: ``auto`` chooses numba for runs of at least this many steps. Below it the NumPy loop
#: (tens of microseconds a step) finishes before numba would have loaded.
AUTO_MIN_STEPS: Final = 20_000


def check_environment() -> None:
    """Check the engines' environment variables, ``XORNET_NATIVE`` (0 or 1) and
    ``XORNET_VECTOR_BITS`` (128, 256 or 512), without importing numba: the command line does
    before any command, so that a misspelt value is refused whether or not the command would
    have read it.

    Raises
    ------
    XornetError
        Naming the variable and the value refused.
    """
    from xornet.engines import _environment

    _environment.native_allowed()
    _environment.asked_vector_bits()


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
