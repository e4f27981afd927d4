"""``e^x`` for ``x <= 0`` without libm: two for vectors, one for one network at a time.

Every sigmoid and softmax calls ``exp``, and in the compiled loops it is most of the time a
step takes. libm's ``exp`` reached from numba is three calls deep (numba's wrapper, libm's
error-checking wrapper, the function itself) and cannot be vectorised. The exps here split
``x = k ln2 / N + r`` with ``k`` an integer and ``|r| <= ln2 / 2N``, so that
``e^x = 2^(k / N) e^r``, and differ in how they get ``2^(k / N)`` and ``e^r``:

* :func:`exp_nonpos` and :func:`exp_nonpos_horner`, for the lanes (``N = 1``): ``2^k`` is
  built from its bits and ``e^r``, for ``|r|`` up to ``ln2 / 2``, takes a degree-11
  polynomial. No table, no branch: LLVM vectorises them (8 doubles an instruction with
  AVX-512). They differ in how the polynomial is evaluated, for the code around them:
  Estrin's form, a shallow tree, for a loop that computes one exp an iteration (the lane
  kernel, where the tree's shorter chain of dependent operations is faster), and Horner's, a
  chain of 11 multiply-adds, for the written-out step, which has eight or twelve exps in
  flight anyway (where fewer instructions and registers are faster).
* :func:`exp_table`, for one network (``N = 128``): ``2^(j / 128)`` comes from a table of 128
  doubles and ``e^r - 1``, for ``|r| <= 0.0028``, takes a degree-5 polynomial. Fewer
  instructions than the polynomial of degree 11, but a table look-up, which in vectors is a
  gather (slower than the polynomial in the lanes). Within 1 ulp of the exact value; the
  written-out one-network loop runs faster with it than with libm's.

All split ``x`` the same way (:func:`_split`): ``k`` is rounded to the nearest integer by
adding and subtracting ``1.5 * 2^52``, which leaves it in the low bits of the sum
(:func:`_bits`), and ``ln2 / N`` is split in two parts so that ``k ln2 / N`` is exact.
"""

from __future__ import annotations

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from xornet.engines import _layout

__all__ = ["exp_nonpos", "exp_nonpos_horner", "exp_table"]

# error_model "numpy": a division by zero gives inf instead of raising (no branch).
_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}
# The split's constants and the table, kept apart from numba (:mod:`._layout`).
_LOG2E, _LN2_HI, _LN2_LO, _ROUND = _layout.LOG2E, _layout.LN2_HI, _layout.LN2_LO, _layout.ROUND
#: e^r on |r| <= ln2 / 2 as a polynomial of degree 11 (see :data:`._layout.EXP_C`).
_EXP_C = _layout.EXP_C
_EXP2_TABLE = _layout.EXP2_TABLE


@intrinsic
def _bits(typingctx, x):
    """The 64 bits of a double, as an integer (a free bit cast, vectorisable)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def _double(typingctx, x):
    """The double with these 64 bits (the inverse of :func:`_bits`)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@njit(inline="always", **_OPTIONS)
def _split(x, n):
    """``(k, r)`` with ``x = k ln2 / n + r``, ``k`` the integer nearest ``x n / ln2`` and
    ``|r| <= ln2 / 2n`` (``n`` a power of 2, so scaling the constants by it is exact)."""
    t = x * (n * _LOG2E) + _ROUND
    k = t - _ROUND
    r = (x - k * (_LN2_HI / n)) - k * (_LN2_LO / n)
    return _bits(t) - _bits(_ROUND), r


@njit(**_OPTIONS)
def exp_nonpos(x):
    """``e^x`` for ``x <= 0``, within 2 ulp of the exact value, with no call and no branch.

    ``x = k ln2 + r`` with ``|r| <= ln2 / 2``; ``e^r`` is the degree-11 polynomial ``_EXP_C``
    in Estrin's form (pairs, then a shallow tree, so the vector units are not waiting on a
    chain of 11 dependent steps); ``2^k`` is built from its bits. Below -700 the result is
    ``e^-700`` (1e-304), far below anything that matters here.
    """
    c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 = _EXP_C
    k, r = _split(max(x, -700.0), 1.0)
    r2 = r * r
    r4 = r2 * r2
    q0, q1, q2 = c0 + c1 * r, c2 + c3 * r, c4 + c5 * r
    q3, q4, q5 = c6 + c7 * r, c8 + c9 * r, c10 + c11 * r
    p = (q0 + r2 * q1) + r4 * ((q2 + r2 * q3) + r4 * (q4 + r2 * q5))
    return p * _double((k + 1023) << 52)


@njit(inline="always", **_OPTIONS)
def exp_nonpos_horner(x):
    """:func:`exp_nonpos` with the polynomial in Horner's form, within 1 ulp of the exact
    value: for code with many exps side by side (see the module's docstring).

    numba inlines it into its caller (``inline="always"``), so it is compiled with the
    caller's options: in the written-out step, ``fastmath={"contract"}``, with the same 1 ulp
    (tested both ways). The written-out lanes run faster so, for a little more compiling the
    first time a shape runs.
    """
    c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 = _EXP_C
    k, r = _split(max(x, -700.0), 1.0)
    p = c10 + c11 * r
    p = c9 + p * r
    p = c8 + p * r
    p = c7 + p * r
    p = c6 + p * r
    p = c5 + p * r
    p = c4 + p * r
    p = c3 + p * r
    p = c2 + p * r
    p = c1 + p * r
    p = c0 + p * r
    return p * _double((k + 1023) << 52)


@njit(inline="always", **_OPTIONS)
def exp_table(x):
    """``e^x`` for ``x <= 0``, within 1 ulp of the exact value: the scalar one.

    ``x = (128 m + j) ln2 / 128 + r`` with ``0 <= j < 128`` and ``|r| <= ln2 / 256``, so
    ``e^x = 2^m 2^(j / 128) e^r``: ``s = 2^(j / 128)`` from ``_EXP2_TABLE`` with ``m`` added to
    its exponent bits, and ``e^x = s + s (e^r - 1)``, the latter Taylor's polynomial of degree
    5 (its first omitted term, ``r^6 / 720``, is below 6e-19). Below -700 the result is
    ``e^-700`` (1e-304), as :func:`exp_nonpos`'s: handing that rare case to libm's ``exp`` on a
    branch made the one-network loop slower. numba inlines it into its caller
    (``inline="always"``), which LLVM then schedules as one piece.
    """
    k, r = _split(max(x, -700.0), 128.0)
    s = _double(_bits(_EXP2_TABLE[k & 127]) + ((k >> 7) << 52))
    r2 = r * r
    expm1_r = r + r2 * ((0.5 + r * (1.0 / 6.0)) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)))
    return s + s * expm1_r
