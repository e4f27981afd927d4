"""Each optimizer's first steps pinned to its formula, written out here by hand."""

import numpy as np
import pytest

import xornet
from xornet.optim import GD, Adam, Momentum, make_optimizer
from xornet.params import Params


def make(values):
    return Params(
        np.array([[values[0]]]),
        np.array([values[1]]),
        np.array([[values[2]]]),
        np.array([values[3]]),
    )


W0 = [0.5, -0.25, 1.0, 2.0]
G1 = [0.1, -0.2, 0.3, -0.4]
G2 = [-0.05, 0.1, 0.2, 0.0]


def flat(p):
    return p.ravel()


def test_gd_step():
    p = make(W0)
    GD(0.1).step(p, make(G1))
    np.testing.assert_allclose(flat(p), np.array(W0) - 0.1 * np.array(G1), rtol=0, atol=1e-15)


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_two_steps(nesterov):
    lr, mu = 0.5, 0.9
    p = make(W0)
    opt = Momentum(lr, mu, nesterov)
    opt.step(p, make(G1))
    opt.step(p, make(G2))
    w, g1, g2 = np.array(W0), np.array(G1), np.array(G2)
    v1 = -lr * g1
    v2 = mu * v1 - lr * g2
    # Heavy ball is Rumelhart, Hinton and Williams' dw(t) = -lr g(t) + alpha dw(t-1).
    nesterov_steps = (mu * v1 - lr * g1) + (mu * v2 - lr * g2)
    expected = w + (nesterov_steps if nesterov else v1 + v2)
    np.testing.assert_allclose(flat(p), expected, rtol=0, atol=1e-15)


def test_adam_two_steps_kingma_ba_algorithm_1():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    p = make(W0)
    opt = Adam(lr, b1, b2, eps)
    opt.step(p, make(G1))
    opt.step(p, make(G2))
    w = np.array(W0)
    m = np.zeros(4)
    v = np.zeros(4)
    for t, g in enumerate([np.array(G1), np.array(G2)], start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    np.testing.assert_allclose(flat(p), w, rtol=0, atol=1e-15)


def test_adam_first_step_moves_each_weight_by_about_lr():
    # With bias correction, step one is lr * g / (|g| + eps): a sign step of size lr.
    p = make(W0)
    Adam(0.01).step(p, make(G1))
    step = flat(p) - np.array(W0)
    np.testing.assert_allclose(np.abs(step), 0.01, rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "sgd", "learning_rate": 0.1}, "unknown optimizer"),
        ({"name": "gd", "learning_rate": 0.0}, "learning rate"),
        ({"name": "gd", "learning_rate": float("nan")}, "learning rate"),
        ({"name": "momentum", "learning_rate": 0.1, "momentum": 1.0}, "momentum"),
        ({"name": "adam", "learning_rate": 0.1, "beta1": -0.1}, "beta1"),
        ({"name": "adam", "learning_rate": 0.1, "eps": 0.0}, "eps"),
    ],
)
def test_bad_optimizer_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer(**kwargs)


def test_optimizers_hold_only_their_own_state():
    opt = xornet.Adam(0.1)
    assert opt.m is None
    assert opt.t == 0
    p = xornet.init_params(2, 3, rng=0)
    opt.step(p, p.copy())
    assert opt.t == 1
    assert [m.shape for m in opt.m] == [a.shape for a in p]
