"""Measure how reliably candidate configurations solve XOR over many random starts.

This is the measurement behind ``TrainConfig``'s defaults (the ``default`` preset). Run::

    python bench/choose_default.py [--starts 1000]

For each candidate it trains from ``--starts`` seeds and prints the fraction solved (every
sample on the right side of 0.5), the fraction that met the loss target, and the median
number of steps taken.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import xornet
from xornet import TrainConfig

CANDIDATES = {
    "post (2 hidden, lr 0.01, 200k steps)": xornet.PRESETS["post"],
    "2 hidden, lr 1.0": TrainConfig(hidden=2),
    "4 hidden, lr 1.0": TrainConfig(hidden=4),
    "8 hidden, lr 1.0 (default)": TrainConfig(),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=1000)
    parser.add_argument("--skip-post", action="store_true", help="skip the slow post preset")
    args = parser.parse_args()
    data = xornet.xor()
    print(f"{'configuration':<38} {'solved':>7} {'loss<=tol':>9} {'median steps':>12}")
    for name, config in CANDIDATES.items():
        if args.skip_post and name.startswith("post"):
            continue
        start = time.perf_counter()
        results = [xornet.train(data.X, data.y, config, rng=seed) for seed in range(args.starts)]
        solved = np.mean([r.accuracy == 1.0 for r in results])
        met = np.mean([r.stop_reason == "tolerance" for r in results])
        steps = np.median([r.steps for r in results])
        seconds = time.perf_counter() - start
        print(f"{name:<38} {solved:>7.1%} {met:>9.1%} {steps:>12,.0f}   ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
