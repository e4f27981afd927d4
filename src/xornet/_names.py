"""The names of xornet's choices, importable without NumPy (so ``xornet --help`` is fast).

The modules that implement each choice take their names from here; the tests check that the
two agree.
"""

from typing import Final

ACTIVATION_NAMES: Final = ("sigmoid", "tanh", "relu")
INIT_NAMES: Final = ("normal", "glorot", "he", "uniform")
LOSS_NAMES: Final = ("bce", "sse")
OPTIMIZER_NAMES: Final = ("gd", "momentum", "adam")
ENGINE_NAMES: Final = ("auto", "numpy", "numba")
PRESET_NAMES: Final = ("default", "post")
