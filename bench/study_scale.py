"""How a study's cost grows, and what a Dask cluster adds: ``python bench/study_scale.py``.

Three measurements, printed as Markdown tables:

* ``growth``: one process, :func:`xornet.study.run_study` with the numba engine (the lanes),
  the post's network on XOR changed one factor at a time: networks, steps, samples (n-bit
  parity) and hidden units. Seconds and throughput in network-steps and
  network-sample-hidden-steps a second.
* ``overhead``: the cost of a task on a local Dask cluster of 2 worker processes beyond its
  training: many tiny tasks (16 networks, 10 steps) there and in this process.
* ``cluster``: one study in this process and on local clusters of 1 and of 2 workers, in
  turns, with the same records (checked to the bit).

Every run is timed after a first one that compiles (or loads) the kernels; ``--repeat`` runs
each that many times and keeps the fastest.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import xornet
from xornet.study import Records, local_cluster, run_study


def best(repeat: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs (seconds) and its result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return min(times), result


def growth(repeat: int) -> None:
    """Seconds of one study as each factor grows from the post's network on XOR."""
    base = xornet.TrainConfig(hidden=2, learning_rate=1.0, steps=20_000, tol=None)
    cases = [  # (what, dataset, hidden, networks, steps)
        ("networks", "xor", 2, 1_024, 20_000),
        ("networks", "xor", 2, 4_096, 20_000),
        ("networks", "xor", 2, 16_384, 5_000),
        ("steps", "xor", 2, 2_048, 5_000),
        ("steps", "xor", 2, 2_048, 40_000),
        ("samples", "parity3", 2, 2_048, 10_000),
        ("samples", "parity4", 2, 1_024, 10_000),
        ("samples", "parity6", 2, 256, 10_000),
        ("hidden", "xor", 4, 2_048, 10_000),
        ("hidden", "xor", 8, 1_024, 10_000),
        ("hidden", "xor", 16, 512, 10_000),
    ]
    print("| factor | dataset (samples) | hidden | networks | steps | seconds | "
          "M network-steps/s | G network-sample-hidden-steps/s |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for what, name, hidden, networks, steps in cases:
        data = xornet.make_dataset(name)
        config = base.replace(hidden=hidden, steps=steps)

        def run(config: xornet.TrainConfig = config, data: Any = data, n: int = networks) -> Any:
            return run_study(data.X, data.y, config, {}, range(n), engine="numba")

        run_study(data.X, data.y, config.replace(steps=10), {}, range(16), engine="numba")
        seconds, _ = best(repeat, run)
        work = networks * steps
        n = data.X.shape[0]
        print(
            f"| {what} | {name} ({n}) | {hidden} | {networks:,} | {steps:,} | {seconds:.2f} | "
            f"{work / seconds / 1e6:.1f} | {work * n * hidden / seconds / 1e9:.2f} |"
        )


def overhead(repeat: int) -> None:
    """Seconds per task beyond training: tiny tasks on a 2-worker cluster and here."""
    data = xornet.xor()
    config = xornet.TrainConfig(steps=10, tol=None)
    tasks, block = 200, 16
    seeds = range(tasks * block)
    here, _ = best(repeat, lambda: run_study(data.X, data.y, config, {}, seeds, block=block))
    with local_cluster(2) as client:
        run_study(data.X, data.y, config, {}, range(64), block=16, client=client)  # warm up
        there, _ = best(repeat, lambda: run_study(data.X, data.y, config, {}, seeds,
                                                  block=block, client=client))  # fmt: skip
    print(
        f"| {tasks} tasks of {block} networks x 10 steps | in this process {here:.2f} s "
        f"({1e3 * here / tasks:.1f} ms a task) | on 2 workers {there:.2f} s "
        f"({1e3 * there / tasks:.1f} ms a task) |"
    )


def cluster(repeat: int) -> None:
    """One study here and on local clusters of 1 and 2 workers, in turns (a round runs each
    once, so that the machine's slow spells fall on all three alike)."""
    data = xornet.xor()
    config = xornet.TrainConfig(hidden=2, learning_rate=1.0, steps=20_000, tol=None)
    grid = {"hidden": [2, 3], "learning_rate": [0.5, 2.0]}
    seeds = range(4_096)
    work = len(seeds) * 4 * config.steps

    def run(client: Any) -> Records:
        return run_study(data.X, data.y, config, grid, seeds, block=1_024, client=client)[1]

    with local_cluster(1) as one, local_cluster(2) as two:
        where = {"in this process": None, "1 worker process": one, "2 worker processes": two}
        reference = run(None)
        same = {name: run(client).same_as(reference) for name, client in where.items()}
        times: dict[str, list[float]] = {name: [] for name in where}
        for _ in range(repeat):
            for name, client in where.items():
                start = time.perf_counter()
                run(client)
                times[name].append(time.perf_counter() - start)
    print(
        f"{len(seeds):,} seeds x 4 settings x {config.steps:,} steps, tasks of 1,024 seeds; "
        f"the fastest of {repeat} rounds\n"
    )
    print("| where | seconds | M network-steps/s | records |")
    print("| --- | --- | --- | --- |")
    for name, seconds in times.items():
        print(
            f"| {name} | {min(seconds):.2f} | {work / min(seconds) / 1e6:.1f} | "
            f"{'the same' if same[name] else 'DIFFERENT'} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", metavar="PART",
                        help="growth, overhead or cluster (default: all three)")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    parts = {"growth": growth, "overhead": overhead, "cluster": cluster}
    for name in args.parts or parts:
        if name not in parts:
            parser.error(f"unknown part {name!r}; choose from {', '.join(parts)}")
    for part in args.parts or parts:
        print(f"\n{part}\n")
        parts[part](args.repeat)


if __name__ == "__main__":
    main()
