"""``xornet sweep``: many starts for every setting of a grid, and how often each learns."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xornet._names import ACTIVATION_NAMES, INIT_NAMES, LOSS_NAMES, OPTIMIZER_NAMES, PRESET_NAMES
from xornet.cli import common, output
from xornet.cli.options import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    STARTS,
    UsageError,
    add_data_options,
    add_engine,
    add_tol,
    count,
    finite_float,
    flag_error,
    path_arg,
    positive_int,
)
from xornet.errors import XornetError

if TYPE_CHECKING:
    from xornet._typing import Array
    from xornet.config import TrainConfig
    from xornet.sweep import SweepRow

# The fixed settings a flag sets (the grid's own flags take lists).
_FIXED = ("shuffle", "stop_when_correct", "shortcut", "start", "tol")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "sweep",
        help="train many starts for each setting of a grid and compare them",
        description="For every combination of the given values, train one network per seed "
        "and print the success rate (with a Wilson 95% interval), the steps to solve, the "
        "epochs until the loss reaches --tol (the 1986 measure) and the outcomes. With "
        "--preset post the starts are the post's np.random.seed(s) weights.",
    )
    add_data_options(p)
    g = p.add_argument_group("the grid (each takes one or more values)")
    g.add_argument("--preset", choices=PRESET_NAMES, help="the settings the grid changes "
                   "(default: default)")  # fmt: skip
    g.add_argument("--hidden", type=positive_int, nargs="+")
    g.add_argument("--activation", choices=ACTIVATION_NAMES, nargs="+")
    g.add_argument("--init", choices=INIT_NAMES, nargs="+")
    g.add_argument("--optimizer", choices=OPTIMIZER_NAMES, nargs="+")
    g.add_argument("--lr", "--learning-rate", dest="learning_rate", type=finite_float, nargs="+")
    g.add_argument("--momentum", type=finite_float, nargs="+")
    g.add_argument("--batch-size", type=positive_int, nargs="+")
    g.add_argument("--steps", type=count, nargs="+")
    g.add_argument("--loss", choices=LOSS_NAMES, nargs="+")
    g.add_argument("--init-scale", type=finite_float, nargs="+")
    g.add_argument("--margin", type=finite_float, nargs="+")
    g.add_argument("--stop-when-correct", action="store_true", default=None,
                   help="stop each network once every sample is right (see --margin)")  # fmt: skip
    g.add_argument("--shortcut", action="store_true", default=None,
                   help="networks with input-to-output weights (the 2-1-1 network)")  # fmt: skip
    g.add_argument(
        "--no-shuffle",
        dest="shuffle",
        action="store_false",
        default=None,
        help="mini-batches in a fixed order (needed with --batch-size: many "
        "networks at once do not reshuffle)",
    )
    g = p.add_argument_group("starts and output")
    g.add_argument(
        "--seeds", type=positive_int, metavar="N", help="starts per setting (default 100)"
    )
    g.add_argument("--first-seed", type=int, metavar="S", help="seeds S .. S+N-1 (default 0)")
    g.add_argument("--start", choices=STARTS,
                   help="random: init_params from each seed; post: the post's np.random.seed(s) "
                   "weights (the post preset's)")  # fmt: skip
    add_tol(
        g, "stop a network once its loss is at most TOL, the criterion of the epochs to tol column"
    )
    add_engine(g)
    g.add_argument("--out-csv", type=path_arg, metavar="FILE", help="also write the table as CSV")
    g.add_argument(
        "--plot",
        type=path_arg,
        metavar="FILE",
        help="draw the success rate (PNG): a line over one swept setting, a heat map over two",
    )
    g.add_argument(
        "--study",
        type=path_arg,
        metavar="FILE",
        help="a TOML file naming a study: [study] dataset, preset, seeds, "
        "first_seed; [grid] settings with lists of values; [config] fixed settings. "
        "Flags given on the command line win over the file",
    )
    g.add_argument("--json", action="store_true", help="print JSON instead of the table")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g = p.add_argument_group("long studies (in tasks: one setting, one block of seeds)")
    g.add_argument("--out", type=path_arg, metavar="FILE",
                   help="write one line per network to FILE (.csv, or .parquet with pyarrow) "
                   "as tasks finish, each write atomic")  # fmt: skip
    g.add_argument("--resume", action="store_true",
                   help="go on with the study in --out FILE: train only the networks it lacks "
                   "(refused if the file was made with other settings)")  # fmt: skip
    g.add_argument("--block", type=positive_int, metavar="N",
                   help="seeds per task (default: about a second's work; the numbers do not "
                   "depend on it)")  # fmt: skip
    where = g.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run the tasks on the Dask cluster at ADDRESS (tcp://host:8786); "
                       "needs xornet[dask] and the same versions on every worker")  # fmt: skip
    where.add_argument("--workers", type=positive_int, metavar="N",
                       help="run the tasks on a Dask cluster of N worker processes started "
                       "on this machine (at most one per core)")  # fmt: skip
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Merge the flags with the study file, check everything, sweep, then print."""
    from xornet.sweep import Study, read_study

    study = read_study(args.study) if args.study is not None else Study()
    named_in = ""
    if args.dataset is None and args.csv is None and study.dataset is not None:
        args.dataset, named_in = study.dataset, f"{args.study}: [study] dataset"
    dataset = common.load_data(args, named_in=named_in)
    preset = args.preset or study.preset or "default"
    changes = dict(study.config)
    changes.update({f: getattr(args, f) for f in _FIXED if getattr(args, f) is not None})
    if changes.get("tol") == "off":
        changes["tol"] = None
    base = common.make_config(preset, changes)
    grid: dict[str, list[Any]] = {}
    for axis in output.SWEEP_HEADS:  # the flags' values, else the file's
        values = getattr(args, axis) or study.grid.get(axis)
        if values:
            grid[axis] = values
    for axis, values in grid.items():
        for value in values:
            try:
                base.replace(**{axis: value})
            except XornetError as exc:
                raise flag_error(exc) from None
    if grid.get("batch_size") and base.shuffle:
        raise XornetError("sweeps train mini-batches in a fixed order; add --no-shuffle")
    n = args.seeds or study.seeds or 100
    first = args.first_seed if args.first_seed is not None else (study.first_seed or 0)
    first = common.check_seed(first, "--first-seed")
    common.check_seed(first + n - 1, "--first-seed + --seeds - 1")
    seeds = list(range(first, first + n))
    varied = [a for a in grid if len(grid[a]) > 1] or list(grid)[:1]
    if args.plot is not None and not varied:
        raise UsageError("--plot needs at least one swept setting")
    if args.resume and args.out is None:
        raise UsageError("--resume needs the study's file: --out FILE")
    if args.workers is not None:
        from xornet.study import check_workers

        try:
            check_workers(args.workers, "--workers")
        except XornetError as exc:
            raise UsageError(str(exc)) from None
    for path, flag in ((args.out_csv, "--out-csv"), (args.plot, "--plot"), (args.out, "--out")):
        if path is not None:
            common.check_file_target(path, flag)
    if args.plot is not None:
        common.need_matplotlib()
    try:
        rows = _sweep(args, dataset.X, dataset.y, base, grid, seeds)
    except KeyboardInterrupt:
        kept = f"; the finished tasks are in {args.out} (--resume goes on)" if args.out else ""
        print(f"xornet: interrupted{kept}", file=sys.stderr)
        return EXIT_INTERRUPTED
    records = [row.as_dict() for row in rows]
    if args.out_csv is not None:
        _write_csv(args.out_csv, records)
    figure = None
    if args.plot is not None:
        from xornet.plotting import plot_sweep, save_png

        figure = save_png(plot_sweep(rows, varied), args.plot)
    if args.json:
        print(json.dumps({"dataset": dataset.name, "preset": preset, "seeds": len(seeds),
                          "first_seed": first, "shortcut": base.shortcut,
                          "criterion": base.tol, "rows": records}, indent=2))  # fmt: skip
        return EXIT_OK
    starts = " (the post's initial weights)" if base.start == "post" else ""
    network = ", shortcut networks (inputs also wired to the output)" if base.shortcut else ""
    output.print_sweep(rows, grid, f"xornet sweep: {dataset.name}, preset {preset}{network}, "
                                   f"seeds {seeds[0]}..{seeds[-1]}{starts}")  # fmt: skip
    if args.out is not None:
        print(f"networks    {args.out}")
    if args.out_csv is not None:
        print(f"table       {args.out_csv}")
    if figure is not None:
        print(f"figure      {figure}")
    return EXIT_OK


def _sweep(
    args: argparse.Namespace,
    X: Array,
    y: Array,
    base: TrainConfig,
    grid: dict[str, list[Any]],
    seeds: list[int],
) -> list[SweepRow]:
    """Run the sweep here, on a local cluster (--workers) or at a scheduler (--scheduler),
    with a progress bar in steps here and in finished tasks on a cluster."""
    from contextlib import ExitStack

    from xornet.engines import resolve_engine
    from xornet.sweep import sweep

    with ExitStack() as stack:
        client = None
        if args.workers is not None:
            from xornet.study import local_cluster

            client = stack.enter_context(local_cluster(args.workers))
        elif args.scheduler is not None:
            from xornet.study import connect

            client = stack.enter_context(connect(args.scheduler))
        if args.scheduler is None and resolve_engine(args.engine) == "numba":
            # The compiled kernels' cache (here and in local workers), said when not used.
            common.cache_is_used()
        unit = "step" if client is None else "task"
        bar = common.progress_bar(1, enabled=not (args.quiet or args.json), unit=unit)
        if bar is not None:
            stack.callback(bar.close)

        def progress(done: int, total: int) -> None:
            if bar is not None:
                bar.total = total
                bar.update(done - bar.n)

        return sweep(X, y, base, grid, seeds, engine=args.engine, progress=progress,
                     client=client, out=args.out, resume=args.resume,
                     block=args.block)  # fmt: skip


def _write_csv(path: Path, records: list[dict[str, Any]]) -> None:
    import csv
    import io

    from xornet._atomic import atomic_write

    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    data = text.getvalue().encode("utf-8")
    atomic_write(path, lambda f: f.write(data))
