"""What a first use could cost with the post's loop compiled by the system's C compiler: an
experiment for issue 20's first-use target, not an engine of xornet's.

Run ``python bench/first_use_c.py [--repeat R]`` from the repository root (a C compiler as
``cc``; about 30 s).

``xornet train --preset post`` with the numba engine waits, the first time on a machine, for
numba to compile the loop written out for the post's 2-2-1 network (about a second of CPU),
and every later process for numba to import and set itself up (most of its 0.8-0.9 s). This
writes the same loop in C (the post's step for the four samples, full batch, gradient descent
at 0.01, the stable sigmoid, libm's ``exp``), and times, each ``--repeat`` times in turns:

- ``cc -O2 -shared`` compiling it (what a first use would add);
- a fresh Python process that loads it with ``ctypes`` and trains the post's seed 3 for its
  200,000 steps (what every later process would cost);
- ``xornet train --preset post --seed 3 --engine numba`` with empty caches (first use) and
  again with them filled (a later process).

It checks that the C loop's weights equal xornet's numba engine's after the 200,000 steps to
1e-9 (not bit for bit: libm's ``exp`` is not xornet's), and prints wall seconds (min / median /
max) and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The post's loop: weights ``w`` are W1 (2 x 2, row-major: input by hidden unit), b1 (2),
#: W2 (2), b2 (1), updated in place; the loss of each step before its update, every 100 steps,
#: goes to ``rec``.
SOURCE = r"""
#include <math.h>
static double sig(double z) {
  double e = exp(-fabs(z)), r = 1.0 / (1.0 + e);
  return z >= 0 ? r : e * r;
}
long run(const double *X, const double *y, double *w, long steps, double lr, double *rec) {
  long n = 0;
  for (long s = 0; s < steps; s++) {
    double gW1[4] = {0}, gb1[2] = {0}, gW2[2] = {0}, gb2 = 0, loss = 0;
    for (int i = 0; i < 4; i++) {
      double x0 = X[2 * i], x1 = X[2 * i + 1];
      double h0 = sig(x0 * w[0] + x1 * w[2] + w[4]), h1 = sig(x0 * w[1] + x1 * w[3] + w[5]);
      double z2 = h0 * w[6] + h1 * w[7] + w[8], p = sig(z2), t = (1 - 2 * y[i]) * z2;
      loss += t > 0 ? t + log1p(exp(-t)) : log1p(exp(t));
      double d2 = (p - y[i]) / 4.0, d0 = w[6] * d2 * h0 * (1 - h0), d1 = w[7] * d2 * h1 * (1 - h1);
      gW2[0] += h0 * d2; gW2[1] += h1 * d2; gb2 += d2;
      gW1[0] += x0 * d0; gW1[1] += x0 * d1; gW1[2] += x1 * d0; gW1[3] += x1 * d1;
      gb1[0] += d0; gb1[1] += d1;
    }
    if (s % 100 == 0) rec[n++] = loss / 4;
    for (int k = 0; k < 4; k++) w[k] -= lr * gW1[k];
    w[4] -= lr * gb1[0]; w[5] -= lr * gb1[1]; w[6] -= lr * gW2[0]; w[7] -= lr * gW2[1];
    w[8] -= lr * gb2;
  }
  return n;
}
"""

#: The later process: load the library, train seed 3 from the post's start, print the weights.
RUN = """
import ctypes, sys
import numpy as np
import xornet
from xornet.config import start_params
lib = ctypes.CDLL(sys.argv[1])
data, config = xornet.xor(), xornet.PRESETS["post"]
w = start_params(config, 2, 2, 3).ravel().copy()
rec = np.empty(config.steps // 100 + 1)
P = ctypes.POINTER(ctypes.c_double)
lib.run.restype = ctypes.c_long
lib.run(np.ascontiguousarray(data.X).ctypes.data_as(P), data.y.ctypes.data_as(P),
        w.ctypes.data_as(P), ctypes.c_long(config.steps), ctypes.c_double(0.01),
        rec.ctypes.data_as(P))
print(" ".join(map(repr, w.tolist())))
"""


def timed(args: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, text=True, env=env).stdout
    return time.perf_counter() - start, out


def spread(times: list[float]) -> str:
    return f"{min(times):.3f} / {statistics.median(times):.3f} / {max(times):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (default 5)")
    repeat = max(1, parser.parse_args().repeat)
    import numpy as np

    import xornet

    data = xornet.xor()
    reference = xornet.train(data.X, data.y, xornet.PRESETS["post"], rng=3, engine="numba")
    xornet_cli = [sys.executable, "-m", "xornet", "train", "--preset", "post", "--seed", "3",
                  "--quiet", "--engine", "numba"]  # fmt: skip
    rows: dict[str, list[float]] = {k: [] for k in ("cc", "c_run", "first", "later")}
    with tempfile.TemporaryDirectory() as tmp:
        source, library = Path(tmp) / "post.c", Path(tmp) / "post.so"
        source.write_text(SOURCE)
        for i in range(repeat):
            compile_args = ["cc", "-O2", "-shared", "-fPIC", "-o", str(library), str(source), "-lm"]
            rows["cc"].append(timed(compile_args)[0])
            seconds, out = timed([sys.executable, "-c", RUN, str(library)])
            rows["c_run"].append(seconds)
            weights = np.array([float(v) for v in out.split()])
            np.testing.assert_allclose(weights, reference.params.ravel(), rtol=1e-9, atol=1e-12)
            caches = Path(tmp) / f"caches{i}"
            env = {**os.environ, "XORNET_CACHE_DIR": str(caches),
                   "NUMBA_CACHE_DIR": str(caches / "numba")}  # fmt: skip
            rows["first"].append(timed(xornet_cli, env)[0])
            rows["later"].append(timed(xornet_cli, env)[0])
    median = {k: statistics.median(v) for k, v in rows.items()}
    print("| what | wall seconds (min / median / max) |\n| --- | --- |")
    print(f"| `cc -O2` compiling the post's loop in C | {spread(rows['cc'])} |")
    print(f"| a process: ctypes loads it, trains the 200,000 steps | {spread(rows['c_run'])} |")
    print(f"| `xornet train --preset post`, numba, empty caches | {spread(rows['first'])} |")
    print(f"| the same, a later process | {spread(rows['later'])} |")
    c_first = median["cc"] + median["c_run"]
    print(f"\nfirst use: numba {median['first']:.2f} s against C {c_first:.2f} s "
          f"({median['first'] / c_first:.1f}x); a later process: numba {median['later']:.2f} s "
          f"against C {median['c_run']:.2f} s ({median['later'] / median['c_run']:.1f}x). "
          "The C loop's weights equal the numba engine's to 1e-9.")  # fmt: skip


if __name__ == "__main__":
    main()
