"""xornet.review: learners' implementations of the post, each reviewed and each finding checked.

The submissions in tests/submissions are learners' code written for these tests: the post's
own code, one file per catalogue mistake (the post's code with that mistake made), several
wrong in ways the catalogue does not know, and some that hang, eat memory, crash or exit.
Most are reviewed in this process (review_submission: trusted files, fast); the isolation is
tested through the separate process (review_file, review_folder).
"""

import csv
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import post_oracle as oracle
from xornet import tutorial
from xornet.errors import XornetError
from xornet.explain import explain_step
from xornet.params import Params, post_initial_params
from xornet.review import (
    CHECKS,
    Review,
    check,
    render_post,
    review_file,
    review_folder,
    write_csv,
    write_html,
)
from xornet.review._cases import network_cases, relation, same
from xornet.review._layer_mistakes import post_loop
from xornet.review._load import read_submission, statements_to_run
from xornet.review.catalogue import BACKWARD, STEPS, all_mistakes, backward, matching
from xornet.review.checks import review_submission
from xornet.review.post_layout import post_arrays
from xornet.review.render import render_text, to_json

SUBMISSIONS = Path(__file__).parent / "submissions"


def review(name):
    """Review a submission of tests/submissions in this process (trusted code)."""
    return review_submission(read_submission(SUBMISSIONS / name))


def codes(r, check=None, level=None):
    return [
        f.code
        for f in r.findings
        if (check is None or f.check == check) and (level is None or f.level == level)
    ]


def only(r, check, code):
    found = [f for f in r.findings if f.check == check and f.code == code]
    assert len(found) == 1, [(f.check, f.code) for f in r.findings]
    return found[0]


# ----------------------------------------------------------------------------- post layout


@pytest.mark.parametrize("seed", [0, 3, 5])
def test_post_layout_arrays_are_the_posts_own(seed):
    params = oracle.initial_params(seed)
    W1, B1, W2, B2 = params
    arrays = post_arrays(explain_step(Params(W1, B1[:, 0], W2, B2[:, 0]), tutorial.X.T,
                                      tutorial.Y[0]))  # fmt: skip
    Z1, H, Z2, YHat, loss = oracle.forward_loss(tutorial.X, tutorial.Y, params)
    (dW1, dB1, dW2, dB2), _ = oracle.get_gradients(tutorial.X, tutorial.Y, params)
    expected = {"X": tutorial.X, "Y": tutorial.Y, "B1": B1, "Z1": Z1, "H": H, "Z2": Z2,
                "YHat": YHat, "loss": loss, "dLdW1": dW1, "dLdB1": dB1, "dLdW2": dW2,
                "dLdB2": dB2}  # fmt: skip
    for name, value in expected.items():
        assert arrays[name].shape == np.shape(value), name
        np.testing.assert_allclose(arrays[name], value, rtol=1e-12, atol=1e-15, err_msg=name)
    assert arrays["dLdZ2"].shape == (1, 4)
    assert arrays["dLdZ1"].shape == arrays["dLdH"].shape == (2, 4)


def test_render_post_writes_the_posts_lines():
    params = post_initial_params(3)
    explanation = explain_step(params, tutorial.X.T, tutorial.Y[0])
    text = render_post(explanation)
    for line in ("1) Z1 = affine(W1, X, B1) = W1.T @ X + B1  [shape (2, 4)]",
                 "1) dLdZ2 = (1/m) * (YHat - Y)  [shape (1, 4)]",
                 "7) dLdB1 = np.sum(dLdZ1, axis=1, keepdims=True)  [shape (2, 1)]",
                 "params[i] += -0.01 * dparams[i]"):  # fmt: skip
        assert line in text
    assert "dB2" in text  # the note on the post's step 7 comment
    korean = render_post(explanation, lang="ko")
    assert "글의 배치" in korean
    assert "모양 (2, 4)" in korean


def test_post_layout_refuses_what_the_post_does_not_have():
    params = post_initial_params(3, n_classes=3)
    X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    with pytest.raises(XornetError, match="post's network"):
        post_arrays(explain_step(params, X, np.array([0.0, 1.0, 2.0])))
    with pytest.raises(XornetError, match="post's network"):
        post_arrays(explain_step(post_initial_params(3), tutorial.X.T, tutorial.Y[0], kind="sse"))
    with pytest.raises(XornetError, match="lang"):
        render_post(explain_step(post_initial_params(3), tutorial.X.T, tutorial.Y[0]), lang="fr")


# ----------------------------------------------------------------------------- the catalogue


@pytest.mark.parametrize("case", network_cases(), ids=["post", "random3x5", "random5x3"])
def test_the_catalogues_seven_steps_unchanged_are_xornets_gradients(case):
    ours = backward(case)
    for name in STEPS:
        if name in ours:
            np.testing.assert_allclose(ours[name], case.ref[name], rtol=1e-12, atol=1e-15)


def test_post_loop_is_xornets_optimize():
    start = oracle.initial_params(3)
    params, trace = post_loop(tutorial.get_gradients, tutorial.X, tutorial.Y, start, 0.5, 300)
    expected, expected_trace, _ = tutorial.optimize(tutorial.X, tutorial.Y, start, 0.5, 300)
    for a, b in zip(params, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(trace, expected_trace, rtol=1e-12)


def test_every_backward_mistake_is_wrong_on_every_case_and_unlike_the_others():
    cases = network_cases()
    produced = {m.key: [m.produce(c) for c in cases] for m in BACKWARD}
    for key, outputs in produced.items():
        for case, output in zip(cases, outputs, strict=True):
            assert not all(same(output[k], case.ref[k]) for k in output), key
    for a in BACKWARD:  # no two mistakes can be told apart only by luck
        found = matching(BACKWARD, cases, produced[a.key])
        assert [m.key for m in found] == [a.key]


def test_matching_needs_every_case_and_rejects_the_right_answer():
    cases = network_cases()
    right = [dict(backward(c)) for c in cases]
    assert matching(BACKWARD, cases, right) == []
    no_mean = next(m for m in BACKWARD if m.key == "no_mean")
    partly = [no_mean.produce(cases[0]), right[1], None]
    assert matching([no_mean], cases, partly) == []
    assert matching([no_mean], cases, [no_mean.produce(cases[0]), None, None]) == [no_mean]


@pytest.mark.parametrize("mistake", all_mistakes(), ids=lambda m: m.key)
def test_each_mistake_is_named_at_its_step(mistake):
    r = review(f"mistakes/{mistake.key}.py")
    found = [f for f in r.findings if f.code == "mistake"]
    assert found, r.render()
    first = found[0]
    assert (first.check, first.data["mistake"], first.step) == (
        mistake.function,
        mistake.key,
        mistake.step,
    )
    assert r.checks[mistake.function] == "fail"
    assert mistake.what["en"] in first.text["en"]
    assert mistake.what["ko"] in first.text["ko"]
    assert first.fix == mistake.fix
    assert first.shown  # the expected and actual numbers
    assert r.exit_code == 1


def test_the_step_of_a_gradient_mistake_is_the_posts_step():
    r = review("mistakes/no_mean.py")
    finding = only(r, "get_gradients", "mistake")
    assert finding.step == "backward 1) dLdZ2 = (1/m) * (YHat - Y)"
    assert finding.explain == "xornet explain --preset post --seed 3 --layout post"
    shown = {s.name: s for s in finding.shown}
    np.testing.assert_allclose(
        np.array(shown["dLdW2"].actual), 4 * np.array(shown["dLdW2"].expected)
    )


# ----------------------------------------------------------------------------- right code


def test_the_posts_code_passes_with_its_warnings_and_the_step_7_note():
    r = review("post.py")
    assert r.passed
    assert r.exit_code == 0
    assert r.status == "ok"
    assert r.checks == {**dict.fromkeys(CHECKS, "pass"), "full": "skip"}
    assert codes(r, level="warn") == ["sigmoid.overflow", "bce.log0"]
    assert codes(r, level="fail") == []
    note = only(r, "get_gradients", "gradients.comment")
    line = next(i for i, text in enumerate((SUBMISSIONS / "post.py").read_text().splitlines(), 1)
                if text.strip().startswith("dLdB1 ="))  # fmt: skip
    assert note.text["en"].startswith(f"line {line}: ")
    assert "dB2" in note.text["en"]
    assert "dLdB1" in note.text["en"]
    assert "init.post" in codes(r, "init_parameters")
    assert "stable" not in r.render() or "np.exp(-np.abs(z))" in r.render()
    assert "np.logaddexp(0, Z2) - Y * Z2" in only(r, "binary_cross_entropy", "bce.log0").fix["en"]


def test_a_right_implementation_in_another_style_passes_without_warnings():
    r = review("correct_variant.py")
    assert r.passed
    assert codes(r, level="warn") == []
    assert "step 1000: loss" in r.output  # what it printed is kept


def test_a_notebook_is_reviewed_cell_by_cell():
    r = review("notebook.ipynb")
    assert r.passed
    magic = only(r, "load", "load.magic").text["en"]
    assert "cell 1: !pip install numpy" in magic
    assert "%%time" in magic
    note = only(r, "get_gradients", "gradients.comment")
    assert note.text["en"].startswith("cell ")
    assert ", line " in note.text["en"]
    assert note.text["ko"].startswith("셀 ")


# ----------------------------------------------------------------------------- wrong code


def test_a_gradient_matching_no_mistake_is_located_and_checked_against_its_own_loss():
    r = review("unmatched/weight_decay.py")
    assert "mistake" not in codes(r)
    assert only(r, "get_gradients", "wrong").text["en"].startswith("dLdW1 is wrong")
    located = only(r, "get_gradients", "gradients.located")
    assert located.data == {"wrong": ["dLdW1"], "first_step": "dLdW1"}
    assert located.step.startswith("backward 6)")
    assert "dLdW1" in only(r, "get_gradients", "gradients.not_derivative").text["en"]
    assert r.checks["forward_loss"] == "pass"


def test_an_error_in_the_hidden_layer_is_located_at_steps_4_to_5():
    r = review("unmatched/hidden_mean_twice.py")
    located = only(r, "get_gradients", "gradients.located")
    assert located.data["first_step"] == "dLdZ1"
    assert "steps 4-5" in located.text["en"]
    assert "4-5단계" in located.text["ko"]
    assert "0.25 times the right values" in located.text["en"]
    # optimize is right around the learner's own gradients: not failed for their mistake
    assert r.checks["optimize"] == "pass"
    assert "optimize.learner_gradients" in codes(r, "optimize")


def test_a_backward_pass_consistent_with_a_wrong_forward_pass_is_told_so():
    r = review("unmatched/tanh_network.py")
    wrong = only(r, "forward_loss", "wrong")
    assert wrong.text["en"].startswith("H is wrong")
    assert "gradients.consistent" in codes(r, "get_gradients")
    assert "gradients.not_derivative" not in codes(r)


def test_code_right_only_on_the_posts_sizes_is_told_so():
    r = review("unmatched/hardcoded_m.py")
    finding = only(r, "get_gradients", "only_post")
    assert "fixed sizes" in finding.text["en"]
    assert "1.25 times" in finding.text["en"]


def test_two_mistakes_at_once_are_both_named():
    finding = only(review("unmatched/two_mistakes.py"), "get_gradients", "mistake")
    assert finding.data["mistake"] == "no_mean+dW1_transposed"
    assert "1/m" in finding.text["en"]
    assert "transposed" in finding.text["en"]


@pytest.mark.parametrize(("name", "check_", "code", "words"), [
    ("other/flat_gradients.py", "get_gradients", "returns", "a tuple of 5 values"),
    ("other/backprop_order.py", "get_gradients", "order", "dLdW2, dLdB2, dLdW1, dLdB1"),
    ("other/missing_function.py", "get_gradients", "missing", "(get_gradient?)"),
    ("other/modifies_input.py", "optimize", "optimize.modifies_input", "in place"),
    ("other/trace_every_step.py", "optimize", "optimize.trace_spacing", "every 1 step(s) from"),
    ("other/trace_after_update.py", "optimize", "optimize.trace_spacing", "step(s) from step 1"),
])  # fmt: skip
def test_other_problems_are_named(name, check_, code, words):
    r = review(name)
    assert words in only(r, check_, code).text["en"]
    assert r.checks[check_] == "fail"


def test_a_syntax_error_fails_load_and_runs_nothing_else(tmp_path):
    """Nothing is defined, so no other check runs, and none is said to fail (each said FAIL:
    a verdict on a sigmoid that was never checked)."""
    path = tmp_path / "broken.py"
    path.write_text("import numpy as np\n\ndef affine(W, X, B):\n    return np.dot(W.T, X + B\n")
    r = review_submission(read_submission(path))
    finding = only(r, "load", "load.syntax")
    assert "line 4" in finding.text["en"]
    assert "never closed" in finding.text["en"]
    assert r.checks == {"load": "fail", **dict.fromkeys(CHECKS[1:], "skip")}
    assert r.exit_code == 1
    text = render_text(r)
    assert "  affine                -  not run (the file does not parse)\n" in text
    assert "0 of 1 checks pass." in text
    assert "실행하지 않음 (파일에 문법 오류가 있다)" in render_text(r, lang="ko")


def test_top_level_code_runs_definitions_only(tmp_path):
    path = tmp_path / "script.py"
    path.write_text(
        "import numpy as np\nimport no_such_module_for_the_review\n"
        "X = np.zeros((2, 4))\nW = X.sum()\n"
        "def affine(W, X, B):\n    return np.dot(W.T, X) + B\n"
        "params = affine(np.eye(2), X, 0)\nprint('training')\nfor i in range(3):\n    pass\n"
        "if __name__ == '__main__':\n    raise SystemExit(affine(1, 2, 3))\n"
        "Z = 1 / 0\n"
    )
    submission = read_submission(path)
    import ast

    _, skipped = statements_to_run(ast.parse(submission.source))
    assert skipped == [7, 8, 9, 11]
    r = review_submission(submission)
    assert only(r, "load", "load.module").level == "warn"
    assert "ZeroDivisionError" in only(r, "load", "load.error").text["en"]
    assert r.checks["affine"] == "pass"
    assert r.checks["load"] == "fail"
    assert "training" not in r.output


@pytest.mark.parametrize(("name", "content", "message"), [
    ("notes.txt", b"x", "not a .py file"),
    ("bad.py", b"\xff\xfe\x00x", "not UTF-8"),
    ("bad.ipynb", b"{not json", "invalid JSON"),
    ("bad.ipynb", b'{"cells": 3}', "no list of cells"),
    ("huge.py", b"#" * 1_000_001, "more than"),
])  # fmt: skip
def test_unreadable_submissions_are_refused_in_one_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(XornetError, match=message):
        read_submission(path)
    r = review_file(path)
    assert (r.status, r.exit_code, r.checks) == ("unreadable", 2, {"load": "fail"})
    assert message in r.findings[0].text["en"]
    assert "\n" not in r.findings[0].text["en"]


def test_relation_describes_a_wrong_array():
    a = np.arange(1.0, 7.0).reshape(2, 3)
    assert relation(a.T, a)["en"] == "the transpose: shape (3, 2) instead of (2, 3)"
    assert relation(4 * a, a)["en"] == "4 times the right values"
    assert relation(-a, a)["en"] == "the right values with the sign flipped"
    assert relation(a[0], a)["en"] == "shape (3,) instead of (2, 3)"
    thirds = a / 3
    assert relation(thirds.astype(np.float32), thirds)["en"].startswith("right to about 6 digits")
    assert relation(a + 0.5, a)["en"] == "off by up to 0.5"


# ----------------------------------------------------------------------------- in a notebook


def _namespace(name):
    namespace = {"__name__": "__main__"}
    source = (SUBMISSIONS / name).read_text().split("np.random.seed(3)\n")[0]
    exec(compile(source, str(SUBMISSIONS / name), "exec"), namespace)
    return namespace


def test_check_reviews_a_running_notebooks_functions_and_leaves_its_random_state():
    namespace = _namespace("post.py")
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    r = check(namespace)
    assert np.random.random() == before
    assert r.passed
    assert r.source == "<namespace>"
    assert "gradients.comment" in codes(r)
    html = r._repr_html_()
    assert "<table>" in html
    assert "get_gradients" in html
    assert r.findings[0]._repr_html_().startswith('<div class="finding"')


def test_wrong_signatures_and_defaults_are_named():
    namespace = _namespace("post.py")
    optimize = namespace["optimize"]
    namespace["affine"] = lambda W, X: W.T @ X
    namespace["optimize"] = lambda X, Y, p, learning_rate=0.1, iteration=1000: optimize(
        X, Y, p, learning_rate, iteration
    )
    del namespace["sigmoid"]
    r = check(namespace)
    assert "(W, X, B)" in only(r, "affine", "signature").text["en"]
    defaults = [f.text["en"] for f in r.findings if f.code == "default"]
    assert defaults == [
        "The default of learning_rate is 0.1; the post's is 0.01.",
        "The default of iteration is 1000; the post's is 200000.",
    ]
    assert {f.level for f in r.findings if f.code == "default"} == {"warn"}
    assert only(r, "sigmoid", "missing").level == "fail"
    raised = only(r, "forward_loss", "raises").text["en"]  # it calls the two-argument affine
    assert "TypeError" in raised
    assert "Z1 = affine(W1, X, B1)" in raised


def test_check_names_a_mistake_and_escapes_html():
    namespace = _namespace("mistakes/dW1_transposed.py")
    affine = namespace["affine"]

    def noisy_affine(W, X, B):
        print("<script>alert(1)</script>")
        return affine(W, X, B)

    namespace["affine"] = noisy_affine
    r = check(namespace)
    assert only(r, "get_gradients", "mistake").data["mistake"] == "dW1_transposed"
    assert "<script>" in r.output
    assert "<script>" not in r._repr_html_()
    assert "&lt;script&gt;" in r._repr_html_()


# ----------------------------------------------------------------------------- words and JSON


def test_korean_review():
    r = review("mistakes/dB1_no_keepdims.py")
    text = r.render("ko")
    assert "xornet 리뷰" in text
    assert "실패" in text
    assert "통과" in text
    assert "dLdB1을 keepdims=True 없이 합했다" in text
    assert "고치는 법" in text
    assert "기대값" in text
    with pytest.raises(XornetError, match="lang"):
        r.render("fr")
    # A finding's head names the post's step, not in parentheses: the step's own ')' (its
    # number's) read as closing them, "(step backward 1) dLdZ2 = (1/m) * (YHat - Y))".
    for lang in ("en", "ko"):
        heads = [line for line in r.render(lang).splitlines()
                 if line.startswith("[") and "backward" in line]  # fmt: skip
        assert heads, lang
        for head in heads:
            assert not re.search(r"\((step|단계) ", head), head


def test_json_schema_and_round_trip():
    r = review("mistakes/ascent.py")
    record = json.loads(to_json(r, lang="ko"))
    assert set(record) == {"schema", "source", "status", "passed", "exit_code", "checks",
                           "findings", "seconds", "output", "summary"}  # fmt: skip
    assert record["schema"] == "xornet.review/1"
    assert (record["passed"], record["exit_code"], record["status"]) == (False, 1, "ok")
    assert list(record["checks"]) == list(CHECKS)
    for finding in record["findings"]:
        assert set(finding) == {"check", "level", "code", "text", "fix", "step", "shown",
                                "explain", "data"}  # fmt: skip
        assert set(finding["text"]) == {"en", "ko"}
        assert finding["level"] in ("fail", "warn", "note")
        for shown in finding["shown"]:
            assert set(shown) == {"name", "expected", "actual", "expected_shape", "actual_shape"}
    assert record["summary"].startswith("7/8 통과; optimize:")
    again = Review.from_dict(json.loads(json.dumps(r.to_dict())))
    assert again.to_dict() == r.to_dict()


# ----------------------------------------------------------------------------- isolation


def test_a_folder_with_misbehaving_submissions_is_reviewed_to_the_end(tmp_path):
    timeout = 10
    folder = tmp_path / "class"
    (folder / "alice").mkdir(parents=True)
    shutil.copy(SUBMISSIONS / "post.py", folder / "alice" / "xor.py")
    shutil.copy(SUBMISSIONS / "notebook.ipynb", folder / "bob.ipynb")
    for name in ("hangs", "stubborn", "memory", "crashes", "exits", "os_exit"):
        shutil.copy(SUBMISSIONS / "behaviour" / f"{name}.py", folder / f"{name}.py")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "bob-checkpoint.ipynb").write_text("{}")
    seen = []
    # The limit is generous for the good submissions on a loaded machine (4 s was once too
    # little for the post's own code); the hanging ones meet it whatever it is.
    reviews = review_folder(folder, jobs=2, timeout=timeout, memory_mb=200,
                            progress=lambda done, total, r: seen.append((done, total)))  # fmt: skip
    by_name = {r.source: r for r in reviews}
    assert list(by_name) == ["alice/xor.py", "bob.ipynb", "crashes.py", "exits.py", "hangs.py",
                             "memory.py", "os_exit.py", "stubborn.py"]  # fmt: skip
    assert sorted(seen) == [(i, 8) for i in range(1, 9)]
    assert by_name["alice/xor.py"].passed
    assert by_name["bob.ipynb"].passed
    expected = {"hangs.py": ("hangs", "optimize", "timeout"),
                "stubborn.py": ("hangs", "optimize", "timeout"),
                "memory.py": ("memory", "optimize", "memory"),
                "crashes.py": ("crashes", "forward_loss", "crashed"),
                "exits.py": ("exits", "get_gradients", "exits"),
                "os_exit.py": ("exits", "optimize", "exited")}  # fmt: skip
    for name, (status, check_, code) in expected.items():
        r = by_name[name]
        assert r.status == status, (name, r.render())
        assert code in codes(r, check_, "fail"), (name, r.render())
        assert r.checks["init_parameters"] == r.checks["affine"] == "pass", name  # found before
        assert r.exit_code == 1
    assert "SIGSEGV" in only(by_name["crashes.py"], "forward_loss", "crashed").text["en"]
    assert by_name["exits.py"].checks["optimize"] == "pass"  # the review went on
    assert by_name["stubborn.py"].seconds < timeout + 4  # killed, though it ignores SIGTERM

    write_csv(reviews, tmp_path / "grades.csv")
    with (tmp_path / "grades.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["file"] for r in rows] == list(by_name)
    assert list(rows[0]) == ["file", "status", "passed", "score", *CHECKS[:-1], "warnings",
                             "seconds", "summary"]  # fmt: skip
    assert (rows[0]["passed"], rows[0]["score"], rows[0]["get_gradients"]) == ("yes", "8/8", "pass")
    assert rows[4]["status"] == "hangs"
    assert rows[4]["optimize"] == "fail"
    pages = write_html(reviews, tmp_path / "grades.html")
    summary = (tmp_path / "grades.html").read_text(encoding="utf-8")
    assert summary.count('<a href="grades_reviews/') == 8
    assert len(list(pages.glob("*.html"))) == 8


def _alive(pid):
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def _workers(wait=3.0):
    """The review processes still running after up to ``wait`` seconds (Linux)."""
    import time

    deadline = time.monotonic() + wait
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                cmdline = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
            except OSError:
                continue
            if b"xornet.review._worker" in cmdline and _alive(entry.name):
                found.append(int(entry.name))
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_an_interrupted_folder_review_stops_every_review_it_started(tmp_path):
    shutil.copy(SUBMISSIONS / "post.py", tmp_path / "a.py")
    shutil.copy(SUBMISSIONS / "behaviour" / "stubborn.py", tmp_path / "b.py")

    def interrupt(done, total, review):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        review_folder(tmp_path, jobs=2, timeout=60, progress=interrupt)
    assert _workers() == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_processes_a_submission_starts_do_not_outlive_its_review(tmp_path):
    pid_file = tmp_path / "pid"
    path = tmp_path / "spawns.py"
    path.write_text(
        "import subprocess, sys\n"
        f"_child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"_ = open({str(pid_file)!r}, 'w').write(str(_child.pid))\n"
    )
    r = review_file(path, timeout=20)
    assert r.checks["load"] == "pass"
    import time

    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 3.0
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_batch_input_errors(tmp_path):
    with pytest.raises(XornetError, match="no such folder"):
        review_folder(tmp_path / "nowhere")
    with pytest.raises(XornetError, match=r"no \.py or \.ipynb files"):
        review_folder(tmp_path)
    (tmp_path / "post.py").write_text((SUBMISSIONS / "post.py").read_text())
    with pytest.raises(XornetError, match="jobs must be at least 1, got 0"):
        review_folder(tmp_path, jobs=0)
    with pytest.raises(XornetError, match="time limit"):
        review_file(SUBMISSIONS / "post.py", timeout=0)


@pytest.mark.parametrize(("limits", "message"), [
    ({"timeout": 1e12}, "time limit: .* at most 86,400"),  # a timer the worker cannot set
    ({"memory_mb": 10**14}, "memory limit: .* from 1 to 1,048,576"),  # beyond a C long
    ({"memory_mb": 0}, "memory limit"),
])  # fmt: skip
def test_limits_the_system_cannot_set_are_refused_before_any_review(tmp_path, limits, message):
    # They used to reach the worker, whose timer or rlimit overflowed: the learner's review
    # failed ("the process running the code died"), blaming the code for the reviewer's request.
    (tmp_path / "post.py").write_text((SUBMISSIONS / "post.py").read_text())
    with pytest.raises(XornetError, match=message):
        review_file(tmp_path / "post.py", **limits)
    with pytest.raises(XornetError, match=message):
        review_folder(tmp_path, **limits)


def test_more_reviews_at_once_than_the_memory_holds_are_refused_before_any(
    tmp_path, capsys, monkeypatch
):
    # --jobs 1000 on a folder of 1,000 submissions started 1,000 processes of 160 MB each,
    # every one allowed --memory more: far beyond any machine.
    import xornet.review.isolate as isolate
    from xornet.cli import main

    # A machine of 4 GiB: 3 x (1,024 + 200) MiB fit, 4 do not.
    monkeypatch.setattr(isolate, "_machine_mb", lambda: 4096)
    for i in range(5):
        (tmp_path / f"post{i}.py").write_text((SUBMISSIONS / "post.py").read_text())
    started = []
    monkeypatch.setattr(isolate, "_run", lambda *args: started.append(args))
    with pytest.raises(XornetError, match="4 reviews at once may take 4 x \\(1,024 \\+ 200\\)"):
        review_folder(tmp_path, jobs=4)
    isolate.check_limits(None, 1024, jobs=3)  # at the edge: 3,672 MiB
    isolate.check_limits(None, 100, jobs=13)  # less memory each, more at once
    assert main(["review", str(tmp_path), "--jobs", "1000"]) == 2
    err = capsys.readouterr().err
    assert "--jobs: 5 reviews at once may take" in err  # no more than the 5 submissions
    assert "more than this machine's 4,096 MiB of memory" in err
    assert len(err.strip().splitlines()) == 1
    assert not started


def test_more_jobs_than_submissions_run_no_more_reviews_at_once(tmp_path, capsys, monkeypatch):
    # A file, or a folder of two, with --jobs 1000 was refused for 1,000 reviews' memory,
    # though it runs one, or two, at once.
    import xornet.review
    import xornet.review.isolate as isolate
    from xornet.cli import main

    monkeypatch.setattr(isolate, "_machine_mb", lambda: 4096)
    isolate.check_limits(None, 1024, jobs=1000, submissions=3)  # 3 x 1,224 MiB fit
    with pytest.raises(XornetError, match="4 reviews at once"):
        isolate.check_limits(None, 1024, jobs=1000, submissions=4)

    def interrupt(*args, **kwargs):  # past the limits' check: the review would start here
        raise KeyboardInterrupt

    monkeypatch.setattr(xornet.review, "review_file", interrupt)
    monkeypatch.setattr(xornet.review, "review_folder", interrupt)
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text((SUBMISSIONS / "post.py").read_text())
    for path in (tmp_path / "a.py", tmp_path):
        assert main(["review", str(path), "--jobs", "1000"]) == 130
        assert capsys.readouterr().err == "xornet: interrupted\n"


def test_review_file_in_its_own_process_matches_the_review_in_this_one():
    isolated = review_file(SUBMISSIONS / "mistakes" / "dB2_from_dZ1.py")
    here = review("mistakes/dB2_from_dZ1.py")
    assert isolated.checks == here.checks
    assert [f.to_dict() for f in isolated.findings if f.code != "optimize.speed"] == [
        f.to_dict() for f in here.findings if f.code != "optimize.speed"
    ]


# Two tests, each a learner's whole run (200,000 NumPy steps), so that they can run at once.
@pytest.mark.slow
def test_the_posts_whole_run_with_full():
    r = check(_namespace("post.py"), full=True)
    assert r.checks["full"] == "pass"
    assert only(r, "full", "full.same").text["en"].startswith("The post's whole run ends where")
    assert "the last loss of its trace (step 199,900" in only(r, "full", "full.same").text["en"]


@pytest.mark.slow
def test_a_whole_run_one_step_short_with_full():
    short = check(_namespace("mistakes/one_step_short.py"), full=True)  # 199,999 steps
    differs = only(short, "full", "full.differs")
    assert "off by up to" in differs.text["en"]
    assert differs.shown[-1].actual == 1999


# ----------------------------------------------------------------------------- the command


def test_xornet_review_a_file(capsys):
    from xornet.cli import main

    assert main(["review", str(SUBMISSIONS / "post.py")]) == 0
    assert "All 8 checks pass." in capsys.readouterr().out
    assert main(["review", str(SUBMISSIONS / "mistakes" / "no_mean.py"), "--json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert record["checks"]["get_gradients"] == "fail"
    assert only(Review.from_dict(record), "get_gradients", "mistake").data["mistake"] == "no_mean"
    assert main(["review", str(SUBMISSIONS / "mistakes" / "sigmoid_sign.py"), "--lang", "ko"]) == 1
    assert "exp(-z)의 마이너스가 빠져서" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["missing.py"], "missing.py: No such file or directory"),
    (["{post}", "--out", "grades.csv"], "--out writes a folder's grades"),
    (["{post}", "--timeout", "0"], "--timeout: must be a positive number"),
    (["{post}", "--timeout", "1e12"], "--timeout: must be a positive number of seconds, at most"),
    (["{post}", "--memory", "99999999999999"], "--memory: must be from 1 to 1,048,576 MiB"),
    (["{post}", "--jobs", "0"], "--jobs"),
])  # fmt: skip
def test_xornet_review_refuses_bad_input_in_one_line(capsys, args, message):
    from xornet.cli import main

    args = [a.replace("{post}", str(SUBMISSIONS / "post.py")) for a in args]
    assert main(["review", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_grades_show_a_learners_file_name_as_text_not_a_formula(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(SUBMISSIONS / "post.py", folder / "=HYPERLINK(1).py")
    reviews = review_folder(folder, jobs=1)
    write_csv(reviews, tmp_path / "grades.csv")
    with (tmp_path / "grades.csv").open(encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert row["file"] == "'=HYPERLINK(1).py"  # a spreadsheet shows it, does not run it
    assert row["passed"] == "yes"


def test_xornet_review_a_folder(tmp_path, capsys):
    from xornet.cli import main

    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("post.py", "mistakes/dB1_from_dZ2.py", "behaviour/exits.py"):
        shutil.copy(SUBMISSIONS / name, folder / Path(name).name)
    out = tmp_path / "new" / "grades.csv"
    assert main(["review", str(folder), "--jobs", "2", "--out", str(out), "--lang", "ko"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("dB1_from_dZ2.py  ok       7/8 통과; get_gradients: 알려진 실수: ")
    assert lines[3] == "제출물 3개 중 1개 통과 (exits 1)"
    pages = out.with_name("grades_reviews")
    assert lines[4] == f"{out}, {out.with_suffix('.html')}, {pages}{os.sep}"  # all it wrote
    assert out.exists()
    assert out.with_suffix(".html").exists()
    assert len(list(pages.glob("*.html"))) == 3
    assert main(["review", str(folder), "--json"]) == 1
    record = json.loads(capsys.readouterr().out)
    assert (record["submissions"], record["passed"]) == (3, 1)


def test_xornet_explain_in_the_posts_layout_shows_the_reviews_numbers(capsys):
    from xornet.cli import main

    command = "xornet explain --preset post --seed 3 --layout post"
    assert only(review("mistakes/no_mean.py"), "get_gradients", "mistake").explain == command
    assert main([*command.split()[1:], "--json"]) == 0
    arrays = json.loads(capsys.readouterr().out)["arrays"]
    for name, value in network_cases()[0].ref.items():
        np.testing.assert_allclose(arrays[name], value, rtol=1e-12, err_msg=name)
    assert main(command.split()[1:]) == 0
    assert "6) dLdW1 = np.dot(X, dLdZ1.T)  [shape (2, 2)]" in capsys.readouterr().out
    assert main(["explain", "--dataset", "spiral3", "--layout", "post"]) == 2
    assert "--layout post: the post's layout shows" in capsys.readouterr().err
