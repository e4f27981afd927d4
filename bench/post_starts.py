"""How often the post's exact setting learns XOR: ``python bench/post_starts.py [--starts N]``.

Trains the post's network (2 hidden units, plain gradient descent at learning rate 0.01,
200,000 steps) from the weights the post's code draws after ``np.random.seed(s)`` for
s = 0 .. N-1, and counts the outcomes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import xornet
from xornet.diagnosis import XOR_PLATEAU_LOSS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=1000)
    args = parser.parse_args()
    data = xornet.xor()
    seeds = range(args.starts)
    starts = [xornet.post_initial_params(s) for s in seeds]
    begin = time.perf_counter()
    many = xornet.train_many(data.X, data.y, xornet.PRESETS["post"], seeds, params=starts)
    seconds = time.perf_counter() - begin
    stuck = np.abs(many.final_loss - XOR_PLATEAU_LOSS) < 0.01
    print(f"{args.starts} starts of the post's setting ({seconds:.0f} s, {many.engine} engine)")
    for kind in ("solved", "plateau", "improving", "diverged"):
        print(f"  {kind:<10} {np.mean(many.outcome == kind):6.1%}")
    print(f"  final loss within 0.01 of ln(2)/2 (two outputs at 0.5): {np.mean(stuck):.1%}")
    solved = [s for s in seeds if many.outcome[s] == "solved"]
    print(f"  first seeds that solve: {solved[:5]}")


if __name__ == "__main__":
    main()
