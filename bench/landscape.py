"""The loss landscape at the end of many runs: ``python bench/landscape.py [--study]``.

Without ``--study``: the benchmark. Trains the post's 1,000 starts (``np.random.seed(s)``,
s = 0..999; not timed), then times :func:`xornet.landscape.classify_many` on their end states
(exact Hessians, eigen-decompositions, escape probes) and prints the time, best of three.

With ``--study``: the numbers of docs/experiments.md, section 7 (a few minutes on 2 cores).
The post's 1,000 starts classified at 200,000 steps, then run 3.16, 10 and 100 times longer
(runs that solve stop being followed), and perturbed along their escape direction; then the
1986-style squared-error setups 1-3 at the matched criterion (``--tol 0.02``), their unsolved
ends classified and run 10 and 100 times longer. ``--images DIR`` writes its figures.
"""

from __future__ import annotations

import argparse
import collections
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import xornet
from xornet.diagnosis import NEAR_HALF
from xornet.landscape import KINDS, Classification, Trend, classify_many
from xornet.landscape._hessian import Shape, losses

DATA = xornet.xor()
POST = xornet.PRESETS["post"]


def groups(many: xornet.ManyResult) -> np.ndarray:
    """Each run's outcome as docs/experiments.md counts them: solved, 2@0.5, all@0.5, other
    (plateaus by the number of outputs within NEAR_HALF of 0.5), improving."""
    near = np.sum(np.abs(many.probabilities - 0.5) < NEAR_HALF, axis=1)
    out = np.where(near == 2, "2@0.5", np.where(near == 4, "all@0.5", "other"))
    out = np.where(many.outcome == "plateau", out, many.outcome)
    return np.asarray(out)


def table(rows: Sequence[str], points: Sequence[Classification], title: str) -> None:
    """Counts of each kind of point per group."""
    print(f"\n{title}")
    print(f"  {'group':<10}{'runs':>6}" + "".join(f"{k:>13}" for k in KINDS))
    for group in dict.fromkeys(rows):
        mine = [p.kind for p, g in zip(points, rows, strict=True) if g == group]
        counts = collections.Counter(mine)
        print(f"  {group:<10}{len(mine):>6}" + "".join(f"{counts[k]:>13}" for k in KINDS))


def norms(thetas: np.ndarray) -> np.ndarray:
    return np.asarray(np.linalg.norm(thetas, axis=1))


def loss_of(thetas: np.ndarray, config: xornet.TrainConfig) -> np.ndarray:
    shape = Shape(2, config.hidden, 1, config.shortcut)
    return losses(thetas, shape, DATA.X, DATA.y, config.activation, config.loss)


def continued(thetas: np.ndarray, config: xornet.TrainConfig, steps: int) -> xornet.ManyResult:
    """Plain gradient descent on the full batch continued from ``thetas`` for ``steps`` more:
    the same as a longer run (no optimizer state, no batch order)."""
    template = xornet.post_initial_params(0, config.hidden)
    starts = [template.unravel(t) for t in thetas]
    return xornet.train_many(
        DATA.X, DATA.y, config.replace(steps=steps), len(starts), params=starts
    )


def benchmark() -> None:
    many = xornet.train_many(DATA.X, DATA.y, POST, range(1000))
    classify_many(many.thetas[:10], DATA.X, DATA.y, POST)  # warm up
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        points = classify_many(many.thetas, DATA.X, DATA.y, POST)
        best = min(best, time.perf_counter() - start)
    counts = collections.Counter(p.kind for p in points)
    print(
        f"classify_many: {len(points)} end states of the post's network in {best:.3f} s "
        f"(best of 3): {dict(counts)}"
    )


def post_study(seeds: range, images: Path | None) -> None:
    start = time.perf_counter()
    many = xornet.train_many(DATA.X, DATA.y, POST, seeds)
    rows = groups(many)
    ends = many.thetas.copy()
    local = classify_many(ends, DATA.X, DATA.y, POST)
    table(rows, local, "The post (cross-entropy), at 200,000 steps, local reading:")
    # Continue: every run to 632,456 steps (200,000 x 10^0.5), the ones still unsolved on to 2
    # and 20 million. Gradient descent has no state: a continued run is the longer run.
    mid = continued(ends, POST, 632_456 - 200_000)
    on = np.flatnonzero(mid.outcome != "solved")  # followed to 2M and 20M
    ten = continued(mid.thetas[on], POST, 2_000_000 - 632_456)
    hundred = continued(ten.thetas, POST, 20_000_000 - 2_000_000)
    L0, W0 = loss_of(ends, POST), norms(ends)
    L1, W1 = loss_of(mid.thetas, POST), norms(mid.thetas)
    L10, W10 = loss_of(ten.thetas, POST), norms(ten.thetas)
    L100, W100 = loss_of(hundred.thetas, POST), norms(hundred.thetas)
    trends: list[Trend | None] = [
        Trend((200_000, 632_456), (float(L0[i]), float(L1[i])), (float(W0[i]), float(W1[i])))
        for i in range(len(seeds))
    ]
    for j, i in enumerate(on):
        trends[i] = Trend(
            (200_000, 2_000_000, 20_000_000),
            (float(L0[i]), float(L10[j]), float(L100[j])),
            (float(W0[i]), float(W10[j]), float(W100[j])),
        )
    with_trend = classify_many(ends, DATA.X, DATA.y, POST, trends=trends)
    table(rows, with_trend, "The same points with their trend (the run continued):")
    at_end = classify_many(hundred.thetas, DATA.X, DATA.y, POST)
    solved_mid = mid.outcome == "solved"
    solved_ten = np.zeros(len(seeds), bool)
    solved_ten[on] = ten.outcome == "solved"
    solved_hundred = np.zeros(len(seeds), bool)
    solved_hundred[on] = hundred.outcome == "solved"
    print("\nThe unsolved at 200,000 steps, run longer (how many solved by each step):")
    for group in ("2@0.5", "all@0.5", "other", "improving"):
        idx = np.flatnonzero(rows == group)
        if idx.size == 0:
            continue
        a, b = int(solved_mid[idx].sum()), int((solved_mid | solved_ten)[idx].sum())
        c = int((solved_mid | solved_ten | solved_hundred)[idx].sum())
        print(
            f"  {group:<10}{idx.size:>5} runs: solved by 632,456 steps {a}, by 2M {b}, by 20M {c}"
        )
        still = [int(j) for j, i in enumerate(on) if rows[i] == group and not solved_hundred[i]]
        if not still:
            continue
        limits = [t.limit() for t in (trends[on[j]] for j in still) if t and t.limit()]
        growth = np.array([trends[on[j]].growths for j in still])  # type: ignore[union-attr]
        lows = np.array([at_end[j].eigenvalues[0] for j in still])
        grads = [at_end[j].gradient_norm for j in still]
        print(
            f"    the {len(still)} still unsolved: loss heading for {np.median(limits):.5f} "
            f"(median; {min(limits):.5f}-{max(limits):.5f}); weight norm growing "
            f"{np.median(growth[:, 0]):.2f} then {np.median(growth[:, 1]):.2f} per tenfold; "
            f"at 20M the lowest eigenvalue {np.median(lows):.2g} ({lows.min():.2g} to "
            f"{lows.max():.2g}), gradient norm {np.median(grads):.2g}; "
            f"kinds there {dict(collections.Counter(at_end[j].kind for j in still))}"
        )
    print(
        f"  (ln(2)/2 = {np.log(2) / 2:.5f}; (2 ln(3/2) + ln 3) / 4 = "
        f"{(2 * np.log(1.5) + np.log(3)) / 4:.5f})"
    )
    stalled = np.flatnonzero(many.outcome != "solved")
    print(f"\nThe {stalled.size} unsolved at 200,000 steps:")
    perturb([local[i] for i in stalled], ends[stalled], rows[stalled], POST)
    print(f"({time.perf_counter() - start:.0f} s)")
    if images is not None:
        _post_figures(images, with_trend, rows)


def _post_figures(images: Path, local: Sequence[Classification], rows: np.ndarray) -> None:
    from xornet.landscape import LandscapeRecorder, path_directions, slice_2d
    from xornet.landscape_plots import plot_end_states, plot_run, plot_slice
    from xornet.plotting import save_png

    images.mkdir(parents=True, exist_ok=True)
    save_png(plot_end_states(local, list(rows)), images / "landscape_post_ends.png")
    config = POST.replace(record_every=1_000)
    trainer = xornet.Trainer(DATA.X, DATA.y, config, rng=0, engine="numpy")
    recorder = LandscapeRecorder(trainer)
    trainer.run(callback=recorder)
    save_png(plot_run(recorder), images / "landscape_post_run.png")
    D, explained = path_directions(recorder.path, trainer.params.ravel())
    span = np.linspace(-22, 22, 81)
    labels = (f"path direction 1 ({explained[0]:.0%})", f"path direction 2 ({explained[1]:.0%})")
    s = slice_2d(trainer.params, DATA.X, DATA.y, D, span, span, labels=labels, path=recorder.path)
    save_png(plot_slice(s, log=True), images / "landscape_post_slice.png")


SSE = xornet.TrainConfig(
    hidden=2,
    init="uniform",
    init_scale=0.5,
    loss="sse",
    optimizer="momentum",
    momentum=0.9,
    learning_rate=0.5,
    tol=0.02,
    steps=10_000,
)
SETUPS = {
    "1": SSE,
    "1b": SSE.replace(hidden=1, shortcut=True),
    "2": SSE.replace(init_scale=1.0, optimizer="gd", batch_size=1, shuffle=False, steps=40_000),
    **{f"3 r={r:g}": SSE.replace(init_scale=r) for r in (0.1, 0.25, 1.0, 2.0, 3.0)},
}


def sse_study(seeds: range, images: Path | None) -> None:
    start = time.perf_counter()
    print("\nSquared error, the matched criterion (tss < 0.04, xornet's sse < 0.02):")
    print(f"  {'setup':<9}{'solved':>7}{'at 0.04':>9}{'epochs to 0.04':>22}{'epochs to 0.02':>22}")
    firsts = {}
    for name, config in SETUPS.items():
        per_epoch = 4 if config.batch_size == 1 else 1
        cells = []
        for tol in (0.04, 0.02):
            run = xornet.train_many(DATA.X, DATA.y, config.replace(tol=tol), seeds, target=tol)
            hit = run.target_step[run.target_step >= 0] / per_epoch
            p10, p50, p90 = np.percentile(hit, [10, 50, 90]) if hit.size else (0, 0, 0)
            cells.append(
                (
                    int(np.sum(run.outcome == "solved")),
                    hit.size,
                    f"{p50:,.0f} ({p10:,.0f}-{p90:,.0f})",
                )
            )
        firsts[name] = run
        print(
            f"  {name:<9}{cells[1][0]:>7}{cells[0][1]:>9}{cells[0][2]:>22}{cells[1][2]:>22}"
            f"   (criterion reached at 0.02: {cells[1][1]})"
        )
    for name in ("1", "2", "3 r=3"):
        config, run = SETUPS[name], firsts[name]
        rows = groups(run)
        unsolved = np.flatnonzero(run.outcome != "solved")
        local = classify_many(run.thetas[unsolved], DATA.X, DATA.y, config)
        table(
            list(rows[unsolved]),
            local,
            f"Setup {name}: the unsolved at {config.steps:,} steps, local reading:",
        )
        ends = {config.steps: run.thetas[unsolved]}
        solved_by = {}
        for factor in (10, 100):
            longer = xornet.train_many(
                DATA.X,
                DATA.y,
                config.replace(steps=factor * config.steps),
                np.asarray(seeds)[unsolved],
            )
            ends[factor * config.steps] = longer.thetas
            solved_by[factor] = longer.outcome == "solved"
        steps = tuple(ends)
        trends = [
            Trend(
                steps,
                tuple(float(loss_of(ends[s][j : j + 1], config)[0]) for s in steps),
                tuple(float(norms(ends[s][j : j + 1])[0]) for s in steps),
            )
            for j in range(unsolved.size)
        ]
        with_trend = classify_many(run.thetas[unsolved], DATA.X, DATA.y, config, trends=trends)
        keep = ~solved_by[100]
        table(
            list(rows[unsolved][keep]),
            [p for p, k in zip(with_trend, keep, strict=True) if k],
            f"  with the trend to {100 * config.steps:,} steps (those still unsolved):",
        )
        print(
            f"  solved when run 10x longer: {int(solved_by[10].sum())}, 100x: "
            f"{int(solved_by[100].sum())} of {unsolved.size}"
        )
        at_end = classify_many(ends[100 * config.steps], DATA.X, DATA.y, config)
        for group in dict.fromkeys(rows[unsolved]):
            still = np.flatnonzero(keep & (rows[unsolved] == group))
            solved = int(np.sum(solved_by[100] & (rows[unsolved] == group)))
            if still.size == 0:
                print(f"  {group}: all {solved} solved")
                continue
            limits = [trends[j].limit() or np.nan for j in still]
            lows = np.array([at_end[j].eigenvalues[0] for j in still])
            print(
                f"  {group}: {solved} solved; the {still.size} others heading for losses "
                f"{np.nanmin(limits):.4f}-{np.nanmax(limits):.4f}, lowest eigenvalue at "
                f"{100 * config.steps:,} steps {np.median(lows):.2g} ({lows.min():.2g} to "
                f"{lows.max():.2g})"
            )
        perturb(local, run.thetas[unsolved], rows[unsolved], config)
    print(f"({time.perf_counter() - start:.0f} s)")
    if images is not None:
        from xornet.landscape_plots import plot_end_states
        from xornet.plotting import save_png

        run = firsts["1"]
        points = classify_many(run.thetas, DATA.X, DATA.y, SETUPS["1"])
        save_png(plot_end_states(points, list(groups(run))), images / "landscape_sse_ends.png")


def perturb(
    points: Sequence[Classification],
    thetas: np.ndarray,
    rows: np.ndarray,
    config: xornet.TrainConfig,
) -> None:
    """Print how many of the points solve within ``config.steps`` steps from ``theta + s v``
    for sizes s = 0, 0.1, 1, 4, with ``v`` the escape direction (the lowest eigenvector,
    signed downhill) or a random unit direction, per group. Runs restart from the perturbed
    point with a fresh optimizer state (for gradient descent on the full batch that is the run
    continued)."""
    rng = np.random.default_rng(0)
    template = xornet.init_params(2, config.hidden, shortcut=config.shortcut)
    signs = np.array(
        [
            -1.0 if p.eigenvectors[:, 0] @ _gradient(template.unravel(t), config) > 0 else 1.0
            for p, t in zip(points, thetas, strict=True)
        ]
    )
    escape = np.stack([p.eigenvectors[:, 0] for p in points]) * signs[:, None]
    random = rng.standard_normal(thetas.shape)
    random /= np.linalg.norm(random, axis=1, keepdims=True)
    runs = {}
    for name, v, size in [("none", escape, 0.0)] + [
        (f"{kind} {size:g}", v, size)
        for size in (0.1, 1.0, 4.0)
        for kind, v in (("escape", escape), ("random", random))
    ]:
        starts = [template.unravel(t) for t in thetas + size * v]
        run = xornet.train_many(DATA.X, DATA.y, config, len(starts), params=starts)
        runs[name] = run.outcome == "solved"
    print(f"  perturbed by s along v, then {config.steps:,} steps: how many solve")
    print(f"    {'group':<10}{'runs':>6}" + "".join(f"{name:>12}" for name in runs))
    for group in dict.fromkeys(rows):
        mine = rows == group
        counts = "".join(f"{int(np.sum(flags & mine)):>12}" for flags in runs.values())
        print(f"    {group:<10}{int(mine.sum()):>6}{counts}")


def _gradient(p: xornet.Params, config: xornet.TrainConfig) -> np.ndarray:
    cache = xornet.forward(p, DATA.X, config.activation)
    return xornet.backward(p, cache, DATA.y, config.loss).ravel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", action="store_true", help="run the study, not the benchmark")
    parser.add_argument("--images", type=Path, help="with --study: write its figures here")
    parser.add_argument("--seeds", type=int, default=1000, help="starts per setting")
    args = parser.parse_args()
    if not args.study:
        benchmark()
        return
    post_study(range(args.seeds), args.images)
    sse_study(range(args.seeds), args.images)


if __name__ == "__main__":
    main()
