"""``xornet landscape``, called in-process through main([...]) on small runs."""

import json

import numpy as np
import pytest

import xornet
from xornet.cli import main
from xornet.landscape import KINDS, classify_end_state

# A 2-2-1 network from the post's seed 3 at lr 1, stopped at loss 0.05: a few hundred steps.
SMALL = ["--hidden", "2", "--start", "post", "--seed", "3", "--tol", "0.05", "--engine", "numpy"]


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *args):
    code, out, err = run(capsys, "landscape", *args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_the_end_state_is_printed_with_its_numbers(capsys):
    code, out, err = run(capsys, "landscape", *SMALL, "--longer", "2", "4")
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith("xornet landscape: xor, 2-2-1 network, sigmoid hidden units")
    assert lines[0].endswith(", seed 3")
    heads = [line[:12].strip() for line in lines if line[:1] not in ("", " ")]
    assert heads[1:] == ["run", "outcome", "end state", "loss", "gradient", "weights",
                         "curvature", "escape", "run longer", "measured"]  # fmt: skip
    record = run_json(capsys, *SMALL, "--longer", "2", "4")
    point = record["landscape"]
    assert f"end state   {point['kind']}" in out
    assert f"gradient    norm {point['gradient_norm']:.3g}" in out
    assert f"lowest eigenvalue {point['eigenvalues'][0]:.3g}" in out
    assert f"highest {point['eigenvalues'][-1]:.3g}" in out
    steps = record["steps"]
    assert f"run longer  steps {steps:,} -> {2 * steps:,} -> {4 * steps:,}" in out


def test_a_stalled_runs_outcome_does_not_deny_the_measurement_below_it(capsys):
    # Before, the outcome line said the kind of point "is not measured here" above it.
    args = ("landscape", "--preset", "post", "--seed", "0", "--no-trend")
    code, out, _ = run(capsys, *args)
    assert code == 0
    outcome = out.split("outcome", 1)[1].split("\n\n", 1)[0]  # the field's wrapped lines
    assert "XOR plateau" in " ".join(outcome.split())
    assert "not measured" not in outcome
    assert "not measured" not in run_json(capsys, *args[1:])["outcome_summary"]


def test_json_is_classify_end_state_of_the_same_run(capsys):
    record = run_json(capsys, *SMALL, "--longer", "3")
    assert record["stop_reason"] == "tolerance"
    assert record["outcome"] == "solved"
    assert record["seed"] == 3
    data = xornet.xor()
    config = xornet.TrainConfig.from_dict(record["config"])
    trainer = xornet.Trainer(data.X, data.y, config, rng=3, engine="numpy").run()
    point = classify_end_state(data.X, data.y, config, trainer.params, steps=trainer.steps,
                               state=trainer.state(), longer=(3,), engine="numpy")  # fmt: skip
    expected = json.loads(json.dumps(point.as_dict()))
    assert record["landscape"] == expected
    assert record["landscape"]["kind"] in KINDS
    assert record["landscape"]["trend"]["steps"] == [trainer.steps, 3 * trainer.steps]
    assert len(record["landscape"]["eigenvalues"]) == 9  # 2*2 + 2 + 2 + 1 parameters
    assert np.all(np.diff(record["landscape"]["eigenvalues"]) >= 0)


def test_no_trend_and_a_saved_model(capsys, tmp_path):
    record = run_json(capsys, *SMALL, "--no-trend")
    assert record["landscape"]["trend"] is None
    model = tmp_path / "m.npz"
    assert main(["train", *SMALL, "--save", str(model), "--quiet"]) == 0
    capsys.readouterr()
    from_file = run_json(capsys, "--model", str(model), "--no-trend")
    assert from_file["model"] == str(model)
    assert from_file["landscape"] == record["landscape"]
    assert from_file["config"] == record["config"]
    code, out, _ = run(capsys, "landscape", "--model", str(model), "--longer", "2")
    assert code == 0
    assert out.startswith(f"xornet landscape: {model}, xor, 2-2-1 network")
    # A file saved without its run: the defaults for its network, step 0, so no trend.
    bare = tmp_path / "bare.npz"
    xornet.save_model(bare, xornet.load_model(model).params)
    bare_record = run_json(capsys, "--model", str(bare))
    assert (bare_record["steps"], bare_record["landscape"]["trend"]) == (0, None)
    assert "run longer  not measured (no steps taken)" in run(capsys, "landscape", "--model",
                                                              str(bare))[1]  # fmt: skip


def test_plots_write_the_spectrum_and_the_slices(capsys, tmp_path):
    record = run_json(capsys, *SMALL, "--no-trend", "--plots", str(tmp_path / "a"))
    names = ["spectrum", "escape", "eigen", "random"]
    assert record["figures"] == [str(tmp_path / "a" / f"{name}.png") for name in names]
    for path in record["figures"]:
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    record = run_json(capsys, *SMALL, "--no-trend", "--plots", str(tmp_path / "b"), "--path")
    assert [p.rsplit("/", 1)[1] for p in record["figures"]] == [
        *(f"{name}.png" for name in names),
        "path.png",
        "run.png",
    ]


def test_the_seed_is_drawn_and_printed_without_seed(capsys):
    args = [a for a in SMALL if a not in ("--seed", "3")]
    record = run_json(capsys, *args, "--no-trend")
    again = run_json(capsys, *args, "--no-trend", "--seed", str(record["seed"]))
    assert again["landscape"] == record["landscape"]


@pytest.mark.parametrize(("args", "message"), [
    (["--longer", "1"], "argument --longer: must be an integer of 2 or more, got 1"),
    (["--longer", "2.5"], "argument --longer: must be an integer of 2 or more, got 2.5"),
    (["--longer", "10", "5"], "--longer: the factors must increase, got 10 5"),
    (["--longer", "2", "--no-trend"], "not allowed with argument"),
    (["--path"], "--path records a run trained here, for --plots"),
    (["--plots", "{tmp}/file"], "--plots: {tmp}/file is a file, not a directory"),
    (["--model", "{tmp}/none.npz"], "no such model file"),
    (["--seed", "-1"], "--seed must be from 0 to 4294967295"),
    (["--lr", "0"], "--lr: must be a positive finite number, got 0.0"),
    (["--dataset", "nope"], "nope"),
    (["--steps", "60000", "--record-every", "1", "--no-tol"],
     "running 100 times longer would record 6,000,000 losses"),
    (["--steps", "100000000", "--no-tol"],
     "running 100 times longer would take 10,000,000,000 steps (at most 1,000,000,000)"),
])  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, args, message):
    from xornet import training

    (tmp_path / "file").write_text("")
    if "--steps" not in args:
        monkeypatch.setattr(training.Trainer, "run", lambda *a, **k: pytest.fail("trained"))
    code, out, err = run(capsys, "landscape", *(a.format(tmp=tmp_path) for a in args))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message.format(tmp=tmp_path) in err


def test_model_takes_its_saved_configuration(capsys, tmp_path):
    model = tmp_path / "m.npz"
    assert main(["train", *SMALL, "--save", str(model), "--quiet"]) == 0
    capsys.readouterr()
    code, out, err = run(capsys, "landscape", "--model", str(model), "--lr", "2")
    assert code == 2
    assert out == ""
    assert "--lr: landscape --model takes the model's saved configuration" in err


def test_a_diverged_run_exits_1_with_one_line(capsys):
    code, out, err = run(capsys, "landscape", "--lr", "1e300", "--steps", "50", "--seed", "0")
    assert code == 1
    assert out == ""
    assert err.startswith("xornet: error: training diverged at step 50: Diverged: the loss rose")
    assert len(err.strip().splitlines()) == 1
