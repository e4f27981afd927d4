"""The study post's maths written out plainly, step by step: the tests' independent oracle.

Features in rows, samples in columns, exactly as in the post. Nothing here calls xornet.
The sigmoid is the post's formula; overflow of exp(-z) is silenced because the oracle is run
only where the post's own code is well defined.
"""

import numpy as np


def sigmoid(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def forward_loss(X, Y, params):
    W1, B1, W2, B2 = params
    Z1 = np.dot(W1.T, X) + B1
    H = sigmoid(Z1)
    Z2 = np.dot(W2.T, H) + B2
    YHat = sigmoid(Z2)
    N = Y.shape[1]
    loss = -(1 / N) * np.sum(Y * np.log(YHat) + (1 - Y) * np.log(1 - YHat))
    return Z1, H, Z2, YHat, loss


def get_gradients(X, Y, params):
    _, _, W2, _ = params
    m = X.shape[1]
    _, H, _, YHat, loss = forward_loss(X, Y, params)
    dZ2 = (1 / m) * (YHat - Y)
    dW2 = np.dot(H, dZ2.T)
    dB2 = np.sum(dZ2, axis=1, keepdims=True)
    dH = np.dot(W2, dZ2)
    dZ1 = dH * H * (1 - H)
    dW1 = np.dot(X, dZ1.T)
    dB1 = np.sum(dZ1, axis=1, keepdims=True)
    return [dW1, dB1, dW2, dB2], loss


def optimize(X, Y, params, learning_rate=0.01, iteration=200000):
    params = [np.copy(p) for p in params]
    loss_trace = []
    for epoch in range(iteration):
        grads, loss = get_gradients(X, Y, params)
        for i in range(len(params)):
            params[i] += -learning_rate * grads[i]
        if epoch % 100 == 0:
            loss_trace.append(loss)
    _, _, _, YHat, _ = forward_loss(X, Y, params)
    return params, loss_trace, YHat


def initial_params(seed, hidden=2):
    """What np.random.seed(seed); init_parameters(hidden) draws in the post."""
    state = np.random.RandomState(seed)
    W1 = state.randn(2, hidden)
    W2 = state.randn(hidden, 1)
    return [W1, np.zeros((hidden, 1)), W2, np.zeros((1, 1))]
