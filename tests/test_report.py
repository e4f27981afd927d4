"""The HTML report's landscape section: the numbers of xornet.landscape at the end weights."""

import base64
import html
import io
import re

import numpy as np
import pytest
from PIL import Image

import xornet
import xornet.report
from test_landscape import MINIMA, one_unit_minimum
from xornet.cli import main
from xornet.landscape import classify_point, run_with_path
from xornet.params import Params
from xornet.report import build_report

XOR = xornet.xor()


def section(page):
    """The landscape section's text, table (row name -> cell) and images."""
    start = page.index('<section id="landscape">')
    text = page[start : page.index("</section>", start)]
    rows = dict(re.findall(r'<tr><th>(.*?)</th><td class="num">(.*?)</td></tr>', text))
    images = [Image.open(io.BytesIO(base64.b64decode(b)))
              for b in re.findall(r'src="data:image/png;base64,([^"]+)"', text)]  # fmt: skip
    return text, {html.unescape(k): html.unescape(v) for k, v in rows.items()}, images


def assert_shows(rows, text, point):
    """The section's numbers are ``point``'s, to the digits shown."""
    assert rows["kind"] == point.kind
    for name, value in (("loss", point.loss), ("gradient norm", point.gradient_norm),
                        ("weight norm", point.weight_norm),
                        ("lowest Hessian eigenvalue", point.eigenvalues[0]),
                        ("highest Hessian eigenvalue", point.eigenvalues[-1])):  # fmt: skip
        assert float(rows[name]) == pytest.approx(value, rel=1e-5), name
    counts = next(v for k, v in rows.items() if k.startswith("eigenvalues below"))
    assert counts == f"{point.n_negative}, {point.n_flat}, {point.n_positive}"
    assert html.escape(point.summary) in text


@pytest.fixture(scope="module")
def run():
    """A stalled squared-error run (the post's network, seed 2), its start, end and path."""
    config = xornet.PRESETS["post"].replace(loss="sse", steps=4_000, learning_rate=0.5)
    trainer = xornet.Trainer(XOR.X, XOR.y, config, rng=2)
    start = trainer.params.copy()
    end = trainer.run().params.copy()
    path = run_with_path(xornet.Trainer(XOR.X, XOR.y, config, rng=2))
    return config, start, end, path


def test_the_section_shows_the_end_weights_classification(run):
    config, start, end, path = run
    page = build_report(end, XOR.X, XOR.y, config=config.to_dict(), explain_params=start,
                        path=path)  # fmt: skip
    text, rows, images = section(page)
    point = classify_point(end, XOR.X, XOR.y, "sigmoid", "sse")
    assert_shows(rows, text, point)
    # not the start's numbers, nor the end's under another loss
    for other in (classify_point(start, XOR.X, XOR.y, "sigmoid", "sse"),
                  classify_point(end, XOR.X, XOR.y, "sigmoid", "bce")):  # fmt: skip
        assert other.gradient_norm != pytest.approx(point.gradient_norm, rel=1e-3)
        assert float(rows["gradient norm"]) != pytest.approx(other.gradient_norm, rel=1e-3)
    assert "the path drawn through 65 points" in text
    assert "xornet landscape</code> measures it" in text  # the trend: not measured here
    assert len(images) == 2  # the spectrum, the slice
    for image in images:
        pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
        assert image.size[0] > 400
        assert image.size[1] > 250
        assert len(np.unique(pixels, axis=0)) > 50  # drawn, not blank


def test_without_a_path_the_slice_is_along_the_lowest_eigenvectors(run):
    config, _, end, _ = run
    text, rows, images = section(build_report(end, XOR.X, XOR.y, config=config.to_dict()))
    assert "two lowest-curvature eigenvectors (no training path was given)" in text
    assert "path drawn" not in text
    assert len(images) == 2
    assert_shows(rows, text, classify_point(end, XOR.X, XOR.y, "sigmoid", "sse"))


def test_a_saddle_shows_its_escape():
    # The landscape tests' saddle: a 1-unit minimum split into two identical hidden units.
    p1, X, y = one_unit_minimum("sigmoid", "sse", MINIMA["sigmoid", "sse"])
    twin = Params(np.repeat(p1.W1, 2, axis=1), np.repeat(p1.b1, 2),
                  np.repeat(p1.W2, 2, axis=0) / 2, p1.b2.copy())  # fmt: skip
    point = classify_point(twin, X, y, "sigmoid", "sse")
    assert point.kind == "saddle"
    text, rows, _ = section(build_report(twin, X, y, config={"loss": "sse"}))
    assert_shows(rows, text, point)
    assert rows["escape"] == (f"the loss falls by {point.escape.fall:.6g} within "
                              f"{point.escape.at:.6g} along the lowest eigenvector")  # fmt: skip


def test_a_network_too_large_for_the_hessian_is_not_measured(monkeypatch):
    monkeypatch.setattr(xornet.report, "LANDSCAPE_WORK", 100)
    text, rows, images = section(build_report(xornet.init_params(2, 2, rng=0), XOR.X, XOR.y))
    assert "Not measured: the exact Hessian of 9 parameters over 4 samples" in text
    assert rows == {}
    assert images == []


def test_the_command_reports_the_trained_run_and_the_saved_model(tmp_path, capsys):
    flags = ["--hidden", "2", "--loss", "sse", "--lr", "0.5", "--steps", "3000"]
    out = tmp_path / "r.html"
    assert main(["report", *flags, "--seed", "5", "--out", str(out)]) == 0
    config = xornet.TrainConfig(hidden=2, loss="sse", learning_rate=0.5, steps=3_000)
    end = xornet.train(XOR.X, XOR.y, config, rng=5).params
    text, rows, _ = section(out.read_text())
    assert_shows(rows, text, classify_point(end, XOR.X, XOR.y, "sigmoid", "sse"))
    assert "the path drawn through 65 points" in text
    model = tmp_path / "m.npz"
    assert main(["train", *flags, "--seed", "5", "--save", str(model), "--quiet"]) == 0
    assert main(["report", "--model", str(model), "--out", str(tmp_path / "m.html")]) == 0
    text, rows, _ = section((tmp_path / "m.html").read_text())
    assert_shows(rows, text, classify_point(end, XOR.X, XOR.y, "sigmoid", "sse"))
    assert "no training path was given" in text
    capsys.readouterr()


@pytest.mark.parametrize("optimizer", ["gd", "momentum"])
def test_a_saved_models_report_explains_the_models_own_next_step(tmp_path, capsys, optimizer):
    # It explained a step of plain gradient descent at 0.01 "after 0 steps", whatever the
    # model's optimizer, learning rate and steps: now the step explain --model shows.
    model = tmp_path / "m.npz"
    flags = ["--hidden", "3", "--lr", "1.0", "--steps", "50", "--seed", "1",
             "--optimizer", optimizer]  # fmt: skip
    assert main(["train", *flags, "--save", str(model), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["explain", "--model", str(model)]) == 0
    explained = capsys.readouterr().out
    out = tmp_path / "m.html"
    assert main(["report", "--model", str(model), "--out", str(out)]) == 0
    page = out.read_text()
    start = page.index('<section id="explain">')
    shown = html.unescape(re.search(r"<pre>(.*?)</pre>", page[start:], re.S).group(1))
    assert "Every number of the next training step" in page[start:]
    assert "after 50 steps" in shown
    assert shown == explained
    assert "<th>batch_size</th><td>full batch</td>" in page  # not "None"
    assert "classifies every sample right only when" in page  # no claim the run did
