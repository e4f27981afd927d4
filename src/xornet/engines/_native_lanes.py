"""Many networks with the step written out, compiled by the system's C compiler: what
``train_many`` runs a long full-batch job of a small network with when ``cc`` is there
(:func:`._blocks.run_lanes`; ``XORNET_NATIVE=0`` leaves it to numba's :mod:`._written`).

numba's written-out kernel (:func:`._written.source`) is a loop over a block's 64 networks whose
body is one network's step, which LLVM vectorises; numba takes several seconds to compile it,
and its form for AVX2 (256-bit vectors) runs at about 0.7x the AVX-512 one. Here each of the
step's numbers is explicitly a vector of a lane group's networks (GCC's vector extensions: 8
doubles with AVX-512, 4 with AVX2), two groups side by side: ``cc`` compiles it in about a
second, it runs as fast as numba's with AVX-512 and 1.3x numba's with AVX2 (docs/performance.md).
Keeping the block's numbers in local variables across the steps instead of the array ``B``
measured no faster (the step's arithmetic is the time).

The step is not a second copy: :func:`source` parses the lines
:func:`._written_step.lanes_step_lines` and :func:`~._written_step.data_lines` write for numba
(:mod:`ast`) and writes each again in C, every local of the step a vector; ``B[row, q]``, a
lane's number in numba's block, becomes ``B[grp][row]``, a vector of group ``grp``'s. The loop
around the step is numba's (:func:`._written.source`), written in C in the template
``_native_lanes.c``: two passes over the groups on the rare steps with an event (the second
updates the lanes ``settle`` keeps running), and the divergence check. What the step calls is
ported there as numba computes it (:func:`._exp.exp_nonpos_horner`,
:func:`._lanes.sigmoid_from`, :func:`._lanes.tanh_v`, :func:`._lanes.settle`, Python's ``min``
and ``max``). The results equal numba's kernel to the rounding of the multiply-adds the two
compilers fuse (tested to 1e-12) and the NumPy reference to the engines' 1e-10.

The library is kept as :mod:`._native`'s, in the kernels' cache directory.
"""

from __future__ import annotations

import ast
import ctypes
import functools
from collections.abc import Callable
from importlib import resources
from typing import Any

import numpy as np

from xornet.engines import _layout, _native
from xornet.engines._written import SLOTS, block_rows
from xornet.engines._written_step import SHARED_DIVISION, Shape, data_lines, lanes_step_lines

__all__ = ["GROUPS", "kernel", "source"]

#: The C around the step: vector arithmetic, the evaluation, the loop (a %-template).
_TEMPLATE = (resources.files("xornet.engines") / "_native_lanes.c").read_text()

#: Lane groups side by side in the loop over a block's groups: two keep both vector units busy
#: while one group waits on a division or an exp (measured: 1.13x one group).
GROUPS = 2


#: What the step calls, in C.
_CALLS = {"exp_nonpos_horner": "exp_nonpos_horner", "sigmoid_from": "sigmoid_from",
          "tanh_v": "tanh_v", "abs": "vabs", "max": "py_max", "min": "py_min",
          "math.sqrt": "sqrt_v"}  # fmt: skip
#: The step's counts of lanes (``events += int(x)``): each a vector ``events_v`` here, which
#: the loop sums once a step rather than once a group.
_COUNTS = ("events", "bad")
#: The kinds of value: a vector of doubles (one a lane), a vector mask (a comparison's), a
#: double, an integer.
VECTOR, MASK, DOUBLE, INT = "vd", "vi", "double", "int64_t"


class _Writer:
    """The step's Python statements in C, every local a vector (one lane of it a network)
    unless named in ``scalars``; ``B[row, q]`` becomes ``B[grp][row]``."""

    def __init__(self, scalars: dict[str, str], rows: dict[str, int], d: int = 1) -> None:
        self.types = dict(scalars)
        self.rows = rows
        self.d = d  # inputs: X[r, i] is X[r d + i]

    def kind(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return DOUBLE if isinstance(node.value, float) else INT
        if isinstance(node, ast.Name):
            if node.id in self.rows or node.id == "q":
                return INT
            return self.types.get(node.id, VECTOR)
        if isinstance(node, ast.Attribute):  # math.inf
            return DOUBLE
        if isinstance(node, ast.Subscript):  # B[row, q], or the data's X[r, i] and y[r]
            return DOUBLE if ast.unparse(node.value) in ("X", "y") else VECTOR
        if isinstance(node, ast.BinOp):
            kinds = {self.kind(node.left), self.kind(node.right)}
            if kinds & {VECTOR, MASK}:
                return VECTOR
            return DOUBLE if DOUBLE in kinds or isinstance(node.op, ast.Div) else INT
        if isinstance(node, ast.UnaryOp):
            return self.kind(node.operand)
        if isinstance(node, ast.IfExp):
            kinds = {self.kind(node.body), self.kind(node.orelse)}
            return VECTOR if VECTOR in kinds else DOUBLE if DOUBLE in kinds else INT
        if isinstance(node, ast.Call):
            kinds = {self.kind(a) for a in node.args}
            return VECTOR if kinds & {VECTOR, MASK} else DOUBLE
        if isinstance(node, ast.Compare):
            kinds = {self.kind(node.left), self.kind(node.comparators[0])}
            return MASK if VECTOR in kinds else INT
        raise ValueError(f"no C for {ast.unparse(node)!r}")

    def number(self, node: ast.expr) -> str:
        """``node`` as a value to compute with: a mask as 1.0 or 0.0 (Python's ``1.0 * (a < b)``
        multiplies a bool)."""
        text = self.expr(node)
        return f"as01({text})" if self.kind(node) == MASK else text

    def vector(self, node: ast.expr) -> str:
        """``node`` as a vector: a number spread over the lanes."""
        kind = self.kind(node)
        text = self.number(node)
        return text if kind in (VECTOR, MASK) else f"splat({text})"

    def expr(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"no C for the constant {value!r}")
            return repr(float(value)) if isinstance(value, float) else str(value)
        if isinstance(node, ast.Name):
            if node.id in self.rows:
                return str(self.rows[node.id])
            return node.id
        if isinstance(node, ast.Attribute):
            if ast.unparse(node) != "math.inf":
                raise ValueError(f"no C for {ast.unparse(node)!r}")
            return "INFINITY"
        if isinstance(node, ast.Subscript):
            base, index = ast.unparse(node.value), node.slice
            if base == "X" and isinstance(index, ast.Tuple):
                r, i = (self.expr(e) for e in index.elts)
                return f"X[{r} * {self.d} + {i}]"
            if base == "y" and not isinstance(index, ast.Tuple):
                return f"y[{self.expr(index)}]"
            if base != "B" or not isinstance(index, ast.Tuple) or ast.unparse(index.elts[1]) != "q":
                raise ValueError(f"no C for {ast.unparse(node)!r}")
            return f"B[grp][{self.expr(index.elts[0])}]"
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                if not (isinstance(node.right, ast.Constant) and node.right.value == 2):
                    raise ValueError(f"no C for {ast.unparse(node)!r}")
                base = self.number(node.left)
                return f"({base} * {base})"  # numba's x ** 2: one multiplication
            op = _native.OPERATORS[type(node.op)]
            return f"({self.number(node.left)} {op} {self.number(node.right)})"
        if isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub):
                raise ValueError(f"no C for {ast.unparse(node)!r}")
            return f"(-{self.number(node.operand)})"
        if isinstance(node, ast.IfExp):
            if self.kind(node.test) == MASK:
                return (f"blend({self.expr(node.test)}, {self.vector(node.body)}, "
                        f"{self.vector(node.orelse)})")  # fmt: skip
            body, orelse = self.number(node.body), self.number(node.orelse)
            if self.kind(node) == VECTOR:
                body, orelse = self.vector(node.body), self.vector(node.orelse)
            return f"({self.expr(node.test)} ? {body} : {orelse})"
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if self.kind(node) == VECTOR and name in _CALLS:
                args = ", ".join(self.vector(a) for a in node.args)
                return f"{_CALLS[name]}({args})"
            raise ValueError(f"no C for the scalar {ast.unparse(node)!r}")
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise ValueError(f"no C for {ast.unparse(node)!r}")
            op = _native.OPERATORS[type(node.ops[0])]
            left, right = node.left, node.comparators[0]
            return f"({self.number(left)} {op} {self.number(right)})"
        raise ValueError(f"no C for {ast.unparse(node)!r}")

    def assign(self, target: ast.expr, value: ast.expr) -> str:
        if isinstance(target, ast.Name) and target.id not in self.types:
            self.types[target.id] = VECTOR
        if self.kind(target) == VECTOR:
            return f"{self.expr(target)} = {self.vector(value)};"
        return f"{self.expr(target)} = {self.number(value)};"

    def statements(self, lines: list[str], indent: int) -> list[str]:
        pad = "  " * indent
        out: list[str] = []
        for node in ast.parse("\n".join(lines)).body:
            if isinstance(node, ast.Assign):
                out += [pad + self.assign(t, v) for t, v in _native.assignments(node)]
            elif isinstance(node, ast.AugAssign) and ast.unparse(node.target) in _COUNTS:
                # events += int(x): counted lane by lane in a vector, summed once a step
                (x,) = node.value.args  # type: ignore[attr-defined]
                out.append(f"{pad}{ast.unparse(node.target)}_v += {self.number(x)};")
            elif isinstance(node, ast.AugAssign):
                op = _native.OPERATORS[type(node.op)]
                if self.kind(node.target) == VECTOR:
                    value = self.vector(node.value)
                else:
                    value = self.number(node.value)
                out.append(f"{pad}{self.expr(node.target)} {op}= {value};")
            else:
                raise ValueError(f"no C for {ast.unparse(node)!r}")
        return out


#: The numbers of :mod:`._layout` the C reads by name.
_CODES = ("MU", "BETA1", "BETA2", "EPS", "TOL", "TARGET", "MARGIN", "NESTEROV", "USE_TOL",
          "USE_TARGET", "STOP_CORRECT", "LOSS", "SSE", "RUNNING", "DIVERGED", "TOLERANCE",
          "ALL_CORRECT")  # fmt: skip


def source(shape: Shape, *, bits: int = 512) -> str:
    """The C source of the lane kernel for one shape, choice and vector width.

    Parameters
    ----------
    shape : Shape
        The network and the choice (:class:`._written_step.Shape`).
    bits : int
        The vectors' width (:func:`._lanes.vector_bits`); from 512 bits, four sigmoids share a
        division, as in :func:`._written.source` with ``wide``.

    Returns
    -------
    str
        A C file defining ``void run_written(const double *X, const double *y, double *T,
        double *V, const double *lr, const double *fs, const int64_t *ints, int64_t N,
        int64_t start_step, int64_t stop_step, int64_t *step, int64_t *stop,
        int64_t *first_correct, int64_t *first_target)``: the arrays of numba's
        ``run_written``, C-contiguous, ``N`` a multiple of ``GROUPS * bits / 64``.
    """
    n, d, h, activation, optimizer, loss, shortcut = shape
    P = shape.params
    k = SLOTS[optimizer]
    rows = block_rows(P, k)
    scalars = dict.fromkeys(("mu", "beta1", "beta2", "eps", "target", "margin", "tol_level",
                             "first", "c1", "c2"), DOUBLE)  # fmt: skip
    scalars["nesterov"] = INT
    data_names = [name for r in range(n) for name in (
        *(f"x{r}_{i}" for i in range(d)), f"y{r}", f"side{r}", f"sign{r}", f"edge{r}")]  # fmt: skip
    scalars |= dict.fromkeys(data_names, DOUBLE)
    writer = _Writer(scalars, rows, d)
    data = writer.statements(data_lines(n, d), 1)
    shared = SHARED_DIVISION if bits >= 512 else 1
    lines = lanes_step_lines(shape, shared)
    step = writer.statements(lines, 5)
    declared = sorted(name for name, kind in writer.types.items() if kind == VECTOR)
    # (row of B, where the number lives between calls): parameters, optimizer state
    state = [(c, f"T[{c} * N + net]") for c in range(P)]
    state += [(P * (1 + i) + c, f"V[{i * P + c} * N + net]") for i in range(k) for c in range(P)]
    adam = []  # Adam's corrections for its update t = s + 1, float ** int as numba computes it
    if optimizer == "adam":
        adam = ["const double c1 = 1.0 - int_power(beta1, s + 1);",
                "const double c2 = 1.0 - int_power(beta2, s + 1);"]  # fmt: skip
    defines = {"GROUPS": GROUPS, "GROUP": "(GROUPS * WIDTH)", "N_SAMPLES": n,
               "N_ROWS": rows["Z2"] + n, **rows,
               **{name: int(getattr(_layout, name)) for name in _CODES}}  # fmt: skip
    pieces = {
        "width": bits // 64, "round": _layout.ROUND, "log2e": _layout.LOG2E,
        "ln2_hi": _layout.LN2_HI, "ln2_lo": _layout.LN2_LO, "tanh_split": _layout.TANH_SPLIT,
        "exp_c": ", ".join(repr(c) for c in _layout.EXP_C), "int_power": _native.INT_POWER,
        "data": "\n".join(["  double " + ", ".join(data_names) + ";", *data]),
        "load": "\n".join(f"      B[grp][{row}] = load(&{home});" for row, home in state),
        "keep": "\n".join(f"      store(&{home}, B[grp][{row}]);" for row, home in state),
        "adam": "\n".join("      " + line for line in adam),
        "declared": "          vd " + ", ".join(declared) + ";",
        "step": "\n".join(step),
    }  # fmt: skip
    head = (f"/* The step of a {d}-{h}-1 network on {n} samples, written out: {activation}, "
            f"{optimizer}, {loss}{', shortcut' if shortcut else ''}; {bits}-bit vectors.\n"
            "   Generated by xornet.engines._native_lanes.source. */\n")  # fmt: skip
    pieces["names"] = "".join(f"#define {name} {value}\n" for name, value in defines.items())
    return head + _TEMPLATE % pieces


#: ``cc``'s options: :data:`._native.COMPILE`'s, with ``-O3``, whose unrolling of the loop over
#: the groups puts both groups' numbers side by side (measured: ``-O2`` ran 0.85x).
COMPILE = ("-O3", *_native.COMPILE[1:])

#: The arrays of ``run_written`` (name, dtype): numba's kernel's, in its order.
_ARRAYS = (("X", np.float64), ("y", np.float64), ("T", np.float64), ("V", np.float64),
           ("lr", np.float64), ("fs", np.float64), ("ints", np.int64))  # fmt: skip
_COUNTERS = ("step", "stop", "first_correct", "first_target")


def kernel(shape: Shape, *, bits: int = 512) -> Callable[..., None]:
    """``run_written`` compiled in C for one shape, choice and vector width (once a process;
    from the cache directory when an earlier process compiled it).

    Returns
    -------
    callable
        ``run_written(X, y, T, V, lr, fs, ints, start_step, stop_step, step, stop,
        first_correct, first_target)``, with the arrays and meaning of numba's
        (:func:`._written.source`): float64 ``X (n, d)``, ``y (n,)``, ``T (P, N)``,
        ``V (k, P, N)``, ``lr (N,)``, ``fs``, int64 ``ints`` and the four counters ``(N,)``,
        all C-contiguous, ``N`` a multiple of the lanes a block holds (checked: a ValueError
        names the array that is not).

    Raises
    ------
    RuntimeError, OSError
        cc failed or is not there (:func:`._native.library`).
    """
    return _kernel(shape, bits)


@functools.cache
def _kernel(shape: Shape, bits: int) -> Callable[..., None]:
    text = source(shape, bits=bits)
    run = _native.library(text, "run_written", COMPILE).run_written
    run.restype = None
    pointer, integer = ctypes.c_void_p, ctypes.c_int64
    run.argtypes = [pointer] * 7 + [integer] * 3 + [pointer] * 4
    n, d, P, k = shape.n, shape.d, shape.params, SLOTS[shape.optimizer]
    group = GROUPS * bits // 64

    def run_written(X: Any, y: Any, T: Any, V: Any, lr: Any, fs: Any, ints: Any,
                    start_step: int, stop_step: int, *counters: Any) -> None:  # fmt: skip
        N = T.shape[-1] if isinstance(T, np.ndarray) else -1
        shapes = {"X": (n, d), "y": (n,), "T": (P, N), "V": (k, P, N),
                  "lr": (N,), **dict.fromkeys(_COUNTERS, (N,))}  # fmt: skip
        named = [*zip(_ARRAYS, (X, y, T, V, lr, fs, ints), strict=True),
                 *zip(((c, np.int64) for c in _COUNTERS), counters, strict=True)]  # fmt: skip
        for (name, dtype), a in named:
            if not (isinstance(a, np.ndarray) and a.dtype == dtype and a.flags.c_contiguous):
                raise ValueError(
                    f"run_written: {name} must be a C-contiguous {dtype.__name__} array"
                )
            if name in shapes and a.shape != shapes[name]:
                raise ValueError(f"run_written: {name} has shape {a.shape}, not {shapes[name]}")
        if N % group:
            raise ValueError(f"run_written: {N} networks is not a multiple of {group}")
        if fs.size < 8 or ints.size < 11:
            raise ValueError("run_written: fs, ints shorter than _kernels.run's")
        run(*(a.ctypes.data for a in (X, y, T, V, lr, fs, ints)), N, int(start_step),
            int(stop_step), *(c.ctypes.data for c in counters))  # fmt: skip

    return run_written
