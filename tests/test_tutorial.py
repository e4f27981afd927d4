"""The post's seven functions against an oracle that follows the post's maths step by step."""

import numpy as np
import pytest

import post_oracle as oracle
from xornet import tutorial

X, Y = tutorial.X, tutorial.Y


def test_data_is_the_posts():
    assert X.shape == (2, 4)
    assert Y.shape == (1, 4)
    np.testing.assert_array_equal(X.T, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(Y, [[0, 1, 1, 0]])


def test_init_parameters_draws_like_the_post_from_global_state():
    np.random.seed(7)
    ours = tutorial.init_parameters(3)
    expected = oracle.initial_params(7, 3)
    for a, b in zip(ours, expected, strict=True):
        np.testing.assert_array_equal(a, b)
    assert [a.shape for a in ours] == [(2, 3), (3, 1), (3, 1), (1, 1)]


@pytest.mark.parametrize("seed", range(6))
def test_forward_and_gradients_match_the_post(seed):
    params = oracle.initial_params(seed, 2 + seed % 3)
    for ours, theirs in zip(
        tutorial.forward_loss(X, Y, params), oracle.forward_loss(X, Y, params), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-15)
    (grads, loss), (expected, expected_loss) = (
        tutorial.get_gradients(X, Y, params),
        oracle.get_gradients(X, Y, params),
    )
    assert loss == pytest.approx(expected_loss, rel=1e-13)
    for a, b in zip(grads, expected, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_affine_sigmoid_and_loss_match_the_post():
    rng = np.random.default_rng(0)
    W, Xs, B = rng.normal(size=(3, 2)), rng.normal(size=(3, 5)), rng.normal(size=(2, 1))
    np.testing.assert_allclose(tutorial.affine(W, Xs, B), np.dot(W.T, Xs) + B, rtol=1e-14)
    z = rng.normal(size=(2, 5)) * 10
    np.testing.assert_allclose(tutorial.sigmoid(z), oracle.sigmoid(z), rtol=1e-15)
    p = tutorial.sigmoid(z[:1, :4])
    expected = -(1 / 4) * np.sum(Y * np.log(p) + (1 - Y) * np.log(1 - p))
    assert tutorial.binary_cross_entropy(Y, p) == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("seed", range(6))
def test_optimize_follows_the_post_to_1e_12(seed):
    params = oracle.initial_params(seed, 2)
    ours, trace, yhat = tutorial.optimize(X, Y, params, learning_rate=0.5, iteration=3000)
    theirs, expected_trace, expected_yhat = oracle.optimize(X, Y, params, 0.5, 3000)
    for a, b in zip(ours, theirs, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(trace, expected_trace, rtol=1e-12)
    np.testing.assert_allclose(yhat, expected_yhat, rtol=0, atol=1e-12)
    assert len(trace) == 30


def test_optimize_does_not_modify_its_input():
    params = oracle.initial_params(0)
    before = [p.copy() for p in params]
    tutorial.optimize(X, Y, params, iteration=10)
    for a, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_the_posts_full_run():
    """The post exactly: 2 hidden units, lr 0.01, 200,000 steps, after np.random.seed(3)."""
    np.random.seed(3)
    params = tutorial.init_parameters(2)
    ours, trace, yhat = tutorial.optimize(X, Y, params)
    theirs, expected_trace, _ = oracle.optimize(X, Y, params)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(trace, expected_trace, rtol=1e-12)
    assert len(trace) == 2000
    assert trace[-1] < 0.01
    np.testing.assert_array_equal(yhat > 0.5, Y > 0.5)


def test_the_posts_run_from_seed_2_ends_stuck():
    """The post's 200,000 steps after np.random.seed(2): the classic stuck state. The oracle
    checks the first 20,000 steps (the whole run is checked against it from seed 3)."""
    np.random.seed(2)
    params = tutorial.init_parameters(2)
    _, trace, yhat = tutorial.optimize(X, Y, params)
    assert len(trace) == 2000
    # The classic stuck state: loss near ln(2)/2, two outputs near 0.5.
    assert abs(trace[-1] - np.log(2) / 2) < 0.01
    assert np.sum(np.abs(yhat - 0.5) < 0.05) == 2
    start, start_trace, _ = tutorial.optimize(X, Y, params, iteration=20_000)
    theirs, expected_trace, _ = oracle.optimize(X, Y, params, iteration=20_000)
    for a, b in zip(start, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    np.testing.assert_allclose(start_trace, expected_trace, rtol=1e-12)
    np.testing.assert_allclose(trace[:200], expected_trace, rtol=1e-12)  # the whole run's start


def test_extremes_stay_finite_and_silent():
    assert tutorial.sigmoid(np.array([-1000.0]))[0] == 0.0
    assert tutorial.sigmoid(np.array([1000.0]))[0] == 1.0
    assert np.isfinite(tutorial.binary_cross_entropy(Y, np.array([[1.0, 0.0, 0.0, 1.0]])))
    assert tutorial.binary_cross_entropy(Y, np.array([[0.0, 1.0, 1.0, 0.0]])) == 0.0
    huge = [np.full((2, 2), 500.0), np.zeros((2, 1)), np.full((2, 1), -500.0), np.zeros((1, 1))]
    *_, loss = tutorial.forward_loss(X, Y, huge)
    grads, loss2 = tutorial.get_gradients(X, Y, huge)
    assert np.isfinite(loss)
    assert loss == loss2
    assert all(np.isfinite(g).all() for g in grads)
    # And right, not just finite: H is 1/2 for (0, 0) and 1 elsewhere, so Z2 is -500, -1000,
    # -1000, -1000; the two samples of class 1 cost 1000 each (the cross-entropy from the
    # logits, not from a probability rounded to 0), and their error -1/4 each reaches W2 and
    # B2 through H = 1, while the saturated hidden units pass nothing back to W1 and B1.
    assert loss == pytest.approx(500.0, rel=1e-15)
    dW1, dB1, dW2, dB2 = grads
    np.testing.assert_allclose(dW2, [[-0.5], [-0.5]], rtol=1e-15)
    np.testing.assert_allclose(dB2, [[-0.5]], rtol=1e-15)
    np.testing.assert_allclose(dW1, 0.0, atol=1e-200)
    np.testing.assert_allclose(dB1, 0.0, atol=1e-200)


def test_bad_shapes_get_a_clear_error():
    with pytest.raises(ValueError, match=r"Y of shape \(1, n_samples\)"):
        tutorial.forward_loss(X, Y.T, oracle.initial_params(0))
    with pytest.raises(ValueError, match="four parameters"):
        tutorial.get_gradients(X, Y, oracle.initial_params(0)[:3])
