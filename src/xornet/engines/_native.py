"""The one-network loop with its step written out, compiled by the system's C compiler instead
of numba: what the numba engine runs a long full-batch run of a small network with, when ``cc``
is there (:func:`.fused._written_out`; ``XORNET_NATIVE=0`` turns it off), towards issue 20's
first-use target.

numba takes about a second to compile the loop :func:`._written.source_one` writes for a shape,
and every later process pays most of a second to import and set numba up before it runs.
``cc -O2`` compiles the same loop in C in a few hundredths of a second, and ``ctypes`` loads it
with no numba at all (``bench/first_use_c.py``, docs/performance.md).

The C is not a second copy of the loop: :func:`source` parses the Python that
:func:`._written.source_one` writes (:mod:`ast`) and writes each statement again in C, every
local variable a ``double`` or an ``int64_t`` (by the type of its first value), the settings'
indices and stop codes as the numbers of :mod:`._layout`. What the Python calls is written here
in C, as numba computes it: the sigmoid with the table exp of :func:`._exp.exp_table` (the
same constants, from :mod:`._layout`), ``log1p_exp``, Python's ``min`` and ``max`` (the first
argument unless the second is strictly beyond it), ``float ** int`` by numba's squarings, and
libm's ``exp``, ``log1p``, ``tanh``, ``sqrt``. numba compiles with ``fastmath={"contract"}``
for the host CPU; ``cc`` here with ``-march=native -ffp-contract=fast``, so a multiply and an
add may fuse in both (which ones GCC and LLVM fuse is each compiler's choice: see the tests
for how close the two come).

The library is kept in the kernels' cache directory (:func:`._cache.cache_dir`, only when
:func:`._cache.is_private`), named by a hash of its source, of the compile command and of this
CPU's description, so a later process loads it without compiling.
"""

from __future__ import annotations

import ast
import contextlib
import ctypes
import functools
import hashlib
import logging
import os
import platform
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from xornet.engines import _cache, _environment, _layout
from xornet.engines._written import source_one
from xornet.engines._written_step import Shape
from xornet.errors import one_line

__all__ = [
    "COMPILE",
    "COMPILE_SECONDS",
    "FAILED",
    "INT_POWER",
    "attempt",
    "available",
    "compile_library",
    "compiled",
    "gave_up",
    "kernel",
    "library",
    "source",
]

#: The compile command, less the compiler and the file names: what numba does (optimised,
#: for this CPU, multiply-adds fused, no fast-math beyond) as nearly as cc's options say it.
COMPILE = ("-O2", "-march=native", "-ffp-contract=fast", "-fno-math-errno", "-shared", "-fPIC")

#: What the C calls, ported from :mod:`._kernels` and :mod:`._exp`.
_PRELUDE = r"""
#include <math.h>
#include <stdint.h>
#include <string.h>

static const double EXP2_TABLE[128] = {%(table)s};

static inline int64_t bits_of(double x) { int64_t i; memcpy(&i, &x, 8); return i; }
static inline double double_of(int64_t i) { double x; memcpy(&x, &i, 8); return x; }
/* Python's max and min, as numba writes them: the first unless the second is beyond it. */
static inline double py_max(double a, double b) { return b > a ? b : a; }
static inline double py_min(double a, double b) { return b < a ? b : a; }

/* _exp.exp_table: e^x for x <= 0, within 1 ulp. */
static inline double exp_table(double x) {
  x = py_max(x, -700.0);
  double t = x * (128.0 * %(log2e)r) + %(round)r;
  double kf = t - %(round)r;
  double r = (x - kf * (%(ln2_hi)r / 128.0)) - kf * (%(ln2_lo)r / 128.0);
  int64_t k = bits_of(t) - bits_of(%(round)r);
  double s = double_of((int64_t)((uint64_t)bits_of(EXP2_TABLE[k & 127])
                                 + ((uint64_t)(k >> 7) << 52)));
  double r2 = r * r;
  double expm1_r = r + r2 * ((0.5 + r * (1.0 / 6.0)) + r2 * (1.0 / 24.0 + r * (1.0 / 120.0)));
  return s + s * expm1_r;
}

/* _kernels.sigmoid_called: the stable logistic function. */
static inline double sigmoid_called(double z) {
  double e = exp_table(-fabs(z));
  double r = 1.0 / (1.0 + e);
  return z >= 0.0 ? r : e * r;
}

/* _kernels.log1p_exp: log(1 + e^z) without overflow. */
static inline double log1p_exp(double z) {
  if (z == 0.0) return log(2.0);
  if (z > 0.0) return z + log1p(exp(-z));
  return log1p(exp(z));
}

%(int_power)s"""

#: ``float ** int`` in C, as numba computes it (also :mod:`._native_lanes`'s).
INT_POWER = r"""
/* float ** int as numba computes it (numbers.int_power_impl): squarings, or pow beyond 2^16. */
static inline double int_power(double a, int64_t b) {
  double r = 1.0;
  int invert = b < 0;
  int64_t e = invert ? -b : b;
  if (e > 0x10000) return pow(a, (double)b);
  while (e != 0) {
    if (e & 1) r *= a;
    e >>= 1;
    a *= a;
  }
  return invert ? 1.0 / r : r;
}
"""

#: The arguments of ``run_one`` in C: (name, C type).
_ARGUMENTS = (
    ("X", "const double *"), ("y", "const double *"), ("theta", "double *"),
    ("state", "double *"), ("fs", "const double *"), ("ints", "const int64_t *"),
    ("stop_step", "int64_t "), ("history", "double *"), ("history_size", "int64_t "),
    ("counters", "int64_t *"),
)  # fmt: skip
_INTEGER_ARRAYS = {"ints", "counters"}
_CALLS = {"sigmoid_called": "sigmoid_called", "log1p_exp": "log1p_exp", "max": "py_max",
          "min": "py_min", "math.tanh": "tanh", "math.sqrt": "sqrt",
          "math.isfinite": "isfinite"}  # fmt: skip
#: Python's operators in C.
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%",
              ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
              ast.NotEq: "!=", ast.And: "&&", ast.Or: "||"}  # fmt: skip
DOUBLE, INT = "double", "int64_t"


def assignments(node: ast.Assign) -> list[tuple[ast.expr, ast.expr]]:
    """``a = x`` as [(a, x)], and ``a, b = x, y`` as [(a, x), (b, y)], one after the other in
    C, which is Python's meaning unless a value reads a target (a swap: refused).

    Raises
    ------
    ValueError
        For a swap, or an assignment to several targets at once.
    """
    (target,) = node.targets
    if not isinstance(target, ast.Tuple):
        return [(target, node.value)]
    values = node.value.elts  # type: ignore[attr-defined]
    names = {ast.unparse(t) for t in target.elts}
    if names & {ast.unparse(n) for v in values for n in ast.walk(v)}:
        raise ValueError(f"no C for the swap {ast.unparse(node)!r}")
    return list(zip(target.elts, values, strict=True))


class _Writer:
    """Python statements of ``run_one`` to C: the types of the locals it meets, and the text."""

    def __init__(self, d: int, P: int) -> None:
        self.d, self.P = d, P
        self.types: dict[str, str] = {"stop_step": INT}

    def type_of(self, node: ast.expr) -> str:
        """The C type of an expression's value (a comparison's is an integer, as in C)."""
        if isinstance(node, ast.Constant):
            return DOUBLE if isinstance(node.value, float) else INT
        if isinstance(node, ast.Name):
            return self.types.get(node.id, INT)  # the codes of _layout are integers
        if isinstance(node, ast.Attribute):  # math.inf, history.size
            return DOUBLE if node.attr == "inf" else INT
        if isinstance(node, ast.Subscript):
            array = node.value.id  # type: ignore[attr-defined]
            return INT if array in _INTEGER_ARRAYS else DOUBLE
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Div | ast.Pow):
                return DOUBLE
            kinds = {self.type_of(node.left), self.type_of(node.right)}
            return DOUBLE if DOUBLE in kinds else INT
        if isinstance(node, ast.UnaryOp):
            return INT if isinstance(node.op, ast.Not) else self.type_of(node.operand)
        if isinstance(node, ast.IfExp):
            kinds = {self.type_of(node.body), self.type_of(node.orelse)}
            return DOUBLE if DOUBLE in kinds else INT
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name in ("min", "max"):
                return DOUBLE if DOUBLE in {self.type_of(a) for a in node.args} else INT
            return INT if name == "math.isfinite" else DOUBLE
        if isinstance(node, ast.Compare | ast.BoolOp):
            return INT
        raise ValueError(f"no C for {ast.unparse(node)!r}")

    def expr(self, node: ast.expr) -> str:
        """An expression in C, fully parenthesised."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ValueError(f"no C for the constant {node.value!r}")
            return repr(float(node.value)) if isinstance(node.value, float) else str(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.types or node.id in dict(_ARGUMENTS):
                return node.id
            return str(int(getattr(_layout, node.id)))  # a code or an index
        if isinstance(node, ast.Attribute):
            text = ast.unparse(node)
            known = {"math.inf": "INFINITY", "history.size": "history_size"}
            if text not in known:
                raise ValueError(f"no C for {text!r}")
            return known[text]
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.BinOp):
            left, right = self.expr(node.left), self.expr(node.right)
            if isinstance(node.op, ast.Pow):
                if isinstance(node.right, ast.Constant) and node.right.value == 2:
                    return f"({left} * {left})"  # numba's x ** 2: one multiplication
                return f"int_power({left}, {right})"
            return f"({left} {OPERATORS[type(node.op)]} {right})"
        if isinstance(node, ast.UnaryOp):
            op = {ast.USub: "-", ast.Not: "!", ast.UAdd: "+"}[type(node.op)]
            return f"({op}{self.expr(node.operand)})"
        if isinstance(node, ast.IfExp):
            return f"({self.expr(node.test)} ? {self.expr(node.body)} : {self.expr(node.orelse)})"
        if isinstance(node, ast.Call):
            args = ", ".join(self.expr(a) for a in node.args)
            return f"{_CALLS[ast.unparse(node.func)]}({args})"
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise ValueError(f"no C for the chained {ast.unparse(node)!r}")
            op = OPERATORS[type(node.ops[0])]
            return f"({self.expr(node.left)} {op} {self.expr(node.comparators[0])})"
        if isinstance(node, ast.BoolOp):
            op = f" {OPERATORS[type(node.op)]} "
            return f"({op.join(self.expr(v) for v in node.values)})"
        raise ValueError(f"no C for {ast.unparse(node)!r}")

    def subscript(self, node: ast.Subscript) -> str:
        """``X[r, i]`` and ``state[row, c]`` as flat indices; the vectors' as they are."""
        array = node.value.id  # type: ignore[attr-defined]
        index = node.slice
        if isinstance(index, ast.Tuple):
            width = {"X": self.d, "state": self.P}[array]
            row, column = (self.expr(e) for e in index.elts)
            return f"{array}[({row}) * {width} + ({column})]"
        return f"{array}[{self.expr(index)}]"

    def assign(self, target: ast.expr, value: ast.expr) -> str:
        if isinstance(target, ast.Name) and target.id not in self.types:
            self.types[target.id] = self.type_of(value)
        return f"{self.expr(target)} = {self.expr(value)};"

    def statements(self, body: list[ast.stmt], indent: int) -> list[str]:
        """The C lines of ``body``, ``indent`` levels in."""
        pad = "  " * indent
        out: list[str] = []
        for node in body:
            if isinstance(node, ast.Assign):
                out += [pad + self.assign(t, v) for t, v in assignments(node)]
            elif isinstance(node, ast.AugAssign):
                op = OPERATORS[type(node.op)]
                out.append(f"{pad}{self.expr(node.target)} {op}= {self.expr(node.value)};")
            elif isinstance(node, ast.If):
                out.append(f"{pad}if ({self.expr(node.test)}) {{")
                out += self.statements(node.body, indent + 1)
                if node.orelse:
                    out.append(f"{pad}}} else {{")
                    out += self.statements(node.orelse, indent + 1)
                out.append(pad + "}")
            elif isinstance(node, ast.While):
                out.append(f"{pad}while ({self.expr(node.test)}) {{")
                out += self.statements(node.body, indent + 1)
                out.append(pad + "}")
            elif isinstance(node, ast.Break):
                out.append(pad + "break;")
            elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
                raise ValueError(f"no C for {ast.unparse(node)!r}")
        return out


@functools.cache  # asked for by the run, and by the command line's compile notice
def source(shape: Shape) -> str:
    """The C source of ``run_one`` for one shape and choice: :func:`._written.source_one`'s
    loop, statement by statement.

    Parameters
    ----------
    shape : Shape
        The network and the choice (:class:`._written_step.Shape`).

    Returns
    -------
    str
        A C file defining ``void run_one(const double *X, const double *y, double *theta,
        double *state, const double *fs, const int64_t *ints, int64_t stop_step,
        double *history, int64_t history_size, int64_t *counters)``: the arrays of
        ``source_one``'s ``run_one``, C-contiguous, with ``history``'s length beside it.
    """
    python = source_one(shape)
    function = next(
        node for node in ast.parse(python).body
        if isinstance(node, ast.FunctionDef) and node.name == "run_one"
    )  # fmt: skip
    writer = _Writer(shape.d, shape.params)
    body = writer.statements(function.body, 1)
    locals_ = [f"  {kind} {name};" for name, kind in writer.types.items() if name != "stop_step"]
    arguments = ", ".join(f"{kind}{name}" for name, kind in _ARGUMENTS)
    table = ", ".join(repr(float(v)) for v in _layout.EXP2_TABLE)
    prelude = _PRELUDE % {
        "table": table, "log2e": _layout.LOG2E, "round": _layout.ROUND,
        "ln2_hi": _layout.LN2_HI, "ln2_lo": _layout.LN2_LO, "int_power": INT_POWER,
    }  # fmt: skip
    head = python.split('"""')[1].strip().splitlines()[0]
    return (
        f"/* {head}\n   Generated by xornet.engines._native.source from _written.source_one. */\n"
        + prelude
        + f"\nvoid run_one({arguments}) {{\n"
        + "\n".join(locals_ + body)
        + "\n}\n"
    )


def attempt(build: Callable[..., Callable[..., None]], shape: Shape, **kwargs: Any
            ) -> Callable[..., None] | None:  # fmt: skip
    """``build(shape, **kwargs)``, a loop compiled in C (:func:`kernel`,
    :func:`._native_lanes.kernel`), or None when ``cc`` could not compile or load it: numba's
    loop then runs, with the same results. The failure is said as a warning of the ``xornet``
    logger (the command line prints it as ``xornet: warning: ...``), once a process: what
    failed is not tried again in this process. A later process tries again (and says so again
    if it fails): a failure is not remembered on disk, since what made it (headers, a full
    disk, a compiler killed for memory, a timeout on a loaded machine) may be gone by then,
    and a remembered one would silently leave every later run to numba."""
    key = (build.__module__, build.__name__, shape, tuple(sorted(kwargs.items())))
    with _BUILDING:  # one compile at a time: threads asking for the same loop share it
        if key in FAILED:
            return None
        try:
            return build(shape, **kwargs)
        except (RuntimeError, OSError) as error:  # cc failed or vanished, or a bad library
            FAILED.add(key)
            log.warning(
                "cc could not compile the loop of %s: %s; numba's loop runs it instead (the "
                "same numbers; %s=0 stops trying cc)", shape.described(build is not kernel),
                one_line(error, limit=200), _environment.NATIVE_VARIABLE,
            )  # fmt: skip
            return None


#: The loops whose C failed to compile or load in this process: :func:`attempt`'s keys.
FAILED: set[tuple[Any, ...]] = set()
_BUILDING = threading.Lock()
#: What a user should know and what stops nothing (a cc that fails) goes to the ``xornet``
#: logger: a program silences it with ``logging.getLogger("xornet").setLevel(logging.ERROR)``.
log = logging.getLogger(__name__)


def gave_up(shape: Shape) -> bool:
    """Whether cc failed on the one-network loop of ``shape`` in this process, so that
    numba's loop runs it."""
    return any(key[:3] == (__name__, "kernel", shape) for key in FAILED)


def available() -> bool:
    """Whether the numba engine's written-out loops are to be compiled in C here (the
    one-network loop, :func:`kernel`, and the lanes', :mod:`._native_lanes`): a C compiler is
    on the PATH as ``cc`` (whether it works shows when it runs: :func:`attempt`), and the
    environment variable ``XORNET_NATIVE`` is not ``0`` (which leaves them to numba, as
    before the C path; docs/cli.md).

    Raises
    ------
    XornetError
        If ``XORNET_NATIVE`` is set to anything but 0 or 1 (``off`` would read as on).
    """
    return _environment.native_allowed() and shutil.which("cc") is not None


@functools.cache
def _machine() -> str:
    """This CPU, as far as the library depends on it (``-march=native``): a library compiled
    on another machine sharing the cache directory is never loaded here."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        info = ""
    wanted = ("model name", "flags", "Features", "CPU part")
    lines = {line for line in info.splitlines() if line.split(":")[0].strip() in wanted}
    return platform.machine() + "\n" + "\n".join(sorted(lines))


#: Longest a compile may take: the largest loops take cc up to 7 s here; a cc that hangs would
#: stop every run.
COMPILE_SECONDS = 30


def compile_library(text: str, out: Path, options: tuple[str, ...] = COMPILE) -> None:
    """Compile the C ``text`` into the shared library ``out`` (written whole or not at all),
    with ``cc``'s ``options``, in at most :data:`COMPILE_SECONDS`.

    Raises
    ------
    RuntimeError
        cc failed, or took too long: the message is cc's first line of error (``loop.c:9:1:
        error: ...``), or says so.
    """
    # Named so that xornet cache counts and clears what a killed compile leaves (_cache).
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f"{_cache.NATIVE_PREFIX}tmp") as tmp:
        Path(tmp, "loop.c").write_text(text)
        # In the compile directory, so that cc's messages name loop.c, not a long path; in
        # English (LC_ALL=C), so that its line of error is found; in a process group of its
        # own, so that a timeout stops cc1 and the linker too, not cc alone.
        with subprocess.Popen(["cc", *options, "-o", "loop.so", "loop.c", "-lm"], cwd=tmp,
                              env={**os.environ, "LC_ALL": "C"}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              start_new_session=True) as cc:  # fmt: skip
            try:
                _, stderr = cc.communicate(timeout=COMPILE_SECONDS)
            except BaseException as stopped:  # a timeout, or Ctrl-C (which cc does not get)
                with contextlib.suppress(OSError):
                    if hasattr(os, "killpg"):  # POSIX: the group; elsewhere cc alone
                        os.killpg(cc.pid, signal.SIGKILL)
                    else:
                        cc.kill()
                cc.communicate()
                if isinstance(stopped, subprocess.TimeoutExpired):
                    raise RuntimeError(f"cc did not finish in {COMPILE_SECONDS} s") from None
                raise
        if cc.returncode != 0:
            said = [line.strip() for line in stderr.splitlines() if line.strip()]
            errors = [line for line in said if "error" in line]  # not "In function ..."
            # the compiler's own line, not the driver's summary (collect2, clang: linker failed)
            why = next((e for e in errors if not e.startswith(("collect2", "clang"))), None)
            raise RuntimeError(why or (said or [f"cc exited with {cc.returncode}"])[0])
        os.replace(Path(tmp) / "loop.so", out)


def _path(text: str, options: tuple[str, ...] = COMPILE) -> Path:
    """Where the library compiled from ``text`` with ``options`` is kept in the cache
    directory."""
    key = hashlib.sha256("\n".join([text, *options, _machine()]).encode()).hexdigest()[:16]
    return _cache.cache_dir() / f"{_cache.NATIVE_PREFIX}{key}.so"


def library(text: str, entry: str, options: tuple[str, ...] = COMPILE) -> ctypes.CDLL:
    """The C ``text`` compiled with ``options``, with the function ``entry``: from the cache
    directory (compiled there first if needed; compiled again if the file there does not load
    or lacks ``entry``), or compiled in a temporary directory when the cache cannot be used
    safely.

    Raises
    ------
    RuntimeError
        cc failed.
    OSError
        cc is not there, or the library did not load, or has no ``entry``.
    """
    path = _path(text, options)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _cache.is_private(path.parent):
            raise PermissionError(f"{path.parent} can be written by others")
        if path.exists():
            try:
                return _loaded_with(path, entry)
            except OSError:  # a damaged file: compiled again below
                path.unlink(missing_ok=True)
        compile_library(text, path, options)
        return _loaded_with(path, entry)
    except OSError:
        with tempfile.TemporaryDirectory() as tmp:
            compile_library(text, Path(tmp) / "loop.so", options)
            return _loaded_with(Path(tmp) / "loop.so", entry)  # mapped: the file may go


def _loaded_with(path: Path, entry: str) -> ctypes.CDLL:
    """The library at ``path``, which must define ``entry`` (OSError if not)."""
    loaded = ctypes.CDLL(str(path))
    if not hasattr(loaded, entry):
        raise OSError(f"{path} has no function {entry}")
    return loaded


def kernel(shape: Shape) -> Callable[..., None]:
    """``run_one`` compiled in C for one shape and choice (once a process; from the cache
    directory when an earlier process compiled it).

    Returns
    -------
    callable
        ``run_one(X, y, theta, state, fs, ints, stop_step, history, counters)``, with the
        arrays and meaning of :func:`._written.source_one`'s: float64 ``X (n, d)``, ``y (n,)``,
        ``theta (P,)``, ``state (3, P)``, ``fs``, ``history``, int64 ``ints``, ``counters``,
        all C-contiguous (checked: a ValueError names the array that is not).
    """
    return _kernel(shape)


def compiled(shape: Shape) -> bool:
    """Whether :func:`kernel` has this loop without compiling it: loaded in this process, or
    its library in a cache directory that is used (:func:`._cache.is_private`)."""
    if shape in _loaded:
        return True
    path = _path(source(shape))
    return path.exists() and _cache.is_private(path.parent)


#: The shapes :func:`_kernel` has loaded in this process.
_loaded: set[Shape] = set()


@functools.cache
def _kernel(shape: Shape) -> Callable[..., None]:
    n, d, P = shape.n, shape.d, shape.params
    run = library(source(shape), "run_one").run_one
    run.restype = None
    pointer, integer = ctypes.c_void_p, ctypes.c_int64
    run.argtypes = [pointer] * 6 + [integer, pointer, integer, pointer]
    shapes = {"X": (n, d), "y": (n,), "theta": (P,), "state": (3, P)}

    def run_one(X: Any, y: Any, theta: Any, state: Any, fs: Any, ints: Any, stop_step: int,
                history: Any, counters: Any) -> None:  # fmt: skip
        arrays = {"X": X, "y": y, "theta": theta, "state": state, "fs": fs, "ints": ints,
                  "history": history, "counters": counters}  # fmt: skip
        for name, a in arrays.items():
            dtype = np.int64 if name in _INTEGER_ARRAYS else np.float64
            if not (isinstance(a, np.ndarray) and a.dtype == dtype and a.flags.c_contiguous):
                raise ValueError(f"run_one: {name} must be a C-contiguous {dtype.__name__} array")
            if name in shapes and a.shape != shapes[name]:
                raise ValueError(f"run_one: {name} has shape {a.shape}, not {shapes[name]}")
        if fs.size < 8 or ints.size < 11 or counters.size < 6:
            raise ValueError("run_one: fs, ints, counters shorter than _kernels.run's")
        run(X.ctypes.data, y.ctypes.data, theta.ctypes.data, state.ctypes.data, fs.ctypes.data,
            ints.ctypes.data, int(stop_step), history.ctypes.data, history.size,
            counters.ctypes.data)  # fmt: skip

    run_one.loop = "written-c"  # type: ignore[attr-defined]  # fused.LOOPS: what ran, for a result
    _loaded.add(shape)
    return run_one
