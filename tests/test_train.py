"""The training loop: golden trajectory, stop rules, batching, divergence, validation."""

import numpy as np
import pytest

import xornet
from xornet import TrainConfig, train
from xornet.errors import DataError, TrainingDiverged, XornetError

# The post's code, run from np.random.seed(3) with 2 hidden units at learning rate 0.01:
# its loss_trace for the first 1,000 steps (tests/post_oracle.py produced these numbers).
GOLDEN_POST_SEED3 = [
    0.7093375790552202,
    0.7016213279124,
    0.6981182050605511,
    0.696509927280817,
    0.6957494590692602,
    0.6953682415946167,
    0.695157299635664,
    0.6950235075311844,
    0.6949253445485557,
    0.6948442676550304,
]


def test_golden_loss_trajectory(xor_data):
    X, y = xor_data
    config = xornet.PRESETS["post"].replace(steps=1000)
    result = train(X, y, config, params=xornet.post_initial_params(3))
    np.testing.assert_allclose(result.loss_history, GOLDEN_POST_SEED3, rtol=1e-13)
    np.testing.assert_array_equal(result.history_steps, np.arange(0, 1000, 100))


@pytest.mark.parametrize(("hidden", "n_classes"), [(2, 2), (3, 2), (4, 3)])
def test_the_posts_starts_for_many_seeds(hidden, n_classes):
    # What np.random.seed(s); randn(2, h); randn(h, k) draws on the global state, as the post
    # does, and so post_initial_params; the batch version reseeds one generator instead.
    seeds = [0, 1, 3, 999, 2**31, 2**32 - 1]
    k = 1 if n_classes == 2 else n_classes  # one sigmoid output, or K softmax outputs
    saved = np.random.get_state()
    try:
        drawn = []
        for seed in seeds:
            np.random.seed(seed)
            drawn.append((np.random.randn(2, hidden), np.random.randn(hidden, k)))
    finally:
        np.random.set_state(saved)
    many = xornet.post_initial_params_many(seeds, hidden, n_classes=n_classes)
    for seed, (W1, W2), start in zip(seeds, drawn, many, strict=True):
        one = xornet.post_initial_params(seed, hidden, n_classes=n_classes)
        np.testing.assert_array_equal(start.ravel(), one.ravel())
        np.testing.assert_array_equal(start.W1, W1)
        np.testing.assert_array_equal(start.W2, W2)
        assert not start.b1.any()
        assert not start.b2.any()


def test_result_is_consistent(xor_data):
    X, y = xor_data
    result = train(X, y, TrainConfig(), rng=0)
    p = xornet.predict_proba(result.params, X)
    np.testing.assert_array_equal(result.probabilities, p)
    assert result.accuracy == np.mean((p > 0.5) == y)
    assert result.final_loss == xornet.loss(xornet.forward(result.params, X), y)
    assert "TrainResult(" in repr(result)


def test_first_record_is_the_initial_loss(xor_data):
    X, y = xor_data
    start = xornet.init_params(2, 4, rng=1)
    result = train(X, y, TrainConfig(hidden=4, steps=5), params=start)
    assert result.loss_history[0] == xornet.loss(xornet.forward(start, X), y)


def test_initial_params_are_not_modified(xor_data):
    X, y = xor_data
    start = xornet.init_params(2, 4, rng=1)
    before = start.ravel().copy()
    train(X, y, TrainConfig(hidden=4, steps=50), params=start)
    np.testing.assert_array_equal(start.ravel(), before)


@pytest.mark.parametrize("seed", range(20))
def test_default_config_solves_xor(xor_data, seed):
    X, y = xor_data
    result = train(X, y, rng=seed)
    assert result.outcome.kind == "solved"
    assert result.stop_reason == "tolerance"
    assert result.final_loss <= 0.01


# The stop rules stop these runs within a few hundred steps: the NumPy loop runs them at once,
# where "auto" would compile a loop for 100,000 steps (the engines' rules are compared in
# test_engines.py).


def test_tolerance_stops_at_the_first_step_that_meets_it(xor_data):
    X, y = xor_data
    config = TrainConfig(hidden=4, tol=0.05, steps=100_000)
    result = train(X, y, config, rng=3, engine="numpy")
    assert result.stop_reason == "tolerance"
    assert result.final_loss <= 0.05
    one_less = train(X, y, config.replace(steps=result.steps - 1, tol=None), rng=3,
                     engine="numpy")  # fmt: skip
    assert one_less.final_loss > 0.05


def test_stop_when_correct(xor_data):
    X, y = xor_data
    config = TrainConfig(hidden=4, tol=None, stop_when_correct=True, steps=100_000)
    result = train(X, y, config, rng=3, engine="numpy")
    assert result.stop_reason == "all_correct"
    assert result.accuracy == 1.0
    one_less = train(X, y, config.replace(steps=result.steps - 1, stop_when_correct=False), rng=3,
                     engine="numpy")  # fmt: skip
    assert one_less.accuracy < 1.0


def test_max_steps(xor_data):
    X, y = xor_data
    result = train(X, y, TrainConfig(steps=7, tol=None), rng=0)
    assert (result.steps, result.stop_reason) == (7, "max_steps")


def test_zero_steps_returns_the_initial_network(xor_data):
    X, y = xor_data
    start = xornet.init_params(2, 8, rng=0)
    result = train(X, y, TrainConfig(steps=0), params=start)
    assert result.steps == 0
    np.testing.assert_array_equal(result.params.ravel(), start.ravel())


def test_callback_can_interrupt_cleanly(xor_data):
    X, y = xor_data
    seen = []

    def callback(step, loss):
        seen.append(step)
        return step >= 300

    result = train(X, y, TrainConfig(tol=None, steps=10_000), rng=0, callback=callback)
    assert result.stop_reason == "interrupted"
    assert result.steps == 300
    assert seen == [0, 100, 200, 300]


def test_same_seed_same_result_and_generators_are_accepted(xor_data):
    X, y = xor_data
    config = TrainConfig(steps=300, batch_size=2)
    a = train(X, y, config, rng=5)
    b = train(X, y, config, rng=5)
    c = train(X, y, config, rng=np.random.default_rng(5))
    d = train(X, y, config, rng=6)
    np.testing.assert_array_equal(a.params.ravel(), b.params.ravel())
    np.testing.assert_array_equal(a.params.ravel(), c.params.ravel())
    assert not np.array_equal(a.params.ravel(), d.params.ravel())
    with pytest.raises(TypeError, match="rng must be"):
        train(X, y, config, rng="five")


def test_per_pattern_updates_in_fixed_order_match_a_hand_loop(xor_data):
    X, y = xor_data
    start = xornet.init_params(2, 3, rng=2)
    config = TrainConfig(
        hidden=3, steps=8, batch_size=1, shuffle=False, tol=None, learning_rate=0.5
    )
    result = train(X, y, config, params=start)
    p = start.copy()
    for step in range(8):
        i = step % 4
        grads = xornet.backward(p, xornet.forward(p, X[i : i + 1]), y[i : i + 1])
        for w, g in zip(p, grads, strict=True):
            w -= 0.5 * g
    np.testing.assert_allclose(result.params.ravel(), p.ravel(), rtol=0, atol=1e-15)


def test_mini_batches_cover_every_sample_once_per_epoch(xor_data, monkeypatch):
    X, y = xor_data
    import xornet.training as training_module

    batches = []
    real = training_module.backward

    def spy(params, cache, yb, kind):
        batches.append(tuple(cache.X[:, 0] * 2 + cache.X[:, 1]))
        return real(params, cache, yb, kind)

    monkeypatch.setattr(training_module, "backward", spy)
    train(X, y, TrainConfig(steps=6, batch_size=2, tol=None), rng=0)
    for epoch in range(3):
        seen = sorted(batches[2 * epoch] + batches[2 * epoch + 1])
        assert seen == [0, 1, 2, 3]
    assert batches[0:2] != batches[2:4] or batches[2:4] != batches[4:6]  # reshuffled


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_every_optimizer_and_activation_learns_xor(xor_data, optimizer, activation):
    X, y = xor_data
    lr = {"gd": 0.5, "momentum": 0.1, "adam": 0.05}[optimizer]
    config = TrainConfig(
        hidden=8,
        activation=activation,
        optimizer=optimizer,
        learning_rate=lr,
        init="glorot",
        steps=5000,
    )
    solved = [train(X, y, config, rng=seed).accuracy == 1.0 for seed in range(5)]
    # ReLU with zero biases can start with dead units (input (0,0) gives H = 0): a few starts
    # stall. The combination works when most starts solve.
    assert sum(solved) >= 4, solved


def test_divergence_is_reported_with_its_step(xor_data):
    X, y = xor_data
    config = TrainConfig(activation="relu", learning_rate=1e100, init="he", tol=None)
    with pytest.raises(TrainingDiverged, match=r"diverged at step \d+.*smaller learning rate") as e:
        train(X, y, config, rng=0)
    assert e.value.step >= 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hidden": 0}, "hidden"),
        ({"hidden": 10**9}, "hidden"),
        ({"activation": "softplus"}, "activation"),
        ({"init": "zeros"}, "init"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"learning_rate": -1.0}, "learning_rate"),
        ({"learning_rate": float("inf")}, "learning_rate"),
        ({"momentum": 1.5}, "momentum"),
        ({"beta2": 1.0}, "beta2"),
        ({"eps": 0.0}, "eps"),
        ({"steps": -1}, "steps"),
        ({"batch_size": 0}, "batch_size"),
        ({"record_every": 0}, "record_every"),
        ({"tol": float("nan")}, "tol"),
    ],
)
def test_absurd_settings_are_refused(change, field):
    with pytest.raises(XornetError, match=f"^{field}: "):
        TrainConfig(**change)


@pytest.mark.parametrize(
    ("X", "y", "message"),
    [
        (np.zeros((4,)), np.zeros(4), "X must be 2-D"),
        (np.zeros((4, 2)), np.zeros((4, 1)), "y must be 1-D"),
        (np.zeros((4, 2)), np.array([0, 1, 0.0]), "4 samples but y has 3"),
        (np.array([[0, np.nan], [1, 1]]), np.array([0, 1.0]), "non-finite value"),
        (np.zeros((2, 2)), np.array([0, 0.5]), r"labels must be class indices .*; y\[1\] is 0.5"),
        (np.zeros((2, 2)), np.array([0, -1.0]), r"labels must be class indices .*; y\[1\] is -1"),
        (np.zeros((2, 2)), np.array([0, 2.0]), "labels go up to 2 but class 1 has no sample"),
        (np.zeros((0, 2)), np.zeros(0), "empty"),
    ],
)
def test_bad_data_is_refused(X, y, message):
    with pytest.raises(DataError, match=message):
        train(X, y, TrainConfig(steps=1))


def test_params_of_the_wrong_size_are_refused(xor_data):
    X, y = xor_data
    with pytest.raises(XornetError, match="expect 3 features but X has 2"):
        train(X, y, params=xornet.init_params(3, 2, rng=0))


@pytest.mark.parametrize(("change", "message"), [
    ({"hidden": "two"}, "hidden: must be an integer"),
    ({"hidden": True}, "hidden: must be an integer"),
    ({"learning_rate": "0.1"}, "learning_rate: must be a number"),
    ({"batch_size": 2.5}, "batch_size: must be an integer or None"),
    ({"nesterov": 1}, "nesterov: must be bool"),
])  # fmt: skip
def test_settings_of_the_wrong_type_are_refused(change, message):
    with pytest.raises(XornetError, match=message):
        TrainConfig(**change)


def test_numpy_numbers_are_stored_as_python_numbers():
    config = TrainConfig(hidden=np.int64(3), learning_rate=np.float32(0.5), steps=np.int32(10))
    assert type(config.hidden) is int
    assert type(config.learning_rate) is float
    assert config.to_dict()["steps"] == 10


def test_config_round_trips_through_a_dict():
    config = TrainConfig(hidden=3, optimizer="adam", tol=None, batch_size=2)
    assert TrainConfig.from_dict(config.to_dict()) == config
    with pytest.raises(XornetError, match="unknown configuration keys: colour"):
        TrainConfig.from_dict({"colour": 1})


def test_other_datasets_train(rng):
    for dataset in (xornet.parity(3), xornet.moons(100, rng=rng), xornet.gate("and")):
        result = train(
            dataset.X,
            dataset.y,
            TrainConfig(hidden=8, optimizer="adam", learning_rate=0.05, steps=3000),
            rng=0,
        )
        assert result.accuracy >= 0.95, (dataset, result)


# ----------------------------------------------------------------- the 1986 experiments' settings


def test_uniform_init_draws_weights_and_biases_in_range():
    params = xornet.init_params(2, 3, "uniform", rng=0, scale=0.5)
    values = params.ravel()
    assert np.all(np.abs(values) <= 0.5)
    assert np.all(params.b1 != 0)
    assert params.b2[0] != 0
    big = xornet.init_params(2, 50, "uniform", rng=1, scale=3.0).ravel()
    assert big.max() > 2.0
    assert big.min() < -2.0
    with pytest.raises(ValueError, match="positive scale"):
        xornet.init_params(2, 3, "uniform", rng=0, scale=0.0)


def test_one_classic_step_squared_error_momentum_pinned_to_its_formula(xor_data):
    # Rumelhart, Hinton and Williams: E = 1/2 sum (t - y)^2, dw(t) = -lr dE/dw + alpha dw(t-1)
    X, y = xor_data
    start = xornet.init_params(2, 2, "uniform", rng=3, scale=0.5)
    config = TrainConfig(hidden=2, init="uniform", init_scale=0.5, loss="sse",
                         optimizer="momentum", momentum=0.9, learning_rate=0.5, steps=2,
                         tol=None)  # fmt: skip
    result = train(X, y, config, params=start, engine="numpy")
    w, velocity = start.copy(), None
    for _ in range(2):
        H = 1 / (1 + np.exp(-(X @ w.W1 + w.b1)))
        P = 1 / (1 + np.exp(-(H @ w.W2 + w.b2)))
        delta2 = (P - y[:, None]) * P * (1 - P)  # no 1/n: the error is summed
        delta1 = (delta2 @ w.W2.T) * H * (1 - H)
        grads = [X.T @ delta1, delta1.sum(0), H.T @ delta2, delta2.sum(0)]
        velocity = [-0.5 * g for g in grads] if velocity is None else [
            -0.5 * g + 0.9 * v for g, v in zip(grads, velocity, strict=True)]  # fmt: skip
        for p, v in zip(w, velocity, strict=True):
            p += v
    np.testing.assert_allclose(result.params.ravel(), w.ravel(), rtol=0, atol=1e-15)
    cache = xornet.forward(result.params, X)
    assert result.final_loss == pytest.approx(0.5 * np.sum((cache.P[:, 0] - y) ** 2))


def test_margin_rule_on_hand_made_outputs():
    from xornet.diagnosis import all_correct as _all_correct

    y = np.array([0.0, 1.0, 1.0, 0.0])
    assert _all_correct(np.array([0.45, 0.55, 0.9, 0.1]), y)
    assert not _all_correct(np.array([0.45, 0.55, 0.9, 0.1]), y, margin=0.1)  # 40-20-40
    assert _all_correct(np.array([0.39, 0.61, 0.9, 0.1]), y, margin=0.1)
    assert not _all_correct(np.array([0.39, 0.6, 0.9, 0.1]), y, margin=0.1)


def test_classic_stop_rules(xor_data):
    X, y = xor_data
    base = TrainConfig(hidden=2, init="uniform", init_scale=0.5, loss="sse", optimizer="momentum",
                       momentum=0.9, learning_rate=0.5, steps=20_000, tol=0.04)  # fmt: skip
    result = train(X, y, base, rng=1)
    assert result.stop_reason == "tolerance"
    assert result.final_loss <= 0.04  # total squared error below the classic criterion
    strict = train(X, y, base.replace(tol=None, stop_when_correct=True, margin=0.1), rng=1)
    assert strict.stop_reason == "all_correct"
    assert np.all(np.where(y > 0.5, strict.probabilities > 0.6, strict.probabilities < 0.4))
    loose = train(X, y, base.replace(tol=None, stop_when_correct=True), rng=1)
    assert loose.steps <= strict.steps


@pytest.mark.parametrize(("change", "field"), [
    ({"loss": "mse"}, "loss"), ({"init_scale": 0.0}, "init_scale"), ({"margin": 0.5}, "margin"),
])  # fmt: skip
def test_classic_settings_are_validated(change, field):
    with pytest.raises(XornetError, match=f"^{field}: "):
        TrainConfig(**change)


def test_every_setting_has_a_type_check():
    import dataclasses

    from xornet.config import _FIELD_TYPES

    assert set(_FIELD_TYPES) == {f.name for f in dataclasses.fields(TrainConfig)}
