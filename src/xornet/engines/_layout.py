"""The compiled loops' numbers that need no compiler: the layout of the settings and counters
vectors (:mod:`._kernels`) and the constants of the scalar exp (:mod:`._exp`).

Their one home, apart from numba, so that a loop compiled without numba (:mod:`._native`,
which writes the same loop in C) reads the same layout and the same constants without paying
numba's import.
"""

from __future__ import annotations

import numpy as np

from xornet.config import STOP_CODES

SIGMOID, TANH, RELU = 0, 1, 2
GD, MOMENTUM, ADAM = 0, 1, 2
BCE, SSE = 0, 1
# The stop codes, from the one table of xornet.config.
RUNNING, TOLERANCE = STOP_CODES["running"], STOP_CODES["tolerance"]
ALL_CORRECT, DIVERGED = STOP_CODES["all_correct"], STOP_CODES["diverged"]
# Indices into counters.
STEP, N_RECORDS, STOP, ADAM_T, FIRST_CORRECT, FIRST_TARGET = 0, 1, 2, 3, 4, 5
# Indices into the float settings vector.
LR, MU, BETA1, BETA2, EPS, TOL, TARGET, MARGIN = 0, 1, 2, 3, 4, 5, 6, 7
# Indices into the int settings vector.
(ACT, OPT, NESTEROV, BATCH, SHUFFLE, RECORD_EVERY, USE_TOL, STOP_CORRECT, USE_TARGET, LOSS,
 SHORTCUT) = range(11)  # fmt: skip

# The exps' split x = k ln2 / N + r (see xornet.engines._exp).
LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 split in two, so k ln 2 is exact for |k| < 2^20
LN2_LO = 1.90821492927058770002e-10
ROUND = 6755399441055744.0  # 1.5 * 2^52: x + ROUND - ROUND rounds x to an integer
#: 2^(j / 128) for j = 0 ... 127, each the double nearest the exact value (tested).
EXP2_TABLE = np.array([2.0 ** (j / 128) for j in range(128)])
