"""What a notebook shows: each result's HTML parses, holds the numbers it shows, escapes text,
and the plain repr stays one short line."""

import re
from html.parser import HTMLParser

import numpy as np
import pytest

import xornet
from xornet import _html
from xornet.explain import explain_step, render
from xornet.review import Finding, Review
from xornet.sweep import SweepTable, sweep

VOID = {"br", "input", "img", "meta", "hr", "col", "wbr", "path", "polyline"}


class Tree(HTMLParser):
    """Checks that every element is closed in order; collects the text and the tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.open, f"</{tag}> closes nothing"
        assert self.open.pop() == tag, f"</{tag}> closes another element"

    def handle_data(self, data):
        if self.open and self.open[-1] == "style":
            return
        self.text.append(data)


def parse(markup: str) -> Tree:
    tree = Tree()
    tree.feed(markup)
    tree.close()
    assert tree.open == [], f"unclosed elements: {tree.open}"
    return tree


def text_of(markup: str) -> str:
    return " ".join(" ".join(parse(markup).text).split())


@pytest.fixture(scope="module")
def xor():
    return xornet.xor()


@pytest.fixture(scope="module")
def result(xor):
    return xornet.train(xor.X, xor.y, rng=0, engine="numpy")


def test_a_result_shows_its_truth_table_numbers_and_verdict(result, xor):
    markup = result._repr_html_()
    text = text_of(markup)
    for p in result.probabilities:
        assert f"{p:.4f}" in text
    assert f"{result.final_loss:.6g}" in text
    assert f"{result.steps:,}" in text
    assert result.outcome.summary in text
    assert text.count(" ok") == 4
    assert "WRONG" not in text
    cells = [t for t in parse(markup).tags if t[0] == "tr"]
    assert len(cells) >= 1 + len(xor.y)
    assert repr(result).startswith("TrainResult(")
    assert len(repr(result)) < 150


def test_a_wrong_row_is_marked_and_the_loss_curve_drawn(xor):
    stuck = xornet.train(xor.X, xor.y, xornet.PRESETS["post"].replace(steps=3000), rng=0,
                         engine="numpy")  # fmt: skip
    markup = stuck._repr_html_()
    wrong = np.sum((stuck.probabilities > 0.5) != xor.y)
    assert wrong > 0
    assert text_of(markup).count("WRONG") == wrong
    tags = parse(markup).tags
    (line,) = [attrs for tag, attrs in tags if tag == "polyline"]
    points = line["points"].split()
    assert len(points) == stuck.loss_history.size + 1  # the records and the final loss


def test_the_loss_curve_falls_where_the_loss_falls():
    svg = _html.loss_svg(np.array([0, 1, 2]), np.array([1.0, 0.1, 0.01]), width=200, height=100)
    (points,) = re.findall(r'points="([^"]+)"', svg)
    ys = [float(p.split(",")[1]) for p in points.split()]
    assert ys[0] < ys[1] < ys[2]  # SVG's y grows downwards: a falling loss goes down
    assert ys[1] == pytest.approx((ys[0] + ys[2]) / 2)  # a log axis: one decade each
    assert _html.loss_svg(np.array([0]), np.array([1.0])) == ""
    assert _html.loss_svg(np.array([0, 1]), np.array([np.nan, 0.0])) == ""


def test_a_result_without_its_data_shows_no_table(result):
    from dataclasses import replace

    markup = replace(result, X=None, y=None)._repr_html_()
    assert "target" not in text_of(markup)
    assert result.outcome.summary in text_of(markup)


def test_train_many_shows_counts_and_networks_and_a_frame(xor):
    config = xornet.PRESETS["post"].replace(steps=4000)
    many = xornet.train_many(xor.X, xor.y, config, seeds=20, engine="numpy")
    text = text_of(many._repr_html_())
    for kind in set(many.outcome):
        count = int(np.sum(many.outcome == kind))
        assert f"{kind} {count}" in text
    for i in range(_html.MAX_ROWS):
        assert f"{many.final_loss[i]:.6g}" in text
    assert "4 more networks" in text
    frame = many.to_frame()
    assert list(frame["seed"]) == list(range(20))
    np.testing.assert_array_equal(frame["final_loss"], many.final_loss)
    assert list(frame["outcome"]) == list(many.outcome)
    assert len(repr(many)) < 100


def test_a_sweep_is_a_table_and_a_frame(xor):
    table = sweep(xor.X, xor.y, xornet.PRESETS["post"].replace(steps=3000),
                  {"hidden": [2, 3], "learning_rate": [0.5, 1.0]}, range(8))  # fmt: skip
    assert isinstance(table, SweepTable)
    assert isinstance(table, list)
    assert len(table) == 4
    markup = table._repr_html_()
    rows = [t for t in parse(markup).tags if t[0] == "tr"]
    assert len(rows) == 1 + 4
    text = text_of(markup)
    for row in table:
        assert f"{row.success_rate:.1%} {row.ci_low:.1%}-{row.ci_high:.1%}" in text
    assert len([t for t in parse(table[0]._repr_html_()).tags if t[0] == "tr"]) == 2
    frame = table.to_frame()
    assert list(frame.columns[:2]) == ["hidden", "learning_rate"]
    assert list(frame["solved"]) == [row.solved for row in table]


def test_an_explanation_shows_every_array_in_both_languages(result, xor):
    e = explain_step(result.params, xor.X, xor.y, learning_rate=0.5)
    markup = e._repr_html_()
    text = text_of(markup)
    for key in ("dZ2 = (P - y) / n", "dW1 = X.T @ dZ1", "db1 = sum(dZ1)", "W <- W - 0.5 * dW"):
        assert key in text
    assert "시그모이드와 교차 엔트로피가 상쇄되어 P - y 가 된다" in text  # Korean, hidden by CSS
    assert "sigmoid and cross-entropy cancel to P - y" in text
    # The numbers are the terminal's (the same rounding): every array printed by render.
    for q in e.quantities:
        if np.ndim(q.value) == 2 and q.value.shape[0] == 1:
            shown = np.array2string(q.value, precision=4, suppress_small=True)
            assert " ".join(shown.split()) in text
    assert f"{float(e['loss']):.6f}" in text
    assert f"{float(e['loss_new']):.6f}" in text
    radios = [a for tag, a in parse(markup).tags if tag == "input"]
    assert [r["type"] for r in radios] == ["radio", "radio"]
    assert radios[0]["name"] == radios[1]["name"]
    assert "checked" in radios[0]  # English first
    assert e._repr_html_() != markup  # a second output gets its own switch
    assert len(repr(e)) < 100
    assert render(e)  # the terminal's rendering is unchanged by the notebook's


def test_an_explanation_of_a_softmax_shortcut_network_uses_its_words():
    data = xornet.make_dataset("spiral3", n_samples=30, noise=0.0, rng=0)
    params = xornet.init_params(2, 3, rng=0, n_classes=3, shortcut=True)
    text = text_of(explain_step(params, data.X, data.y)._repr_html_())
    assert "dZ2 = (P - onehot(y)) / n" in text
    assert "Z2 = H @ W2 + b2 + X @ W3" in text
    assert "dW3 = X.T @ dZ2" in text


def test_negative_zero_shows_without_a_sign():
    assert _html._array_text(np.array([-0.0, -1e-9, 0.5])) == "[0.  0.  0.5]"


def test_a_model_shows_its_arrays_and_escapes_its_metadata(result, tmp_path):
    path = tmp_path / "m.npz"
    xornet.save_model(path, result.params, "sigmoid", {"note": "<script>alert(1)</script>"})
    model = xornet.load_model(path)
    markup = model._repr_html_()
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    text = text_of(markup)
    assert f"{result.params.b2[0]:.4f}" in text
    assert "2-8-1 network" in text
    assert repr(model) == "Model(Params(n_inputs=2, n_hidden=8), activation='sigmoid')"


def test_a_review_renders_and_escapes():
    finding = Finding("affine", "fail", "affine.shape", {"en": "<b>bad</b>", "ko": "나쁨"})
    review = Review("<x>.py", "ok", {"load": "pass", "affine": "fail"}, [finding])
    markup = review._repr_html_()
    parse(markup)
    assert "<b>bad</b>" not in markup
    assert "&lt;b&gt;bad&lt;/b&gt;" in markup


def test_frame_says_how_to_get_pandas(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        _html.frame([{"a": 1}])
