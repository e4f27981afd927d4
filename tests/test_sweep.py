"""Sweeps: the statistics against known values and against training each network alone."""

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest

import xornet
from xornet.cli import main
from xornet.config import epochs_of
from xornet.errors import XornetError
from xornet.sweep import OUTCOME_COLUMNS, sweep, wilson_interval


@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (0, 10, 0.0, 0.2775),
    (5, 10, 0.2366, 0.7634),
    (10, 10, 0.7225, 1.0),
    (81, 263, 0.2553, 0.3662),
])  # fmt: skip
def test_wilson_interval_known_values(k, n, low, high):
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=1e-4)
    assert hi == pytest.approx(high, abs=1e-4)


def test_wilson_interval_is_exact_at_the_ends():
    # Rounding in the formula left 5.6e-17 for the lower bound of 0 successes out of 3.
    for n in (1, 3, 7, 1000):
        assert wilson_interval(0, n)[0] == 0.0
        assert wilson_interval(n, n)[1] == 1.0


def test_wilson_interval_refuses_nonsense():
    with pytest.raises(ValueError, match="successes"):
        wilson_interval(3, 2)


def test_sweep_statistics_match_training_one_by_one():
    data = xornet.xor()
    base = xornet.TrainConfig(hidden=2, steps=2000, tol=None)
    seeds = list(range(12))
    rows = sweep(data.X, data.y, base, {"hidden": [2, 3], "learning_rate": [0.5, 2.0]}, seeds)
    assert [r.settings for r in rows] == [
        {"hidden": 2, "learning_rate": 0.5}, {"hidden": 2, "learning_rate": 2.0},
        {"hidden": 3, "learning_rate": 0.5}, {"hidden": 3, "learning_rate": 2.0},
    ]  # fmt: skip
    for row in rows:
        config = base.replace(**row.settings)
        alone = [xornet.train(data.X, data.y, config, rng=s, engine="numpy") for s in seeds]
        solved = [r for r in alone if r.outcome.kind == "solved"]
        assert row.solved == len(solved)
        assert row.runs == len(seeds)
        assert sum(row.outcomes.values()) == len(seeds)
        kinds = [r.outcome.kind for r in alone]
        assert row.outcomes["improving"] == kinds.count("improving")
        assert row.outcomes["diverged"] == kinds.count("diverged")
        first = []
        for seed, r in zip(seeds, alone, strict=True):
            if r.outcome.kind == "solved":
                again = xornet.train(data.X, data.y, config.replace(stop_when_correct=True),
                                     rng=seed, engine="numpy")  # fmt: skip
                first.append(again.steps)
        if first:
            assert row.steps_median == pytest.approx(float(np.median(first)))
            assert row.steps_p10 == pytest.approx(float(np.percentile(first, 10)))


@pytest.mark.parametrize(("batch_size", "per_epoch"), [(None, 1), (1, 4)])
def test_epochs_to_criterion_match_numpy_runs_of_the_same_seeds(batch_size, per_epoch):
    # The 1986 setup (squared error, momentum), full batch and one pattern at a time: each
    # network's epochs to tol are the steps a NumPy run stopped by tol takes, over the
    # updates of an epoch.
    data = xornet.xor()
    base = xornet.TrainConfig(hidden=2, init="uniform", init_scale=0.5, loss="sse",
                              optimizer="momentum", learning_rate=0.5, tol=0.02, steps=2400,
                              batch_size=batch_size, shuffle=False)  # fmt: skip
    seeds = list(range(16))
    # The NumPy engine: the rule under test is the study's (the engines' equality is tested
    # elsewhere), and a kernel compiled for this setting alone cost this test 20 s.
    row = sweep(data.X, data.y, base, {"hidden": [2]}, seeds, engine="numpy")[0]
    epochs = []
    for seed in seeds:
        run = xornet.Trainer(data.X, data.y, base, rng=seed, engine="numpy").run()
        if run.stop_reason == "tolerance":
            assert run.steps % per_epoch == 0
            epochs.append(run.steps // per_epoch)
            assert float(epochs_of(run.steps, 4, batch_size)) == epochs[-1]
    assert 2 <= len(epochs) < len(seeds)  # some reach it, some do not
    assert row.reached == len(epochs)
    assert row.epochs_median == pytest.approx(float(np.median(epochs)))
    assert row.epochs_p10 == pytest.approx(float(np.percentile(epochs, 10)))
    assert row.epochs_p90 == pytest.approx(float(np.percentile(epochs, 90)))
    record = row.as_dict()
    assert record["epochs_median"] == row.epochs_median
    assert record["reached"] == len(epochs)
    # no criterion, no epochs to it
    free = sweep(data.X, data.y, base.replace(tol=None), {"hidden": [2]}, seeds[:4],
                 engine="numpy")[0]  # fmt: skip
    assert free.reached is None
    assert free.epochs_median is None


def test_epochs_to_criterion_in_the_table_json_csv_html_and_frame(capsys, tmp_path):
    flags = ["sweep", "--hidden", "2", "--loss", "sse", "--optimizer", "momentum", "--lr", "0.5",
             "--init", "uniform", "--init-scale", "0.5", "--tol", "0.02", "--steps", "1500",
             "--batch-size", "1", "--no-shuffle", "--seeds", "12", "--quiet"]  # fmt: skip
    out = tmp_path / "rows.csv"
    assert main([*flags, "--out-csv", str(out)]) == 0
    head, line = capsys.readouterr().out.splitlines()[1:3]
    assert main([*flags, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["criterion"] == 0.02
    record = data["rows"][0]
    assert 0 < record["reached"] < 12
    expected = (f"{record['epochs_median']:,.0f} ({record['epochs_p10']:,.0f}-"
                f"{record['epochs_p90']:,.0f})")  # fmt: skip
    # the text table: the column after the steps to solve, then how many reached it
    assert re.search(r"steps to solve \(p10-p90\) +epochs to tol \(p10-p90\) +reached +solved",
                     head)  # fmt: skip
    assert f"{expected:>25}  {record['reached']:>7}" in line
    with out.open() as f:
        written = next(csv.DictReader(f))
    assert float(written["epochs_median"]) == record["epochs_median"]
    assert int(written["reached"]) == record["reached"]
    rows = sweep(xornet.xor().X, xornet.xor().y,
                 xornet.TrainConfig(hidden=2, loss="sse", optimizer="momentum",
                                    learning_rate=0.5, init="uniform", init_scale=0.5, tol=0.02,
                                    steps=1500, batch_size=1, shuffle=False),
                 {"hidden": [2]}, range(12))  # fmt: skip
    assert {k: record[k] for k in rows[0].as_dict()} == rows[0].as_dict()  # the CLI's: more axes
    markup = rows._repr_html_()
    assert "epochs to tol (p10-p90)" in markup
    assert expected in markup
    frame = rows.to_frame()
    assert frame["epochs_median"][0] == record["epochs_median"]
    assert frame["reached"][0] == record["reached"]


def test_sweep_is_reproducible_and_uses_the_posts_starts():
    data = xornet.xor()
    base = xornet.PRESETS["post"].replace(steps=5000)  # start="post": the post's starts
    a = sweep(data.X, data.y, base, {"learning_rate": [1.0]}, range(6))
    b = sweep(data.X, data.y, base, {"learning_rate": [1.0]}, range(6))
    assert a == b
    alone = xornet.train(data.X, data.y, base.replace(learning_rate=1.0),
                         params=xornet.post_initial_params(2))  # fmt: skip
    seed2_solved = alone.outcome.kind == "solved"
    three = sweep(data.X, data.y, base, {"learning_rate": [1.0]}, [2])[0]
    assert three.solved == int(seed2_solved)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_sweep_reports_progress_in_steps_as_it_trains(engine):
    # Two settings of 12,000 and 3,000 steps: the count runs up to 15,000, never backwards,
    # with reports inside the first setting's run (the lanes' stretches of 5,000 steps, the
    # NumPy loop's every 1,000) and not only at the ends.
    data = xornet.xor()
    base = xornet.TrainConfig(tol=None, learning_rate=0.5)
    calls = []
    sweep(data.X, data.y, base, {"steps": [12_000, 3_000]}, range(16), engine=engine,
          progress=lambda done, total: calls.append((done, total)))  # fmt: skip
    done = [d for d, _ in calls]
    assert {t for _, t in calls} == {15_000}
    assert done == sorted(done)
    assert done[-1] == 15_000
    assert 12_000 in done
    assert any(0 < d < 12_000 for d in done)


def test_sweep_refuses_what_it_cannot_vary():
    data = xornet.xor()
    with pytest.raises(XornetError, match="cannot sweep colour"):
        sweep(data.X, data.y, xornet.TrainConfig(), {"colour": [1]}, [0])
    with pytest.raises(XornetError, match="at least one value"):
        sweep(data.X, data.y, xornet.TrainConfig(), {"hidden": []}, [0])
    with pytest.raises(XornetError, match="the post's starts are its normal weights"):
        sweep(data.X, data.y, xornet.PRESETS["post"], {"init": ["normal", "he"]}, [0])


def test_cli_sweep_table_json_and_csv(capsys, tmp_path):
    out = tmp_path / "sweep.csv"
    code = main(["sweep", "--hidden", "2", "4", "--lr", "1", "--steps", "1500", "--seeds", "8",
                 "--out-csv", str(out), "--quiet"])  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "95% CI" in text
    assert len(text.strip().splitlines()) == 2 + 2 + 1
    with out.open() as f:
        records = list(csv.DictReader(f))
    assert [r["hidden"] for r in records] == ["2", "4"]
    assert set(OUTCOME_COLUMNS) <= set(records[0])
    code = main(["sweep", "--preset", "post", "--steps", "3000", "--lr", "1", "--seeds", "5",
                 "--first-seed", "2", "--json"])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["first_seed"] == 2
    assert data["rows"][0]["runs"] == 5
    assert main(["sweep", "--hidden", "0"]) == 2
    capsys.readouterr()
    assert main(["sweep", "--batch-size", "2", "--seeds", "2", "--steps", "50"]) == 2
    assert "add --no-shuffle" in capsys.readouterr().err
    assert main(["sweep", "--batch-size", "1", "2", "--no-shuffle", "--seeds", "3",
                 "--steps", "80", "--json"]) == 0  # fmt: skip
    assert [r["batch_size"] for r in json.loads(capsys.readouterr().out)["rows"]] == [1, 2]


def test_cli_sweep_plot_line_and_heat_map(tmp_path, capsys):
    from PIL import Image

    line, heat = tmp_path / "line.png", tmp_path / "heat.png"
    args = ["sweep", "--steps", "800", "--seeds", "6", "--quiet"]
    assert main([*args, "--hidden", "2", "4", "--plot", str(line)]) == 0
    assert main([*args, "--hidden", "2", "4", "--lr", "0.5", "2", "--plot", str(heat)]) == 0
    for path in (line, heat):
        with Image.open(path) as image:
            assert image.size[0] > 300
    capsys.readouterr()


def test_plot_sweep_draws_what_it_is_given():
    from xornet.plotting import plot_sweep

    data = xornet.xor()
    rows = sweep(data.X, data.y, xornet.TrainConfig(steps=500),
                 {"hidden": [2, 4], "learning_rate": [0.5, 2.0]}, range(4))  # fmt: skip
    heat = plot_sweep(rows, ["hidden", "learning_rate"])
    texts = [t.get_text() for t in heat.axes[0].texts]
    assert texts == [f"{r.success_rate:.0%}" for r in sorted(
        rows, key=lambda r: (r.settings["learning_rate"], r.settings["hidden"]))]  # fmt: skip
    line = plot_sweep(rows[:2], ["learning_rate"])
    assert line.axes[0].get_xlabel() == "learning_rate"
    with pytest.raises(XornetError, match="one or two"):
        plot_sweep(rows, ["a", "b", "c"])


def test_cli_sweep_study_file(tmp_path, capsys):
    study = tmp_path / "s.toml"
    study.write_text('[study]\nname = "x"\npreset = "default"\nseeds = 4\nfirst_seed = 3\n'
                     '[grid]\nhidden = [2, 3]\n[config]\nsteps = 400\n')  # fmt: skip
    assert main(["sweep", "--study", str(study), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [r["hidden"] for r in data["rows"]] == [2, 3]
    assert data["first_seed"] == 3
    assert data["rows"][0]["runs"] == 4
    # a flag on the command line wins over the file
    assert main(["sweep", "--study", str(study), "--hidden", "5", "--json"]) == 0
    assert [r["hidden"] for r in json.loads(capsys.readouterr().out)["rows"]] == [5]


@pytest.mark.parametrize(("text", "message"), [
    ("[study\n", "not a valid TOML file"),
    ("[what]\n", "unknown sections 'what'"),
    ("[study]\nseeds = 'many'\n", "seeds = 'many' is not valid"),
    ("[study]\ncolour = 1\n", "unknown \\[study\\] key 'colour'"),
    ("[grid]\nwings = [1]\n", "cannot sweep 'wings'"),
    ("[grid]\nhidden = 3\n", "must be a non-empty list"),
    ("[config]\nspeed = 3\n", "unknown \\[config\\] keys 'speed'"),
    # Bounded: a device is read no further, nesting and long values are one short line.
    ("[grid]\nhidden = [" + "[" * 5000 + "]" * 5000 + "]\n", "nested too deeply"),
    ("[study]\nseeds = '" + "A" * 100_000 + "'\n", "seeds = 'AAAA.*AAA' is not valid$"),
    ("[study]\ndataset = '" + "A" * 100_000 + "'\n",
     r"bad.toml: \[study\] dataset: unknown dataset 'AAAA.*AAA' \(choose"),
    ("[config]\nactivation = '" + "A" * 100_000 + "'\n", "activation: must be one of"),
    ("[config]\n" + "".join(f"k{i} = 1\n" for i in range(1000)) + "\n",
     "keys 'k0', 'k1', 'k10' and 997 more$"),
    ("[grid]\nhidden = ['two']\n", "hidden: must be an integer"),
])  # fmt: skip
def test_bad_study_files_exit_2_with_one_line(tmp_path, capsys, text, message):
    study = tmp_path / "bad.toml"
    study.write_text(text)
    assert main(["sweep", "--study", str(study), "--seeds", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert len(err) < 400  # the value is quoted short, never whole
    assert __import__("re").search(message, err.strip()), err


def test_a_study_file_is_read_no_further_than_its_bound(tmp_path, capsys):
    # /dev/zero was read whole: memory ran out before a line of TOML was parsed.
    from xornet.sweep import MAX_STUDY_BYTES

    study = tmp_path / "big.toml"
    study.write_text("# " + "x" * MAX_STUDY_BYTES + "\n[study]\nseeds = 2\n")
    assert main(["sweep", "--study", str(study), "--quiet"]) == 2
    assert "larger than 1024 KiB, the most a study file may hold" in capsys.readouterr().err
    if Path("/dev/zero").exists():
        assert main(["sweep", "--study", "/dev/zero", "--quiet"]) == 2
        assert "/dev/zero: larger than 1024 KiB" in capsys.readouterr().err


def test_cli_classic_settings_in_train_and_sweep(capsys):
    code = main(["train", "--hidden", "2", "--init", "uniform", "--init-scale", "0.5", "--loss",
                 "sse", "--optimizer", "momentum", "--momentum", "0.9", "--lr", "0.5", "--tol",
                 "0.04", "--steps", "20000", "--seed", "1", "--json"])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["config"]["loss"], data["config"]["init_scale"]) == ("sse", 0.5)
    assert data["stop_reason"] == "tolerance"
    assert data["final_loss"] <= 0.04
    code = main(["sweep", "--loss", "sse", "--init", "uniform", "--init-scale", "0.5", "1",
                 "--margin", "0.1", "--stop-when-correct", "--lr", "0.5", "--steps", "3000",
                 "--seeds", "6", "--json"])  # fmt: skip
    assert code == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [(r["init_scale"], r["margin"]) for r in rows] == [(0.5, 0.1), (1.0, 0.1)]
    assert main(["gradcheck", "--loss", "sse", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["passed"] is True


def test_read_study_reads_and_checks_every_value(tmp_path):
    from xornet.sweep import Study, read_study

    path = tmp_path / "s.toml"
    path.write_text('[study]\nname = "h"\ndataset = "parity3"\npreset = "post"\nseeds = 7\n'
                    '[grid]\nhidden = [2, 3]\n[config]\nsteps = 400\n')  # fmt: skip
    study = read_study(path)
    assert study == Study(name="h", dataset="parity3", preset="post", seeds=7,
                          grid={"hidden": [2, 3]}, config={"steps": 400})  # fmt: skip
    assert study.first_seed is None
    assert study.base() == xornet.PRESETS["post"].replace(steps=400)
    # Every grid value is checked against the configuration it goes into, before training.
    path.write_text('[study]\npreset = "post"\n[grid]\ninit = ["normal", "he"]\n')
    with pytest.raises(XornetError, match=r"s.toml: \[grid\] start: the post's starts"):
        read_study(path)
    path.write_text("[config]\nlearning_rate = -1\n")
    with pytest.raises(XornetError, match=r"s.toml: \[config\] learning_rate: must be a positive"):
        read_study(path)
    path.write_text("[study]\nfirst_seed = -3\n")
    with pytest.raises(XornetError, match=r"\[study\] first_seed must be from 0"):
        read_study(path)


def test_cli_sweep_flags_win_over_the_study_even_at_their_defaults(tmp_path, capsys):
    # Before, --seeds 100 (the flag's default) counted as not given and the file's 4 ran.
    study = tmp_path / "s.toml"
    study.write_text("[study]\nseeds = 4\nfirst_seed = 3\n[config]\nsteps = 30\n")
    assert main(["sweep", "--study", str(study), "--seeds", "100", "--first-seed", "0",
                 "--json"]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert (data["rows"][0]["runs"], data["first_seed"]) == (100, 0)


def test_cli_sweep_draws_its_plot_with_json_too_and_checks_it_first(tmp_path, capsys):
    plot = tmp_path / "rate.png"
    args = ["sweep", "--steps", "50", "--seeds", "3", "--quiet", "--json"]
    assert main([*args, "--hidden", "2", "3", "--plot", str(plot)]) == 0
    assert plot.stat().st_size > 0
    capsys.readouterr()
    # Nothing swept: refused before training (10,000 steps each otherwise).
    assert main(["sweep", "--seeds", "3", "--json", "--plot", str(plot)]) == 2
    assert "--plot needs at least one swept setting" in capsys.readouterr().err


def test_cli_sweep_of_the_posts_starts_is_the_posts(capsys):
    # --start post on the default preset: the post's weights for each seed, as sweep() draws.
    assert main(["sweep", "--start", "post", "--hidden", "2", "--steps", "300", "--lr", "1",
                 "--seeds", "4", "--json", "--engine", "numpy"]) == 0  # fmt: skip
    rows = json.loads(capsys.readouterr().out)["rows"]
    data = xornet.xor()
    grid = {"hidden": [2], "learning_rate": [1.0], "steps": [300]}
    expected = sweep(data.X, data.y, xornet.TrainConfig(start="post"), grid, range(4))
    assert rows == [r.as_dict() for r in expected]
    random = sweep(data.X, data.y, xornet.TrainConfig(), grid, range(4))
    assert rows != [r.as_dict() for r in random]


def test_the_cli_has_a_column_for_every_sweepable_setting():
    from xornet.cli.output import SWEEP_HEADS
    from xornet.sweep import SWEEP_AXES

    assert set(SWEEP_HEADS) == set(SWEEP_AXES)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_cli_sweep_of_diverging_networks_warns_nothing_and_counts_them(capsys, engine):
    # Before, the NumPy engine's networks that overflowed printed RuntimeWarnings (an error
    # here), and finite losses of 1e299 were counted as "other" plateaus.
    assert main(["sweep", "--activation", "relu", "--lr", "1e300", "--seeds", "4", "--steps",
                 "200", "--json", "--engine", engine]) == 0  # fmt: skip
    out, err = capsys.readouterr()
    assert err == ""
    assert json.loads(out)["rows"][0]["diverged"] == 4
