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
#: e^r on |r| <= ln2 / 2 as a polynomial of degree 11, c0 + c1 r + ... + c11 r^11: the
#: Chebyshev interpolant at 12 points, ``mpmath.chebyfit(mpmath.exp, [-log(2)/2, log(2)/2],
#: 12)`` at 50 digits, rounded to doubles. Relative error 1.7e-17, a sixth of half an ulp
#: (Taylor's polynomial needs degree 13 for as good).
EXP_C = (
    1.0, 1.0, 0.5000000000000019, 0.1666666666666668, 0.0416666666664881,
    0.008333333333319601, 0.0013888888952314775, 0.00019841269890047113,
    2.4801485482328494e-05, 2.755724091857897e-06, 2.763263963904103e-07,
    2.5110037605963777e-08,
)  # fmt: skip
#: 2^(j / 128) for j = 0 ... 127, each the double nearest the exact value (tested).
EXP2_TABLE = np.array([2.0 ** (j / 128) for j in range(128)])
#: Below this |z|, the lanes' tanh comes from expm1 (no cancellation in 1 - e^-2|z|); above,
#: from exp (:func:`._lanes.tanh_v`).
TANH_SPLIT = 0.4
