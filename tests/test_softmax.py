"""More than two classes: the softmax output, every engine, the CLI, figures.

Two classes keep the post's single sigmoid output; ``K >= 3`` classes get ``K`` softmax
outputs and the mean cross-entropy. Engines are held to the same 1e-10 as for two classes.
The softmax's gradients are checked with every other network's in test_gradients.py.
"""

import itertools
import json
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import xornet
from xornet import TrainConfig, train, train_many
from xornet.cli import main
from xornet.diagnosis import all_correct, classify, correct_by_margin, predicted_class
from xornet.errors import DataError, XornetError
from xornet.explain import explain_step
from xornet.functional import (
    binary_cross_entropy_with_logits,
    class_probabilities,
    cross_entropy_with_logits,
    log_softmax,
    softmax,
)
from xornet.params import Params

TOL = 1e-10


def spiral3(n=60, seed=0):
    return xornet.make_dataset("spiral3", n_samples=n, rng=seed)


def random_problem(seed, n, d, h, K):
    rng = np.random.default_rng(seed)
    params = xornet.init_params(d, h, "glorot", rng, n_classes=K)
    params = Params(params.W1 * 2, rng.normal(size=h), params.W2 * 2, rng.normal(size=K))
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, n).astype(float)
    return params, X, y


# ----------------------------------------------------------------------------- maths


@given(arrays(np.float64, (5, 4), elements=st.floats(-700, 700)))
def test_softmax_rows_are_distributions_without_overflow(Z):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = softmax(Z)
        logP = log_softmax(Z)
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(np.isfinite(logP))
    assert np.all(logP <= 0)
    # The largest logit's probability is the largest (ties after rounding allowed), and
    # log_softmax agrees with log(softmax) where P is not 0.
    rows = np.arange(Z.shape[0])
    np.testing.assert_array_equal(P[rows, np.argmax(Z, axis=1)], P.max(axis=1))
    fine = P > 1e-300
    np.testing.assert_allclose(logP[fine], np.log(P[fine]), rtol=1e-9, atol=1e-12)


def test_softmax_is_shift_invariant_and_exact_on_known_values():
    Z = np.array([[0.0, np.log(3.0)], [1000.0, 1000.0 + np.log(3.0)]])
    # 1000 + log 3 is rounded to a multiple of 1.1e-13, hence 1e-12 and not 1e-15.
    np.testing.assert_allclose(softmax(Z), [[0.25, 0.75], [0.25, 0.75]], rtol=1e-12)
    assert log_softmax(np.array([[0.0, -1000.0]]))[0, 1] == pytest.approx(-1000.0)


@given(
    st.lists(st.floats(-50, 50), min_size=1, max_size=8),
    st.randoms(use_true_random=False),
)
def test_two_class_cross_entropy_is_the_binary_one(z, random):
    z = np.array(z)
    y = np.array([random.randint(0, 1) for _ in z], dtype=float)
    two = np.column_stack([np.zeros_like(z), z])  # softmax of (0, z) is (1 - p, p)
    assert cross_entropy_with_logits(two, y) == pytest.approx(
        binary_cross_entropy_with_logits(z, y), rel=1e-12, abs=1e-300
    )


def test_class_probabilities():
    np.testing.assert_array_equal(
        class_probabilities(np.array([0.25, 1.0])), [[0.75, 0.25], [0, 1]]
    )
    P = np.array([[0.2, 0.3, 0.5]])
    assert class_probabilities(P) is P


# ----------------------------------------------------------------------------- parameters


def test_parameter_shapes_and_the_refused_two_output_network():
    p = xornet.init_params(2, 4, rng=0, n_classes=3)
    assert (p.W2.shape, p.b2.shape, p.n_outputs, p.n_classes) == ((4, 3), (3,), 3, 3)
    assert p.size == 2 * 4 + 4 + 4 * 3 + 3
    assert repr(p) == "Params(n_inputs=2, n_hidden=4, n_classes=3)"
    np.testing.assert_array_equal(p.unravel(p.ravel()).W2, p.W2)
    with pytest.raises(ValueError, match="k = 1 \\(two classes\\) or k >= 3"):
        Params(np.zeros((2, 4)), np.zeros(4), np.zeros((4, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="need 2 to 1000 classes"):
        xornet.init_params(2, 4, n_classes=1)


def test_two_classes_draw_exactly_what_they_always_drew():
    # n_classes=2 must not change any binary network's initial weights.
    for init in xornet.params.INITS:
        a = xornet.init_params(3, 5, init, rng=7)
        gen = np.random.default_rng(7)
        b = xornet.init_params(3, 5, init, gen)
        np.testing.assert_array_equal(a.ravel(), b.ravel())
        assert a.n_outputs == 1
    post = xornet.post_initial_params(3, n_classes=3)
    legacy = np.random.RandomState(3)
    np.testing.assert_array_equal(post.W1, legacy.randn(2, 2))
    np.testing.assert_array_equal(post.W2, legacy.randn(2, 3))


# ----------------------------------------------------------------------------- losses


def test_squared_error_is_refused_for_a_softmax():
    params, X, _ = random_problem(0, 4, 2, 3, 3)
    y = np.array([0, 1, 2, 0.0])
    with pytest.raises(ValueError, match="squared-error loss needs one sigmoid output"):
        xornet.loss(xornet.forward(params, X), y, "sse")
    with pytest.raises(XornetError, match="loss 'sse' needs two classes"):
        train(X, y, TrainConfig(loss="sse", steps=1))


def test_labels_beyond_the_networks_classes_are_refused():
    params, X, _ = random_problem(0, 4, 2, 3, 3)
    with pytest.raises(DataError, match="labels must be class indices 0 to 2; y\\[1\\] is 3"):
        xornet.gradient_check(params, X, np.array([0, 3, 1, 2.0]))
    binary = xornet.init_params(2, 3, rng=0)
    with pytest.raises(DataError, match="labels must be 0 or 1; y\\[3\\] is 2"):
        explain_step(binary, X, np.array([0, 1, 1, 2.0]))


# ----------------------------------------------------------------------------- training


def test_training_infers_the_classes_and_learns_the_spiral():
    data = spiral3(90)
    config = TrainConfig(hidden=16, steps=3000, tol=None, optimizer="adam", learning_rate=0.05)
    result = train(data.X, data.y, config, rng=0)
    assert result.params.n_classes == 3
    assert result.probabilities.shape == (90, 3)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0)
    # Far better than the 1/3 of guessing, and consistent with the probabilities.
    assert result.accuracy > 0.9
    assert result.accuracy == np.mean(np.argmax(result.probabilities, axis=1) == data.y)
    assert result.loss_history[-1] < result.loss_history[0]


def test_a_subset_without_some_class_needs_n_classes():
    data = spiral3(30)
    part = data.y != 1
    with pytest.raises(DataError, match="labels go up to 2 but class 1 has no sample"):
        train(data.X[part], data.y[part], TrainConfig(steps=1))
    result = train(data.X[part], data.y[part], TrainConfig(steps=5), n_classes=3, rng=0)
    assert result.params.n_classes == 3
    for bad in (1, 2.5, 10**6):
        with pytest.raises(XornetError, match="n_classes must be a whole number from 2 to 1000"):
            train(data.X, data.y, TrainConfig(steps=1), n_classes=bad)
        with pytest.raises(XornetError, match="n_classes must be a whole number from 2 to 1000"):
            train_many(data.X, data.y, TrainConfig(steps=1), [0], n_classes=bad)
    with pytest.raises(XornetError, match="params are for 3 classes but n_classes is 4"):
        train(data.X, data.y, TrainConfig(steps=1), params=result.params, n_classes=4)


def softmax_configs():
    for i, (act, opt, (batch, shuffle)) in enumerate(
        itertools.product(
            ("sigmoid", "tanh", "relu"),
            ("gd", "momentum", "adam"),
            ((None, True), (7, True), (1, False)),
        )
    ):
        yield pytest.param(
            TrainConfig(
                hidden=4,
                activation=act,
                optimizer=opt,
                learning_rate={"gd": 0.5, "momentum": 0.1, "adam": 0.02}[opt],
                batch_size=batch,
                shuffle=shuffle,
                steps=400,
                record_every=23,
                tol=0.6 if i % 2 else None,
                stop_when_correct=i % 3 == 0,
                margin=0.05 * (i % 2),
            ),
            id=f"{act}-{opt}-b{batch}",
        )


@pytest.mark.parametrize("config", list(softmax_configs()))
def test_numba_matches_numpy_for_softmax(config):
    data = spiral3(45)
    a = train(data.X, data.y, config, rng=5, engine="numpy")
    b = train(data.X, data.y, config, rng=5, engine="numba")
    np.testing.assert_allclose(a.params.ravel(), b.params.ravel(), rtol=0, atol=TOL)
    np.testing.assert_allclose(a.loss_history, b.loss_history, rtol=0, atol=TOL)
    assert (a.steps, a.stop_reason, a.outcome.kind) == (b.steps, b.stop_reason, b.outcome.kind)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_many_softmax_networks_equal_training_each_alone(engine):
    data = spiral3(36)
    config = TrainConfig(hidden=5, steps=600, tol=0.5, learning_rate=0.8)
    seeds = [0, 3, 4]
    many = train_many(data.X, data.y, config, seeds, target=0.7, engine=engine)
    assert many.n_classes == 3
    assert many.probabilities.shape == (3, 36, 3)
    for i, seed in enumerate(seeds):
        alone = train(data.X, data.y, config, rng=seed, engine="numpy")
        np.testing.assert_allclose(many.params(i).ravel(), alone.params.ravel(), rtol=0, atol=TOL)
        assert (many.steps[i], many.stop_reason[i]) == (alone.steps, alone.stop_reason)
        assert many.final_loss[i] == pytest.approx(alone.final_loss, abs=TOL)
        np.testing.assert_allclose(many.probabilities[i], alone.probabilities, atol=TOL)
        assert many.accuracy[i] == alone.accuracy
        assert many.outcome[i] == alone.outcome.kind


# ----------------------------------------------------------------------------- judging outputs


def test_right_by_a_margin_with_three_classes():
    P = np.array([[0.5, 0.3, 0.2], [0.1, 0.45, 0.45], [0.2, 0.2, 0.6]])
    y = np.array([0, 1, 2.0])
    np.testing.assert_array_equal(predicted_class(P), [0, 1, 2])  # a tie goes to the first
    np.testing.assert_array_equal(correct_by_margin(P, y), [True, False, True])
    np.testing.assert_array_equal(correct_by_margin(P, y, 0.1), [False, False, True])
    assert not all_correct(P, y)
    assert all_correct(P[[0, 2]], y[[0, 2]], margin=0.09)
    # With two classes the rule is the 0.5 +- margin one.
    np.testing.assert_array_equal(
        correct_by_margin(np.array([0.65, 0.55]), np.array([1.0, 1.0]), 0.1), [True, False]
    )


def test_diagnosis_of_a_softmax_network():
    y = np.array([0, 1, 2.0])
    solved = classify(np.eye(3) * 0.9 + 0.1 / 3, y, 1.1, 0.1, 0.1)
    assert solved.kind == "solved"
    assert "given its own class" in solved.summary
    stuck = classify(np.array([[0.9, 0.05, 0.05], [0.1, 0.45, 0.45], [0.1, 0.45, 0.45]]), y,
                     1.1, 0.5, 0.5)  # fmt: skip
    assert stuck.kind == "plateau"
    assert stuck.misclassified == (2,)
    assert stuck.near_half == (1, 2)
    assert "split between two classes" in stuck.summary


# ----------------------------------------------------------------------------- files, CLI


def test_model_file_round_trip(tmp_path):
    params, X, _ = random_problem(1, 5, 2, 3, 4)
    xornet.save_model(tmp_path / "m.npz", params, "tanh")
    model = xornet.load_model(tmp_path / "m.npz")
    assert model.params.n_classes == 4
    np.testing.assert_array_equal(model.predict_proba(X), xornet.predict_proba(params, X, "tanh"))


def test_cli_trains_predicts_and_explains_three_classes(tmp_path, capsys):
    model = tmp_path / "spiral.npz"
    argv = ["train", "--dataset", "spiral3", "--samples", "60", "--hidden", "12",
            "--steps", "3000", "--seed", "1", "--save", str(model), "--json"]  # fmt: skip
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert np.array(out["probabilities"]).shape == (60, 3)
    assert out["accuracy"] > 0.7

    assert main(["predict", str(model), "0", "0", "0.5", "-0.5", "--json"]) == 0
    pred = json.loads(capsys.readouterr().out)
    probabilities = np.array(pred["probabilities"])
    assert probabilities.shape == (2, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    assert pred["classes"] == np.argmax(probabilities, axis=1).tolist()

    assert main(["predict", str(model), "0", "0"]) == 0
    assert "p(class)" in capsys.readouterr().out

    assert main(["explain", "--dataset", "spiral3", "--samples", "3", "--hidden", "2"]) == 0
    text = capsys.readouterr().out
    assert "One training step of a 2-2-3 network" in text
    assert "P = softmax(Z2)" in text
    assert "dZ2 = (P - onehot(y)) / n" in text


def test_cli_trains_on_a_three_class_csv_and_refuses_a_gap(tmp_path, capsys):
    good = tmp_path / "three.csv"
    good.write_text("a,b,label\n0,0,0\n1,0,1\n0,1,2\n1,1,0\n")
    assert (
        main(["train", "--csv", str(good), "--hidden", "6", "--steps", "2000", "--seed", "0"]) == 0
    )
    assert "2-6-3 network (softmax)" in capsys.readouterr().out
    gap = tmp_path / "gap.csv"
    gap.write_text("a,b,label\n0,0,0\n1,0,2\n")
    assert main(["train", "--csv", str(gap)]) == 2
    assert "labels go up to 2 but class 1 has no sample" in capsys.readouterr().err


# ----------------------------------------------------------------------------- figures


def test_decision_regions_show_each_class_where_its_points_are():
    from matplotlib.colors import to_rgb

    from xornet.plotting import CLASS_COLOURS, plot_boundary, png_bytes

    data = spiral3(60)
    config = TrainConfig(hidden=16, steps=1500, tol=None, optimizer="adam", learning_rate=0.05)
    result = train(data.X, data.y, config, rng=0)
    fig = plot_boundary(result.params, data.X, data.y, resolution=60)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["class 0", "class 1", "class 2"]
    # The region map's colour at each correctly classified point is its class's colour.
    mesh = ax.collections[0]
    rgba = mesh.to_rgba(mesh.get_array())  # (60*60, 4) before transparency
    grid = mesh.get_coordinates()  # cell corners (61, 61, 2)
    x_edges, y_edges = grid[0, :, 0], grid[:, 0, 1]
    predicted = xornet.network.predict_class(result.params, data.X)
    for point, label, guess in zip(data.X, data.y.astype(int), predicted, strict=True):
        if guess != label:
            continue
        col = np.searchsorted(x_edges, point[0]) - 1
        row = np.searchsorted(y_edges, point[1]) - 1
        colour = rgba.reshape(len(y_edges) - 1, len(x_edges) - 1, 4)[row, col, :3]
        np.testing.assert_allclose(colour, to_rgb(CLASS_COLOURS[label]), atol=1e-6)
    assert png_bytes(fig)[:8] == b"\x89PNG\r\n\x1a\n"


def test_hidden_space_draws_one_boundary_per_pair_of_classes():
    from xornet.plotting import plot_hidden_space

    params, X, y = random_problem(2, 12, 2, 2, 4)
    fig = plot_hidden_space(params, X, y.astype(float))
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    pairs = [f"class {a} = class {c}" for a in range(4) for c in range(a + 1, 4)]
    assert [label for label in labels if "=" in label] == pairs
