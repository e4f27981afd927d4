"""xornet explain: its numbers are the library's own, in the post's order, in two languages."""

import json
import re

import numpy as np
import pytest

import xornet
from xornet import _text
from xornet.cli import main
from xornet.explain import explain_next, explain_step, render, to_json

FORWARD = ["Z1", "H", "Z2", "P", "loss"]
BACKWARD = ["dZ2", "dW2", "db2", "dH", "dZ1", "dW1", "db1"]


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_the_arrays_are_the_librarys_own(activation):
    data = xornet.xor()
    params = xornet.init_params(2, 3, "glorot", rng=1)
    e = explain_step(params, data.X, data.y, activation=activation, learning_rate=0.5)
    cache = xornet.forward(params, data.X, activation)
    for key in ("Z1", "H", "Z2", "P"):
        np.testing.assert_array_equal(e[key], getattr(cache, key))
    assert float(e["loss"]) == xornet.loss(cache, data.y)
    grads = xornet.backward(params, cache, data.y)
    for key, grad in zip(["dW1", "db1", "dW2", "db2"], grads, strict=True):
        np.testing.assert_array_equal(e[key], grad)
    for key, p, g in zip(["W1", "b1", "W2", "b2"], params, grads, strict=True):
        np.testing.assert_allclose(e[f"{key}_new"], p - 0.5 * g, rtol=0, atol=1e-15)
    new = xornet.Params(*(e[f"{k}_new"] for k in ("W1", "b1", "W2", "b2")))
    assert float(e["loss_new"]) == xornet.loss(xornet.forward(new, data.X, activation), data.y)
    # the chain rule holds between the shown deltas
    np.testing.assert_allclose(e["dH"], e["dZ2"] @ params.W2.T, rtol=1e-15)
    np.testing.assert_allclose(e["dW1"], data.X.T @ e["dZ1"], rtol=1e-14)


def test_post_order_and_numbering():
    data = xornet.xor()
    e = explain_step(xornet.post_initial_params(3), data.X, data.y)
    keys = [q.key for q in e.quantities]
    assert keys.index("X") < keys.index("W1") < keys.index("Z1") < keys.index("dZ2")
    assert [q.key for q in e.quantities if q.stage == "forward"] == FORWARD
    assert [q.key for q in e.quantities if q.stage == "backward"] == BACKWARD
    assert [q.number for q in e.quantities if q.stage == "backward"] == list(range(1, 8))


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_after_n_steps_is_the_real_next_step(optimizer):
    data = xornet.xor()
    start = xornet.init_params(2, 3, rng=2)
    config = xornet.TrainConfig(hidden=3, optimizer=optimizer, learning_rate=0.1, tol=None)
    trainer = xornet.Trainer(data.X, data.y, config.replace(steps=26), params=start,
                             engine="numpy").run(until=25)  # fmt: skip
    e = explain_next(trainer)
    assert e.step == 25
    trained = xornet.train(data.X, data.y, config.replace(steps=26), params=start,
                           engine="numpy")  # fmt: skip
    np.testing.assert_allclose(e["W1_new"], trained.params.W1, rtol=0, atol=1e-14)
    np.testing.assert_allclose(e["b2_new"], trained.params.b2, rtol=0, atol=1e-14)


def trainer_snapshot(trainer):
    state = trainer.state()
    return (*(a.copy() for a in trainer.params), trainer.steps, repr(state.optimizer),
            repr(state.rng), state.order.copy(), state.order_epoch)  # fmt: skip


@pytest.mark.parametrize(
    ("data", "changes", "steps"),
    [
        (xornet.xor(), {"loss": "sse", "learning_rate": 0.5}, 7),
        (xornet.xor(), {"optimizer": "adam", "learning_rate": 0.05}, 7),
        (xornet.xor(), {"batch_size": 3}, 6),  # the next step starts a shuffled epoch
        (xornet.xor(), {"batch_size": 3}, 7),  # ... and is the epoch's second batch
        (xornet.xor(), {"batch_size": 1, "shuffle": False, "optimizer": "momentum"}, 5),
        (xornet.make_dataset("spiral3", n_samples=30, rng=0), {"batch_size": 8}, 9),
    ],
    ids=["sse", "adam", "epoch-start", "mid-epoch", "fixed-order", "softmax"],
)
def test_explain_next_is_the_step_the_trainer_takes(data, changes, steps):
    config = xornet.TrainConfig(hidden=3, tol=None, steps=50, **changes)
    trainer = xornet.Trainer(data.X, data.y, config, rng=4, engine="numpy").run(until=steps)
    before = trainer_snapshot(trainer)
    e = explain_next(trainer)
    after = trainer_snapshot(trainer)  # explaining moves nothing: weights, optimizer, rng
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (e.step, e.loss, e.optimizer) == (steps, config.loss, config.optimizer)
    rows = trainer.next_rows()
    assert (rows is None) == (config.batch_size is None)
    np.testing.assert_array_equal(e["X"], data.X if rows is None else data.X[rows])
    np.testing.assert_array_equal(e["y"], data.y if rows is None else data.y[rows])
    assert trainer.step()
    for key, value in trainer.params.as_dict().items():
        np.testing.assert_array_equal(e[f"{key}_new"], value, err_msg=key)
        # the explanation is a snapshot: the step the trainer took did not move it
        np.testing.assert_array_equal(e[key], before[list(trainer.params.names).index(key)])


def test_render_in_english_and_korean():
    data = xornet.xor()
    e = explain_step(xornet.post_initial_params(3), data.X, data.y)
    en = render(e)
    ko = render(e, lang="ko")
    for i, key in enumerate(BACKWARD, start=1):
        assert f"{i}) {key} = " in en
        assert f"{i}) {key} = " in ko
    assert "Backward pass (the post's seven steps)" in en
    assert "the post's comment says dB2" in en
    assert "역전파 (글의 일곱 단계)" in ko
    assert "글의 주석에는 dB2라고" in ko
    assert "\033[" not in en
    assert "\033[1m" in render(e, colour=True)
    with pytest.raises(ValueError, match="lang"):
        render(e, lang="fr")


@pytest.mark.parametrize("layout", ["library", "post"])
def test_updated_arrays_rows_line_up(layout):
    # Each row of an updated array starts under the first row's: "W1 <- [[ a  b]" then
    # "       [ c  d]]". The library's layout was one column off.
    from xornet.review.post_layout import render_post

    data = xornet.xor()
    e = explain_step(xornet.post_initial_params(3), data.X, data.y)
    lines = (render(e) if layout == "library" else render_post(e)).splitlines()
    firsts = [i for i, line in enumerate(lines) if re.match(r"W[12] <- \[\[", line)]
    assert len(firsts) == 2
    for i in firsts:
        assert lines[i + 1].index("[") == lines[i].index("[[") + 1, lines[i : i + 2]


def test_json_holds_every_array():
    data = xornet.xor()
    e = explain_step(xornet.post_initial_params(3), data.X, data.y)
    record = json.loads(to_json(e))
    assert set(record["arrays"]) == {q.key for q in e.quantities}
    np.testing.assert_array_equal(record["arrays"]["dZ1"], e["dZ1"])
    assert record["post_step"]["db1"] == 7


def test_cli_explain(capsys, tmp_path):
    assert main(["explain", "--preset", "post", "--seed", "3", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    data = xornet.xor()
    e = explain_step(xornet.post_initial_params(3), data.X, data.y)
    np.testing.assert_array_equal(record["arrays"]["dW1"], e["dW1"])

    assert main(["explain", "--lang", "ko", "--after", "10", "--hidden", "2"]) == 0
    out = capsys.readouterr().out
    assert "10번 학습한 뒤" in out
    assert "순전파" in out

    model = tmp_path / "m.npz"
    assert main(["train", "--seed", "0", "--save", str(model), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["explain", "--model", str(model)]) == 0
    out = capsys.readouterr().out
    assert "2-8-1 network" in out
    saved = xornet.load_model(model)
    assert np.array2string(saved.params.b2, precision=4, suppress_small=True) in out


def test_cli_explain_errors(capsys, tmp_path):
    assert main(["explain", "--model", str(tmp_path / "none.npz")]) == 2
    assert "no such model file" in capsys.readouterr().err
    model = tmp_path / "m.npz"
    main(["train", "--seed", "0", "--save", str(model), "--quiet"])
    capsys.readouterr()
    assert main(["explain", "--model", str(model), "--dataset", "parity3"]) == 2
    assert "takes 2 features but parity3 has 3" in capsys.readouterr().err
    assert main(["explain", "--lang", "fr"]) == 2
    capsys.readouterr()
    assert main(["explain", "--batch-size", "2"]) == 2
    assert "full-batch steps" in capsys.readouterr().err


NEGATIVE_ZERO = re.compile(r"-0\.(?![0-9])")  # "-0." with no digit after it: a sign, no value


@pytest.mark.parametrize(
    ("config", "seed"),
    [(xornet.PRESETS["post"], 3), (xornet.TrainConfig(activation="relu"), 0)],
    ids=["post", "relu"],
)
def test_render_shows_no_negative_zero(config, seed):
    # The post's first step moves its zero biases to -4e-5, and dead ReLU units give -0.0:
    # NumPy prints both as -0. ("b1 <- [-0. -0.]").
    data = xornet.xor()
    trainer = xornet.Trainer(data.X, data.y, config.replace(steps=1), rng=seed, engine="numpy")
    e = explain_next(trainer)
    text = render(e) + render(e, lang="ko")
    assert not NEGATIVE_ZERO.search(text), [line for line in text.splitlines()
                                            if NEGATIVE_ZERO.search(line)]  # fmt: skip
    arrays = [q.value for q in e.quantities]
    # the arrays stay as computed: negative, and negative zeros
    assert any(np.any(np.signbit(a) & (np.abs(a) < 5e-5)) for a in arrays)
    if config.start == "post":
        assert "b1 <- [0. 0.]" in text
        assert np.all(e["b1_new"] < 0)
    for q in e.quantities:  # every number is the one NumPy prints, but for the sign of zero
        if q.value.ndim:
            numpy = np.array2string(q.value, precision=4, suppress_small=True, max_line_width=96)
            assert numbers(_text.array_text(q.value, 96)) == numbers(numpy), q.key


def numbers(text):
    return [float(v) for v in text.replace("[", " ").replace("]", " ").split()]
