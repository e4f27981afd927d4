"""How fast could the written-out step for many networks be? Its C with parts of its work
taken out (wrong numbers: a measurement of where the time goes, not a kernel to use).

Run ``python bench/ceiling.py [--networks N] [--steps S] [--rounds R]`` from the repository
root, with ``cc`` on the PATH (about a minute).

``train_many`` runs the post's network (XOR 2-2-1, sigmoid, binary cross-entropy, gradient
descent at 0.01, no stop rule) for N networks from the same starts, its step written out and
compiled by ``cc`` (:mod:`xornet.engines._native_lanes`), as shipped and with the C source
changed before it is compiled:

* **exps free**: each of the step's 12 exps is ``0.5 x + 1`` (the sigmoid's range reduction,
  polynomial and scaling gone; the divisions and everything else kept);
* **no evaluation**: the per-step checks that ``train_many`` reports from (the finite check,
  the margin of the worst sample behind ``first_correct``, the loss bound behind the stop
  rules) are gone; what uses them sees constants;
* **both**: the step's multiply-adds and three divisions alone;
* **divisions free** (with 512-bit vectors, where four sigmoids share a division): that
  division is a multiplication.

Printed: each version's million network-steps a second (min / median / max of R rounds, the
versions in turns) and its median against the shipped one's. Divide by the best peer's figure
from ``bench/peers.py`` (run alone) for how far each is from it: on 2026-12-02 (AVX-512 Xeon,
N = 10,000, medians) shipped 124.8, exps free 159.1, no evaluation 142.9, both 265.9 M/s,
against JAX's 71-72: only the step without its exps and its evaluation is 3x JAX (3.7x), with
either kept at most 2.2x (docs/performance.md).

The variants are compiled into a temporary kernels' cache (``XORNET_CACHE_DIR``), never the
user's.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import time
from collections.abc import Callable

import xornet
from xornet.engines import _lanes, _native, _native_lanes, many
from xornet.engines._written_step import Shape

#: The exp of the shipped C, and what "exps free" puts in its place.
EXP_HEAD = "static inline vd exp_nonpos_horner(vd x) {"
#: The step's lines that compute the evaluation (each starts one line of the generated C).
EVALUATION = ("check += ", "worst = py_min(", "low += ")
DIVISION = "inv = (1.0 / (pa * pb));"


def changed(text: str, variant: str) -> str:
    """The generated C ``text`` with ``variant``'s work taken out (each change checked to
    have happened, so that no row silently times the shipped kernel)."""
    if variant in ("exps free", "both"):
        assert text.count(EXP_HEAD) == 1
        text = text.replace(EXP_HEAD, EXP_HEAD + "\n  return 0.5 * x + 1.0;")
    if variant in ("no evaluation", "both"):
        lines = text.split("\n")
        kept = [line for line in lines if not line.strip().startswith(EVALUATION)]
        assert len(lines) - len(kept) >= 12
        text = "\n".join(kept)
    if variant == "divisions free":
        assert DIVISION in text
        text = text.replace(DIVISION, "inv = (pa * pb);")
    return text + f"\n/* bench/ceiling.py: {variant} */\n"


def kernels(variant: str) -> Callable[..., Callable[..., None]]:
    """A stand-in for :func:`._native_lanes.kernel` that compiles ``variant``'s C."""
    source = _native_lanes.source

    @functools.cache
    def kernel(shape: Shape, *, bits: int) -> Callable[..., None]:
        try:
            _native_lanes.source = lambda *a, **k: changed(source(*a, **k), variant)
            _native_lanes._kernel.cache_clear()
            return _native_lanes._kernel(shape, bits)
        finally:
            _native_lanes.source = source
            _native_lanes._kernel.cache_clear()

    return kernel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--networks", type=int, default=10_000)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not _native.available():
        raise SystemExit("bench/ceiling.py: needs cc on the PATH (and XORNET_NATIVE not 0)")
    cache = tempfile.TemporaryDirectory(prefix="xornet_ceiling_")  # private (0700)
    os.environ["XORNET_CACHE_DIR"] = cache.name
    data = xornet.xor()
    config = xornet.PRESETS["post"].replace(steps=args.steps, start="random")
    many.WRITTEN_OUT_MIN_WORK = 0  # the written-out step, whatever the job's length
    variants = ("shipped", "exps free", "no evaluation", "both")
    if _lanes.vector_bits() >= 512:
        variants += ("divisions free",)
    built = {v: kernels(v) for v in variants}
    shipped = _native_lanes.kernel
    rates: dict[str, list[float]] = {v: [] for v in variants}
    for round_ in range(args.rounds + 1):  # the first round compiles and warms up
        for v in variants:
            _native_lanes.kernel = shipped if v == "shipped" else built[v]
            start = time.perf_counter()
            result = xornet.train_many(data.X, data.y, config, range(args.networks),
                                       engine="numba")  # fmt: skip
            seconds = time.perf_counter() - start
            assert result.kernel.startswith("written-c/"), result.kernel
            if round_:
                rates[v].append(args.networks * args.steps / result.train_seconds / 1e6)
            elif v == "shipped":
                print(f"{result.kernel}: first call {seconds:.1f} s")
    _native_lanes.kernel = shipped
    cache.cleanup()
    print(f"\nN = {args.networks:,}, {args.steps:,} steps, {args.rounds} rounds in turns "
          f"({_lanes.vector_bits()}-bit vectors, load {os.getloadavg()[0]:.1f})")  # fmt: skip
    print("| version | min | median | max | M network-steps/s | / shipped |")
    print("| --- | --- | --- | --- | --- | --- |")
    base = statistics.median(rates["shipped"])
    for v, r in rates.items():
        m = statistics.median(r)
        print(f"| {v} | {min(r):.1f} | {m:.1f} | {max(r):.1f} | | {m / base:.2f}x |")


if __name__ == "__main__":
    main()
