"""The backward pass against central differences (hypothesis) and against autograd.

One suite for every network the library builds: the output (one sigmoid output for two classes,
``K`` softmax outputs for more), the loss (cross-entropy; squared error with one sigmoid output
only), the hidden activation, the initialisation and the shortcut weights ``W3``.
"""

import itertools

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad as autograd_grad
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import xornet
from xornet.functional import ACTIVATIONS
from xornet.params import INITS, NAMES, SHORTCUT_NAMES, Params

ACTS = tuple(ACTIVATIONS)
# (output, loss): one sigmoid output takes both losses; a softmax only the cross-entropy.
OUTPUTS = [("sigmoid", "bce"), ("sigmoid", "sse"), ("softmax", "bce")]
CASES = [
    pytest.param(output, kind, activation, init, shortcut,
                 id=f"{output}-{kind}-{activation}-{init}{'-shortcut' if shortcut else ''}")
    for (output, kind), activation, init, shortcut in itertools.product(
        OUTPUTS, ACTS, INITS, (False, True)
    )
]  # fmt: skip


def random_problem(seed, n, d, h, K, init, scale, shortcut):
    """A network with random (non-zero) biases and weights scaled by ``scale``, and data."""
    rng = np.random.default_rng(seed)
    start = xornet.init_params(d, h, init, rng, n_classes=K, shortcut=shortcut)
    k = start.n_outputs
    params = Params(start.W1 * scale, rng.normal(size=h), start.W2 * scale, rng.normal(size=k),
                    None if start.W3 is None else start.W3 * scale)  # fmt: skip
    X = rng.normal(size=(n, d)) * 2.0
    y = rng.integers(0, K, n).astype(float)
    return params, X, y


# ----------------------------------------------------------------------- central differences


@pytest.mark.parametrize(("output", "kind", "activation", "init", "shortcut"), CASES)
@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 9),
    d=st.integers(1, 5),
    h=st.integers(1, 6),
    K=st.integers(3, 6),
    scale=st.floats(0.1, 3.0),
)
def test_backward_matches_central_differences(
    output, kind, activation, init, shortcut, seed, n, d, h, K, scale
):
    K = 2 if output == "sigmoid" else K
    params, X, y = random_problem(seed, n, d, h, K, init, scale, shortcut)
    if activation == "relu":
        # relu has a kink at 0: a finite difference across it is not a derivative.
        Z1 = X @ params.W1 + params.b1
        assume(np.min(np.abs(Z1)) > 1e-3)
    check = xornet.gradient_check(params, X, y, activation, tolerance=1e-4, kind=kind)
    assert check.passed, check.errors
    assert set(check.errors) == set(SHORTCUT_NAMES if shortcut else NAMES)


@pytest.mark.parametrize(
    ("K", "shortcut", "broken"), [(2, False, "b1"), (3, False, "W2"), (2, True, "W3")]
)
def test_gradient_check_catches_a_wrong_backward(monkeypatch, K, shortcut, broken):
    # The checker itself must be able to fail: break one gradient and watch it notice.
    import xornet.gradcheck as gc

    real = gc.backward

    def wrong(params, cache, y, kind="bce"):
        g = real(params, cache, y, kind)
        return g.unravel(np.concatenate([
            (getattr(g, name) * 1.01 if name == broken else getattr(g, name)).ravel()
            for name in g.names
        ]))  # fmt: skip

    monkeypatch.setattr(gc, "backward", wrong)
    params, X, y = random_problem(0, 6, 2, 3, K, "normal", 1.0, shortcut)
    check = gc.gradient_check(params, X, y)
    assert not check.passed
    assert check.errors[broken] > 1e-3
    assert max(e for name, e in check.errors.items() if name != broken) < 1e-6


def test_relu_entries_across_the_kink_are_left_out_and_the_rest_still_checked(monkeypatch):
    # XOR's (0, 0) with b1 = 0 sits every hidden unit on relu's kink: the differences of b1
    # measure the kink (about 1/2 of a one-sided slope), which failed a right backward pass.
    # Unit 0 of W1 is put on the kink at sample (1, 0) too; unit 1 is moved off it.
    import xornet.gradcheck as gc

    data = xornet.xor()
    W1 = np.array([[0.0, 0.7], [1.3, -0.4]])  # Z1 at (1, 0): 0 for unit 0, 0.7 for unit 1
    params = Params(W1, np.zeros(2), np.array([[0.9], [-1.1]]), np.zeros(1))
    check = gc.gradient_check(params, data.X, data.y, "relu")
    assert check.passed, check.errors
    # b1: both units sit on the kink at (0, 0). W1[0, 0] moves unit 0 at (1, 0) and (1, 1)
    # (Z1 = 0 and 1.3); W1[1, 0] moves it at (0, 1) and (1, 1) (Z1 = 1.3): only the first.
    assert check.unchecked == {"b1": 2, "W1": 1}
    assert gc.gradient_check(params, data.X, data.y, "sigmoid").unchecked == {}

    real = gc.backward

    def wrong(params, cache, y, kind="bce"):  # W1[1, 0] off by 1%: a checked entry
        g = real(params, cache, y, kind)
        return Params(g.W1 * np.array([[1.0, 1.0], [1.01, 1.0]]), g.b1, g.W2, g.b2)

    monkeypatch.setattr(gc, "backward", wrong)
    check = gc.gradient_check(params, data.X, data.y, "relu")
    assert not check.passed
    assert check.errors["W1"] > 1e-3


# ----------------------------------------------------------------------------------- autograd

AUTOGRAD_ACTS = {
    "sigmoid": lambda z: 1 / (1 + anp.exp(-z)),
    "tanh": anp.tanh,
    "relu": lambda z: anp.maximum(z, 0.0),
}


def autograd_loss(activation, kind):
    """The loss as a function of the parameters ``(W1, b1, W2, b2[, W3])``, written once more
    from the formulas: the post's BCE, the 1986 paper's summed squared error, the mean
    cross-entropy of a softmax."""
    act = AUTOGRAD_ACTS[activation]

    def f(weights, X, y):
        W1, b1, W2, b2, *W3 = weights
        Z2 = anp.dot(act(anp.dot(X, W1) + b1), W2) + b2
        if W3:
            Z2 = Z2 + anp.dot(X, W3[0])
        if W2.shape[1] == 1:
            p = 1 / (1 + anp.exp(-Z2[:, 0]))
            if kind == "sse":
                return 0.5 * anp.sum((p - y) ** 2)
            return -anp.mean(y * anp.log(p) + (1 - y) * anp.log(1 - p))
        logp = Z2 - anp.log(anp.sum(anp.exp(Z2), axis=1, keepdims=True))
        onehot = (y[:, None] == np.arange(W2.shape[1])[None, :]).astype(float)
        return -anp.mean(anp.sum(onehot * logp, axis=1))

    return f


# (seed, n, d, h, K for a softmax): a few shapes, one sample and one input among them.
AUTOGRAD_PROBLEMS = [(0, 7, 3, 4, 3), (1, 6, 2, 3, 5), (2, 1, 1, 2, 4)]


@pytest.mark.parametrize(("seed", "n", "d", "h", "K"), AUTOGRAD_PROBLEMS)
@pytest.mark.parametrize(("output", "kind", "activation", "init", "shortcut"), CASES)
def test_backward_matches_autograd(output, kind, activation, init, shortcut, seed, n, d, h, K):
    K = 2 if output == "sigmoid" else K
    params, X, y = random_problem(seed, n, d, h, K, init, 1.0, shortcut)
    f = autograd_loss(activation, kind)
    weights = tuple(params)
    cache = xornet.forward(params, X, activation)
    assert xornet.loss(cache, y, kind) == pytest.approx(f(weights, X, y), rel=1e-12)
    ours = xornet.backward(params, cache, y, kind)
    theirs = autograd_grad(f)(weights, X, y)
    assert ours.names == params.names
    for name, a, b in zip(ours.names, ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14, err_msg=name)
