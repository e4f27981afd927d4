"""The strongest PyTorch and JAX versions of the post's network we could write, and a head-to-head
run of them against ``xornet.train_many`` (issue 20).

Run from the repository root, after ``pip install -e ".[bench]"`` (``bench/bench.py`` uses the
runners too)::

    python bench/peers.py                  # N = 1,000 / 10,000 / 100,000, in turns
    XORNET_VECTOR_BITS=256 python bench/peers.py   # xornet's AVX2 kernels on an AVX-512 CPU

Every version does the same maths as the post's network and ``train_many``'s lanes: 2 inputs,
2 sigmoid hidden units, a sigmoid output, binary cross-entropy, full-batch gradient descent at
learning rate 0.01 on XOR's 4 samples, float64, manual gradients, no loss computed (the post's
preset has no stop rule, so ``train_many`` computes none either). How they are written:

* **networks last**: each of a network's 9 numbers is a row of N contiguous networks, so every
  operation runs over N networks at once, and the 2x2 products are written out as
  multiply-adds (a matrix product of 2x2 blocks through ``bmm`` or ``vmap`` is slow: the old
  rows of ``bench.py``);
* **PyTorch compiled** (the fastest PyTorch here): :func:`step` for ``k`` steps, under
  ``torch.compile`` (inductor's C++ backend, gcc): the ``k`` steps fuse into one C++ loop
  over the networks, vectorised (AVX-512 here) and split over the threads with OpenMP; the
  inductor's thresholds for storing intermediates are raised so that the steps stay in one
  kernel; 2 threads, ``inference_mode``;
* **PyTorch eager** (:func:`torch_eager`): the same layout with preallocated buffers and
  in-place operations (``addcmul_``, ``out=``), the 4 samples and 2 hidden units broadcast;
* **JAX**: :func:`step` in ``jax.jit`` around ``lax.scan`` over the steps, x64 enabled, the
  networks split over 2 CPU devices (``--xla_force_host_platform_device_count``); XLA fuses a
  step into one loop over the networks.

The sums over samples are written out in a fixed order, so the versions agree with the NumPy
reference to rounding (checked by :func:`agreement`, printed by ``main``).
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

X4 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
Y4 = np.array([0, 1, 1, 0], dtype=np.float64)
LR = 0.01
THREADS = 2

#: A network's numbers, each a row of N networks: W1[i, j] as wij, b1, W2 (v), b2 (c).
NAMES = ("w00", "w01", "w10", "w11", "b0", "b1", "v0", "v1", "c")


def starts(n_networks: int, seed: int = 0) -> np.ndarray:
    """Start weights, shape (9, n_networks): standard normal weights, zero biases."""
    rng = np.random.default_rng(seed)
    rows = np.zeros((9, n_networks))
    rows[[0, 1, 2, 3, 6, 7]] = rng.standard_normal((6, n_networks))
    return rows


def step(p: Sequence[Any], X: Any, Y: Any, sigmoid: Callable[[Any], Any]) -> tuple[Any, ...]:
    """One full-batch gradient step of N networks at once; ``p`` holds the 9 rows of
    :data:`NAMES` (PyTorch tensors or JAX arrays, shape (N,)), ``X`` (4, 2) and ``Y`` (4,)."""
    w00, w01, w10, w11, b0, b1, v0, v1, c = p
    g = [0.0] * 9
    for s in range(4):
        x0, x1, y = X[s, 0], X[s, 1], Y[s]
        h0 = sigmoid(x0 * w00 + x1 * w10 + b0)
        h1 = sigmoid(x0 * w01 + x1 * w11 + b1)
        d2 = (sigmoid(h0 * v0 + h1 * v1 + c) - y) * 0.25  # sigmoid with BCE: p - y, mean of 4
        d0 = d2 * v0 * h0 * (1 - h0)
        d1 = d2 * v1 * h1 * (1 - h1)
        for i, term in enumerate((x0 * d0, x0 * d1, x1 * d0, x1 * d1, d0, d1, h0 * d2,
                                  h1 * d2, d2)):  # fmt: skip
            g[i] = g[i] + term
    return tuple(q - LR * gq for q, gq in zip(p, g, strict=True))


def reference(n_networks: int, steps: int) -> np.ndarray:
    """The NumPy float64 reference for the same networks (matrix form), rows as :data:`NAMES`."""
    r = starts(n_networks)
    W1, b1, W2, b2 = r[:4].reshape(2, 2, -1), r[4:6], r[6:8], r[8]
    for _ in range(steps):
        H = 1 / (1 + np.exp(-(np.einsum("si,ijn->sjn", X4, W1) + b1)))
        P = 1 / (1 + np.exp(-(np.einsum("sjn,jn->sn", H, W2) + b2)))
        D2 = (P - Y4[:, None]) / 4
        D1 = D2[:, None] * W2 * H * (1 - H)
        W1 -= LR * np.einsum("si,sjn->ijn", X4, D1)
        b1 -= LR * D1.sum(0)
        W2 -= LR * np.einsum("sjn,sn->jn", H, D2)
        b2 -= LR * D2.sum(0)
    return np.concatenate([W1.reshape(4, -1), b1, W2, b2[None]])


# ----------------------------------------------------------------------------- PyTorch


def torch_compiled(n_networks: int, steps: int, k: int = 4) -> tuple[Callable[[], Any], float]:
    """PyTorch, ``k`` steps of :func:`step` fused by ``torch.compile`` (inductor, C++) per call.
    Returns the runner (it returns the final rows, shape (9, N)) and the compile seconds (the
    first call; compiled once a process for any N, and cached on disk by the inductor)."""
    import torch

    torch.set_num_threads(THREADS)
    X, Y = torch.tensor(X4), torch.tensor(Y4)
    compiled = _compiled_steps(k)
    first = torch.tensor(starts(n_networks))

    def run() -> Any:
        with torch.inference_mode():
            p = tuple(row.clone() for row in first)
            for _ in range(steps // k):
                p = compiled(p, X, Y)
            for _ in range(steps % k):
                p = step(p, X, Y, torch.sigmoid)
            return torch.stack(p).numpy()

    start = time.perf_counter()
    with torch.inference_mode():
        compiled(tuple(row.clone() for row in first), X, Y)
    return run, time.perf_counter() - start


@functools.cache
def _compiled_steps(k: int) -> Callable[..., Any]:
    """``k`` steps of :func:`step` under ``torch.compile``, for any number of networks."""
    import torch
    import torch._inductor.config as inductor

    # Keep k steps in one kernel: by default the inductor stores a value read more than a few
    # times, or built from many operations, to memory, and splits the kernel at 64 nodes.
    inductor.max_fusion_size = 100_000
    inductor.realize_reads_threshold = 100_000
    inductor.realize_opcount_threshold = 100_000
    inductor.realize_acc_reads_threshold = 100_000

    def k_steps(p: tuple[Any, ...], X: Any, Y: Any) -> tuple[Any, ...]:
        for _ in range(k):
            p = step(p, X, Y, torch.sigmoid)
        return p

    return torch.compile(k_steps, dynamic=True)


def torch_eager(n_networks: int, steps: int) -> Callable[[], Any]:
    """PyTorch eager, networks last, preallocated buffers and in-place operations: the 4
    samples and 2 hidden units broadcast, so a step is 24 operations over 4N or 8N numbers."""
    import torch

    torch.set_num_threads(THREADS)
    N = n_networks
    f64 = torch.float64
    X0, X1 = (torch.tensor(X4[:, i]).reshape(4, 1, 1) for i in (0, 1))
    Y = torch.tensor(Y4).reshape(4, 1)
    first = torch.tensor(starts(N))
    H, D1, G = (torch.empty(4, 2, N, dtype=f64) for _ in range(3))
    P, g = torch.empty(4, N, dtype=f64), torch.empty(2, N, dtype=f64)

    def run() -> Any:
        p = first.clone()
        W1, b1, W2, b2 = p[:4].view(2, 2, N), p[4:6], p[6:8], p[8:9]
        with torch.inference_mode():
            for _ in range(steps):
                torch.mul(W1[0], X0, out=H)  # (4, 2, N): sample, hidden unit, network
                H.addcmul_(W1[1], X1).add_(b1).sigmoid_()
                torch.mul(H[:, 0], W2[0], out=P)
                P.addcmul_(H[:, 1], W2[1]).add_(b2).sigmoid_().sub_(Y).mul_(0.25)  # dZ2
                torch.addcmul(H, H, H, value=-1, out=D1)  # H (1 - H)
                D1.mul_(W2).mul_(P[:, None])  # dZ1
                torch.mul(H, P[:, None], out=G)
                W2.sub_(torch.sum(G, 0, out=g), alpha=LR)
                b2.sub_(torch.sum(P, 0, out=g[0]), alpha=LR)
                for i, Xi in enumerate((X0, X1)):
                    torch.mul(D1, Xi, out=G)
                    W1[i].sub_(torch.sum(G, 0, out=g), alpha=LR)
                b1.sub_(torch.sum(D1, 0, out=g), alpha=LR)
        return p.numpy()

    return run


# ----------------------------------------------------------------------------- JAX


def jax_scan(n_networks: int, steps: int, unroll: int = 1) -> tuple[Callable[[], Any], float]:
    """JAX, :func:`step` in ``jax.jit`` around ``lax.scan`` over the steps (``unroll`` steps an
    iteration: 1 was fastest here, 4 and 8 up to 6x slower), the networks split over
    :data:`THREADS` CPU devices (XLA runs a fused loop on one thread; sharding the networks was
    1.3-1.7x faster here). Returns the runner and the compile seconds (with the first run)."""
    ask_for_cpu_devices()
    import jax
    import jax.numpy as jnp
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    jax.config.update("jax_enable_x64", True)
    X, Y = jnp.asarray(X4), jnp.asarray(Y4)

    def run_steps(p: tuple[Any, ...]) -> Any:
        def body(p: tuple[Any, ...], _: None) -> tuple[tuple[Any, ...], None]:
            return step(p, X, Y, jax.nn.sigmoid), None

        return jnp.stack(jax.lax.scan(body, p, None, length=steps, unroll=unroll)[0])

    devices = jax.devices("cpu")
    devices = devices[: len(devices) if n_networks % len(devices) == 0 else 1]
    shards = NamedSharding(Mesh(np.array(devices), ("networks",)), PartitionSpec("networks"))
    compiled = jax.jit(run_steps)
    first = tuple(jax.device_put(jnp.asarray(row), shards) for row in starts(n_networks))
    start = time.perf_counter()
    jax.block_until_ready(compiled(first))
    seconds = time.perf_counter() - start
    return (lambda: np.asarray(jax.block_until_ready(compiled(first)))), seconds


def ask_for_cpu_devices() -> None:
    """Ask XLA for :data:`THREADS` CPU devices; only works before JAX is first imported."""
    if "jax" not in sys.modules:
        flag = f"--xla_force_host_platform_device_count={THREADS}"
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()


# ----------------------------------------------------------------------------- the run


def agreement(steps: int = 200) -> dict[str, float]:
    """Largest difference from the NumPy reference of each version, 40 networks."""
    want = reference(40, steps)
    got = {
        "PyTorch compiled": torch_compiled(40, steps)[0](),
        "PyTorch eager": torch_eager(40, steps)(),
        "JAX": jax_scan(40, steps)[0](),
    }
    return {name: float(np.abs(rows - want).max()) for name, rows in got.items()}


def xornet_runner(
    n_networks: int, steps: int, kernel: str, bits: int | None
) -> Callable[[], float]:
    """``train_many`` on the post's preset from the same starts, its ``kernel`` forced
    (``lanes``, ``written out``: compiled in C when ``cc`` is there, or ``written out, numba``)
    with vectors of at most ``bits`` (None: the CPU's); the runner returns the train
    seconds."""
    import xornet
    from xornet.engines import many
    from xornet.engines._lanes import VECTOR_BITS_VARIABLE

    config = xornet.PRESETS["post"].replace(steps=steps, start="random")
    r = starts(n_networks)
    params = [
        xornet.Params(W1=r[:4, i].reshape(2, 2), b1=r[4:6, i], W2=r[6:8, i, None], b2=r[8:9, i])
        for i in range(n_networks)
    ]

    def run() -> float:
        variables = {VECTOR_BITS_VARIABLE: None if bits is None else str(bits),
                     "XORNET_NATIVE": "0" if kernel.endswith("numba") else None}  # fmt: skip
        works = many.WRITTEN_OUT_MIN_WORK, many.WRITTEN_OUT_ANY_JOB_TERMS
        saved = {name: os.environ.get(name) for name in variables}
        many.WRITTEN_OUT_MIN_WORK = 10**18 if kernel == "lanes" else 0
        many.WRITTEN_OUT_ANY_JOB_TERMS = 0
        for name, value in variables.items():
            if value is not None:
                os.environ[name] = value
        try:
            result = xornet.train_many(X4, Y4, config, range(n_networks), params=params,
                                       engine="numba")  # fmt: skip
        finally:
            many.WRITTEN_OUT_MIN_WORK, many.WRITTEN_OUT_ANY_JOB_TERMS = works
            for name, value in saved.items():
                os.environ.pop(name, None)
                if value is not None:
                    os.environ[name] = value
        return result.train_seconds

    return run


def timed(fn: Callable[[], object]) -> Callable[[], float]:
    """A runner that returns its own wall seconds."""

    def run() -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return run


def head_to_head(N: int, steps: int, rounds: int, widths: Sequence[int | None]) -> None:
    """Print each version's million network-steps a second (min, median, max of ``rounds``,
    all versions in turns) for N networks, and xornet's median against the best peer's."""
    runs: dict[str, tuple[Callable[[], float], int]] = {}
    for bits in widths:
        for kernel in ("lanes", "written out", "written out, numba"):
            name = f"xornet {kernel}" + ("" if bits is None else f", {bits}-bit")
            runs[name] = xornet_runner(N, steps, kernel, bits), steps
    tc, tc_compile = torch_compiled(N, steps)
    js, js_compile = jax_scan(N, steps)
    eager_steps = max(4, steps // 10)
    runs["PyTorch compiled"] = timed(tc), steps
    runs["JAX jit + scan"] = timed(js), steps
    runs["PyTorch eager"] = timed(torch_eager(N, eager_steps)), eager_steps
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for fn, _ in runs.values():
        fn()
    for _ in range(rounds):
        for name, (fn, n_steps) in runs.items():
            rates[name].append(N * n_steps / fn() / 1e6)
    print(
        f"\nN = {N:,}, {steps:,} steps, {rounds} rounds in turns (first call: PyTorch "
        f"{tc_compile:.1f} s, JAX {js_compile:.1f} s; load {os.getloadavg()[0]:.1f})"
    )
    print("| version | min | median | max | M network-steps/s |\n| --- | --- | --- | --- | --- |")
    medians = {name: statistics.median(r) for name, r in rates.items()}
    for name, r in rates.items():
        print(f"| {name} | {min(r):.2f} | {medians[name]:.2f} | {max(r):.2f} | |")
    best = max(m for name, m in medians.items() if not name.startswith("xornet"))
    for name, m in medians.items():
        if name.startswith("xornet"):
            print(f"- {name} / the best peer: {m / best:.2f}x")


def one_network(steps: int, rounds: int) -> None:
    """The post's network alone: nanoseconds a step of xornet's compiled loop and of the
    strongest one-network PyTorch and JAX versions, in turns."""
    import xornet

    config = xornet.PRESETS["post"].replace(steps=steps)
    start_params = xornet.post_initial_params(3)
    tc, _ = torch_compiled(1, steps // 20)
    js, _ = jax_scan(1, steps)

    def ours() -> object:
        return xornet.train(X4, Y4, config, params=start_params, engine="numba")

    runs = {
        "xornet numba": (timed(ours), steps),
        "JAX jit + scan (1 network)": (timed(js), steps),
        "PyTorch compiled (1 network)": (timed(tc), steps // 20),
    }
    ns: dict[str, list[float]] = {name: [] for name in runs}
    for fn, _ in runs.values():
        fn()
    for _ in range(rounds):
        for name, (fn, n_steps) in runs.items():
            ns[name].append(fn() / n_steps * 1e9)
    print(f"\none network, {steps:,} steps, {rounds} rounds in turns (ns a step):")
    for name, r in ns.items():
        print(f"- {name}: min {min(r):,.0f}, median {statistics.median(r):,.0f}, max {max(r):,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--work", type=float, default=4e7, help="network-steps a run")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"agreement with the NumPy reference (max |difference|): {agreement()}")
    one_network(200_000, args.rounds)
    from xornet.engines._lanes import cpu_vector_bits

    widths = (None, 256) if cpu_vector_bits() > 256 else (None,)
    for N in args.sizes:
        head_to_head(N, max(8, int(args.work // N) // 4 * 4), args.rounds, widths)


if __name__ == "__main__":
    main()
