"""The shortcut network: direct input-to-output weights ``W3``, as in the 1986 2-1-1 network.

``Z2 = H @ W2 + X @ W3 + b2``. Checked: both engines and ``train_many`` against the reference,
model files, explain, the CLI, the figures. Its gradients are checked with every other
network's in test_gradients.py.
"""

import json

import numpy as np
import pytest

import xornet
from xornet import TrainConfig, train, train_many
from xornet.cli import main
from xornet.errors import ModelFileError, XornetError
from xornet.explain import explain_step, render
from xornet.params import SHORTCUT_NAMES, Params

TOL = 1e-10
CLASSIC = TrainConfig(hidden=1, shortcut=True, init="uniform", init_scale=0.5, loss="sse",
                      optimizer="momentum", momentum=0.9, learning_rate=0.5, steps=2000,
                      tol=0.04)  # fmt: skip


def problem(seed, n=6, d=2, h=1, K=2, kind="bce"):
    rng = np.random.default_rng(seed)
    params = xornet.init_params(d, h, "uniform", rng, 1.5, n_classes=K, shortcut=True)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, K, n).astype(float)
    return params, X, y


def test_the_2_1_1_network_has_seven_parameters_and_keeps_old_draws():
    p = xornet.init_params(2, 1, "uniform", rng=0, shortcut=True)
    assert (p.size, p.shortcut, p.names) == (7, True, SHORTCUT_NAMES)
    assert repr(p) == "Params(n_inputs=2, n_hidden=1, shortcut=True)"
    plain = xornet.init_params(2, 1, "uniform", rng=0)
    np.testing.assert_array_equal(p.ravel()[:5], plain.ravel())  # W3 is drawn last
    assert p.unravel(p.ravel()).W3.shape == (2, 1)
    with pytest.raises(ValueError, match=r"shortcut weights W3 \(3, 1\) should be \(2, 1\)"):
        Params(p.W1, p.b1, p.W2, p.b2, np.zeros((3, 1)))


def test_forward_adds_the_inputs_straight_to_the_output():
    params, X, _ = problem(0)
    cache = xornet.forward(params, X)
    without = xornet.forward(Params(params.W1, params.b1, params.W2, params.b2), X)
    np.testing.assert_allclose(cache.Z2, without.Z2 + X @ params.W3, rtol=1e-15)


@pytest.mark.parametrize(
    "config",
    [
        CLASSIC,
        CLASSIC.replace(batch_size=1, shuffle=False, optimizer="gd", tol=None, steps=500),
        CLASSIC.replace(loss="bce", optimizer="adam", learning_rate=0.05, hidden=2, tol=None),
        CLASSIC.replace(batch_size=2, shuffle=True, steps=700, tol=None, stop_when_correct=True),
    ],
    ids=["classic", "per-pattern", "adam", "shuffled"],
)
def test_numba_matches_numpy_with_a_shortcut(config):
    data = xornet.xor()
    for seed in (0, 1, 2):
        a = train(data.X, data.y, config, rng=seed, engine="numpy")
        b = train(data.X, data.y, config, rng=seed, engine="numba")
        assert a.params.shortcut
        np.testing.assert_allclose(a.params.ravel(), b.params.ravel(), rtol=0, atol=TOL)
        np.testing.assert_allclose(a.loss_history, b.loss_history, rtol=0, atol=TOL)
        assert (a.steps, a.stop_reason) == (b.steps, b.stop_reason)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_many_shortcut_networks_equal_each_alone(engine):
    data = xornet.xor()
    seeds = [0, 1, 2, 3, 4]
    many = train_many(data.X, data.y, CLASSIC, seeds, engine=engine)
    for i, seed in enumerate(seeds):
        alone = train(data.X, data.y, CLASSIC, rng=seed, engine="numpy")
        np.testing.assert_allclose(many.params(i).ravel(), alone.params.ravel(), rtol=0, atol=TOL)
        assert many.params(i).shortcut
        assert (many.steps[i], many.stop_reason[i]) == (alone.steps, alone.stop_reason)
        assert many.outcome[i] == alone.outcome.kind
    spiral = xornet.make_dataset("spiral3", n_samples=30, rng=0)
    config = TrainConfig(hidden=3, shortcut=True, steps=200, tol=None)
    many = train_many(spiral.X, spiral.y, config, [5], engine=engine)
    alone = train(spiral.X, spiral.y, config, rng=5, engine="numpy")
    np.testing.assert_allclose(many.params(0).ravel(), alone.params.ravel(), rtol=0, atol=TOL)


def test_shortcut_and_params_must_agree():
    data = xornet.xor()
    plain = xornet.init_params(2, 1, rng=0)
    with pytest.raises(XornetError, match=r"params lack shortcut weights but config\.shortcut"):
        train(data.X, data.y, CLASSIC, params=plain)
    with pytest.raises(XornetError, match="must be a 2-1-1 network with shortcut weights"):
        train_many(data.X, data.y, CLASSIC, [0], params=[plain])


def test_model_files_keep_the_shortcut(tmp_path):
    data = xornet.xor()
    result = train(data.X, data.y, CLASSIC, rng=0)
    path = tmp_path / "m.npz"
    xornet.save_model(path, result.params)
    model = xornet.load_model(path)
    assert model.metadata["format_version"] == 2
    np.testing.assert_array_equal(model.params.W3, result.params.W3)
    # A W3 in a format-1 file is refused, not dropped or trusted.
    with np.load(path) as archive:
        members = dict(archive)
    record = str(members["metadata"]).replace('"format_version": 2', '"format_version": 1')
    members["metadata"] = np.array(record)
    np.savez(tmp_path / "bad.npz", **members)
    with pytest.raises(ModelFileError, match="shortcut weights W3 in a format-1 file"):
        xornet.load_model(tmp_path / "bad.npz")


def test_explain_shows_the_shortcuts_gradient_as_an_eighth_step():
    params, X, y = problem(3, n=4)
    e = explain_step(params, X, y, learning_rate=0.01)
    text = render(e)
    assert "Z2 = H @ W2 + b2 + X @ W3" in text
    assert "8) dW3 = X.T @ dZ2" in text
    # The eighth step is the shortcut's gradient, written out here from the output's error,
    # and the update moves W3 against it.
    H = xornet.forward(params, X).H
    P = 1 / (1 + np.exp(-(H @ params.W2 + params.b2 + X @ params.W3)))  # (4, 1)
    expected = X.T @ ((P[:, 0] - y) / 4)[:, None]  # (2, 1)
    np.testing.assert_allclose(e["dW3"], expected, rtol=1e-12)
    np.testing.assert_allclose(e["W3_new"], params.W3 - 0.01 * expected, rtol=1e-12)
    shown = text.split("8) dW3 = X.T @ dZ2")[1].split("Update")[0]
    for value in expected[:, 0]:
        assert f"{value:.4f}".rstrip("0") in shown
    assert "W3 <- " in text


def test_cli_trains_and_sweeps_the_2_1_1_network(capsys, tmp_path):
    argv = ["train", "--hidden", "1", "--shortcut", "--init", "uniform", "--init-scale", "0.5",
            "--loss", "sse", "--optimizer", "momentum", "--lr", "0.5", "--tol", "0.04",
            "--seed", "1", "--save", str(tmp_path / "m.npz")]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "2-1-1 network with shortcut weights" in out
    assert xornet.load_model(tmp_path / "m.npz").params.size == 7
    sweep = ["sweep", "--hidden", "1", "--shortcut", "--init", "uniform", "--init-scale", "0.5",
             "--loss", "sse", "--optimizer", "momentum", "--lr", "0.5", "--steps", "2000",
             "--tol", "0.04", "--seeds", "20", "--json", "--quiet"]  # fmt: skip
    assert main(sweep) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert rows[0]["runs"] == 20
    assert main(["gradcheck", "--hidden", "1", "--shortcut"]) == 0
    assert "W3" in capsys.readouterr().out


def test_figures_show_the_shortcut():
    from xornet.hidden_space import output_boundaries
    from xornet.plotting import plot_hidden_space, plot_network

    data = xornet.xor()
    result = train(data.X, data.y, CLASSIC, rng=1)
    fig = plot_network(result.params)
    dashed = [line for line in fig.axes[0].lines if line.get_linestyle() == "--"]
    assert len(dashed) == 2  # x1 -> p and x2 -> p
    fig = plot_hidden_space(result.params, data.X, data.y)
    assert fig.axes[0].name == "3d"  # (h1, x1, x2): what the output sees
    assert fig.axes[0].get_zlabel() == "x2"
    # In the output's input space (h1, x1, x2) the output's plane separates the classes.
    ((w, b, _),) = output_boundaries(result.params)
    np.testing.assert_array_equal(w, np.r_[result.params.W2[:, 0], result.params.W3[:, 0]])
    seen = np.column_stack([xornet.forward(result.params, data.X).H, data.X])
    assert np.all((seen @ w + b > 0) == (data.y == 1))
