"""Backward pass against central differences (hypothesis) and against autograd."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as autograd_grad
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import xornet
from xornet.functional import ACTIVATIONS
from xornet.params import INITS, NAMES, Params

ACTS = tuple(ACTIVATIONS)


def random_problem(seed, n, d, h, init, scale):
    rng = np.random.default_rng(seed)
    params = xornet.init_params(d, h, init, rng)
    params = Params(params.W1 * scale, rng.normal(size=h), params.W2 * scale, rng.normal(size=1))
    X = rng.normal(size=(n, d)) * 2.0
    y = rng.integers(0, 2, n).astype(float)
    return params, X, y


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 9),
    d=st.integers(1, 5),
    h=st.integers(1, 6),
    activation=st.sampled_from(ACTS),
    init=st.sampled_from(INITS),
    scale=st.floats(0.1, 3.0),
    kind=st.sampled_from(["bce", "sse"]),
)
def test_backward_matches_central_differences(seed, n, d, h, activation, init, scale, kind):
    params, X, y = random_problem(seed, n, d, h, init, scale)
    if activation == "relu":
        # relu has a kink at 0: a finite difference across it is not a derivative.
        Z1 = X @ params.W1 + params.b1
        assume(np.min(np.abs(Z1)) > 1e-3)
    check = xornet.gradient_check(params, X, y, activation, tolerance=1e-4, kind=kind)
    assert check.passed, check.errors


def test_gradient_check_catches_a_wrong_backward(monkeypatch, xor_data):
    # The checker itself must be able to fail: break one gradient and watch it notice.
    import xornet.gradcheck as gc

    real = gc.backward

    def broken(params, cache, y, kind="bce"):
        g = real(params, cache, y, kind)
        return Params(g.W1, g.b1 * 1.01, g.W2, g.b2)

    monkeypatch.setattr(gc, "backward", broken)
    X, y = xor_data
    check = gc.gradient_check(xornet.init_params(2, 3, rng=0), X, y)
    assert not check.passed
    assert check.errors["b1"] > 1e-3
    assert check.errors["W1"] < 1e-6


def autograd_loss(activation):
    acts = {
        "sigmoid": lambda z: 1 / (1 + anp.exp(-z)),
        "tanh": anp.tanh,
        "relu": lambda z: anp.maximum(z, 0.0),
    }
    act = acts[activation]

    def f(W1, b1, W2, b2, X, y):
        z = anp.dot(act(anp.dot(X, W1) + b1), W2)[:, 0] + b2[0]
        p = 1 / (1 + anp.exp(-z))
        return -anp.mean(y * anp.log(p) + (1 - y) * anp.log(1 - p))

    return f


def autograd_sse(activation):
    bce = autograd_loss(activation)
    acts = {"sigmoid": lambda z: 1 / (1 + anp.exp(-z)), "tanh": anp.tanh,
            "relu": lambda z: anp.maximum(z, 0.0)}  # fmt: skip

    def f(W1, b1, W2, b2, X, y):
        z = anp.dot(acts[activation](anp.dot(X, W1) + b1), W2)[:, 0] + b2[0]
        return 0.5 * anp.sum((1 / (1 + anp.exp(-z)) - y) ** 2)

    assert bce is not None
    return f


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("seed", range(3))
def test_squared_error_backward_matches_autograd(activation, seed):
    params, X, y = random_problem(seed, 6, 2, 3, "uniform", 1.0)
    f = autograd_sse(activation)
    cache = xornet.forward(params, X, activation)
    assert xornet.loss(cache, y, "sse") == pytest.approx(f(*params, X, y), rel=1e-12)
    ours = xornet.backward(params, cache, y, "sse")
    for i, name in enumerate(NAMES):
        theirs = autograd_grad(f, i)(*params, X, y)
        np.testing.assert_allclose(getattr(ours, name), theirs, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("activation", ACTS)
@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("seed", range(5))
def test_backward_matches_autograd(activation, init, seed):
    params, X, y = random_problem(seed, 7, 3, 4, init, 1.0)
    f = autograd_loss(activation)
    cache = xornet.forward(params, X, activation)
    assert xornet.loss(cache, y) == pytest.approx(f(*params, X, y), rel=1e-12)
    ours = xornet.backward(params, cache, y)
    for i, name in enumerate(NAMES):
        theirs = autograd_grad(f, i)(*params, X, y)
        np.testing.assert_allclose(getattr(ours, name), theirs, rtol=1e-10, atol=1e-14)
