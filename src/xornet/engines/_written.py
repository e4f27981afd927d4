"""Small networks with the whole step written out: one local variable per number.

The lane kernel (:mod:`._lanes`) makes every operation a loop over the lanes, so every
intermediate (each hidden unit, each logit, each gradient) makes a trip through memory, and
the one-network loop (:func:`._kernels.run`) indexes arrays of sizes it learns at run time. A
network as small as XOR's fits its whole step in registers; what keeps the compiler from
putting it there is only that the sizes are unknown when the loop is compiled. So this module
writes the step out as Python source for one shape (``n`` samples, ``d`` inputs, ``h`` hidden
units) and one choice of activation, optimizer, loss and shortcut: the parameters are
``t0 ... t{P-1}``, the gradients ``g0 ...``, the hidden activations ``h{r}_{j}``, in the
post's seven steps. numba compiles it. Two loops are written around the step:

* :func:`source`, for many networks: one loop over the networks of a block whose body is that
  whole step, which LLVM vectorises (8 networks an instruction with AVX-512). Everything else
  is the lane kernel's: the block's masks (:func:`._lanes.lane_flags`), the evaluation lane by
  lane on the rare steps where some lane has something to record or a rule to check
  (:func:`._lanes.settle`), the activations and the exp's polynomial, here in Horner's form
  (:func:`._exp.exp_nonpos_horner`, the better form with a layer's exps side by side, which
  the lane kernel's loops never have). A network whose evaluation has such an event takes its
  update only after :func:`settle` has decided it keeps running, in a second pass over the
  block.
* :func:`source_one`, for one network: the loop of :func:`._kernels.run` (full batch, one
  output), records and stop rules included, with the scalar table exp of :mod:`._exp`.

Read what is compiled with ``print(source_one(Shape(4, 2, 2)))``
(:class:`._written_step.Shape` names a shape and choice). Per network the arithmetic is that of
:func:`._kernels.run`, in the same order, except that a multiply followed by an add may be fused
into one instruction with a single rounding (``fastmath={"contract"}``, and nothing else of
fast-math, for the speed of fused multiply-adds), and that in lanes four sigmoids share one
division (:func:`._written_step.reciprocal_lines`, a few ulp): the results equal the
reference to the engines' stated 1e-10 (tested), not bit for bit.

Each kernel is compiled once per shape and choice (seconds) and kept in the disk cache of
:mod:`._cache`, so later processes load it. Shapes: ``X (n, d)``, ``y (n,)``, ``T (P, N)``,
``V (k, P, N)``, ``lr (N,)`` and the per-network ``step``, ``stop``, ``first_correct``,
``first_target (N,)``, as in :mod:`._lanes`; for one network, those of :func:`._kernels.run`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from xornet.engines import _cache
from xornet.engines._written_step import (
    SHARED_DIVISION,
    Shape,
    data_lines,
    lanes_step_lines,
    sample_lines,
)

__all__ = [
    "LANES",
    "MAX_TERMS",
    "SLOTS",
    "block_rows",
    "fits",
    "kernel",
    "source",
    "source_one",
    "terms",
]

#: Largest step written out, in multiply-adds of the forward pass (``n h (d + 1)``): XOR up to
#: 10 hidden units, 3-bit parity up to 4. Compiling takes longer the larger the step, and the
#: gain over the lane kernel shrinks; larger networks run in the lane kernel.
MAX_TERMS = 128

#: Networks per block: the block's numbers (parameters, optimizer state, masks, logits) stay
#: in the core's cache while it runs its steps.
LANES = 64


#: Rows of optimizer state a parameter has: momentum's velocity, Adam's m and v.
SLOTS = {"gd": 0, "momentum": 1, "adam": 2}


def block_rows(P: int, k: int) -> dict[str, int]:
    """The rows of the block buffer ``B (rows, LANES)`` past the parameters (rows ``0 ... P-1``)
    and ``k`` rows of optimizer state per parameter: every number the step reads or writes for
    a network sits in its column of this one array, which the loop walks lane by lane. ``Z2``
    is the first of the ``n`` rows of logits, the last rows."""
    rows = {"LR": P * (1 + k)}
    for name in ("ACTIVE", "UNSOLVED", "SEEKING", "RERUN", "SPOILED", "FINITE", "CORRECT",
                 "LOW", "EVENT", "Z2"):  # fmt: skip
        rows[name] = max(rows.values()) + 1
    return rows


def terms(n: int, d: int, h: int) -> int:
    """The multiply-adds of the forward pass of a ``d``-``h``-1 network on ``n`` samples,
    ``n h (d + 1)``: the size of its written-out step, by which compiling it is judged."""
    return n * h * (d + 1)


def fits(n: int, d: int, h: int) -> bool:
    """Whether a network of this shape is small enough to have its step written out.

    Parameters
    ----------
    n, d, h : int
        Samples, inputs, hidden units.

    Returns
    -------
    bool
    """
    return terms(n, d, h) <= MAX_TERMS


def source(shape: Shape, *, wide: bool = True) -> str:
    """The Python source of the kernel for one shape and one choice.

    Parameters
    ----------
    shape : Shape
        The network and the choice (activation, optimizer, loss, shortcut).
    wide : bool
        The kernel's shape for a CPU with AVX-512 (:func:`._lanes.vector_bits`): 512-bit
        vectors, and four sigmoids sharing a division
        (:data:`._written_step.SHARED_DIVISION`). Without it, LLVM's width for the CPU and a
        division for each sigmoid: with AVX2's 16 vector registers, against AVX-512's 32, the
        shared divisions' extra live numbers did not pay.

    Returns
    -------
    str
        A module defining ``run_written(X, y, T, V, lr, fs, ints, start_step, stop_step,
        step, stop, first_correct, first_target)``, with the signature and meaning of
        :func:`xornet.engines._lanes.run_lanes` (less ``h`` and ``L``, fixed here).
    """
    n, d, h, activation, optimizer, loss, shortcut = shape
    P = shape.params
    k = SLOTS[optimizer]
    rows = block_rows(P, k)
    n_rows = rows["Z2"] + n
    lines: list[str] = []

    def put(indent: int, text: str) -> None:
        lines.append("    " * indent + text)

    put(0, f'"""The step of a {d}-{h}-1 network on {n} samples, written out: {activation}, '
        f'{optimizer}, {loss}{", shortcut" if shortcut else ""}.')  # fmt: skip
    put(0, "")
    put(0, "Generated by xornet.engines._written.source; see that module.")
    put(0, '"""')
    put(0, "import math")
    put(0, "")
    put(0, "import numpy as np")
    put(0, "from numba import njit")
    put(0, "")
    put(0, "from xornet.engines._kernels import (BETA1, BETA2, DIVERGED, EPS, MARGIN, MU, "
        "NESTEROV, TARGET, TOL, USE_TOL)")  # fmt: skip
    put(0, "from xornet.engines._exp import exp_nonpos_horner")
    put(0, "from xornet.engines._lanes import (lane_flags, prefer_512_bit_vectors, settle, "
        "sigmoid_from, tanh_v)")  # fmt: skip
    put(0, "")
    put(0, f"L = {LANES}")
    for name, row in rows.items():
        put(0, f"{name} = {row}")
    put(0, "")
    put(0, "")
    put(0, '@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})')
    put(0, "def run_written(X, y, T, V, lr, fs, ints, start_step, stop_step, step, stop, "
        "first_correct, first_target):")  # fmt: skip
    if wide:
        put(1, "prefer_512_bit_vectors()")
    put(1, "N = T.shape[1]")
    put(1, "mu, beta1, beta2, eps = fs[MU], fs[BETA1], fs[BETA2], fs[EPS]")
    put(1, "nesterov, target, margin = ints[NESTEROV] == 1, fs[TARGET], fs[MARGIN]")
    put(1, "tol_level = fs[TOL] if ints[USE_TOL] == 1 else -1.0  # no loss reaches -1")
    for text in data_lines(n, d):
        put(1, text)
    put(1, f"B = np.zeros(({n_rows}, L))")
    put(1, "for lo in range(0, N, L):")
    # The block's columns in: parameters, optimizer state, learning rates, masks (loops, not
    # slice assignments, which cost numba seconds of compiling).
    put(2, "active, unsolved, seeking = lane_flags(lo, L, stop, first_correct, first_target, ints)")
    # (row of B, where the number lives between calls) for the parameters and optimizer state
    kept = [(c, f"T[{c}, lo + q]") for c in range(P)]
    kept += [(P * (1 + i) + c, f"V[{i}, {c}, lo + q]") for i in range(k) for c in range(P)]
    put(2, "for q in range(L):")
    for row, home in kept:
        put(3, f"B[{row}, q] = {home}")
    put(3, "B[LR, q] = lr[lo + q]")
    put(3, "B[ACTIVE, q], B[UNSOLVED, q], B[SEEKING, q] = active[q], unsolved[q], seeking[q]")
    put(2, "running = B[ACTIVE].sum()")
    put(2, "for s in range(start_step, stop_step):")
    put(3, "if running == 0.0:")
    put(4, "break")
    if optimizer == "adam":
        put(3, "c1, c2 = 1.0 - beta1 ** (s + 1), 1.0 - beta2 ** (s + 1)  # update t = s + 1")
    put(3, "bad = 0")
    put(3, "first = 1.0  # the first pass; a second one updates the lanes that had events")
    put(3, "for _ in range(2):")
    put(4, "events = 0")
    put(4, "for q in range(L):")
    body = lanes_step_lines(shape, SHARED_DIVISION if wide else 1)
    for text in body:
        put(5, text)
    put(4, "if first == 0.0 or events == 0:")
    put(5, "break")
    put(4, "# Some lane has something to record or a rule to check: the evaluation, lane")
    put(4, "# by lane; those still running take this step's update in a second pass.")
    put(4, "for q in range(L):")
    put(5, "B[RERUN, q] = B[ACTIVE, q] * B[EVENT, q]")
    put(4, "settle(s, lo, y, B[Z2:], B[LOW], B[FINITE], B[CORRECT], B[ACTIVE], B[UNSOLVED], "
        "B[SEEKING], fs, ints, stop, step, first_correct, first_target)")  # fmt: skip
    put(4, "for q in range(L):")
    put(5, "B[RERUN, q] *= B[ACTIVE, q]")
    put(4, "first = 0.0")
    put(3, "if bad > 0:  # an update overflowed: the reference calls it divergence")
    put(4, "for q in range(L):")
    put(5, "if B[ACTIVE, q] == 1.0 and B[SPOILED, q] > 0.0:")
    put(6, "stop[lo + q], step[lo + q], B[ACTIVE, q] = DIVERGED, s, 0.0")
    put(3, "if first == 0.0 or bad > 0:")
    put(4, "running = B[ACTIVE].sum()")
    put(2, "for q in range(L):")
    put(3, "if B[ACTIVE, q] == 1.0:")
    put(4, "step[lo + q] = stop_step")
    for row, home in kept:
        put(3, f"{home} = B[{row}, q]")
    return "\n".join(lines) + "\n"


def source_one(shape: Shape) -> str:
    """The Python source of the one-network loop for one shape and choice: the full-batch,
    one-output case of :func:`xornet.engines._kernels.run`, with the step written out.

    Parameters
    ----------
    shape : Shape

    Returns
    -------
    str
        A module defining ``run_one(X, y, theta, state, fs, ints, stop_step, history,
        counters)``: ``theta (P,)``, ``state (3, P)`` (velocity | Adam m | Adam v),
        ``history (n_records,)``, the settings and ``counters`` of ``_kernels.run``, whose
        loop it runs from ``counters[STEP]`` to ``stop_step`` or a stop.
    """
    n, d, h, activation, optimizer, loss, shortcut = shape
    P = shape.params
    names = ", ".join(
        ["ADAM_T", "ALL_CORRECT", "BETA1", "BETA2", "DIVERGED", "EPS", "FIRST_CORRECT",
         "FIRST_TARGET", "LR", "MARGIN", "MU", "N_RECORDS", "NESTEROV", "RECORD_EVERY",
         "RUNNING", "STEP", "STOP", "STOP_CORRECT", "TARGET", "TOL", "TOLERANCE", "USE_TARGET",
         "USE_TOL", "log1p_exp", "sigmoid_called"]
    )  # fmt: skip
    lines = [
        f'"""One {d}-{h}-1 network on {n} samples, the step written out: {activation}, '
        f"{optimizer}, {loss}{', shortcut' if shortcut else ''}.",
        "",
        "Generated by xornet.engines._written.source_one; see that module.",
        '"""',
        "import math",
        "",
        "from numba import njit",
        "",
        f"from xornet.engines._kernels import ({names})",
        "",
        "",
        '@njit(cache=True, nogil=True, error_model="numpy", fastmath={"contract"})',
        "def run_one(X, y, theta, state, fs, ints, stop_step, history, counters):",
    ]
    body = [
        "lr, mu, beta1, beta2, eps = fs[LR], fs[MU], fs[BETA1], fs[BETA2], fs[EPS]",
        "tol, target, margin = fs[TOL], fs[TARGET], fs[MARGIN]",
        "nesterov, record_every = ints[NESTEROV] == 1, ints[RECORD_EVERY]",
        "use_tol, use_target = ints[USE_TOL] == 1, ints[USE_TARGET] == 1",
        "stop_correct = ints[STOP_CORRECT] == 1",
        *data_lines(n, d),
        "# The parameters and the optimizer's state, as local variables for the whole run",
        *[f"t{c} = theta[{c}]" for c in range(P)],
        *[f"v{c} = state[0, {c}]" for c in range(P) if optimizer == "momentum"],
        *[f"m{c}, u{c} = state[1, {c}], state[2, {c}]" for c in range(P) if optimizer == "adam"],
        "step, t, n_records = counters[STEP], counters[ADAM_T], counters[N_RECORDS]",
        "stop = RUNNING",
        "since_record = step % record_every",
        "while step < stop_step:",
    ]
    loop = [f"g{c} = 0.0" for c in range(P)]
    loop += ["check, worst = 0.0, math.inf  # finiteness, correctness (_written_step.sample_lines)"]
    loop += sample_lines(shape, lanes=False)
    if loss == "sse":  # total squared error
        terms = [f"0.5 * (p{r} - y{r}) ** 2" for r in range(n)]
    else:  # mean BCE from the logits
        terms = [f"log1p_exp(sign{r} * z{r})" for r in range(n)]
    loop += [
        "if check != 0.0:  # an overflow: the reference calls it divergence",
        "    stop = DIVERGED",
        "    break",
        "# The evaluation: record the loss, check the stop rules (as _kernels.run)",
        "record = since_record == 0",
        "loss = 0.0",
        "if record or use_tol or use_target:",
        *[f"    loss += {term}" for term in terms],
        *([] if loss == "sse" else [f"    loss /= {n}.0"]),
        "    if not math.isfinite(loss):",
        "        stop = DIVERGED",
        "        break",
        "if record:",
        "    if n_records < history.size:",
        "        history[n_records] = loss",
        "    n_records += 1",
        "correct = worst > 0.0",
        "if correct and counters[FIRST_CORRECT] < 0:",
        "    counters[FIRST_CORRECT] = step",
        "if use_target and loss <= target and counters[FIRST_TARGET] < 0:",
        "    counters[FIRST_TARGET] = step",
        "if use_tol and loss <= tol:",
        "    stop = TOLERANCE",
        "    break",
        "if stop_correct and correct:",
        "    stop = ALL_CORRECT",
        "    break",
        "# The update (the formulas of xornet.optim)",
    ]
    if optimizer == "adam":
        loop += ["t += 1", "c1, c2 = 1.0 - beta1**t, 1.0 - beta2**t"]
    loop += ["check = 0.0"]
    for c in range(P):
        if optimizer == "gd":
            loop.append(f"t{c} -= lr * g{c}")
        elif optimizer == "momentum":
            loop += [
                f"v{c} = v{c} * mu",
                f"v{c} -= lr * g{c}",
                f"t{c} += mu * v{c} - lr * g{c} if nesterov else v{c}",
            ]
        else:
            loop += [
                f"m{c} = m{c} * beta1",
                f"m{c} += (1.0 - beta1) * g{c}",
                f"u{c} = u{c} * beta2",
                f"u{c} += (1.0 - beta2) * g{c} * g{c}",
                f"t{c} -= lr * (m{c} / c1) / (math.sqrt(u{c} / c2) + eps)",
            ]
        loop.append(f"check += 0.0 * t{c}")
    loop += [
        "if check != 0.0:",
        "    stop = DIVERGED",
        "    break",
        "step += 1",
        "since_record += 1",
        "if since_record == record_every:",
        "    since_record = 0",
    ]
    body += ["    " + text for text in loop]
    body += [f"theta[{c}] = t{c}" for c in range(P)]
    body += [f"state[0, {c}] = v{c}" for c in range(P) if optimizer == "momentum"]
    body += [f"state[1, {c}], state[2, {c}] = m{c}, u{c}" for c in range(P) if optimizer == "adam"]
    body += [
        "counters[STEP], counters[ADAM_T], counters[N_RECORDS] = step, t, n_records",
        "counters[STOP] = stop",
    ]
    return "\n".join(lines + ["    " + text for text in body]) + "\n"


def kernel(shape: Shape, *, one: bool = False) -> Callable[..., Any]:
    """The compiled kernel for one shape and choice (once a process), from the disk cache
    (:mod:`._cache`) when an earlier process compiled it; in lanes, of the shape for the
    vector width of :func:`._lanes.vector_bits`.

    Parameters
    ----------
    shape : Shape
    one : bool
        The one-network loop (:func:`source_one`) instead of the lanes' (:func:`source`).

    Returns
    -------
    callable
        ``run_one`` or ``run_written``.
    """
    if one:
        return _compiled(shape, one=True, wide=False)
    from xornet.engines._lanes import vector_bits

    return _compiled(shape, one=False, wide=vector_bits() == 512)


@functools.cache
def _compiled(shape: Shape, *, one: bool, wide: bool) -> Callable[..., Any]:
    """:func:`kernel`, compiled or loaded once a process for each shape, choice and width."""
    if one:
        text = source_one(shape)
        return _cache.load(_cache.name_for(text), text, "run_one")
    text = source(shape, wide=wide)
    return _cache.load(_cache.name_for(text), text, "run_written")
