"""The command line, called in-process through main([...]), plus one real subprocess."""

import json
import os
import re
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

import post_oracle as oracle
import xornet
from xornet.cli import main

# The post's data, features in rows and samples in columns, for the oracle.
POST_X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])
POST_Y = np.array([[0.0, 1.0, 1.0, 0.0]])


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
    _, trace, yhat = oracle.optimize(POST_X, POST_Y, oracle.initial_params(3, 2), 0.01, 3000)
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
    # relu on XOR: b1 starts at 0 and (0, 0) puts every unit on the kink, where a difference
    # is no derivative; it said FAILED (exit 1) for a right backward pass.
    code, out, _ = run(capsys, "gradcheck", "--activation", "relu")
    assert code == 0, out
    assert "b1  not checked: each entry's difference crosses relu's kink at 0" in out
    assert "passed" in out
    code, out, _ = run(capsys, "gradcheck", "--activation", "relu", "--json")
    record = json.loads(out)
    assert record["errors"]["b1"] is None  # nothing measured, not a perfect 0.0
    assert record["unchecked"]["b1"] == 3  # each of b1 (3 hidden units by default)
    assert record["errors"]["W2"] > 0


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
            capsys,
            "train",
            "--no-tol",
            "--steps",
            "100000000",
            "--seed",
            "0",
            "--hidden",
            "2",
            "--save",
            str(model),
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


def test_every_commands_help_prints_its_words_as_written():
    # argparse fills in %-forms only where '%(' appears: a stray '%%' is printed as it is.
    from xornet.cli import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert {"train", "sweep", "review", "cache"} <= set(commands)
    for name, command in commands.items():
        text = command.format_help()
        assert "%%" not in text, name
        assert "%(" not in text, name


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
    from xornet.engines import _cache, _written
    from xornet.engines._written_step import Shape

    monkeypatch.delenv("XORNET_CACHE_DIR")  # the suite's own directory (conftest.py)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    where = tmp_path / "xornet" / "kernels"
    code, out, _ = run(capsys, "cache")  # no directory yet: an empty cache, not an error
    assert code == 0
    assert out == f"{where}: 0 kernels, 0.0 MB\n"
    _cache.load("xornet_written_test_cli", _written.source(Shape(4, 2, 2)), "run_written")
    (where / "__pycache__").mkdir(exist_ok=True)
    compiled = where / "__pycache__" / "xornet_written_test_cli.run_written-1.py311.nbi"
    compiled.write_bytes(b"x" * 1000)
    (where / "notes.txt").write_text("not ours")
    (where / "xornet_written_abc.tmp").write_bytes(b"x" * 10)  # a killed process's half file
    size = (where / "xornet_written_test_cli.py").stat().st_size + 1000 + 10
    size += sum(f.stat().st_size for f in (where / "__pycache__").glob("*.pyc"))
    code, out, _ = run(capsys, "cache", "--json")
    assert code == 0
    assert json.loads(out) == {"path": str(where), "kernels": 1, "bytes": size, "cleared": False,
                               "used": True}  # fmt: skip
    code, out, _ = run(capsys, "cache", "--clear")
    assert code == 0
    assert out == f"removed 1 kernel ({size / 1e6:.1f} MB) from {where}\n"
    assert not list(where.glob("xornet_written_*"))
    assert not list((where / "__pycache__").glob("xornet_written_*"))
    assert (where / "notes.txt").read_text() == "not ours"  # nothing else is touched
    assert run(capsys, "cache")[1] == f"{where}: 0 kernels, 0.0 MB\n"


# ----------------------------------------------------------------------------- the run's start


def test_start_post_is_the_posts_weights_and_the_preset_takes_it(capsys):
    # --start post on the default preset starts from what np.random.seed(5) draws in the post.
    code, out, _ = run(capsys, "train", "--start", "post", "--hidden", "2", "--lr", "0.01",
                       "--steps", "500", "--no-tol", "--seed", "5", "--json")  # fmt: skip
    assert code == 0
    _, trace, yhat = oracle.optimize(POST_X, POST_Y, oracle.initial_params(5, 2), 0.01, 500)
    data = json.loads(out)
    np.testing.assert_allclose(data["loss_history"], trace, rtol=1e-12)
    np.testing.assert_allclose(data["probabilities"], yhat[0], rtol=0, atol=1e-12)
    assert data["config"]["start"] == "post"


@pytest.mark.parametrize("change", [["--init", "uniform"], ["--shortcut", "--hidden", "1"]])
def test_the_posts_starts_with_another_network_is_an_error_not_a_random_start(capsys, change):
    # Before, train --preset post --init uniform fell back to a random start without a word.
    code, out, err = run(capsys, "train", "--preset", "post", *change, "--steps", "10")
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("xornet train: error: --start: the post's starts")
    assert "use --start 'random'" in err
    code, out, _ = run(capsys, "train", "--preset", "post", *change, "--start", "random",
                       "--steps", "10", "--seed", "0", "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["config"]["start"] == "random"


# ----------------------------------------------------------------------------- errors name flags


CONFIG_ERRORS = [
    (["--lr", "-1"], "--lr: must be a positive finite number, got -1.0"),
    (["--momentum", "2"], "--momentum: must be in [0, 1), got 2.0"),
    (["--init-scale", "0"], "--init-scale: must be a positive number, got 0.0"),
    (["--eps", "0"], "--eps: must be a positive number, got 0.0"),
    (["--beta2", "1"], "--beta2: must be in [0, 1), got 1.0"),
    (["--margin", "0.7"], "--margin: must be in [0, 0.5), got 0.7"),
    (["--tol", "-1"], "--tol: must be a finite number >= 0, got -1.0"),
    # Before, U(-1e308, 1e308) overflowed while drawing the start: a traceback.
    (["--init-scale", "1e308"], "--init-scale: must be at most 1e+06, got 1e+308"),
]  # fmt: skip


@pytest.mark.parametrize(("command", "args", "message"), [
    (command, args, message) for command in ("train", "explain", "report")
    for args, message in CONFIG_ERRORS
    if command != "explain" or args[0] not in ("--margin", "--tol")  # explain has no stop rules
])  # fmt: skip
def test_configuration_errors_name_the_flag(capsys, command, args, message):
    code, out, err = run(capsys, command, *args)
    assert code == 2
    assert out == ""
    assert err == f"xornet {command}: error: {message} (see xornet {command} --help)\n"


def test_sweep_errors_name_the_flag(capsys):
    assert main(["sweep", "--lr", "1", "-1", "--seeds", "2"]) == 2
    err = capsys.readouterr().err
    assert "--lr: must be a positive finite number, got -1.0" in err
    assert "learning_rate" not in err


def test_every_configuration_field_has_its_flag():
    from xornet.cli import build_parser
    from xornet.cli.options import FLAGS

    assert set(FLAGS) == set(xornet.TrainConfig.__dataclass_fields__)
    train = build_parser().commands["train"]
    for field, flag in FLAGS.items():
        action = train._option_string_actions[flag]
        assert action.dest == field


@pytest.mark.parametrize(("args", "message"), [
    ([], "choose a command: train, predict, gradcheck, plot, report, sweep, explain, playground"),
    (["train", "--lrr", "1"], "unrecognized arguments: --lrr 1; did you mean --lr?"),
    (["sweep", "--seedz", "1"], "did you mean --seeds?"),
    # A flag of other commands says whose it is (it suggested --label for train --lang).
    (["train", "--lang", "ko"], "--lang ko; --lang is an option of xornet explain, xornet review"),
    (["predict", "m.npz", "--model=m.npz"], "--model is an option of xornet report, xornet"),
    (["train", "--seed", "-1"], "--seed must be from 0 to 4294967295"),
    (["train", "--preset", "post", "--seed", "4294967296"], "--seed must be from 0 to"),
    (["explain", "--seed", "-1"], "--seed must be from 0 to"),
    (["report", "--seed", "-1"], "--seed must be from 0 to"),
    (["gradcheck", "--seed", "-1"], "--seed must be from 0 to"),
    (["sweep", "--first-seed", "-1"], "--first-seed must be from 0 to"),
    (["sweep", "--first-seed", "4294967295", "--seeds", "2"], "--seeds - 1 must be from 0 to"),
])  # fmt: skip
def test_usage_errors_are_one_line_with_the_help_hint(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert err.rstrip().endswith("--help)")


def test_output_options_are_checked_before_training(capsys, tmp_path, monkeypatch):
    from xornet import training

    monkeypatch.setattr(training.Trainer, "run", lambda *a, **k: pytest.fail("trained"))
    assert run(capsys, "train", "--save", str(tmp_path / "no" / "m.npz"))[0] == 2
    assert run(capsys, "train", "--starts", "3")[0] == 2


# ----------------------------------------------------------------------------- resume


def run_json(capsys, *args):
    code, out, err = run(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_a_run_saved_and_resumed_is_the_run_never_stopped(capsys, tmp_path, optimizer, engine):
    # Shuffled mini-batches of 3 on 8 samples: the batch order, the generator, the optimizer's
    # state and the loss record all have to be carried over exactly.
    full, half, rest = (tmp_path / f"{name}.npz" for name in ("full", "half", "rest"))
    args = ["train", "--dataset", "parity3", "--optimizer", optimizer, "--lr", "0.2",
            "--batch-size", "3", "--no-tol", "--record-every", "7", "--seed", "11",
            "--engine", engine]  # fmt: skip
    whole = run_json(capsys, *args, "--steps", "400", "--save", str(full))
    run_json(capsys, *args, "--steps", "200", "--save", str(half))
    assert xornet.load_model(half).state.step == 200
    resumed = run_json(capsys, "train", "--resume", str(half), "--steps", "400", "--engine",
                       engine, "--save", str(rest))  # fmt: skip
    assert resumed["resumed_from"] == {"file": str(half), "step": 200}
    a, b = xornet.load_model(full), xornet.load_model(rest)
    tolerance = 0 if engine == "numpy" else 1e-10
    for x, y in zip(a.params, b.params, strict=True):
        np.testing.assert_allclose(y, x, rtol=0, atol=tolerance)
    np.testing.assert_allclose(resumed["loss_history"], whole["loss_history"], rtol=tolerance)
    assert resumed["history_steps"] == whole["history_steps"]
    assert (resumed["steps"], resumed["stop_reason"]) == (400, "max_steps")
    np.testing.assert_array_equal(b.state.order, a.state.order)
    assert b.state.rng == a.state.rng
    assert b.metadata["config"] == a.metadata["config"]
    assert b.metadata["seed"] == 11


def test_resume_changes_only_the_step_limit_and_the_stop_rules(capsys, tmp_path):
    model = tmp_path / "m.npz"
    first = run_json(capsys, "train", "--seed", "3", "--save", str(model))
    assert first["stop_reason"] == "tolerance"
    # The same rules stop it where it stopped; a smaller tolerance lets it go on, exactly as
    # a run with that tolerance from the start.
    again = run_json(capsys, "train", "--resume", str(model))
    assert again["steps"] == first["steps"]
    more = ["--tol", "0.001", "--steps", "30000", "--engine", "numpy"]
    longer = run_json(capsys, "train", "--resume", str(model), *more)
    direct = run_json(capsys, "train", "--seed", "3", *more)
    assert longer["steps"] == direct["steps"] > first["steps"]
    assert longer["final_loss"] == direct["final_loss"]
    for flags in (["--lr", "3"], ["--hidden", "2", "--optimizer", "adam"], ["--seed", "1"],
                  ["--preset", "post"], ["--start", "post"], ["--batch-size", "2"]):  # fmt: skip
        code, out, err = run(capsys, "train", "--resume", str(model), *flags)
        assert code == 2
        assert out == ""
        assert "--resume continues the run with its saved configuration" in err
        assert flags[0] in err


def test_resume_refuses_other_data_a_finished_run_and_a_file_without_a_run(capsys, tmp_path):
    model = tmp_path / "m.npz"
    assert run(capsys, "train", "--steps", "50", "--no-tol", "--seed", "0", "--save",
               str(model))[0] == 0  # fmt: skip
    code, _, err = run(capsys, "train", "--resume", str(model), "--dataset", "and", "--steps", "99")
    assert code == 2
    assert "not the data the run in" in err
    code, _, err = run(capsys, "train", "--resume", str(model))
    assert code == 2
    assert "is at step 50 and its step limit is 50; give a larger --steps" in err
    code, _, err = run(capsys, "train", "--resume", str(model), "--steps", "20")
    assert code == 2
    assert "its step limit is 20" in err
    bare = tmp_path / "bare.npz"
    xornet.save_model(bare, xornet.load_model(model).params)
    code, _, err = run(capsys, "train", "--resume", str(bare), "--steps", "99")
    assert code == 2
    assert "holds no training run to resume" in err


def test_resume_uses_the_saved_random_set(capsys, tmp_path):
    # The settings of a random set are saved with the model, so the run continues on the same
    # 30 points (before, a model said only "moons", which redrew 200).
    model = tmp_path / "m.npz"
    run_json(capsys, "train", "--dataset", "moons", "--samples", "30", "--data-seed", "4",
             "--steps", "20", "--seed", "0", "--save", str(model))  # fmt: skip
    resumed = run_json(capsys, "train", "--resume", str(model), "--steps", "40")
    assert len(resumed["targets"]) == 30
    assert resumed["steps"] == 40


# ----------------------------------------------------------------------------- explain


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_explain_after_n_steps_is_the_posts_step_n(capsys, engine):
    record = run_json(capsys, "explain", "--preset", "post", "--seed", "2", "--after", "1500",
                      "--engine", engine)  # fmt: skip
    trained, _, _ = oracle.optimize(POST_X, POST_Y, oracle.initial_params(2, 2), 0.01, 1500)
    np.testing.assert_allclose(record["arrays"]["W1"], trained[0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(record["arrays"]["W2"], trained[2], rtol=0, atol=1e-10)
    grads, loss = oracle.get_gradients(POST_X, POST_Y, trained)
    np.testing.assert_allclose(record["arrays"]["dW1"], grads[0], rtol=0, atol=1e-10)
    assert record["arrays"]["loss"] == pytest.approx(loss, rel=1e-10)
    assert record["step"] == 1500


def test_explain_after_n_steps_keeps_the_optimizers_state(capsys):
    # The step explained after 40 Adam steps is the 41st step of the same run.
    args = ["--optimizer", "adam", "--lr", "0.05", "--seed", "1", "--no-tol"]
    after = run_json(capsys, "explain", *args[:-1], "--after", "40")
    longer = run_json(capsys, "train", *args, "--steps", "41", "--engine", "numpy")
    one_more = xornet.train(xornet.xor().X, xornet.xor().y,
                            xornet.TrainConfig(optimizer="adam", learning_rate=0.05, steps=41,
                                               tol=None), rng=1, engine="numpy")  # fmt: skip
    np.testing.assert_array_equal(after["arrays"]["W1_new"], one_more.params.W1)
    assert longer["final_loss"] == pytest.approx(after["arrays"]["loss_new"], rel=1e-12)


def test_explain_model_uses_its_saved_configuration_and_step(capsys, tmp_path):
    # Before, the step of a model trained at lr 0.5 with momentum was explained as plain
    # gradient descent at lr 1 "after 0 steps".
    model, longer = tmp_path / "m.npz", tmp_path / "longer.npz"
    run_json(capsys, "train", "--optimizer", "momentum", "--lr", "0.5", "--steps", "300",
             "--no-tol", "--seed", "4", "--save", str(model))  # fmt: skip
    record = run_json(capsys, "explain", "--model", str(model))
    assert (record["step"], record["optimizer"], record["learning_rate"]) == (300, "momentum", 0.5)
    run_json(capsys, "train", "--resume", str(model), "--steps", "301", "--save", str(longer))
    np.testing.assert_array_equal(record["arrays"]["W1_new"], xornet.load_model(longer).params.W1)
    later = run_json(capsys, "explain", "--model", str(model), "--after", "5")
    assert later["step"] == 305
    text = run(capsys, "explain", "--model", str(model))[1]
    assert "after 300 steps" in text
    code, _, err = run(capsys, "explain", "--model", str(model), "--lr", "1")
    assert code == 2
    assert "--lr: explain --model takes the model's saved configuration" in err


def test_explain_model_on_a_spiral_of_five_arms(capsys, tmp_path):
    # spiral5 is a built-in dataset: before, a model trained on it was taken for a CSV one.
    model = tmp_path / "m.npz"
    run_json(capsys, "train", "--dataset", "spiral5", "--samples", "25", "--steps", "5",
             "--seed", "0", "--save", str(model))  # fmt: skip
    record = run_json(capsys, "explain", "--model", str(model))
    assert np.array(record["arrays"]["X"]).shape == (25, 2)


def test_explain_help_lists_no_stop_rules(capsys):
    code, out, _ = run(capsys, "explain", "--help")
    assert code == 0
    for flag in ("--tol", "--no-tol", "--stop-when-correct", "--margin", "--steps",
                 "--record-every", "--no-shuffle"):  # fmt: skip
        assert f"{flag} " not in out, flag
        assert f"{flag}\n" not in out, flag
    assert "--after" in out
    assert "--engine" in out


# ----------------------------------------------------------------------------- issue 16: the CLI


@pytest.mark.parametrize("optimizer", ["adam", "gd"])
def test_a_loss_that_ends_orders_of_magnitude_above_its_start_is_divergence(capsys, optimizer):
    # Before, Adam at lr 1e300 ended at loss 2.8e299 and was told "still improving, raise the
    # learning rate"; plain gradient descent was called a plateau. Exit 1, as for divergence.
    code, out, err = run(capsys, "train", "--optimizer", optimizer, "--lr", "1e300", "--seed",
                         "0", "--steps", "300", "--engine", "numpy")  # fmt: skip
    assert code == 1
    assert err == ""
    assert "outcome     Diverged: the loss rose from 0.7965 to" in out
    assert "Try a smaller learning rate." in out
    code, out, _ = run(capsys, "train", "--optimizer", optimizer, "--lr", "1e300", "--seed",
                       "0", "--steps", "300", "--engine", "numpy", "--json")  # fmt: skip
    assert code == 1
    assert json.loads(out)["outcome"] == "diverged"


def test_every_command_that_trains_draws_and_prints_its_seed(capsys, tmp_path):
    # Before, explain and report started from seed 0 while train drew one.
    first = run_json(capsys, "explain", "--hidden", "2")
    again = run_json(capsys, "explain", "--hidden", "2", "--seed", str(first["seed"]))
    assert again["arrays"] == first["arrays"]
    assert again["seed"] == first["seed"]
    seeds = {run_json(capsys, "explain", "--hidden", "2")["seed"] for _ in range(3)}
    assert len(seeds | {first["seed"]}) > 1  # drawn, not fixed
    out = run(capsys, "explain", "--hidden", "2", "--seed", "7")[1]
    assert out.startswith("xornet explain: xor, seed 7\n")
    # The post's layout too (it printed no seed, so a drawn start could not be seen again).
    drawn = run_json(capsys, "explain", "--hidden", "2", "--layout", "post")
    again = run_json(capsys, "explain", "--hidden", "2", "--layout", "post",
                     "--seed", str(drawn["seed"]))  # fmt: skip
    assert again == drawn
    out = run(capsys, "explain", "--hidden", "2", "--layout", "post", "--seed", "7")[1]
    assert out.startswith("xornet explain: xor, seed 7\n\nOne training step in the post's")
    code, out, _ = run(capsys, "report", "--steps", "20", "--out", str(tmp_path / "r.html"))
    assert code == 0
    seed = int(out.splitlines()[0].removeprefix("seed        "))
    assert f"xornet report: xor, seed {seed}" in (tmp_path / "r.html").read_text()
    for command in ("train", "explain", "report", "landscape"):
        text = " ".join(run(capsys, command, "--help")[1].split())
        assert "without it, one is drawn and printed" in text, command


def test_the_result_is_printed_before_the_animation_with_a_progress_bar(capsys, monkeypatch,
                                                                        tmp_path):  # fmt: skip
    # Before, --animation trained the run again and drew 60 frames (a minute for a long run)
    # with nothing on the screen, and only then printed the result.
    from xornet import plotting

    seen = {}

    def animate(X, y, config, path, **kwargs):
        seen["printed"] = capsys.readouterr().out
        seen["progress"] = kwargs["progress"]
        kwargs["progress"](1, 2)
        path.write_bytes(b"GIF89a")
        return path

    monkeypatch.setattr(plotting, "animate", animate)
    gif = tmp_path / "a.gif"
    code, out, _ = run(capsys, "train", "--seed", "0", "--animation", str(gif))
    assert code == 0
    assert "outcome     Solved" in seen["printed"]
    assert callable(seen["progress"])
    assert out == f"figure      {gif}\n"
    code, out, _ = run(capsys, "train", "--seed", "0", "--animation", str(gif), "--json")
    assert json.loads(seen["printed"] + out)["figures"] == [str(gif)]  # the JSON comes last


def test_json_lists_the_figures_it_wrote(capsys, tmp_path):
    # Before, train --json --plots DIR always said "figures": [].
    record = run_json(capsys, "train", "--seed", "0", "--plots", str(tmp_path / "f"))
    assert record["figures"] == [str(tmp_path / "f" / f"{name}.png")
                                 for name in ("loss", "boundary", "hidden", "network")]  # fmt: skip


@pytest.mark.parametrize(("args", "message"), [
    (["--animation", "{tmp}/a.txt"], "--animation: {tmp}/a.txt must be a .gif or an .mp4 file"),
    (["--animation", "{tmp}/no/a.gif"], "--animation: directory {tmp}/no does not exist"),
    (["--animation", "{tmp}/a.gif", "--dataset", "parity3"], "--animation draws 2 input features"),
    (["--plots", "{tmp}/file"], "--plots: {tmp}/file is a file, not a directory"),
    (["--plots", "{tmp}/file/sub"], "--plots: {tmp}/file is a file, not a directory"),
    (["--save", "{tmp}"], "--save: {tmp} is a directory"),
])  # fmt: skip
def test_every_output_option_is_checked_before_training(capsys, tmp_path, monkeypatch, args,
                                                        message):  # fmt: skip
    from xornet import training

    (tmp_path / "file").write_text("")
    monkeypatch.setattr(training.Trainer, "run", lambda *a, **k: pytest.fail("trained"))
    code, out, err = run(capsys, "train", *(a.format(tmp=tmp_path) for a in args))
    assert code == 2
    assert out == ""
    assert message.format(tmp=tmp_path) in err
    assert len(err.strip().splitlines()) == 1


def test_report_checks_its_output_before_training(capsys, tmp_path, monkeypatch):
    from xornet import training

    monkeypatch.setattr(training.Trainer, "run", lambda *a, **k: pytest.fail("trained"))
    code, _, err = run(capsys, "report", "--out", str(tmp_path / "no" / "r.html"))
    assert code == 2
    assert f"--out: directory {tmp_path / 'no'} does not exist" in err


def test_report_on_a_model_saved_without_its_run_is_not_called_diverged(capsys, tmp_path,
                                                                       monkeypatch):  # fmt: skip
    # Before, a model file without a saved final loss got the verdict of a NaN loss: diverged.
    import xornet.report

    seen = {}
    build = xornet.report.build_report

    def spy(*args, **kwargs):
        seen["outcome"] = kwargs["outcome"]
        return build(*args, **kwargs)

    monkeypatch.setattr(xornet.report, "build_report", spy)
    data = xornet.xor()
    result = xornet.train(data.X, data.y, rng=0)
    bare = tmp_path / "bare.npz"
    xornet.save_model(bare, result.params)
    assert run(capsys, "report", "--model", str(bare), "--out", str(tmp_path / "r.html"))[0] == 0
    assert seen["outcome"].kind == "solved"
    assert seen["outcome"].summary == result.outcome.summary


def test_compiling_is_announced_and_timed_apart_from_training(capsys, monkeypatch):
    # Before, the first numba run on a machine compiled for 5-12 s in silence and reported
    # that time as training time.
    import time

    from xornet.engines import fused

    load = fused.load

    def slow(*run):
        time.sleep(0.3)
        load(*run)

    monkeypatch.setattr(fused, "compiled", lambda *args: False)
    monkeypatch.setattr(fused, "load", slow)
    code, out, err = run(capsys, "train", "--seed", "0", "--engine", "numba", "--steps", "500")
    assert code == 0
    assert (
        err == "xornet: compiling the numba engine for this machine and network (once; it "
        "takes seconds)...\n"
    )  # 500 steps: numba's general loop
    code, out, err = run(capsys, "train", "--preset", "post", "--seed", "0", "--engine", "numba")
    if fused.compiler(np.zeros((4, 2)), xornet.PRESETS["post"], 1, 200_000) == "cc":
        assert (
            err == "xornet: compiling the numba engine for this machine and network with cc "
            "(once; under a second)...\n"
        )  # the post's loop, in C
    code, out, err = run(capsys, "train", "--seed", "0", "--engine", "numba", "--steps", "500")
    compiling = re.search(r"s \(numba engine: general loop\), after (\d+\.\d+) s compiling", out)
    assert compiling, out
    assert float(compiling[1]) >= 0.3  # the sleep and the loading (longer when run alone)
    assert "s compiling it for this machine (once)" in out
    record = run_json(capsys, "train", "--seed", "0", "--engine", "numba", "--steps", "500")
    assert record["compile_seconds"] >= 0.3 > record["train_seconds"]
    monkeypatch.setattr(fused, "compiled", lambda *args: True)
    code, out, err = run(capsys, "train", "--seed", "0", "--engine", "numba", "--steps", "500")
    assert err == ""
    assert "s loading it" in out
    code, out, err = run(capsys, "train", "--seed", "0", "--engine", "numpy", "--steps", "500")
    assert err == ""
    assert "s (numpy engine)\n" in out


def test_whether_a_kernel_is_compiled_is_read_from_numbas_disk_cache(tmp_path, monkeypatch):
    # The written-out loop of one shape, in an empty cache: not compiled; compiled by a run,
    # its time apart; and, with the module imported afresh (as a new process would), on disk.
    import sys

    from xornet.engines import _cache, _written, fused

    monkeypatch.setenv("XORNET_CACHE_DIR", str(tmp_path))  # an empty cache of its own
    monkeypatch.setenv("XORNET_NATIVE", "0")  # numba's loop (the C one's: tests/test_native.py)
    data, config = xornet.xor(), xornet.PRESETS["post"].replace(hidden=3, loss="sse")
    fused.load()
    assert fused.compiled(data.X, config, 1, 10) is True  # the general loop alone (short runs)
    assert fused.compiled(data.X, config, 1, 200_000) is False
    result = xornet.train(data.X, data.y, config, rng=0, engine="numba")
    assert result.compile_seconds > 0.2 > result.train_seconds  # compiling takes seconds
    assert fused.compiled(data.X, config, 1, 200_000) is True
    for name in [m for m in sys.modules if m.startswith(_cache.PREFIX)]:
        monkeypatch.delitem(sys.modules, name)
    _written._compiled.cache_clear()
    assert fused.compiled(data.X, config, 1, 200_000) is True
    _written._compiled.cache_clear()  # the next test loads its kernels from its own cache


@pytest.mark.parametrize(("error", "code", "message"), [
    (KeyboardInterrupt, 130, "xornet: interrupted\n"),
    (MemoryError, 2, "xornet sweep: error: out of memory: the data, the network or the number"),
])  # fmt: skip
def test_ctrl_c_and_memory_in_any_command_are_one_line(capsys, monkeypatch, error, code, message):
    # Before, Ctrl-C during a sweep (or explain, report) ended in a traceback.
    import xornet.sweep

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(xornet.sweep, "sweep", fail)
    got, out, err = run(capsys, "sweep", "--seeds", "2", "--steps", "5")
    assert got == code
    assert out == ""
    assert err.startswith(message)
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("target", ["file", "folder"])
def test_ctrl_c_during_a_review_is_one_line(capsys, monkeypatch, tmp_path, target):
    # Before, xornet review swallowed Ctrl-C: exit 130 with nothing said.
    import xornet.review

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(xornet.review, "review_file", interrupt)
    monkeypatch.setattr(xornet.review, "review_folder", interrupt)
    (tmp_path / "my_xor.py").write_text("import numpy as np\n")
    path = tmp_path if target == "folder" else tmp_path / "my_xor.py"
    got, out, err = run(capsys, "review", str(path))
    assert (got, out, err) == (130, "", "xornet: interrupted\n")


def test_ctrl_c_stopping_the_playground_is_one_line(capsys, monkeypatch):
    # Before, xornet playground swallowed Ctrl-C: exit 130 with nothing said.
    import xornet.playground

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(xornet.playground, "serve", interrupt)
    got, out, err = run(capsys, "playground", "--no-browser")
    assert (got, out, err) == (130, "", "xornet: interrupted\n")


def test_explain_follows_engine(capsys, monkeypatch):
    from xornet.engines import fused

    calls = []
    advance = fused.advance
    monkeypatch.setattr(fused, "advance", lambda *a: calls.append(a[6]) or advance(*a))
    args = ["explain", "--preset", "post", "--seed", "2", "--after", "300", "--json"]
    run_json(capsys, *args[:-1], "--engine", "numpy")
    assert calls == []
    run_json(capsys, *args[:-1], "--engine", "numba")
    assert calls[-1] == 300


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--dataset", "xorr"], "--dataset: unknown dataset 'xorr'; did you mean xor?"),
        (["--dataset", "parity99"], "--dataset: parity needs 2 to 16 bits"),
        (["--dataset", "moons", "--noise", "-1"], "--noise: must be a finite number >= 0"),
        (["--dataset", "moons", "--samples", "1"], "--samples: must be a whole number from 2"),
        # Fewer samples than spiral10's arms is --samples' fault (it named --dataset).
        (
            ["--dataset", "spiral10", "--samples", "5"],
            "--samples: must be at least one sample for each of the 10 arms, got 5",
        ),
        (["--csv", "DATA", "--label", "z"], "--label: DATA: no label column 'z'"),
    ],
)
@pytest.mark.parametrize("command", ["train", "sweep", "explain"])
def test_a_data_mistake_names_its_flag(capsys, tmp_path, command, args, expected):
    """make_dataset's and load_csv's errors reach the command line under the flag that gave
    the bad value (they said "xornet: error: unknown dataset ..." without it)."""
    csv = tmp_path / "data.csv"
    csv.write_text("a,b,y\n0,0,0\n1,1,1\n")
    args = [str(csv) if a == "DATA" else a for a in args]
    code, out, err = run(capsys, command, *args)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"xornet {command}: error: {expected.replace('DATA', str(csv))}")


@pytest.mark.parametrize("command", [["explain"], ["landscape", "--longer", "2"]])
def test_a_model_without_its_configuration_notes_the_defaults(capsys, tmp_path, command):
    """A file from ``save_model(path, params)`` keeps no configuration: the step shown is the
    defaults' (gradient descent at lr 1), not the Adam run's, and a note says so (it said
    nothing); a file that holds its configuration gets no note."""
    data = xornet.xor()
    config = xornet.TrainConfig(hidden=3, optimizer="adam", learning_rate=0.05, steps=50)
    result = xornet.train(data.X, data.y, config, rng=0)
    bare, full = tmp_path / "bare.npz", tmp_path / "full.npz"
    xornet.save_model(bare, result.params)
    xornet.save_model(full, result.params, metadata={"config": config.to_dict()})
    code, _, err = run(capsys, *command, "--model", str(bare))
    assert code == 0
    assert err == (f"xornet: note: {bare} holds no training configuration; taking the defaults "
                   "for its network: 2-3-1 network, sigmoid hidden units, normal init, gradient "
                   "descent at lr 1\n")  # fmt: skip
    code, _, err = run(capsys, *command, "--model", str(full))
    assert code == 0
    assert "note" not in err


def test_a_long_outcome_is_wrapped_under_its_column(capsys):
    """The outcome of a stalled run (over 100 characters) wraps under its text, as landscape's
    'measured' paragraph did; it was one long line."""
    code, out, _ = run(capsys, "train", "--preset", "post", "--seed", "0", "--steps", "20000")
    assert code == 0
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("outcome     "))
    assert max(map(len, lines)) <= 100
    assert lines[at + 1].startswith(" " * 12 + "falling")  # the summary's last words, wrapped


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no owners to compare (Windows)")
def test_a_cache_others_can_write_in_is_said_to_be_unused(capsys, tmp_path, monkeypatch):
    """Such a directory is not used as the kernels' cache (it could hold planted code): the
    commands that would use it say so, rather than compile in every process in silence."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o700)
    monkeypatch.setenv("XORNET_CACHE_DIR", str(shared))
    code, out, err = run(capsys, "cache", "--json")
    assert code == 0
    assert json.loads(out)["used"] is True
    assert err == ""
    shared.chmod(0o777)
    code, out, err = run(capsys, "cache", "--json")
    assert code == 0
    assert json.loads(out)["used"] is False
    assert err == (f"xornet: note: {shared} can be written by other users, so it is not used as "
                   "the kernels' cache: the kernels are compiled again in each process "
                   "(XORNET_CACHE_DIR names another)\n")  # fmt: skip
    code, _, err = run(capsys, "train", "--preset", "post", "--seed", "3", "--steps", "50000")
    assert code == 0
    assert err.endswith("(XORNET_CACHE_DIR names another)\n")
    code, _, err = run(capsys, "sweep", "--seeds", "2", "--steps", "100", "--quiet")
    assert code == 0
    assert err.endswith("(XORNET_CACHE_DIR names another)\n")
    # A sweep that does not run the numba engine says nothing of its cache (it did, by the
    # flag alone: with numba missing, --engine auto runs NumPy).
    import xornet.engines

    monkeypatch.setattr(xornet.engines, "numba_available", lambda: False)
    code, _, err = run(capsys, "sweep", "--seeds", "2", "--steps", "100", "--quiet")
    assert (code, err) == (0, "")


def test_a_note_is_said_once_however_often_it_is_noted(capsys, monkeypatch):
    # landscape's run and its trend's each noted the unused cache: the note was said twice.
    from xornet.cli import common, tools

    def twice(args):
        common.note("the same thing")
        common.note("the same thing")
        common.note("another")
        return 0

    monkeypatch.setattr(tools, "cache", twice)
    code, _, err = run(capsys, "cache")
    assert (code, err) == (0, "xornet: note: the same thing\nxornet: note: another\n")


def test_predict_takes_negative_numbers_in_e_notation(capsys, tmp_path):
    """argparse took "-1e3" for a flag ("unrecognized arguments"); it is a value."""
    model = tmp_path / "m.npz"
    assert run(capsys, "train", "--seed", "0", "--save", str(model))[0] == 0
    code, out, _ = run(capsys, "predict", str(model), "0", "0", "-1e3", "1e2", "--json")
    assert code == 0
    expected = xornet.load_model(model).predict_proba(np.array([[0.0, 0.0], [-1000.0, 100.0]]))
    np.testing.assert_array_equal(json.loads(out)["probabilities"], expected)


def test_predict_refuses_inputs_whose_sums_overflow(capsys, tmp_path):
    """1e308 gave a RuntimeWarning with a line of source, and a probability that depended on
    how many rows were asked for at once."""
    model = tmp_path / "m.npz"
    assert run(capsys, "train", "--seed", "0", "--save", str(model))[0] == 0
    code, out, err = run(capsys, "predict", str(model), "1e308", "1e308")
    assert code == 2
    assert out == ""
    assert err == ("xornet: error: the network's sums overflow on these inputs (beyond the "
                   "largest float, 1.8e308): give smaller values\n")  # fmt: skip
