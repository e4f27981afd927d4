"""The command line, called in-process through main([...]), plus one real subprocess."""

import json
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

import xornet
from xornet.cli import main
from xornet.tutorial import X as POST_X
from xornet.tutorial import Y as POST_Y
from xornet.tutorial import init_parameters, optimize


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_default_solves_xor_and_explains(capsys):
    code, out, err = run(capsys, "train", "--seed", "0")
    assert code == 0
    assert err == ""
    assert "xor, 2-8-1 network" in out
    assert "final loss" in out
    assert "accuracy    100.0% (4/4)" in out
    assert out.count(" ok") == 4
    assert "Solved" in out
    assert "time" in out


def test_train_json(capsys):
    code, out, _ = run(capsys, "train", "--seed", "1", "--json")
    assert code == 0
    data = json.loads(out)
    for key in (
        "final_loss",
        "accuracy",
        "probabilities",
        "outcome",
        "steps",
        "train_seconds",
        "config",
    ):
        assert key in data
    assert data["accuracy"] == 1.0
    assert data["outcome"] == "solved"
    assert data["config"]["hidden"] == 8
    assert len(data["probabilities"]) == 4


def test_preset_post_reproduces_the_posts_run(capsys):
    code, out, _ = run(
        capsys, "train", "--preset", "post", "--seed", "3", "--steps", "3000", "--json"
    )
    assert code == 0
    data = json.loads(out)
    np.random.seed(3)
    _, trace, yhat = optimize(POST_X, POST_Y, init_parameters(2), iteration=3000)
    np.testing.assert_allclose(data["probabilities"], yhat[0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(data["loss_history"], trace, rtol=1e-12)
    assert data["config"]["hidden"] == 2
    assert data["config"]["learning_rate"] == 0.01
    assert data["stop_reason"] == "max_steps"


def test_flags_override_the_preset(capsys):
    code, out, _ = run(
        capsys,
        "train",
        "--dataset",
        "parity3",
        "--hidden",
        "6",
        "--activation",
        "tanh",
        "--init",
        "glorot",
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
        "--steps",
        "4000",
        "--batch-size",
        "4",
        "--no-tol",
        "--record-every",
        "50",
        "--seed",
        "0",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    c = data["config"]
    assert (c["hidden"], c["activation"], c["init"], c["optimizer"]) == (
        6,
        "tanh",
        "glorot",
        "adam",
    )
    assert (c["learning_rate"], c["batch_size"], c["tol"], c["record_every"]) == (0.05, 4, None, 50)
    assert data["steps"] == 4000
    assert data["history_steps"][1] == 50
    assert data["accuracy"] == 1.0


def test_stuck_run_is_diagnosed(capsys):
    code, out, _ = run(
        capsys, "train", "--preset", "post", "--seed", "0", "--steps", "20000", "--lr", "1"
    )
    assert code == 0
    assert "Stuck on a plateau" in out
    assert "WRONG" in out


def test_csv_training_and_save_then_predict(capsys, tmp_path):
    csv = tmp_path / "gate.csv"
    csv.write_text("a,b,out\n0,0,0\n0,1,1\n1,0,1\n1,1,1\n")
    model = tmp_path / "or.npz"
    code, out, _ = run(
        capsys, "train", "--csv", str(csv), "--label", "out", "--seed", "0", "--save", str(model)
    )
    assert code == 0
    assert f"saved       {model}" in out
    assert xornet.load_model(model).metadata["feature_names"] == ["a", "b"]

    code, out, _ = run(capsys, "predict", str(model), "0", "0", "1", "1", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["classes"] == [0, 1]
    assert data["inputs"] == [[0, 0], [1, 1]]

    inputs = tmp_path / "in.csv"
    inputs.write_text("b,a\n1,0\n0,0\n")
    code, out, _ = run(capsys, "predict", str(model), "--csv", str(inputs))
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split()[:2] == ["a", "b"]
    assert lines[1].split()[-1] == "1"
    assert lines[2].split()[-1] == "0"


def test_gradcheck(capsys):
    code, out, _ = run(capsys, "gradcheck", "--activation", "tanh", "--hidden", "4")
    assert code == 0
    assert "passed" in out
    code, out, _ = run(capsys, "gradcheck", "--json", "--dataset", "moons", "--samples", "20")
    data = json.loads(out)
    assert code == 0
    assert data["passed"] is True
    assert set(data["errors"]) == {"W1", "b1", "W2", "b2"}
    code, out, _ = run(capsys, "gradcheck", "--tolerance", "1e-30")
    assert code == 1
    assert "FAILED" in out


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--hidden", "0"],
        ["train", "--lr", "abc"],
        ["train", "--lr", "nan"],
        ["train", "--lr", "-1"],
        ["train", "--momentum", "2"],
        ["train", "--steps", "-5"],
        ["train", "--dataset", "nope"],
        ["train", "--dataset", "parity1"],
        ["train", "--activation", "softmax"],
        ["train", "--csv", "/nonexistent/file.csv"],
        ["train", "--dataset", "xor", "--csv", "x.csv"],
        ["train", "--save", "/nonexistent/dir/m.npz"],
        ["predict", "/nonexistent/m.npz", "0", "1"],
        ["fly"],
        [],
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, args):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "error" in err
    assert "Traceback" not in err


def test_bad_csv_exits_2_naming_row_and_column(capsys, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("x1,x2,label\n0,0,0\n1,zz,1\n")
    code, _, err = run(capsys, "train", "--csv", str(csv))
    assert code == 2
    assert err.strip() == f"xornet: error: {csv}, row 3, column 'x2': 'zz' is not a number"


def test_predict_errors(capsys, tmp_path):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", "--seed", "0", "--save", str(model))[0] == 0
    for args, message in [
        ([str(model)], "no input"),
        ([str(model), "1", "2", "3"], "takes 2 features per sample, but 3 values"),
        ([str(model), "1", "2", "--csv", "x.csv"], "not both"),
    ]:
        code, _, err = run(capsys, "predict", *args)
        assert code == 2
        assert message in err
    broken = tmp_path / "broken.npz"
    broken.write_bytes(model.read_bytes()[:100])
    code, _, err = run(capsys, "predict", str(broken), "0", "1")
    assert code == 2
    assert "not a readable model file" in err


def test_divergence_exits_1_naming_the_step(capsys):
    code, out, err = run(
        capsys,
        "train",
        "--activation",
        "relu",
        "--init",
        "he",
        "--lr",
        "1e100",
        "--seed",
        "0",
        "--no-tol",
    )
    assert code == 1
    assert out == ""
    assert "training diverged at step" in err
    assert len(err.strip().splitlines()) == 1


def test_ctrl_c_stops_cleanly_reports_and_saves(capsys, tmp_path):
    model = tmp_path / "m.npz"
    handler = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN in background
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        code, out, _ = run(
            capsys, "train", "--no-tol", "--steps", "100000000", "--seed", "0", "--save", str(model)
        )
    finally:
        timer.cancel()
    assert code == 130
    assert "interrupted" in out
    assert "final loss" in out
    saved = xornet.load_model(model)
    assert saved.metadata["stop_reason"] == "interrupted"
    assert 0 < saved.metadata["steps"] < 100_000_000
    assert signal.getsignal(signal.SIGINT) is handler  # restored


def test_version_and_help(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert out.strip() == f"xornet {xornet.__version__}"
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0
    assert "--preset" in out


def test_a_closed_pipe_is_not_an_error():
    # explain --json on 2,000 samples prints far more than a pipe holds, so the write fails
    proc = subprocess.run(
        f"{sys.executable} -m xornet explain --dataset moons --samples 2000 --json | head -1",
        shell=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.stdout == "{\n"
    assert proc.stderr == ""


def test_python_dash_m_and_no_traceback_in_a_real_process(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("x,label\n1,0.5\n")
    proc = subprocess.run(
        [sys.executable, "-m", "xornet", "train", "--csv", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().endswith(
        "label '0.5' is not a class index (0 or 1 for two classes, 0 to K-1 for K)"
    )
    assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "xornet", "train", "--seed", "4"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert "Solved" in proc.stdout


def test_cache_shows_and_clears_only_the_compiled_kernels(capsys, tmp_path, monkeypatch):
    from xornet.engines import _unrolled as unrolled

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    where = tmp_path / "xornet" / "kernels"
    code, out, _ = run(capsys, "cache")  # no directory yet: an empty cache, not an error
    assert code == 0
    assert out == f"{where}: 0 kernels, 0.0 MB\n"
    unrolled._load("xornet_unrolled_test_cli", unrolled.source(4, 2, 2), "run_unrolled")
    (where / "__pycache__").mkdir(exist_ok=True)
    compiled = where / "__pycache__" / "xornet_unrolled_test_cli.run_unrolled-1.py311.nbi"
    compiled.write_bytes(b"x" * 1000)
    (where / "notes.txt").write_text("not ours")
    (where / "xornet_unrolled_abc.tmp").write_bytes(b"x" * 10)  # a killed process's half file
    size = (where / "xornet_unrolled_test_cli.py").stat().st_size + 1000 + 10
    size += sum(f.stat().st_size for f in (where / "__pycache__").glob("*.pyc"))
    code, out, _ = run(capsys, "cache", "--json")
    assert code == 0
    assert json.loads(out) == {"path": str(where), "kernels": 1, "bytes": size, "cleared": False}
    code, out, _ = run(capsys, "cache", "--clear")
    assert code == 0
    assert out == f"removed 1 kernel ({size / 1e6:.1f} MB) from {where}\n"
    assert not list(where.glob("xornet_unrolled_*"))
    assert not list((where / "__pycache__").glob("xornet_unrolled_*"))
    assert (where / "notes.txt").read_text() == "not ours"  # nothing else is touched
    assert run(capsys, "cache")[1] == f"{where}: 0 kernels, 0.0 MB\n"
