"""xornet's benchmark: one network, many networks, and whole processes, in one run.

Run from the repository root, after ``pip install -e ".[bench]"``::

    python bench/bench.py            # the full run (a few minutes)
    python bench/bench.py --quick    # fewer repeats and smaller N, for a smoke test

Everything is timed in this one process run (except the end-to-end rows, which time fresh
processes), and the tables print ratios, so the numbers compare like with like on whatever
machine runs them. Each timing is the median of several repeats; in the one-network table the
implementations take turns, a run each per round, so that the machine's slow spells fall on all
of them alike. Optional comparators (JAX, PyTorch, scikit-learn) are marked "absent" when they
are not installed.

In the many-networks table the PyTorch and JAX rows marked "strongest" are the fastest
versions we could write (``bench/peers.py`` says how: the networks last, the 2x2 products
written out, ``torch.compile`` fusing 4 steps into one C++ loop, JAX's networks split over 2
CPU devices), and the ratios printed under it are against the best of them. The older rows
(PyTorch's ``bmm``, JAX's ``vmap`` of matrix products) stay as context. For one network JAX's
matrix form was the faster of its two rows here, and the "vs the best JAX" column takes the
faster one.

The post's network: 2 inputs, 2 hidden sigmoid units, 4 samples (XOR), float64, full-batch
gradient descent at learning rate 0.01.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import peers  # bench/peers.py, beside this script

import xornet
from xornet import tutorial
from xornet.engines import _native
from xornet.engines import many as many_module

ROOT = Path(__file__).resolve().parent.parent
X4, Y4, LR = peers.X4, peers.Y4, peers.LR  # XOR, and the post's learning rate


def median_time(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``fn()`` over ``repeats`` calls (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(runs: list[Callable[[], object]], rounds: int) -> list[float]:
    """Median wall time of each of ``runs`` over ``rounds`` rounds in which each runs once, in
    turn (after one warm-up call each)."""
    for fn in runs:
        fn()
    times: list[list[float]] = [[] for _ in runs]
    for _ in range(rounds):
        for fn, own in zip(runs, times, strict=True):
            start = time.perf_counter()
            fn()
            own.append(time.perf_counter() - start)
    return [statistics.median(own) for own in times]


def have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# ----------------------------------------------------------------------------- the post


def post_plain(steps: int) -> None:
    """The post's algorithm written plainly (its layout, its formulas)."""
    X, Y = X4.T, Y4[None, :]
    rng = np.random.RandomState(3)
    W1, B1, W2, B2 = rng.randn(2, 2), np.zeros((2, 1)), rng.randn(2, 1), np.zeros((1, 1))
    for _ in range(steps):
        Z1 = W1.T @ X + B1
        H = 1 / (1 + np.exp(-Z1))
        Z2 = W2.T @ H + B2
        YHat = 1 / (1 + np.exp(-Z2))
        _loss = -np.mean(Y * np.log(YHat) + (1 - Y) * np.log(1 - YHat))
        dZ2 = (YHat - Y) / 4
        dW2 = H @ dZ2.T
        dB2 = dZ2.sum(axis=1, keepdims=True)
        dZ1 = (W2 @ dZ2) * H * (1 - H)
        dW1 = X @ dZ1.T
        dB1 = dZ1.sum(axis=1, keepdims=True)
        W1 -= LR * dW1
        B1 -= LR * dB1
        W2 -= LR * dW2
        B2 -= LR * dB2


# ----------------------------------------------------------------------------- comparators


def jax_runner(n_networks: int | None, steps: int) -> tuple[Callable[[], object], float]:
    """A jitted whole-loop (lax.scan) trainer; vmapped over networks when n_networks is set.
    Returns the runner and its compile time."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    X, Y = jnp.asarray(X4), jnp.asarray(Y4)

    def step(params, _):  # type: ignore[no-untyped-def]
        W1, b1, W2, b2 = params
        H = jax.nn.sigmoid(X @ W1 + b1)
        P = jax.nn.sigmoid(H @ W2 + b2)
        dZ2 = (P - Y) / 4
        dW2, db2 = H.T @ dZ2, dZ2.sum()
        dZ1 = jnp.outer(dZ2, W2) * H * (1 - H)
        dW1, db1 = X.T @ dZ1, dZ1.sum(axis=0)
        return (W1 - LR * dW1, b1 - LR * db1, W2 - LR * dW2, b2 - LR * db2), None

    def run(params):  # type: ignore[no-untyped-def]
        return jax.lax.scan(step, params, None, length=steps)[0]

    rng = np.random.default_rng(0)
    shape = () if n_networks is None else (n_networks,)
    params = tuple(jnp.asarray(rng.standard_normal(shape + s)) for s in ((2, 2), (2,), (2,), ()))
    compiled = jax.jit(run if n_networks is None else jax.vmap(run))
    start = time.perf_counter()
    jax.block_until_ready(compiled(params))
    compile_seconds = time.perf_counter() - start
    return (lambda: jax.block_until_ready(compiled(params))), compile_seconds


def torch_runner(n_networks: int | None, steps: int) -> Callable[[], object]:
    """PyTorch eager, manual gradients (batched with bmm when n_networks is set)."""
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    N = 1 if n_networks is None else n_networks
    X = torch.tensor(X4, dtype=torch.float64).expand(N, 4, 2)
    Y = torch.tensor(Y4, dtype=torch.float64).reshape(1, 4, 1)
    gen = torch.Generator().manual_seed(0)

    def run() -> None:
        W1 = torch.randn(N, 2, 2, generator=gen, dtype=torch.float64)
        b1 = torch.zeros(N, 1, 2, dtype=torch.float64)
        W2 = torch.randn(N, 2, 1, generator=gen, dtype=torch.float64)
        b2 = torch.zeros(N, 1, 1, dtype=torch.float64)
        for _ in range(steps):
            H = torch.sigmoid(torch.bmm(X, W1) + b1)
            P = torch.sigmoid(torch.bmm(H, W2) + b2)
            dZ2 = (P - Y) / 4
            dW2 = torch.bmm(H.transpose(1, 2), dZ2)
            db2 = dZ2.sum(dim=1, keepdim=True)
            dZ1 = torch.bmm(dZ2, W2.transpose(1, 2)) * H * (1 - H)
            dW1 = torch.bmm(X.transpose(1, 2), dZ1)
            db1 = dZ1.sum(dim=1, keepdim=True)
            W1.sub_(LR * dW1)
            b1.sub_(LR * db1)
            W2.sub_(LR * dW2)
            b2.sub_(LR * db2)

    return run


def sklearn_runner(steps: int) -> Callable[[], object]:
    """scikit-learn's MLPClassifier with plain SGD on batches of 4: one step per epoch."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    def run() -> None:
        model = MLPClassifier(
            hidden_layer_sizes=(2,), activation="logistic", solver="sgd", batch_size=4,
            learning_rate_init=LR, momentum=0.0, alpha=0.0, max_iter=steps, shuffle=False,
            tol=0.0, n_iter_no_change=steps + 1, random_state=0,
        )  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X4, Y4)

    return run


# ----------------------------------------------------------------------------- sections


def one_network(repeats: int) -> list[tuple[str, float | None, str]]:
    """Nanoseconds a step for the post's network, each implementation.

    The implementations take turns, one run each per round, and each one's median over the
    rounds is reported: a shared machine's slow and fast spells then fall on all of them alike,
    and the ratios between them hold better than timing each one's repeats in a row.
    """
    full = 200_000
    short = 4_000
    config = xornet.PRESETS["post"]
    start_params = xornet.post_initial_params(3)

    def xornet_run(engine: str, steps: int) -> Callable[[], object]:
        cfg = config.replace(steps=steps)
        return lambda: xornet.train(X4, Y4, cfg, params=start_params, engine=engine)

    def tutorial_run() -> None:
        np.random.seed(3)  # noqa: NPY002  (the post's API draws from the global state)
        tutorial.optimize(tutorial.X, tutorial.Y, tutorial.init_parameters(2))

    # (name, the run, its steps, a note); None for a comparator that is not installed
    entries: list[tuple[str, Callable[[], object] | None, int, str]] = [
        ("xornet, numba engine (whole loop compiled)", xornet_run("numba", full), full, ""),
        ("xornet, NumPy reference engine", xornet_run("numpy", short), short, ""),
        ("xornet.tutorial.optimize (the post's API)", tutorial_run, full, "engine auto: numba"),
        ("the post's algorithm, written plainly", lambda: post_plain(short), short, ""),
    ]
    if have("jax"):
        run, compile_seconds = peers.jax_scan(1, full)
        entries.append(("JAX, written out, jit + lax.scan", run, full,
                        f"compile {compile_seconds:.2f} s"))  # fmt: skip
        run, compile_seconds = jax_runner(None, full)
        entries.append(("JAX, jit + lax.scan", run, full, f"compile {compile_seconds:.2f} s"))
    else:
        entries.append(("JAX, written out, jit + lax.scan", None, full, "absent"))
        entries.append(("JAX, jit + lax.scan", None, full, "absent"))
    if have("torch"):
        run, compile_seconds = peers.torch_compiled(1, short)
        entries.append(("PyTorch, torch.compile, 4 steps a call", run, short,
                        f"compile {compile_seconds:.2f} s"))  # fmt: skip
    else:
        entries.append(("PyTorch, torch.compile, 4 steps a call", None, short,
                        "absent"))  # fmt: skip
    torch_run = torch_runner(None, short) if have("torch") else None
    entries.append(("PyTorch eager, manual gradients", torch_run, short,
                    "" if torch_run else "absent"))  # fmt: skip
    sklearn_run = sklearn_runner(2_000) if have("sklearn") else None
    entries.append(("scikit-learn MLPClassifier, sgd, batch 4", sklearn_run, 2_000,
                    "" if sklearn_run else "absent"))  # fmt: skip
    runs = [run for _, run, _, _ in entries if run is not None]
    seconds = iter(interleaved_medians(runs, repeats))
    return [(name, None if run is None else next(seconds) / steps * 1e9, note)
            for name, run, steps, note in entries]  # fmt: skip


def many_networks(sizes: list[int], repeats: int) -> list[tuple[str, int, float | None]]:
    """Network-steps per second (millions) for N networks of the post's shape."""
    rows: list[tuple[str, int, float | None]] = []
    config = xornet.PRESETS["post"]
    for N in sizes:
        steps = int(min(20_000, max(50, 4e6 // N)))
        cfg = config.replace(steps=steps)
        starts = [xornet.init_params(2, 2, rng=i) for i in range(N)]
        by = " (by cc)" if _native.available() else ""  # else numba compiles it
        kinds = [
            ("numba engine, lanes", "numba", many_module.WRITTEN_OUT_MIN_WORK),
            (f"numba engine, step written out{by}", "numba", 0),
            ("NumPy engine", "numpy", many_module.WRITTEN_OUT_MIN_WORK),
        ]
        for label, engine, min_work in kinds:
            # Which numba kernel runs depends on the job's size (see engines/many.py); here
            # both are timed at every size, the written-out one after compiling it once.
            with written_out_from(min_work):
                xornet.train_many(X4, Y4, cfg.replace(steps=2), 16, engine=engine)  # warm up
                loop = []
                for _ in range(repeats):
                    result = xornet.train_many(X4, Y4, cfg, range(N), params=starts, engine=engine)
                    loop.append(result.train_seconds)
            rate = N * steps / statistics.median(loop) / 1e6
            rows.append((f"xornet train_many, {label}", N, rate))
        for name, rate in peer_rates(N, steps, repeats):
            rows.append((name, N, rate))
    return rows


#: The peers' rows of the many-networks table: the strongest first, then the older ones.
PEERS = (
    "PyTorch, strongest: networks last, torch.compile",
    "PyTorch, networks last, eager, in place",
    "JAX, strongest: networks last, jit + lax.scan, 2 devices",
    "PyTorch batched (bmm), eager",
    "JAX, vmap of jit + lax.scan",
)


def peer_rates(N: int, steps: int, repeats: int) -> list[tuple[str, float | None]]:
    """Million network-steps a second of each of :data:`PEERS` for N networks (None: absent)."""
    eager_steps = max(20, steps // 10)
    rates: list[float | None] = [None] * len(PEERS)
    if have("torch"):
        run, _ = peers.torch_compiled(N, steps)
        rates[0] = N * steps / median_time(run, repeats) / 1e6
        rates[1] = N * eager_steps / median_time(peers.torch_eager(N, eager_steps), repeats) / 1e6
        rates[3] = N * eager_steps / median_time(torch_runner(N, eager_steps), repeats) / 1e6
    if have("jax"):
        run, _ = peers.jax_scan(N, steps)
        rates[2] = N * steps / median_time(run, repeats) / 1e6
        run, _ = jax_runner(N, steps)
        rates[4] = N * steps / median_time(run, repeats) / 1e6
    return list(zip(PEERS, rates, strict=True))


@contextlib.contextmanager
def written_out_from(min_work: int) -> Iterator[None]:
    """Within the block, ``train_many`` writes the step out from ``min_work`` network-steps,
    whether numba or ``cc`` compiles it."""
    names = ("WRITTEN_OUT_MIN_WORK", "WRITTEN_OUT_ANY_JOB_TERMS")
    defaults = [getattr(many_module, name) for name in names]
    for name, value in zip(names, (min_work, 0), strict=True):
        setattr(many_module, name, value)
    try:
        yield
    finally:
        for name, default in zip(names, defaults, strict=True):
            setattr(many_module, name, default)


def long_job(
    n_networks: int, steps: int, repeats: int, widths: tuple[int, ...]
) -> list[tuple[str, float]]:
    """Network-steps per second (millions) of a long ``train_many`` job, each numba kernel and
    each vector width in ``widths`` (the CPU's own first; others by ``XORNET_VECTOR_BITS``):
    the median of ``repeats`` runs, the kernels in turns (this shared VM's speed drifts). Each
    label names the kernel that ran (``ManyResult.kernel``)."""
    config = xornet.PRESETS["post"].replace(steps=steps)
    kernels = [
        (label, min_work, bits)
        for bits in widths
        for label, min_work in (("lanes", n_networks * steps + 1), ("step written out", 0))
    ]
    for _, min_work, bits in kernels:
        with written_out_from(min_work), vector_bits(bits):
            xornet.train_many(X4, Y4, config.replace(steps=2), 16, engine="numba")  # warm up
    seconds: dict[tuple[str, int], list[float]] = {(lb, bits): [] for lb, _, bits in kernels}
    ran: dict[tuple[str, int], str] = {}
    for _ in range(repeats):
        for label, min_work, bits in kernels:
            with written_out_from(min_work), vector_bits(bits):
                result = xornet.train_many(X4, Y4, config, n_networks, engine="numba")
            seconds[label, bits].append(result.train_seconds)
            ran[label, bits] = result.kernel
    return [
        (f"{label} ({ran[label, bits]})", n_networks * steps / statistics.median(s) / 1e6)
        for (label, bits), s in seconds.items()
    ]


@contextlib.contextmanager
def vector_bits(bits: int | None) -> Iterator[None]:
    """Within the block, the lanes use vectors of at most ``bits`` (None: the CPU's)."""
    from xornet.engines._lanes import VECTOR_BITS_VARIABLE

    default = os.environ.pop(VECTOR_BITS_VARIABLE, None)
    if bits is not None:
        os.environ[VECTOR_BITS_VARIABLE] = str(bits)
    try:
        yield
    finally:
        os.environ.pop(VECTOR_BITS_VARIABLE, None)
        if default is not None:
            os.environ[VECTOR_BITS_VARIABLE] = default


def lanes_report() -> str:
    """Which vector width the lanes run with here, and why (the CPU numba compiles for)."""
    import llvmlite.binding as llvm
    import numba

    from xornet.engines._lanes import cpu_vector_bits
    from xornet.engines._lanes import vector_bits as chosen

    cpu = numba.config.CPU_NAME or llvm.get_host_cpu_name()
    features = numba.config.CPU_FEATURES or llvm.get_host_cpu_features().flatten()
    has = [name for name in ("avx512f", "avx2", "fma") if f"+{name}" in features.split(",")]
    return (
        f"lanes: {chosen()}-bit vectors (numba compiles for CPU {cpu!r} with "
        f"{', '.join(has) or 'none of avx512f, avx2, fma'}; the CPU's widest: "
        f"{cpu_vector_bits()} bits)"
    )


# ------------------------------------------------------------------ every setting in lanes

#: docs/experiments.md, section 2: one pattern a step, in a fixed order, 1,000 starts.
PER_PATTERN = xornet.TrainConfig(
    hidden=2, init="uniform", init_scale=1.0, loss="sse", learning_rate=0.5, batch_size=1,
    shuffle=False, tol=0.04, steps=40_000,
)  # fmt: skip


@contextlib.contextmanager
def one_network_at_a_time() -> Iterator[None]:
    """Within the block, ``train_many`` runs every network alone (the compiled one-network
    loop per network, spread over the cores): what it did for mini-batches, softmax and
    shortcut networks before they ran in lanes."""
    default, many_module.MIN_LANES = many_module.MIN_LANES, 10**18
    try:
        yield
    finally:
        many_module.MIN_LANES = default


def before_and_after(
    X: np.ndarray, y: np.ndarray, config: xornet.TrainConfig, n_networks: int, rounds: int
) -> dict[str, float | str]:
    """One job through ``train_many`` one network at a time (before) and in lanes (after), in
    turns: the median train and wall seconds of each, and whether the numbers agree."""
    xornet.train_many(X, y, config.replace(steps=2), 16, engine="numba")  # warm up both
    with one_network_at_a_time():
        xornet.train_many(X, y, config.replace(steps=2), 16, engine="numba")
    runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
    results = {}
    for _ in range(rounds):
        for when in ("before", "after"):
            context = one_network_at_a_time() if when == "before" else contextlib.nullcontext()
            with context:
                start = time.perf_counter()
                result = xornet.train_many(X, y, config, n_networks, engine="numba")
                runs[when].append((result.train_seconds, time.perf_counter() - start))
            results[when] = result
    out: dict[str, float | str] = {}
    for when, times in runs.items():
        out[f"{when} train"] = statistics.median(t for t, _ in times)
        out[f"{when} wall"] = statistics.median(w for _, w in times)
        out[f"{when} kernel"] = results[when].kernel
    same_steps = bool((results["before"].steps == results["after"].steps).all())
    out["max |difference|"] = float(
        np.abs(results["before"].thetas - results["after"].thetas).max()
    )
    out["same steps"] = "yes" if same_steps else "NO"
    return out


def parity_rates(bits: int, n_networks: int, seconds: float) -> list[tuple[str, float, float]]:
    """n-bit parity (2^n samples, n hidden units, the setting of docs/experiments.md section 6
    without its stop rule): million network-steps and million sample-steps a second of
    ``train_many`` in lanes and of the NumPy reference (``engine="numpy"``)."""
    data = xornet.parity(bits)
    n = data.X.shape[0]
    config = xornet.TrainConfig(hidden=bits, init="uniform", init_scale=0.5, loss="sse",
                                optimizer="momentum", momentum=0.9, learning_rate=0.1,
                                tol=None)  # fmt: skip
    rows = []
    for engine in ("numba", "numpy"):
        xornet.train_many(data.X, data.y, config.replace(steps=2), n_networks, engine=engine)
        steps = 4
        while True:  # double the steps until a run takes a good part of ``seconds``
            result = xornet.train_many(data.X, data.y, config.replace(steps=steps), n_networks,
                                       engine=engine)  # fmt: skip
            if result.train_seconds > seconds / 4 or steps > 10**6:
                break
            steps *= 2
        rate = n_networks * steps / result.train_seconds
        rows.append((f"{engine} ({result.kernel})", rate / 1e6, rate * n / 1e6))
    return rows


def run_process(args: list[str], repeats: int, env: dict[str, str] | None = None) -> float:
    """Median wall time of a fresh process."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def first_use(args: list[str], repeats: int) -> tuple[float, float]:
    """Median wall seconds of the process ``args`` on a machine that has never run xornet's
    numba engine (empty caches: xornet's kernels and numba's own, as after a fresh install),
    then of the same process again (the caches filled), each pair in a new cache directory."""
    first, later = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "XORNET_CACHE_DIR": tmp, "NUMBA_CACHE_DIR": f"{tmp}/numba"}
            first.append(run_process(args, 1, env))
            later.append(run_process(args, 1, env))
    return statistics.median(first), statistics.median(later)


POST_SCRIPT = textwrap.dedent(
    """
    import numpy as np
    X = np.array([0, 0, 1, 1, 0, 1, 0, 1]).reshape(2, 4)
    Y = np.array([0, 1, 1, 0]).reshape(1, 4)
    def sigmoid(z):
        return 1 / (1 + np.exp(-z))
    np.random.seed(3)
    W1, B1 = np.random.randn(2, 2), np.zeros((2, 1))
    W2, B2 = np.random.randn(2, 1), np.zeros((1, 1))
    params = [W1, B1, W2, B2]
    loss_trace = []
    for epoch in range(200000):
        W1, B1, W2, B2 = params
        Z1 = np.dot(W1.T, X) + B1; H = sigmoid(Z1)
        Z2 = np.dot(W2.T, H) + B2; YHat = sigmoid(Z2)
        loss = -(1 / 4) * np.sum(Y * np.log(YHat) + (1 - Y) * np.log(1 - YHat))
        dZ2 = (YHat - Y) / 4; dW2 = np.dot(H, dZ2.T); dB2 = np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = np.dot(W2, dZ2) * H * (1 - H); dW1 = np.dot(X, dZ1.T)
        dB1 = np.sum(dZ1, axis=1, keepdims=True)
        for i, g in enumerate([dW1, dB1, dW2, dB2]):
            params[i] = params[i] - 0.01 * g
        if epoch % 100 == 0:
            loss_trace.append(loss)
    print(loss_trace[-1])
    """
)


def end_to_end(repeats: int) -> list[tuple[str, float]]:
    """Wall seconds of whole processes."""
    python = sys.executable
    xornet_cli = [python, "-m", "xornet"]
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.py"
        script.write_text(POST_SCRIPT)
        rows = [
            ("xornet train --preset post (fresh process)",
             run_process([*xornet_cli, "train", "--preset", "post", "--seed", "3", "--quiet"],
                         repeats)),
            ("the post's code as a plain script", run_process([python, str(script)], 1)),
            ("python -c 'import xornet'", run_process([python, "-c", "import xornet"], repeats)),
            ("python -c 'pass' (interpreter start)", run_process([python, "-c", "pass"], repeats)),
            ("xornet --help", run_process([*xornet_cli, "--help"], repeats)),
        ]  # fmt: skip
        # The first process that uses numba compiles the loop it runs; later ones load it.
        first, later = first_use([*xornet_cli, "train", "--preset", "post", "--seed", "3",
                                  "--quiet", "--engine", "numba"], repeats)  # fmt: skip
        rows.append(("numba engine, first use: xornet train --preset post, empty caches", first))
        rows.append(("numba engine, the same in a later process (cache)", later))
    return rows


def peak_memory(n_networks: int, hidden: int) -> tuple[float, float]:
    """Peak memory (MB) that ``train_many`` allocates for n networks, measured with tracemalloc
    after a warm-up call (so loading the compiled kernels is not counted), and the peak
    resident size of a separate, untraced process doing the same (Python, NumPy and numba
    included; tracing itself would inflate it)."""
    code = textwrap.dedent(
        f"""
        import resource, sys, tracemalloc, xornet
        d = xornet.xor()
        cfg = xornet.TrainConfig(hidden={hidden}, steps=200, tol=None)
        xornet.train_many(d.X, d.y, cfg, 2, engine="numba")
        traced = sys.argv[1] == "traced"
        if traced:
            tracemalloc.start()
        xornet.train_many(d.X, d.y, cfg, {n_networks}, engine="numba")
        if traced:
            print(tracemalloc.get_traced_memory()[1] / 2**20)
        else:
            print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        """
    )
    results = []
    for mode in ("traced", "resident"):
        out = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True,
                             check=True).stdout  # fmt: skip
        results.append(float(out))
    return results[0], results[1]


def versions() -> str:
    names = ["numpy", "numba", "jax", "torch", "sklearn"]
    found = []
    for name in names:
        if have(name):
            module = __import__(name)
            found.append(f"{name} {module.__version__}")
        else:
            found.append(f"{name} absent")
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    python = platform.python_version()
    return (
        f"{datetime.date.today()}, {cpu}, {os.cpu_count()} cores, Python {python}, "
        f"xornet {xornet.__version__}, {', '.join(found)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="xornet's benchmark (prints ratio tables)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller N")
    args = parser.parse_args()
    repeats = 3 if args.quick else 5
    sizes = [1, 100, 10_000] if args.quick else [1, 100, 10_000, 100_000]

    print(f"machine: {versions()}")
    print(f"{lanes_report()}\n")
    peers.ask_for_cpu_devices()  # before anything imports JAX
    rows = one_network(repeats)
    post_ns = next(ns for name, ns, _ in rows if name.startswith("the post's"))
    jax_ns = min((ns for name, ns, _ in rows if name.startswith("JAX") and ns), default=None)
    print("## One network, the post's configuration (2-2-1, XOR, float64, full-batch GD)\n")
    print("| implementation | time a step | vs the post's code | vs the best JAX | note |")
    print("| --- | --- | --- | --- | --- |")
    for name, ns, note in rows:
        if ns is None:
            print(f"| {name} | absent | | | {note} |")
            continue
        vs_jax = f"{jax_ns / ns:.2f}x" if jax_ns else ""
        print(f"| {name} | {ns:,.0f} ns | {post_ns / ns:,.1f}x | {vs_jax} | {note} |")

    print("\n## Many networks at once (2-2-1, XOR): million network-steps per second\n")
    many = many_networks(sizes, repeats if not args.quick else 2)
    names = list(dict.fromkeys(name for name, _, _ in many))
    print("| implementation | " + " | ".join(f"N = {n:,}" for n in sizes) + " |")
    print("| --- |" + " --- |" * len(sizes))
    for name in names:
        cells = []
        for n in sizes:
            rate = next(r for nm, size, r in many if nm == name and size == n)
            cells.append("absent" if rate is None else f"{rate:,.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()
    for n in sizes[1:]:  # at N = 1 train_many runs the one-network loop
        best = max((r or 0, nm) for nm, size, r in many if size == n and nm in PEERS)
        ours = [r for nm, size, r in many if size == n and "numba engine" in nm]
        if best[0]:
            print(f"N = {n:,}: xornet's lanes {(ours[0] or 0) / best[0]:.2f}x, step written out "
                  f"{(ours[1] or 0) / best[0]:.2f}x the best peer ({best[1]})")  # fmt: skip
    if not args.quick:
        long_repeats = 3
        from xornet.engines._lanes import cpu_vector_bits

        widths = (None, 256) if cpu_vector_bits() > 256 else (None,)
        print(
            "\nA long job, 10,000 networks x 20,000 steps (the table's cells are short; "
            f"median of {long_repeats}, in turns; on an AVX-512 CPU also with the kernels an "
            "AVX2 CPU runs, XORNET_VECTOR_BITS=256):"
        )
        for label, rate in long_job(10_000, 20_000, long_repeats, widths):
            print(f"- xornet train_many, {label}: {rate:.1f} M network-steps/s")

    print("\n## Every setting in lanes\n")
    rounds = 1 if args.quick else 3
    data = xornet.xor()
    pp = before_and_after(data.X, data.y, PER_PATTERN, 1_000, rounds)
    print(
        "Per-pattern study, 1,000 starts (docs/experiments.md section 2: 2-2-1, SSE, lr 0.5, "
        f"batch 1 in a fixed order, tol 0.04, 40,000 steps), median of {rounds}, in turns:\n"
    )
    print("| train_many | train seconds | wall seconds | kernel |")
    print("| --- | --- | --- | --- |")
    for when, label in (("before", "one network at a time (before)"), ("after", "in lanes")):
        print(f"| {label} | {pp[f'{when} train']:.3f} | {pp[f'{when} wall']:.3f} | "
              f"{pp[f'{when} kernel']} |")  # fmt: skip
    print(
        f"\nin lanes: {float(pp['before train']) / float(pp['after train']):.1f}x faster "
        f"(train), {float(pp['before wall']) / float(pp['after wall']):.1f}x (wall, with the "
        f"starts and the diagnosis); the same numbers: max |difference| of the weights "
        f"{pp['max |difference|']:.1e}, the same steps: {pp['same steps']}"
    )
    print("\nn-bit parity, 256 networks, full batch (n hidden units, momentum, SSE):\n")
    print("| bits | samples | engine (kernel) | M network-steps/s | M sample-steps/s | vs NumPy |")
    print("| --- | --- | --- | --- | --- | --- |")
    for bits in (4, 6) if args.quick else (4, 6, 8, 10):
        rows = parity_rates(bits, 256, 1.0 if args.quick else 4.0)
        numpy_rate = rows[-1][1]
        for label, rate, samples in rows:
            print(f"| {bits} | {2**bits:,} | {label} | {rate:,.3f} | {samples:,.1f} | "
                  f"{rate / numpy_rate:,.1f}x |")  # fmt: skip

    if not args.quick:
        traced, rss = peak_memory(100_000, 8)
        print(
            f"\npeak memory, 100,000 networks of 8 hidden units (numba): {traced:,.0f} MB "
            f"allocated by train_many; peak resident size of the process {rss:,.0f} MB"
        )

    print("\n## Whole processes (wall seconds, median)\n")
    print("| what | seconds |")
    print("| --- | --- |")
    e2e = end_to_end(repeats if not args.quick else 1)
    for name, seconds in e2e:
        print(f"| {name} | {seconds:.3f} |")
    ours = e2e[0][1]
    plain = e2e[1][1]
    print(f"\nxornet train --preset post vs the post's plain script: {plain / ours:.1f}x faster")


if __name__ == "__main__":
    main()
