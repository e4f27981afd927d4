"""A hostile page, file or submission, and a careless user: each test here failed before the
fix it guards (issue 16's second pass)."""

import json
import logging

import numpy as np
import pytest

from xornet.errors import DataError, XornetError

FAR_APART = "a,b,label\n" + "".join(f"{1e308 if i % 2 else -1e308},{i},{i % 2}\n" for i in range(8))


def test_an_upload_too_wide_to_draw_is_refused_whole():
    from xornet.playground.session import Session
    from xornet.playground.settings import Settings, parse_csv

    with pytest.raises(DataError, match="column 'a' are too far apart to draw"):
        parse_csv(FAR_APART, "far.csv")
    session = Session()  # and the Python side (the widget's Dataset) is held to the same bound
    from xornet.data import Dataset

    X = np.array([[1e308, 0.0], [-1e308, 1.0], [0.0, 2.0], [1.0, 3.0]])
    with pytest.raises(DataError, match="too far apart"):
        session.configure(Settings(dataset="csv"), Dataset("far", X, np.array([0.0, 1, 0, 1])))
    assert session.data.name == "xor"  # unchanged


def test_the_server_answers_such_an_upload_with_an_error_not_a_dropped_connection(caplog):
    from starlette.testclient import TestClient

    from xornet.playground.server import create_app

    origin = {"origin": "http://testserver"}
    with (caplog.at_level(logging.ERROR, logger="xornet.playground"),
          TestClient(create_app(hosts=("testserver",))) as client,
          client.websocket_connect("/ws", headers=origin) as ws):  # fmt: skip
        for _ in range(4):  # hello, state, data, frame
            ws.receive_text()
        ws.send_json({"type": "csv", "name": "far.csv", "text": FAR_APART})
        reply = json.loads(ws.receive_text())
        assert reply["type"] == "error"
        assert "too far apart to draw" in reply["message"]
        ws.send_json({"type": "frame"})  # the connection goes on
        assert json.loads(ws.receive_text())["type"] == "frame"
    assert not caplog.records


def test_an_empty_dataset_name_is_refused_not_taken_for_xor(capsys):
    from xornet.cli import main

    assert main(["train", "--dataset", "", "--steps", "1", "--seed", "0"]) == 2
    assert "unknown dataset ''" in capsys.readouterr().err


# ----------------------------------------------------------------------------- xornet review

POST = (__import__("pathlib").Path(__file__).parent / "submissions" / "post.py").read_text()

MISBEHAVING = """
import numpy as np


class Raises:
    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array here")


class Interrupts:
    def __array__(self, *args, **kwargs):
        raise KeyboardInterrupt


def init_parameters(num_hidden_units=2):
    return Raises(), Raises(), Raises(), Raises()


def affine(W, X, B):
    return Interrupts()


def sigmoid(z):
    raise KeyboardInterrupt
"""


def test_a_folder_review_survives_hostile_files_and_names(tmp_path):
    """A notebook nested too deeply, a file name that is not UTF-8 or holds a line break, and
    returned objects that raise when read: each is a row of the grades, none a traceback, and
    the grades' CSV is written whole."""
    import csv
    import os

    from xornet.review import review_folder, write_csv

    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "misbehaves.py").write_text(MISBEHAVING)
    (folder / "line\nbreak.py").write_text(POST)
    with open(os.path.join(os.fsencode(folder), b"\xff\xfename.py"), "w") as f:
        f.write(POST)
    reviews = {r.source: r for r in review_folder(folder, timeout=60)}
    assert set(reviews) == {"deep.ipynb", "misbehaves.py", "line\\nbreak.py", "\\xff\\xfename.py"}
    assert "nested too deeply" in reviews["deep.ipynb"].findings[0].text["en"]
    assert reviews["\\xff\\xfename.py"].passed
    assert reviews["line\\nbreak.py"].passed
    misbehaves = reviews["misbehaves.py"]
    texts = {f.check: f.text["en"] for f in misbehaves.findings if f.level == "fail"}
    assert "RuntimeError: no array here" in texts["init_parameters"]
    assert "KeyboardInterrupt" in texts["affine"]
    assert "KeyboardInterrupt" in texts["sigmoid"]
    assert not any(f.code == "review_error" for f in misbehaves.findings)
    grades = tmp_path / "grades.csv"
    write_csv(list(reviews.values()), grades)
    with grades.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert len(rows) == 5
    assert {row[0] for row in rows[1:]} == set(reviews)


@pytest.mark.parametrize(
    "written",
    [
        "[1, 2]\n",
        '{"event": "review", "review": {"source": 1}}\n',
        "[" * 100_000 + "\n",
        json.dumps(
            {
                "event": "review",
                "review": {
                    "source": "x",
                    "status": "ok",
                    "checks": {"load": "pass"},
                    "seconds": 0,
                    "findings": [
                        {"check": "load", "level": "fail", "code": "x", "text": {"en": 1}}
                    ],
                },
            }
        )
        + "\n",
    ],
)
def test_code_that_writes_into_the_reviews_record_fails_its_own_review_only(tmp_path, written):
    from xornet.review import review_file

    path = tmp_path / "writes.py"
    path.write_text(
        "def init_parameters(num_hidden_units=2):\n"
        f"    open('events.jsonl', 'a').write({written!r})\n"
        "    import os\n"
        "    os._exit(0)\n"
    )
    review = review_file(path, timeout=60)  # no traceback
    assert not review.passed
    assert review.status in ("crashes", "exits")


@pytest.mark.parametrize("argv", [["--hidden", "100000"],  # 400,001 parameters: hours
                                  ["--hidden", "300", "--dataset", "parity16"]])  # fmt: skip
def test_gradcheck_too_large_to_finish_is_refused_before_any_work(capsys, monkeypatch, argv):
    import xornet.gradcheck as gc
    from xornet.cli import main

    def forward(*args, **kwargs):
        raise AssertionError("a forward pass of a check that was to be refused")

    monkeypatch.setattr(gc, "forward", forward)
    assert main(["gradcheck", *argv]) == 2
    err = capsys.readouterr().err
    assert "more than the 2e+09 it is bounded to; check fewer hidden units" in err
    assert len(err.strip().splitlines()) == 1


def test_gradchecks_work_bound_holds_at_its_edge(monkeypatch):
    import xornet.gradcheck as gc
    from xornet.params import init_params

    params = init_params(2, 3, rng=0)  # 13 parameters: 2 x 13 x 4 x 3 = 312 activations
    X, y = np.eye(4, 2), np.array([0.0, 1.0, 1.0, 0.0])
    monkeypatch.setattr(gc, "MAX_WORK", 312)
    assert gc.gradient_check(params, X, y).passed
    monkeypatch.setattr(gc, "MAX_WORK", 311)
    with pytest.raises(XornetError, match=r"computes 3\.1e\+02 hidden activations"):
        gc.numerical_gradient(params, X, y)


def test_a_grid_of_too_many_starts_is_refused_before_training(capsys, monkeypatch, tmp_path):
    # --starts 100000 trained 100,000 networks, then drew subplots for minutes and ran out of
    # memory on a figure no image can hold.
    pytest.importorskip("matplotlib")
    import xornet.training
    from xornet.cli import main
    from xornet.plotting import MAX_STARTS, plot_starts

    def trainer(*args, **kwargs):
        raise AssertionError("trained before the flags were checked")

    monkeypatch.setattr(xornet.training, "Trainer", trainer)
    argv = ["train", "--plots", str(tmp_path / "figures"), "--starts"]
    assert main([*argv, "100000"]) == 2
    err = capsys.readouterr().err
    assert "--starts: at most 400 starts are drawn, got 100,000" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "figures").exists()
    with pytest.raises(XornetError, match="at most 400 starts"):
        plot_starts(np.eye(4, 2), np.array([0, 1, 1, 0]), None, range(MAX_STARTS + 1))


@pytest.mark.parametrize("eps", ["0", "-1e-5"])
def test_gradcheck_refuses_a_step_of_nothing_in_one_line(capsys, eps):
    from xornet.cli import main

    assert main(["gradcheck", f"--eps={eps}"]) == 2
    err = capsys.readouterr().err
    assert "eps must be a positive finite number" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--steps", "5", "--plots", ""],
        ["train", "--steps", "5", "--save", " "],
        ["review", ""],
        ["sweep", "--seeds", "2", "--steps", "5", "--out", ""],
        ["sweep", "--seeds", "2", "--steps", "5", "--out-csv", " "],
        ["sweep", "--seeds", "2", "--steps", "5", "--hidden", "2", "3", "--plot", ""],
        ["sweep", "--study", ""],
    ],
)
def test_an_empty_path_is_an_error_not_the_working_directory(argv, capsys, tmp_path, monkeypatch):
    from xornet.cli import main

    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "empty path" in err
    assert len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())  # nothing written where the user stands


# ----------------------------------------------------------------------------- study files

STUDY = ["sweep", "--hidden", "2", "3", "--seeds", "4", "--steps", "300", "--tol", "0.6",
         "--quiet", "--engine", "numpy"]  # fmt: skip


@pytest.fixture(scope="module")
def study_files(tmp_path_factory):
    """A finished study's CSV and Parquet files (some networks stop at the criterion)."""
    from xornet.cli import main

    folder = tmp_path_factory.mktemp("study")
    for suffix in ("csv", "parquet"):
        assert main([*STUDY, "--out", str(folder / f"good.{suffix}")]) == 0
    assert ",tolerance," in (folder / "good.csv").read_text()
    return folder


def _resume_refuses(path, capsys):
    """Resume the study from ``path``: refused in one line (exit 2), the file as it was."""
    from xornet.cli import main

    before = path.read_bytes()
    capsys.readouterr()
    assert main([*STUDY, "--out", str(path), "--resume"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("xornet: error: ")
    assert path.read_bytes() == before
    return err


def _csv_study(folder, change):
    """The good CSV study file changed by ``change(identity, header, rows)`` (in place)."""
    first, header, *rows = (folder / "good.csv").read_text().splitlines()
    identity = json.loads(first.removeprefix("# xornet study "))
    header, rows = header.split(","), [row.split(",") for row in rows]
    change(identity, header, rows)
    return (f"# xornet study {json.dumps(identity)}\n" + ",".join(header) + "\n"
            + "".join(",".join(row) + "\n" for row in rows))  # fmt: skip


def _set(column, value, row=0):
    def change(identity, header, rows):
        rows[row][header.index(column)] = value

    return change


def _format_1(identity, header, rows):
    """As the format before ``criterion_epoch`` wrote it."""
    drop = header.index("criterion_epoch")
    identity["format"] = 1
    del header[drop]
    for row in rows:
        del row[drop]


def _format_1_then(change):
    def both(identity, header, rows):
        _format_1(identity, header, rows)
        change(identity, header, rows)

    return both


def _tolerance_row_in_setting(setting):
    def change(identity, header, rows):
        row = next(r for r in rows if r[header.index("stop_reason")] == "tolerance")
        row[header.index("setting")] = setting

    return change


def _huge_grid(identity, header, rows):
    """A format-1 header whose grid has 10^12 settings (a line of a few kilobytes)."""
    _format_1(identity, header, rows)
    identity["grid"].update({f"a{i}": list(range(1000)) for i in range(4)})
    at = header.index("seed")
    header[at:at] = [f"a{i}" for i in range(4)]
    for row in rows:
        row[at:at] = ["0"] * 4


def _identity(key, value):
    def change(identity, header, rows):
        identity[key] = value

    return change


HOSTILE_CSV = {
    "seeds of no count": _identity("seeds", {}),
    "seeds counted in text": _identity("seeds", {"first": "a", "count": 2}),
    "data of no features": _identity("data", {"samples": 4}),
    "data of a numeric hash": _identity("data", {"samples": 4, "features": 2, "sha256": 5}),
    "a count beyond int64": _set("criterion_epoch", "9" * 30),
    "a step count beyond int64": _set("stopped_at", "9" * 30),
    "a seed beyond int64": _set("seed", "9" * 30),
    "a criterion epoch below -1": _set("criterion_epoch", "-7"),
    "a negative step count": _set("stopped_at", "-3"),
    "an unknown outcome": _set("outcome", "bogus"),
    "an outcome cut to fit": _set("outcome", "plateau_all_half_and_more"),
    "an unknown stop reason": _set("stop_reason", "whatever"),
    "an accuracy above 1": _set("accuracy", "1e400"),
    "a negative loss": _set("final_loss", "-0.5"),
    "a row whose setting values lie": _set("hidden", "99"),
    "a field larger than csv allows": _set("outcome", "x" * 200_000),
    "format 1, a tolerance stop in no setting": _format_1_then(_tolerance_row_in_setting("9")),
    "format 1, no samples": _format_1_then(
        lambda identity, header, rows: identity["data"].update(samples=0)
    ),
}


@pytest.mark.parametrize("change", HOSTILE_CSV.values(), ids=HOSTILE_CSV.keys())
def test_a_hostile_csv_study_file_is_refused_in_one_line(change, study_files, tmp_path, capsys):
    path = tmp_path / "study.csv"
    path.write_text(_csv_study(study_files, change))
    _resume_refuses(path, capsys)


def test_a_study_file_without_column_names_is_refused(study_files, tmp_path, capsys):
    path = tmp_path / "study.csv"
    path.write_text((study_files / "good.csv").read_text().splitlines()[0] + "\n")
    assert "no column names" in _resume_refuses(path, capsys)


def test_a_format_1_header_with_a_vast_grid_is_refused_without_listing_it(
    study_files, tmp_path, capsys
):
    # Listing its 10^12 settings took forever; a setting is now found from its index.
    path = tmp_path / "study.csv"
    path.write_text(_csv_study(study_files, _huge_grid))
    _resume_refuses(path, capsys)


def test_a_study_file_larger_than_its_study_is_refused_before_it_is_read(
    study_files, tmp_path, capsys, monkeypatch
):
    import xornet.study._file as study_file

    path = tmp_path / "study.csv"
    good = (study_files / "good.csv").read_text()
    path.write_text(good + "#" * (64 * 1024 + 8 * study_file.ROW_BYTES))
    monkeypatch.setattr(study_file, "_read_csv", None)  # never reached
    assert _resume_refuses(path, capsys) == (f"xornet: error: {path}: more than a study of 8 "
                                             "networks fills\n")  # fmt: skip


def test_a_study_resumed_through_a_symlink_is_written_where_it_points(study_files, tmp_path):
    # The atomic rename replaced the link with a new file, leaving the study it pointed to
    # behind, stale.
    from xornet.cli import main
    from xornet.study import read_records

    real, link = tmp_path / "real.csv", tmp_path / "link.csv"
    real.write_text("\n".join((study_files / "good.csv").read_text().splitlines()[:5]) + "\n")
    link.symlink_to(real)
    assert main([*STUDY, "--out", str(link), "--resume"]) == 0
    assert link.is_symlink()
    assert len(read_records(real)[1]) == 8
    assert real.read_bytes() == (study_files / "good.csv").read_bytes()


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_as_study_file_is_refused_not_waited_on(tmp_path, capsys):
    import os

    from xornet.cli import main

    path = tmp_path / "study.csv"
    os.mkfifo(path)  # reading it would wait for a writer that never comes
    assert main([*STUDY, "--out", str(path), "--resume"]) == 2
    assert "not a regular file" in capsys.readouterr().err


def _parquet_study(folder, column, values, drop_criterion=False):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(folder / "good.parquet")
    metadata = table.schema.metadata
    if column is not None:
        table = table.set_column(table.column_names.index(column), column, pa.array(values))
    if drop_criterion:
        table = table.drop_columns(["criterion_epoch"])
        identity = json.loads(metadata[b"xornet.study"])
        metadata = {b"xornet.study": json.dumps({**identity, "format": 1})}
    buffer = __import__("io").BytesIO()
    pq.write_table(table.replace_schema_metadata(metadata), buffer)
    return buffer.getvalue()


HOSTILE_PARQUET = {
    "settings as fractions": ("setting", [0.5] * 4 + [1.0] * 4),
    "seeds as fractions": ("seed", [0.9, 1.2, 2.0, 3.0] * 2),
    "settings as text": ("setting", ["0"] * 4 + ["1"] * 4),
    "nested solve steps": ("solve_step", [[1]] * 8),
    "outcomes as records": ("outcome", [{"a": 1}] * 8),
    "outcomes as numbers": ("outcome", [1] * 8),
    "criterion epochs as flags": ("criterion_epoch", [True] * 8),
    "steps beyond int64": ("stopped_at", __import__("numpy").full(8, 2**64 - 1, dtype="u8")),
}


@pytest.mark.parametrize(("column", "values"), HOSTILE_PARQUET.values(), ids=HOSTILE_PARQUET.keys())
def test_a_hostile_parquet_study_file_is_refused_in_one_line(
    column, values, study_files, tmp_path, capsys
):
    pytest.importorskip("pyarrow")
    path = tmp_path / "study.parquet"
    path.write_bytes(_parquet_study(study_files, column, values))
    _resume_refuses(path, capsys)


def test_a_parquet_study_file_of_more_rows_than_its_study_is_refused_unread(
    study_files, tmp_path, capsys, monkeypatch
):
    # A file of more rows than its study (a few kilobytes can decompress to millions): the
    # footer's row count is checked first, and the rows are never read.
    pytest.importorskip("pyarrow")
    import xornet.study._file as study_file

    path = tmp_path / "study.parquet"
    path.write_bytes(_parquet_study(study_files, None, None))
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    many = pa.concat_tables([table] * 1_000)
    pq.write_table(many, path)
    monkeypatch.setattr(study_file, "_read_parquet", None)  # never reached
    assert "more than a study of 8 networks" in _resume_refuses(path, capsys)


def test_the_good_study_files_resume_to_themselves(study_files, tmp_path, capsys):
    from xornet.cli import main

    for suffix in ("csv", "parquet"):
        path = tmp_path / f"study.{suffix}"
        path.write_bytes((study_files / f"good.{suffix}").read_bytes())
        assert main([*STUDY, "--out", str(path), "--resume"]) == 0
        assert path.read_bytes() == (study_files / f"good.{suffix}").read_bytes()
    # and a format-1 file with a tolerance stop reads (its criterion epochs derived)
    path = tmp_path / "old.csv"
    path.write_text(_csv_study(study_files, _format_1))
    assert main([*STUDY, "--out", str(path), "--resume"]) == 0


# ----------------------------------------------------------------------------- the landscape


def _huge_weights(scale=1e300):
    params = __import__("xornet").init_params(2, 2, rng=0)
    params.W1[...] = scale
    params.W2[...] = -scale
    return params


def test_weights_too_large_for_the_landscape_are_refused_in_one_line(tmp_path, capsys):
    # Finite weights near the largest float: the weight norm overflowed (a RuntimeWarning),
    # then a slice failed far from the cause ("a needs at least two finite coordinates").
    import xornet
    from xornet.cli import main
    from xornet.errors import XornetError
    from xornet.landscape import classify_point

    XOR = xornet.xor()
    with pytest.raises(XornetError, match="too large to classify"):
        classify_point(_huge_weights(), XOR.X, XOR.y)
    classify_point(_huge_weights(1e50), XOR.X, XOR.y)  # large, within bounds: measured
    model = tmp_path / "huge.npz"
    xornet.save_model(model, _huge_weights())
    assert main(["landscape", "--model", str(model), "--no-trend"]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "too large to classify" in err


def test_a_report_on_weights_too_large_says_the_landscape_was_not_measured():
    import xornet
    from xornet.report import _landscape_section

    XOR = xornet.xor()
    text = _landscape_section(_huge_weights(), XOR.X, XOR.y, "sigmoid", "bce", None)
    assert "<p>Not measured: " in text
    assert "too large to classify" in text
    assert "<img" not in text


def test_a_model_too_wide_for_the_exact_hessian_is_refused_before_any_work(
    tmp_path, capsys, monkeypatch
):
    # A 2-700-1 model file (a few tens of kilobytes): its run was continued 100 times longer
    # for the trend, then its 2,801-square Hessian formed and decomposed (a 2-3000-1 one: over
    # five minutes and 8 GB). Now refused before either.
    from xornet.cli import main
    from xornet.landscape import _hessian
    from xornet.training import Trainer

    model = tmp_path / "wide.npz"
    assert main(["train", "--hidden", "700", "--steps", "2", "--seed", "0", "--quiet",
                 "--save", str(model)]) == 0  # fmt: skip
    capsys.readouterr()

    def never(*args, **kwargs):
        raise AssertionError("reached")

    monkeypatch.setattr(_hessian, "hessian_products", never)
    monkeypatch.setattr(Trainer, "run", never)
    for flags in ([], ["--no-trend"]):
        assert main(["landscape", "--model", str(model), *flags]) == 2
        err = capsys.readouterr().err
        assert len(err.splitlines()) == 1
        assert "2,801 parameters is too large for the exact Hessian" in err


def test_a_wide_networks_output_map_is_computed_in_slices(monkeypatch):
    # A report on a 2-3000-1 model file took 4.7 GB for its decision boundary: the whole
    # 200 x 200 grid's hidden layer at once (a 2-100000-1 one asked for 30 GB).
    import matplotlib.pyplot as plt

    import xornet
    from xornet.plotting import _base, plot_boundary

    sizes = []
    real = _base.forward

    def counting(params, X, activation="sigmoid"):
        sizes.append(X.shape[0] * params.n_hidden)
        return real(params, X, activation)

    monkeypatch.setattr(_base, "forward", counting)
    XOR = xornet.xor()
    wide = xornet.init_params(2, 3000, rng=0)
    fig = plot_boundary(wide, XOR.X, XOR.y)
    plt.close(fig)
    assert sum(sizes) >= 200 * 200 * 3000  # the whole grid
    assert max(sizes) <= _base.MAP_BLOCK
    # and in slices the map is the one computed at once (to rounding: BLAS may block a
    # product's sum otherwise for other sizes)
    grid = np.random.default_rng(0).normal(size=(5000, 2))
    monkeypatch.setattr(_base, "MAP_BLOCK", 3000 * 7)
    np.testing.assert_allclose(_base.map_outputs(wide, grid, "sigmoid"),
                               real(wide, grid, "sigmoid").P, rtol=1e-12, atol=0)  # fmt: skip


def test_a_report_on_a_very_wide_network_does_not_draw_each_unit(monkeypatch):
    # Drawing took about 5 ms a hidden unit: a 2-100000-1 model file's report, eight minutes.
    import xornet
    from xornet.plotting import _figures
    from xornet.report import build_report

    monkeypatch.setattr(_figures, "NETWORK_UNITS", 8)
    XOR = xornet.xor()
    page = build_report(xornet.init_params(2, 9, rng=0), XOR.X, XOR.y)
    start = page.index('<section id="network">')
    network = page[start : page.index("</section>", start)]
    assert "Not drawn: 9 hidden units" in network
    assert "<img" not in network
    page = build_report(xornet.init_params(2, 8, rng=0), XOR.X, XOR.y)
    start = page.index('<section id="network">')
    assert "<img" in page[start : page.index("</section>", start)]


def test_xornet_plot_of_a_very_wide_model_is_bounded_as_the_report_is(
    tmp_path, monkeypatch, capsys
):
    # `xornet plot MODEL` drew a 2-100000-1 model's boundary on the full grid and its diagram
    # unit by unit: minutes. It follows the report's limits (lowered here) and says so.
    import xornet
    from xornet.cli import main
    from xornet.modelfile import save_model
    from xornet.plotting import _figures

    drawn = []
    real = _figures.plot_boundary

    def plot_boundary(*args, resolution, **kwargs):
        drawn.append(resolution)
        return real(*args, resolution=resolution, **kwargs)

    monkeypatch.setattr(_figures, "plot_boundary", plot_boundary)
    save_model(tmp_path / "post.npz", xornet.init_params(2, 2, rng=0))
    out = tmp_path / "figures"
    assert main(["plot", str(tmp_path / "post.npz"), "--out", str(out)]) == 0
    assert "note" not in capsys.readouterr().out  # an ordinary network: every figure, whole
    assert drawn == [200]
    monkeypatch.setattr(_figures, "NETWORK_UNITS", 8)
    monkeypatch.setattr(_figures, "BOUNDARY_WORK", 20 * 20 * 9)  # a 20 x 20 grid for 9 units
    monkeypatch.setattr(_figures, "GRID_LINES_WORK", 18 * 60 * 9 - 1)
    save_model(tmp_path / "wide.npz", xornet.init_params(2, 9, rng=0))
    out = tmp_path / "wide"
    assert main(["plot", str(tmp_path / "wide.npz"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert drawn == [200, 20]
    assert sorted(p.name for p in out.iterdir()) == ["boundary.png", "hidden.png"]
    assert "note        boundary drawn on a 20 x 20 grid, not 200 x 200" in printed
    assert "note        hidden space without the input plane's grid lines" in printed
    assert "note        network diagram not drawn: 9 hidden units, more than 8" in printed


def _section(page, name):
    start = page.index(f'<section id="{name}">')
    return page[start : page.index("</section>", start)]


def test_a_wide_model_files_report_is_bounded_and_says_what_it_limited(
    tmp_path, monkeypatch, capsys
):
    # A 2-100000-1 model file's report took 87 s, 82 of them the boundary's 200 x 200 grid
    # through every hidden unit, with no word: now each figure's hidden activations are capped.
    import xornet
    import xornet.report
    from xornet import hidden_space
    from xornet.cli import main
    from xornet.modelfile import save_model
    from xornet.plotting import _base
    from xornet.plotting._figures import BOUNDARY_WORK, GRID_LINES_WORK

    width = GRID_LINES_WORK // (2 * hidden_space.GRID_LINES * hidden_space.LINE_POINTS) + 1
    save_model(tmp_path / "wide.npz", xornet.init_params(2, width, rng=0))
    mapped, seen = [], []
    for module, sizes in ((_base, mapped), (hidden_space, seen)):
        real = module.forward
        monkeypatch.setattr(module, "forward", lambda p, X, a="sigmoid", real=real, sizes=sizes:
                            sizes.append(X.shape[0] * p.n_hidden) or real(p, X, a))  # fmt: skip
    out = tmp_path / "wide.html"
    assert main(["report", "--model", str(tmp_path / "wide.npz"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"note        boundary drawn on a 51 x 51 grid, not 200 x 200: {width:,}" in printed
    assert "note        hidden space without the input plane's grid lines" in printed
    page = out.read_text()
    r = 51  # isqrt(BOUNDARY_WORK // width)
    assert sum(mapped) == r * r * width <= BOUNDARY_WORK
    boundary = _section(page, "boundary")
    assert f"Drawn on a {r} × {r} grid, not 200 × 200" in boundary
    assert f"({200 * 200 * width:,} hidden activations, {BOUNDARY_WORK:,} allowed)" in boundary
    assert "<img" in boundary
    assert sum(seen) == 2 * 4 * width  # the four samples only (the points, then their plane)
    hidden = _section(page, "hidden")
    assert f"grid lines are not drawn: mapping them through {width:,} hidden units" in hidden
    assert "<img" in hidden
    assert f"Not drawn: {width:,} hidden units" in _section(page, "network")
    assert "Not measured" in _section(page, "landscape")


def test_the_reports_figure_limits_hold_at_their_edges(monkeypatch):
    import xornet
    from xornet.plotting import _figures
    from xornet.plotting._figures import BOUNDARY_GRID_MIN
    from xornet.report import build_report

    XOR = xornet.xor()
    post = build_report(xornet.init_params(2, 2, rng=0), XOR.X, XOR.y)
    for name in ("boundary", "hidden"):  # 200 x 200 x 2 and 1,080 x 2 are within: no note
        assert _section(post, name).count("<p>") == (name == "hidden")
    monkeypatch.setattr(_figures, "GRID_LINES_WORK", 18 * 60 * 9)
    wide = xornet.init_params(2, 9, rng=0)
    monkeypatch.setattr(_figures, "BOUNDARY_WORK", BOUNDARY_GRID_MIN**2 * 9 - 1)
    page = build_report(wide, XOR.X, XOR.y)
    boundary = _section(page, "boundary")
    assert "Not drawn: the output of 9 hidden units over a 200 × 200 grid" in boundary
    assert "coarser than 16 × 16" in boundary
    assert "<img" not in boundary
    assert "grid lines" not in _section(page, "hidden")  # 9 units: the lines fit exactly
    monkeypatch.setattr(_figures, "BOUNDARY_WORK", BOUNDARY_GRID_MIN**2 * 10)
    page = build_report(xornet.init_params(2, 10, rng=0), XOR.X, XOR.y)
    boundary = _section(page, "boundary")
    assert "Drawn on a 16 × 16 grid, not 200 × 200" in boundary
    assert "<img" in boundary
    assert "grid lines are not drawn: mapping them through 10 hidden units" in _section(
        page, "hidden"
    )


# ----------------------------------------------------------------------------- one-line errors
# One rule for every error xornet quotes. Each case failed in at least one of the four helpers
# it replaced: a blank first line, an OSError's "[Errno 2]" form, a type name counted outside
# the limit, a file name that breaks the line.


def test_an_error_is_its_first_line_that_holds_text():
    from xornet.errors import one_line

    assert one_line(ValueError("\n  first line  \nsecond line")) == "first line"
    assert one_line("text\r\nmore") == "text"  # a message already in words
    assert one_line("") == ""


@pytest.mark.parametrize("error", [ValueError(), ValueError(" \n\t"), RuntimeError("")])
def test_an_empty_message_is_the_exceptions_type_name(error):
    from xornet.errors import one_line

    name = type(error).__name__
    assert one_line(error) == name
    assert one_line(error, with_type=True) == name  # not "ValueError: "


def test_the_type_name_comes_first_when_asked():
    from xornet.errors import one_line

    assert one_line(TypeError("affine() takes 2 arguments")) == "affine() takes 2 arguments"
    error = one_line(TypeError("affine() takes 2 arguments"), with_type=True)
    assert error == "TypeError: affine() takes 2 arguments"


def test_an_oserror_naming_a_file_is_the_file_and_the_reason():
    from xornet.errors import one_line

    missing = FileNotFoundError(2, "No such file or directory", "data.csv")
    assert one_line(missing) == "data.csv: No such file or directory"
    assert one_line(missing, with_type=True) == (
        "FileNotFoundError: data.csv: No such file or directory"
    )
    # a name with a line break is quoted, not cut at the break
    broken = FileNotFoundError(2, "No such file or directory", "a\nb.csv")
    assert one_line(broken) == r"'a\nb.csv': No such file or directory"
    assert one_line(OSError(28, "No space left on device")) == "[Errno 28] No space left on device"


def test_a_long_error_is_cut_to_the_limit_with_dots():
    from xornet.errors import one_line

    assert one_line(ValueError("x" * 120), limit=120) == "x" * 120  # exactly: whole
    assert one_line(ValueError("x" * 121), limit=120) == "x" * 117 + "..."
    assert one_line("y" * 500, limit=300) == "y" * 297 + "..."
    typed = one_line(ValueError("z" * 400), limit=300, with_type=True)  # the name counts
    assert (len(typed), typed[:14], typed[-4:]) == (300, "ValueError: zz", "z...")
    assert one_line(ValueError("abcdef")) == "abcdef"  # no limit: whole


@pytest.mark.parametrize("limit", range(6))
def test_a_cut_is_never_longer_than_its_limit(limit):
    from xornet.errors import one_line

    assert len(one_line(ValueError("abcdefgh"), limit=limit, with_type=True)) == limit


def test_a_learners_error_of_any_length_is_quoted_in_one_short_line():
    from xornet.review._call import ERROR_CHARS, call

    def raises():
        raise ValueError("shapes not aligned " * 100 + "\nand a second line")

    error = call(raises).error
    assert error is not None
    assert len(error) == ERROR_CHARS
    assert error.startswith("ValueError: shapes not aligned shapes")
    assert "\n" not in error


# ----------------------------------------------------------------------------- loss records


def test_a_run_keeping_more_loss_records_than_it_can_hold_is_refused_before_any_step(capsys):
    # --steps 1e10 --record-every 1 kept a record a step until memory ran out; --steps 1e6
    # --record-every 1 --save trained to the end, then could not write its model file.
    from xornet import TrainConfig, Trainer
    from xornet.cli import main
    from xornet.config import MAX_RECORDS

    X, y = np.eye(4, 2), np.array([0.0, 1.0, 1.0, 0.0])
    # A record before each step: MAX_RECORDS steps keep MAX_RECORDS records, which fit (they
    # were counted one more, and refused).
    trainer = Trainer(X, y, TrainConfig(steps=10, record_every=3, tol=None))
    assert len(trainer.run().result().loss_history) == 4  # steps 0, 3, 6, 9
    Trainer(X, y, TrainConfig(steps=MAX_RECORDS, record_every=1))
    Trainer(X, y, TrainConfig(steps=3 * MAX_RECORDS, record_every=3))
    with pytest.raises(XornetError, match="keeps 5,000,001 records, more than the 5,000,000"):
        Trainer(X, y, TrainConfig(steps=MAX_RECORDS + 1, record_every=1))
    # The smallest spacing it suggests fits, and one less does not.
    Trainer(X, y, TrainConfig(steps=10**10, record_every=2000))
    with pytest.raises(XornetError, match="record every 2,000 steps or more"):
        Trainer(X, y, TrainConfig(steps=10**10, record_every=1999))
    assert main(["train", "--steps", "10000000000", "--record-every", "1"]) == 2
    err = capsys.readouterr().err
    assert "--record-every: a run of 10,000,000,000 steps" in err
    assert "record every 2,000 steps or more" in err
    assert len(err.strip().splitlines()) == 1


def test_explain_after_many_steps_is_bounded_by_the_step_limit_alone(capsys, monkeypatch):
    # explain has no --record-every; its steps before the one it shows keep no loss history.
    import xornet.training
    from xornet.cli import main

    built = []

    def trainer(X, y, config, **kwargs):
        built.append(config)
        raise KeyboardInterrupt  # stop before the billion steps: main says "interrupted"

    monkeypatch.setattr(xornet.training, "Trainer", trainer)
    assert main(["explain", "--after", "1000000000", "--seed", "1"]) == 130
    assert "--record-every" not in capsys.readouterr().err
    assert built[0].steps == 10**9
    xornet.config.check_records(built[0])


def test_explain_model_after_too_many_steps_names_after(capsys, tmp_path):
    # A saved run goes on with its own record spacing: --after is what can change.
    from xornet.cli import main

    path = tmp_path / "m.npz"
    assert main(["train", "--steps", "50", "--seed", "1", "--quiet", "--save", str(path)]) == 0
    capsys.readouterr()
    assert main(["explain", "--model", str(path), "--after", "1000000000"]) == 2
    err = capsys.readouterr().err
    assert "--after: 1,000,000,000 more steps would take the model's run past the 5,000,000" in err
    assert len(err.strip().splitlines()) == 1


def test_a_model_files_metadata_keeps_a_long_runs_records_thinned(tmp_path, monkeypatch):
    import xornet._modelfile.schema as schema
    import xornet.modelfile as modelfile
    from xornet.cli import main

    # A metadata record of 20,000 characters holds about 600 records: the run's 3,000 are
    # thinned to 100 in it (the first and the last kept), and its state keeps every one.
    monkeypatch.setattr(schema, "MAX_METADATA_CHARS", 20_000)
    monkeypatch.setattr(modelfile, "MAX_METADATA_CHARS", 20_000)
    monkeypatch.setattr(modelfile, "MAX_HISTORY_POINTS", 100, raising=False)
    path = tmp_path / "long.npz"
    argv = ["train", "--steps", "3000", "--record-every", "1", "--no-tol", "--seed", "1"]
    assert main([*argv, "--engine", "numpy", "--quiet", "--save", str(path)]) == 0
    model = modelfile.load_model(path)
    steps = model.metadata["history_steps"]
    assert len(steps) == len(model.metadata["loss_history"]) == 100
    assert (steps[0], steps[-1]) == (0, 2999)  # a record before each step, the first and last
    assert len(model.state.loss_history) == 3000
    kept = np.asarray(model.state.loss_history)[steps]
    assert np.array_equal(kept, model.metadata["loss_history"])
