"""A right implementation written in another style than the post's: the @ operator, other local
names, a sigmoid that cannot overflow, a clipped loss, a docstring per function. It passes every
check with no warning."""

import numpy as np

X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=float)
Y = np.array([[0, 1, 1, 0]], dtype=float)
EPS = 1e-12


def init_parameters(num_hidden_units=2):
    """Weights from the global random state, zero biases."""
    W1 = np.random.randn(2, num_hidden_units)
    W2 = np.random.randn(num_hidden_units, 1)
    return W1, np.zeros((num_hidden_units, 1)), W2, np.zeros((1, 1))


def affine(W, X, B):
    """W.T @ X + B."""
    return W.T @ X + B


def sigmoid(z):
    """The logistic function, without overflow."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def binary_cross_entropy(Y, YHat):
    """Mean log loss over the samples (columns)."""
    p = np.clip(YHat, EPS, 1 - EPS)
    return float(-np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p)))


def forward_loss(X, Y, _params):
    W1, B1, W2, B2 = _params
    Z1 = affine(W1, X, B1)
    H = sigmoid(Z1)
    Z2 = affine(W2, H, B2)
    YHat = sigmoid(Z2)
    return Z1, H, Z2, YHat, binary_cross_entropy(Y, YHat)


def get_gradients(X, Y, _params):
    _, _, W2, _ = _params
    n = X.shape[1]
    _, H, _, YHat, loss = forward_loss(X, Y, _params)
    dZ2 = (YHat - Y) / n
    dZ1 = (W2 @ dZ2) * H * (1 - H)
    grads = [X @ dZ1.T, dZ1.sum(axis=1, keepdims=True), H @ dZ2.T, dZ2.sum(axis=1, keepdims=True)]
    return grads, loss


def optimize(X, Y, _params, learning_rate=0.01, iteration=200000):
    params = [p.copy() for p in _params]
    trace = []
    for step in range(iteration):
        grads, loss = get_gradients(X, Y, params)
        params = [p - learning_rate * g for p, g in zip(params, grads)]
        if step % 100 == 0:
            trace.append(loss)
        if step % 1000 == 0:
            print(f"step {step}: loss {loss:.4f}")
    return params, trace, forward_loss(X, Y, params)[3]


if __name__ == "__main__":
    np.random.seed(3)
    print(optimize(X, Y, init_parameters())[1][-1])
