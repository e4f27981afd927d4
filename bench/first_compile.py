"""What a setting's first run on a machine waits for: each kernel's first compile.

Run ``python bench/first_compile.py [--repeat R]`` from the repository root (about 10-20 s a
row, 9 rows on an AVX-512 CPU, 5 on others).

Each row is a fresh process with empty caches (numba's and xornet's, in a temporary
directory) that makes one ``train_many`` call of 70 networks (for ``each``, 5 networks after a
``train`` of one) for 300 steps, so that nearly all of its time is compiling the kernel the
call takes: the full-batch lanes (``lanes``), the general lanes (``general``: one pattern at a
time here), the step written out for XOR's 2-2-1 compiled by numba (``written``) and in C by
``cc`` (``written-c``), fewer than 16 networks (``each``). Printed as a Markdown table of wall
seconds (min / median / max of ``--repeat`` processes, the kernels in turns), for each vector
width the CPU has (512 and 256 bits on an AVX-512 CPU, through ``XORNET_VECTOR_BITS``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

#: The call each row times, run with ``python -c``; argv[1] is the kernel.
CALL = """
import sys, time
import xornet
from xornet.engines import many
job = sys.argv[1]
data = xornet.xor()
config = xornet.TrainConfig(hidden=2, learning_rate=0.5, steps=300, tol=0.05)
if job == "general":
    config = config.replace(batch_size=1, shuffle=False)
many.WRITTEN_OUT_MIN_WORK = 0 if job.startswith("written") else 10**18
many.WRITTEN_OUT_ANY_JOB_TERMS = 0
if job == "each":
    xornet.train(data.X, data.y, config, rng=0, engine="numba")
start = time.perf_counter()
result = xornet.train_many(data.X, data.y, config, 5 if job == "each" else 70, engine="numba")
print(result.kernel.split("/")[0], time.perf_counter() - start)
"""

JOBS = ("lanes", "general", "written", "written-c", "each")


def first_run(job: str, bits: int) -> float:
    """Seconds of ``job``'s first ``train_many`` call in a fresh process with empty caches."""
    with tempfile.TemporaryDirectory() as empty:
        env = {**os.environ, "XORNET_VECTOR_BITS": str(bits),
               "NUMBA_CACHE_DIR": os.path.join(empty, "numba"),
               "XORNET_CACHE_DIR": os.path.join(empty, "xornet"),
               "XORNET_NATIVE": "0" if job == "written" else "1"}  # fmt: skip
        done = subprocess.run([sys.executable, "-c", CALL, job], env=env, check=True,
                              capture_output=True, text=True)  # fmt: skip
    kernel, seconds = done.stdout.split()
    if kernel != job:
        raise RuntimeError(f"{job} ran the {kernel} kernel")
    return float(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="processes per row (default 1)")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    from xornet.engines._lanes import cpu_vector_bits

    widths = [512, 256] if cpu_vector_bits() == 512 else [cpu_vector_bits()]
    rows = [(job, bits) for job in JOBS for bits in widths if job != "each" or bits == widths[0]]
    seconds: dict[tuple[str, int], list[float]] = {row: [] for row in rows}
    for _ in range(args.repeat):
        for row in rows:
            seconds[row].append(first_run(*row))
    print(f"load {os.getloadavg()[0]:.1f}; wall seconds of the first call, empty caches")
    print("| kernel | bits | min | median | max |\n| --- | --- | --- | --- | --- |")
    for (job, bits), times in seconds.items():
        shown = "" if job == "each" else bits
        print(f"| {job} | {shown} | {min(times):.1f} | {statistics.median(times):.1f} | "
              f"{max(times):.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
