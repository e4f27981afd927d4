"""Studies: the same records wherever and in whatever pieces they run, kept and resumed."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from importlib import metadata

import numpy as np
import pytest

import xornet
from xornet.engines.many import train_many
from xornet.errors import XornetError
from xornet.study import (
    OUTCOME_COLUMNS,
    Records,
    Task,
    connect,
    local_cluster,
    outcome_labels,
    read_records,
    run_study,
    run_task,
)

XOR = xornet.xor()
BASE = xornet.TrainConfig(steps=1500, tol=None)
GRID = {"hidden": [2, 3], "learning_rate": [0.5, 2.0]}


def test_outcome_labels_tell_the_plateaus_apart():
    outcome = np.array(["plateau", "plateau", "plateau", "solved", "improving", "diverged"])
    P = np.array([
        [0.5, 0.5, 0.9, 0.1],  # two outputs near half: the classic XOR plateau
        [0.5, 0.5, 0.5, 0.5],
        [0.5, 0.9, 0.9, 0.1],
        [0.1, 0.9, 0.9, 0.1],
        [0.3, 0.6, 0.6, 0.3],
        [0.5, 0.5, 0.5, 0.5],
    ])  # fmt: skip
    labels = outcome_labels(outcome, P)
    assert labels.tolist() == ["plateau_two_half", "plateau_all_half", "plateau_other", "solved",
                               "improving", "diverged"]  # fmt: skip
    assert set(labels) <= set(OUTCOME_COLUMNS)
    # Two samples: both near half is "every output", never "two of them".
    assert outcome_labels(np.array(["plateau"]), np.array([[0.5, 0.5]])).tolist() == [
        "plateau_all_half"
    ]
    # Softmax outputs: undecided when the top two are within 2 NEAR_HALF.
    soft = np.array([[[0.45, 0.45, 0.1], [0.8, 0.1, 0.1], [0.1, 0.8, 0.1]]])
    assert outcome_labels(np.array(["plateau"]), soft).tolist() == ["plateau_other"]


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_records_are_one_train_many_call_whatever_the_blocks(engine):
    config, seeds = BASE.replace(steps=600), list(range(20))
    settings, whole = run_study(XOR.X, XOR.y, config, GRID, seeds, engine=engine)
    assert settings == [
        {"hidden": 2, "learning_rate": 0.5},
        {"hidden": 2, "learning_rate": 2.0},
        {"hidden": 3, "learning_rate": 0.5},
        {"hidden": 3, "learning_rate": 2.0},
    ]
    assert len(whole) == 80
    for block in (1, 7, 16) if engine == "numba" else (7,):
        _, blocks = run_study(XOR.X, XOR.y, config, GRID, seeds, engine=engine, block=block)
        assert blocks.same_as(whole)
    # Each setting's records are what one call trains for its seeds (with every learning
    # rate, as the sweep always trained them: 40 networks, so the lanes).
    for s, values in enumerate(settings):
        many = train_many(XOR.X, XOR.y, config.replace(**values), seeds, engine=engine,
                          kernel_for=40)  # fmt: skip
        part = whole.of(s)
        assert part.seed.tolist() == seeds
        assert part.final_loss.tobytes() == many.final_loss.tobytes()
        assert part.solve_step.tolist() == many.solve_step.tolist()
        assert part.criterion_epoch.tolist() == [-1] * len(seeds)  # no tol: no criterion
        assert part.outcome.tolist() == outcome_labels(many.outcome, many.probabilities).tolist()


def test_blocks_run_the_kernel_of_the_whole_setting(monkeypatch):
    # The written-out step (for long jobs) and the lane kernel agree to 1e-14, not to the
    # bit: a block of 8 networks runs the written-out one when its setting would.
    import xornet.engines.many as many

    monkeypatch.setattr(many, "WRITTEN_OUT_MIN_WORK", 40 * BASE.steps)
    seeds = list(range(40))
    whole = train_many(XOR.X, XOR.y, BASE, seeds, engine="numba")
    alone = train_many(XOR.X, XOR.y, BASE, seeds[:8], engine="numba")
    assert whole.final_loss[:8].tobytes() != alone.final_loss.tobytes()
    _, records = run_study(XOR.X, XOR.y, BASE, {}, seeds, engine="numba", block=8)
    assert records.final_loss.tobytes() == whole.final_loss.tobytes()


def test_a_task_ships_settings_and_seeds_and_refuses_other_versions():
    versions = (("xornet", xornet.__version__), ("numpy", np.__version__), ("numba", None))
    task = Task(0, BASE, (3, 4), 2, "numpy", versions)
    fields = [type(getattr(task, f)) for f in task.__dataclass_fields__]
    assert np.ndarray not in fields
    records = run_task(task, XOR.X, XOR.y)
    assert records.seed.tolist() == [3, 4]
    old = Task(0, BASE, (3,), 1, "numpy", (("xornet", "0.0.1"), ("numpy", np.__version__)))
    with pytest.raises(XornetError, match=r"other versions than the study "
                       r"\(xornet 0.0.1 in the study, 0.1.0 on this worker\)"):  # fmt: skip
        run_task(old, XOR.X, XOR.y)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"seeds": [1, 2, 1]}, "seed 1 is given twice"),
    ({"seeds": []}, "at least one seed"),
    ({"block": 0}, "block must be a positive"),
    ({"resume": True}, "needs its file"),
    ({"grid": {"colour": [1]}}, "cannot sweep colour"),
    ({"grid": {"hidden": []}}, "at least one value"),
    ({"out": "study.txt"}, r"study.txt: a study file ends in .csv or .parquet"),
    ({"out": "nowhere/study.csv"}, "directory nowhere does not exist"),
])  # fmt: skip
def test_bad_studies_are_refused_before_training(kwargs, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = {"grid": GRID, "seeds": [0, 1], **kwargs}
    with pytest.raises(XornetError, match=message):
        run_study(XOR.X, XOR.y, BASE, args.pop("grid"), args.pop("seeds"), **args)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_file_holds_every_network_and_reads_back_to_the_bit(tmp_path, suffix):
    out = tmp_path / f"study{suffix}"
    seeds = list(range(10))
    _, records = run_study(XOR.X, XOR.y, BASE, GRID, seeds, out=out, block=4)
    identity, again = read_records(out)
    assert again.same_as(records)
    assert identity["grid"] == {"hidden": [2, 3], "learning_rate": [0.5, 2.0]}
    assert identity["seeds"] == {"first": 0, "count": 10}
    assert identity["config"]["steps"] == 1500
    assert "hidden" not in identity["config"]  # swept: the grid says it
    if suffix == ".csv":
        lines = out.read_text().splitlines()
        assert lines[0].startswith("# xornet study {")
        assert lines[1] == ("setting,hidden,learning_rate,seed,outcome,solve_step,"
                            "criterion_epoch,stopped_at,stop_reason,final_loss,"
                            "accuracy")  # fmt: skip
        assert len(lines) == 2 + 40
        assert lines[2].startswith("0,2,0.5,0,")
        import pandas as pd

        frame = pd.read_csv(out, comment="#")
        assert frame["final_loss"].to_numpy().tobytes() == records.final_loss.tobytes()
    # The file is there: another run must resume it, not write over it.
    with pytest.raises(XornetError, match="exists: resume the study it holds"):
        run_study(XOR.X, XOR.y, BASE, GRID, seeds, out=out)


def test_resume_trains_only_what_the_file_lacks(tmp_path, monkeypatch):
    out = tmp_path / "study.csv"
    seeds = list(range(12))
    _, whole = run_study(XOR.X, XOR.y, BASE, GRID, seeds)

    trained = []

    def stop_after_two(done, total):
        if len(trained) == 3:
            raise KeyboardInterrupt

    import xornet.study as study

    real = study.run_task

    def counting(task, X, y, progress=None):
        trained.append(task.seeds)
        return real(task, X, y, progress)

    monkeypatch.setattr(study, "run_task", counting)
    # Ctrl-C during the third task: the two finished ones are kept.
    with pytest.raises(KeyboardInterrupt):
        run_study(XOR.X, XOR.y, BASE, GRID, seeds, out=out, block=5, progress=stop_after_two)
    assert len(read_records(out)[1]) == 5 + 5
    trained.clear()
    _, resumed = run_study(XOR.X, XOR.y, BASE, GRID, seeds, out=out, resume=True, block=5)
    assert resumed.same_as(whole)
    assert sum(len(s) for s in trained) == 48 - 10  # nothing trained twice
    # A finished study resumes to itself without training anything.
    trained.clear()
    assert run_study(XOR.X, XOR.y, BASE, GRID, seeds, out=out, resume=True)[1].same_as(whole)
    assert trained == []


def format_1(path, identity_format=1, keep=None):
    """Rewrite a study file as the format before ``criterion_epoch`` wrote it (its first
    ``keep`` networks)."""
    if path.suffix == ".csv":
        first, header, *rows = path.read_text().splitlines()
        rows = rows[:keep]
        identity = json.loads(first.removeprefix("# xornet study "))
        names = header.split(",")
        drop = names.index("criterion_epoch") if "criterion_epoch" in names else None
        cut = [",".join(v for i, v in enumerate(line.split(",")) if i != drop)
               for line in [header, *rows]]  # fmt: skip
        identity["format"] = identity_format
        path.write_text("\n".join([f"# xornet study {json.dumps(identity)}", *cut]) + "\n")
    else:
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        identity = json.loads(table.schema.metadata[b"xornet.study"])
        identity["format"] = identity_format
        if "criterion_epoch" in table.column_names:
            table = table.drop_columns(["criterion_epoch"])
        table = table.slice(0, keep)
        pq.write_table(table.replace_schema_metadata({"xornet.study": json.dumps(identity)}),
                       path)  # fmt: skip


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_of_format_1_is_read_with_its_criterion_epochs_and_resumed(tmp_path, suffix):
    # Mini-batches of 3 of 4 samples (2 updates an epoch) and one pattern at a time (4): the
    # epochs of a format-1 file come from its tolerance stops, as a new study records them.
    base = xornet.TrainConfig(steps=3000, tol=0.05, shuffle=False, learning_rate=2.0)
    grid, seeds = {"batch_size": [3, 1], "hidden": [2, 3]}, list(range(8))
    out = tmp_path / f"study{suffix}"
    _, records = run_study(XOR.X, XOR.y, base, grid, seeds, out=out)
    reached = records.criterion_epoch >= 0
    assert 0 < reached.sum() < len(records)  # some reach the criterion, some do not
    for s, batch in enumerate([3, 3, 1, 1]):
        mine = records.of(s)
        stopped = mine.stop_reason == "tolerance"
        assert stopped.any()
        assert (
            mine.criterion_epoch[stopped].tolist()
            == (mine.stopped_at[stopped] // {3: 2, 1: 4}[batch]).tolist()
        )
        assert (mine.criterion_epoch[~stopped] == -1).all()
    format_1(out)
    identity, old = read_records(out)
    assert identity["format"] == 2
    assert old.same_as(records)
    # resumed with networks missing: they are trained, the file rewritten with the column
    format_1(out, keep=20)
    _, resumed = run_study(XOR.X, XOR.y, base, grid, seeds, out=out, resume=True)
    assert resumed.same_as(records)
    assert read_records(out)[1].same_as(records)
    if suffix == ".csv":
        assert "criterion_epoch" in out.read_text().splitlines()[1]
    format_1(out, identity_format=7)
    with pytest.raises(XornetError, match="not a xornet study file of format 1 or 2"):
        read_records(out)


def test_resume_refuses_another_studys_file_and_says_what_differs(tmp_path):
    out = tmp_path / "study.csv"
    run_study(XOR.X, XOR.y, BASE, {"learning_rate": [0.5]}, range(6), out=out)
    with pytest.raises(XornetError) as error:
        run_study(XOR.X, XOR.y, BASE.replace(steps=900), {"learning_rate": [1.0]}, range(10),
                  out=out, resume=True)  # fmt: skip
    message = str(error.value)
    assert message.startswith(f"{out} holds another study: ")
    assert "steps 1500 there, 900 here" in message
    assert "grid learning_rate [0.5] there, [1.0] here" in message
    assert "seeds 0..5 there, 0..9 here" in message
    assert "\n" not in message
    parity = xornet.parity(3)
    with pytest.raises(XornetError, match=r"data 4x2 \(sha256 \w{8}\) there, 8x3"):
        run_study(parity.X, parity.y, BASE, {"learning_rate": [0.5]}, range(6), out=out,
                  resume=True)  # fmt: skip
    numba = metadata.version("numba")
    with pytest.raises(XornetError, match=f"engine numba there, numpy here; numba {numba} there, "
                       "none here"):  # fmt: skip
        run_study(XOR.X, XOR.y, BASE, {"learning_rate": [0.5]}, range(6), out=out, resume=True,
                  engine="numpy")  # fmt: skip
    (tmp_path / "other.csv").write_text("a,b\n1,2\n")
    with pytest.raises(XornetError, match=r"other.csv: not a readable xornet study file"):
        read_records(tmp_path / "other.csv")


def test_parquet_without_pyarrow_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(XornetError, match=r"needs pyarrow: pip install pyarrow \(or write .csv\)"):
        run_study(XOR.X, XOR.y, BASE, GRID, [0], out=tmp_path / "s.parquet")


_KILLED_STUDY = """
import sys
import xornet
from xornet.study import run_study
run_study(xornet.xor().X, xornet.xor().y, xornet.TrainConfig(steps=400, tol=None),
          {"hidden": [2, 3, 4], "learning_rate": [0.5, 2.0]}, range(48), engine="numpy",
          out=sys.argv[1], resume=True, block=8)
"""


def test_a_study_killed_at_random_moments_resumes_to_the_uninterrupted_file(tmp_path):
    grid = {"hidden": [2, 3, 4], "learning_rate": [0.5, 2.0]}
    reference = tmp_path / "reference.csv"
    config = xornet.TrainConfig(steps=400, tol=None)
    run_study(XOR.X, XOR.y, config, grid, range(48), engine="numpy", out=reference, block=48)
    out = tmp_path / "study.csv"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    script = textwrap.dedent(_KILLED_STUDY)
    moments = random.Random(20).sample([0.05 * k for k in range(12)], 4)
    held = []
    for moment in moments:
        process = subprocess.Popen([sys.executable, "-c", script, str(out)], env=env)
        deadline = time.monotonic() + 60
        while not out.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # the first write: importing is over
        time.sleep(moment)
        process.send_signal(signal.SIGKILL)
        process.wait()
        held.append(len(read_records(out)[1]) if out.exists() else 0)
    assert any(0 < n < 48 * 6 for n in held), held  # some kill came in the middle
    assert held == sorted(held)  # nothing finished is ever lost
    done = subprocess.run([sys.executable, "-c", script, str(out)], env=env, timeout=120)
    assert done.returncode == 0
    assert out.read_bytes() == reference.read_bytes()
    assert list(tmp_path.glob(".study.csv.*")) == []  # what killed writes left is gone


def test_dask_is_imported_only_for_a_cluster(tmp_path):
    code = (
        "import sys, xornet\n"
        "from xornet.study import run_study\n"
        "run_study(xornet.xor().X, xornet.xor().y, xornet.TrainConfig(steps=50), {}, [0, 1],\n"
        f"          out={str(tmp_path / 's.csv')!r})\n"
        "print(sorted({'dask', 'distributed', 'pyarrow'} & set(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_a_bad_scheduler_address_is_one_line():
    start = time.monotonic()
    with pytest.raises(XornetError, match=r"cannot reach a Dask scheduler at 'tcp://127.0.0.1:1':"):
        connect("tcp://127.0.0.1:1", timeout=0.5)
    assert time.monotonic() - start < 10
    with pytest.raises(XornetError, match=r"at 'nowhere': missing port number"):
        connect("nowhere")


def test_without_dask_a_cluster_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(
        XornetError, match=r"need dask and distributed: pip install 'xornet\[dask\]'"
    ):
        connect("tcp://127.0.0.1:8786")
    with pytest.raises(XornetError, match="pip install 'xornet\\[dask\\]'"), local_cluster(2):
        pass
    with pytest.raises(XornetError, match="at least one worker, got 0"), local_cluster(0):
        pass


# ------------------------------------------------------------ on a local cluster of 2 processes


@pytest.fixture(scope="module")
def client():
    # LocalCluster(n_workers=2, processes=True, threads_per_worker=1) on 127.0.0.1
    with local_cluster(2) as client:
        yield client


def test_a_cluster_gives_the_same_records_to_the_bit(client):
    seeds = list(range(24))
    _, here = run_study(XOR.X, XOR.y, BASE, GRID, seeds)
    calls = []
    _, there = run_study(XOR.X, XOR.y, BASE, GRID, seeds, client=client, block=8,
                         progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    assert there.same_as(here)
    assert calls == [(k, 12) for k in range(1, 13)]  # finished tasks, across the cluster
    assert run_study(XOR.X, XOR.y, BASE, GRID, seeds, client=client)[1].same_as(here)


def test_a_cluster_with_other_versions_is_refused(client):
    def pretend(version):
        import xornet

        xornet.__version__ = version

    client.run(pretend, "0.0.1")
    try:
        with pytest.raises(XornetError, match=r"Dask worker tcp://127.0.0.1:\d+ runs other "
                           r"versions \(xornet 0.0.1 there, 0.1.0 here\)"):  # fmt: skip
            run_study(XOR.X, XOR.y, BASE, GRID, [0, 1], client=client)
    finally:
        client.run(pretend, xornet.__version__)


def test_ctrl_c_cancels_the_cluster_tasks_and_keeps_the_finished(client, tmp_path):
    out = tmp_path / "study.csv"

    def interrupt(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_study(XOR.X, XOR.y, BASE.replace(steps=4000), GRID, range(32), client=client,
                  out=out, block=4, engine="numpy", progress=interrupt)  # fmt: skip
    kept = len(read_records(out)[1])
    assert 4 <= kept < 4 * 32

    def tasks(dask_scheduler):
        return len(dask_scheduler.tasks)

    deadline = time.monotonic() + 10
    while client.run_on_scheduler(tasks) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.run_on_scheduler(tasks) == 0  # nothing left running or waiting


def test_a_worker_lost_mid_task_runs_it_again_and_counts_nothing_twice(client):
    config = BASE.replace(steps=12_000)  # about a second on one worker
    seeds = list(range(16))
    _, here = run_study(XOR.X, XOR.y, config, {}, seeds, engine="numpy")
    pids = client.run(os.getpid)
    result = {}

    def study():
        result["records"] = run_study(XOR.X, XOR.y, config, {}, seeds, engine="numpy",
                                      client=client)[1]  # fmt: skip

    thread = threading.Thread(target=study)
    thread.start()
    deadline = time.monotonic() + 20
    busy = []
    while not busy and time.monotonic() < deadline:
        busy = [w for w, keys in client.processing().items() if keys]
        time.sleep(0.02)
    assert busy
    time.sleep(0.5)  # well into the task
    assert thread.is_alive()
    os.kill(pids[busy[0]], signal.SIGKILL)
    thread.join(60)
    assert not thread.is_alive()
    assert result["records"].same_as(here)
    assert pids[busy[0]] not in client.run(os.getpid).values()  # gone: another one ran it


def test_records_refuse_a_network_counted_twice():
    _, records = run_study(XOR.X, XOR.y, BASE, {}, [0, 1], engine="numpy")
    with pytest.raises(XornetError, match="setting 0, seed 0: counted twice"):
        Records.concat([records, records.of(0)])


def test_sweep_on_a_cluster_gives_the_rows_it_gives_here(client):
    from xornet.sweep import sweep

    here = sweep(XOR.X, XOR.y, BASE, GRID, range(20))
    assert sweep(XOR.X, XOR.y, BASE, GRID, range(20), client=client, block=6) == here


# ---------------------------------------------------------------------------------- the CLI

SWEEP = ["sweep", "--hidden", "2", "3", "--lr", "0.5", "2", "--steps", "600", "--seeds", "12",
         "--json"]  # fmt: skip


def _one_line_error(capsys, pattern):
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert __import__("re").search(pattern, err), err


def test_cli_out_resume_and_another_study(tmp_path, capsys, monkeypatch):
    from xornet.cli import main

    assert main(SWEEP) == 0
    expected = json.loads(capsys.readouterr().out)
    out = tmp_path / "study.csv"
    calls = []

    import xornet.study as study

    real = study.run_task

    def interrupted(task, X, y, progress=None):
        calls.append(task)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(task, X, y, progress)

    monkeypatch.setattr(study, "run_task", interrupted)
    assert main([*SWEEP, "--out", str(out), "--block", "5"]) == 130
    _one_line_error(capsys, rf"interrupted; the finished tasks are in {out} \(--resume goes on\)")
    assert len(read_records(out)[1]) == 5
    monkeypatch.setattr(study, "run_task", real)
    assert main([*SWEEP, "--out", str(out), "--resume"]) == 0
    assert json.loads(capsys.readouterr().out) == expected
    assert len(read_records(out)[1]) == 4 * 12
    # The same file without --resume, or with other settings: one line, exit 2.
    assert main([*SWEEP, "--out", str(out)]) == 2
    _one_line_error(capsys, "exists: resume the study it holds")
    assert main([*SWEEP, "--out", str(out), "--resume", "--steps", "700"]) == 2
    _one_line_error(capsys, r"holds another study: grid steps \[600\] there, \[700\] here$")
    assert main([*SWEEP, "--resume"]) == 2
    _one_line_error(capsys, r"--resume needs the study's file: --out FILE")
    assert main([*SWEEP, "--out", str(tmp_path / "none" / "s.csv")]) == 2
    _one_line_error(capsys, "--out: directory .* does not exist")


def test_cli_bad_scheduler_addresses_are_one_line(capsys, monkeypatch):
    import xornet.study as study
    from xornet.cli import main

    monkeypatch.setattr(study, "CONNECT_TIMEOUT", 0.5)
    assert main([*SWEEP, "--scheduler", "tcp://127.0.0.1:1"]) == 2
    _one_line_error(capsys, r"cannot reach a Dask scheduler at 'tcp://127.0.0.1:1': Timed out")
    assert main([*SWEEP, "--scheduler", "nowhere"]) == 2
    _one_line_error(capsys, "missing port number")
    assert main([*SWEEP, "--scheduler", "tcp://127.0.0.1:1", "--workers", "2"]) == 2
    _one_line_error(capsys, "not allowed with argument")


def test_a_local_cluster_of_more_workers_than_cores_is_refused_before_any_is_started(
    capsys, monkeypatch
):
    # --workers 100000 started a hundred thousand Dask worker processes (each a Python with
    # NumPy loaded): the machine ran out of memory before a task ran.
    import xornet.study._dask as dask_module
    from xornet.cli import main

    # The cores this process may run on, not the machine's (a container, taskset).
    monkeypatch.setattr(dask_module.os, "cpu_count", lambda: 64)
    monkeypatch.setattr(dask_module.os, "sched_getaffinity", lambda pid: set(range(4)))
    started = []
    monkeypatch.setattr(dask_module, "_distributed", lambda: started.append(1))
    with pytest.raises(XornetError, match="at most 4 workers on this machine"), local_cluster(5):
        pass
    assert main([*SWEEP, "--workers", "100000"]) == 2
    _one_line_error(capsys, r"--workers takes at most 4 workers on this machine.*got 100,000")
    monkeypatch.setattr(dask_module.os, "sched_getaffinity", lambda pid: {0})  # two anywhere
    assert main([*SWEEP, "--workers", "3"]) == 2
    _one_line_error(capsys, "at most 2 workers")
    assert not started


def test_cli_at_a_scheduler_gives_the_same_table_and_refuses_other_versions(client, capsys):
    from xornet.cli import main

    assert main(SWEEP) == 0
    expected = json.loads(capsys.readouterr().out)
    address = client.scheduler.address
    assert main([*SWEEP, "--scheduler", address, "--block", "5"]) == 0
    assert json.loads(capsys.readouterr().out) == expected

    def pretend(version):
        import xornet

        xornet.__version__ = version

    client.run(pretend, "0.0.1")
    try:
        assert main([*SWEEP, "--scheduler", address]) == 2
        _one_line_error(capsys, r"Dask worker tcp://\S+ runs other versions \(xornet 0.0.1 there")
    finally:
        client.run(pretend, xornet.__version__)


def test_cli_workers_start_a_local_cluster_with_the_same_table(capsys):
    from xornet.cli import main

    assert main(SWEEP) == 0
    expected = json.loads(capsys.readouterr().out)
    assert main([*SWEEP, "--workers", "2", "--block", "4"]) == 0
    assert json.loads(capsys.readouterr().out) == expected


def test_a_failing_cc_on_the_workers_is_said_as_the_command_line_says_it(tmp_path):
    # Each worker process tries cc for its lanes; what it warns of went to its stderr bare
    # (Python's last-resort handler), without the command line's "xornet: warning: ".
    import os
    import subprocess
    import sys

    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "cc").write_text(
        "#!/bin/sh\necho 'loop.c:9:1: error: the test cc fails' >&2\nexit 1\n"
    )
    (tools / "cc").chmod(0o755)
    (tmp_path / "cache").mkdir(mode=0o700)
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
           "XORNET_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    argv = ["sweep", "--hidden", "2", "--lr", "0.5", "--steps", "300", "--seeds", "32",
            "--workers", "2", "--block", "16", "--engine", "numba", "--quiet"]  # fmt: skip
    done = subprocess.run([sys.executable, "-m", "xornet", *argv], env=env, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    said = [line for line in done.stderr.splitlines() if "cc could not compile" in line]
    assert said  # a worker tried cc
    assert all(line.startswith("xornet: warning: cc could not compile the loop of many 2-2-1 "
                               "networks") for line in said), said  # fmt: skip
