"""Known mistakes of affine, sigmoid, binary_cross_entropy, forward_loss and optimize.

Each produces what the wrong code returns, built from xornet's own functions
(:mod:`xornet.tutorial`) wherever the mistake allows: a transposed output is the right output
transposed, a missing bias is the affine map of a zero bias, gradient ascent is the right
training at ``-learning_rate``. See :mod:`xornet.review.catalogue`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np

from xornet import tutorial as ref
from xornet._typing import Array
from xornet.review._cases import Case
from xornet.review._mistake import Mistake
from xornet.review.post_layout import step_label

__all__ = ["LAYER_MISTAKES", "post_loop"]

Produce = Callable[[Case], dict[str, Any]]


def _m(key: str, function: str, step: str, produce: Produce, what: tuple[str, str],
       fix: tuple[str, str]) -> Mistake:  # fmt: skip
    return Mistake(key, function, step, produce, {"en": what[0], "ko": what[1]},
                   {"en": fix[0], "ko": fix[1]}, function)  # fmt: skip


def _raw_bce(Y: Array, YHat: Array) -> float:
    """The post's formula, taken as written (so it gives nan where a wrong input makes it so)."""
    with np.errstate(all="ignore"):
        N = Y.shape[1]
        return float(-(1 / N) * np.sum(Y * np.log(YHat) + (1 - Y) * np.log(1 - YHat)))


def _forward(case: Case, Z1: Array | None = None, hidden: Callable[[Array], Array] = ref.sigmoid,
             layer2_input: str = "H", output: bool = True) -> dict[str, Any]:  # fmt: skip
    """The post's forward pass with one piece changed."""
    X, Y, (W1, B1, W2, B2) = case.args
    Z1 = ref.affine(W1, X, B1) if Z1 is None else Z1
    H = hidden(Z1)
    Z2 = ref.affine(W2, H if layer2_input == "H" else Z1, B2)
    if not output:  # YHat = Z2: the loss of a "probability" outside (0, 1) is nan
        return {"Z1": Z1, "H": H, "Z2": Z2, "YHat": Z2}
    YHat = ref.sigmoid(Z2)
    return {"Z1": Z1, "H": H, "Z2": Z2, "YHat": YHat, "loss": ref.binary_cross_entropy(Y, YHat)}


def post_loop(
    gradients: Callable[..., Any], X: Array, Y: Array, start: list[Array], lr: float, n: int
) -> tuple[list[Array], list[Any]]:
    """The post's optimize loop around any ``get_gradients``: the final parameters and the
    loss trace (a test pins it to :func:`xornet.tutorial.optimize`)."""
    params, trace = [np.copy(p) for p in start], []
    for epoch in range(n):
        dparams, loss = gradients(X, Y, params)
        for i in range(len(params)):
            params[i] += -lr * np.asarray(dparams[i])
        if epoch % 100 == 0:
            trace.append(loss)
    return params, trace


def _trained(case: Case, lr: float | None = None, steps: int = 0) -> list[Array]:
    X, Y, params, learning_rate, n = case.args
    lr = learning_rate if lr is None else lr
    return ref.optimize(X, Y, params, lr, n + steps)[0]


def _params(values: list[Array]) -> dict[str, Any]:
    return dict(zip(("W1", "B1", "W2", "B2"), values, strict=True))


_AFFINE = ("np.dot(W.T, X) + B", "np.dot(W.T, X) + B")
_SIGMOID = ("1 / (1 + np.exp(-z))", "1 / (1 + np.exp(-z))")
_BCE = (
    "-(1/N) * np.sum(Y * np.log(YHat) + (1 - Y) * np.log(1 - YHat)), N = Y.shape[1]",
    "-(1/N) * np.sum(Y * np.log(YHat) + (1 - Y) * np.log(1 - YHat)), N = Y.shape[1]",
)
_STEP = ("params[i] += -learning_rate * dparams[i]", "params[i] += -learning_rate * dparams[i]")

#: Mistakes of the post's functions other than get_gradients.
LAYER_MISTAKES: Final[tuple[Mistake, ...]] = (
    _m("affine_no_transpose", "affine", "affine",
       lambda c: {"out": ref.affine(c.args[0].T, c.args[1], c.args[2])},
       ("np.dot(W, X) + B: W is not transposed; W has one row per input",
        "np.dot(W, X) + B: W를 전치하지 않았다; W는 입력마다 한 행이다"), _AFFINE),
    _m("affine_transposed", "affine", "affine", lambda c: {"out": ref.affine(*c.args).T},
       ("the output is transposed (samples in rows); the post keeps samples in columns",
        "출력이 전치되었다 (샘플이 행); 글은 샘플을 열에 둔다"), _AFFINE),
    _m("affine_no_bias", "affine", "affine",
       lambda c: {"out": ref.affine(c.args[0], c.args[1], 0 * c.args[2])},
       ("the bias B is not added", "바이어스 B를 더하지 않았다"), _AFFINE),
    _m("affine_minus_bias", "affine", "affine",
       lambda c: {"out": ref.affine(c.args[0], c.args[1], -c.args[2])},
       ("the bias B is subtracted", "바이어스 B를 뺐다"), _AFFINE),
    _m("sigmoid_sign", "sigmoid", "sigmoid", lambda c: {"out": ref.sigmoid(-c.args[0])},
       ("1 / (1 + np.exp(z)): the minus sign in exp(-z) is missing, so this is sigmoid(-z)",
        "1 / (1 + np.exp(z)): exp(-z)의 마이너스가 빠져서 sigmoid(-z)가 되었다"), _SIGMOID),
    _m("sigmoid_derivative", "sigmoid", "sigmoid",
       lambda c: {"out": ref.sigmoid(c.args[0]) * (1 - ref.sigmoid(c.args[0]))},
       ("this is the sigmoid's derivative s * (1 - s), not the sigmoid",
        "시그모이드가 아니라 그 미분 s * (1 - s)이다"), _SIGMOID),
    _m("sigmoid_tanh", "sigmoid", "sigmoid", lambda c: {"out": np.tanh(c.args[0])},
       ("this is np.tanh, whose values lie in (-1, 1); the sigmoid's lie in (0, 1)",
        "이것은 np.tanh로 값이 (-1, 1)에 있다; 시그모이드의 값은 (0, 1)에 있다"), _SIGMOID),
    _m("bce_no_minus", "binary_cross_entropy", "binary_cross_entropy",
       lambda c: {"loss": -ref.binary_cross_entropy(*c.args)},
       ("the minus sign is missing: the loss comes out negative",
        "마이너스 부호가 빠졌다: 손실이 음수로 나온다"), _BCE),
    _m("bce_sum", "binary_cross_entropy", "binary_cross_entropy",
       lambda c: {"loss": c.args[0].shape[1] * ref.binary_cross_entropy(*c.args)},
       ("the loss is a sum, not a mean: the 1/N is missing (or N = Y.shape[0], which is 1)",
        "손실이 평균이 아니라 합이다: 1/N이 빠졌다 (또는 N = Y.shape[0]으로 1이 되었다)"), _BCE),
    _m("bce_one_class", "binary_cross_entropy", "binary_cross_entropy",
       lambda c: {"loss": float(-np.sum(c.args[0] * np.log(c.args[1])) / c.args[0].shape[1])},
       ("the (1 - Y) * log(1 - YHat) term is missing: samples of class 0 add nothing",
        "(1 - Y) * log(1 - YHat) 항이 빠졌다: 클래스 0인 샘플은 손실에 아무것도 더하지 않는다"),
       _BCE),
    _m("bce_swapped", "binary_cross_entropy", "binary_cross_entropy",
       lambda c: {"loss": _raw_bce(c.args[1], c.args[0])},
       ("Y and YHat are swapped: log(Y) of a label 0 is -inf",
        "Y와 YHat이 바뀌었다: 레이블 0의 log(Y)는 -inf이다"), _BCE),
    _m("bce_log10", "binary_cross_entropy", "binary_cross_entropy",
       lambda c: {"loss": ref.binary_cross_entropy(*c.args) / np.log(10)},
       ("np.log10 instead of the natural log np.log",
        "자연로그 np.log 대신 np.log10을 썼다"), _BCE),
    _m("bce_squared_error", "binary_cross_entropy", "binary_cross_entropy",
       lambda c: {"loss": float(np.mean((c.args[1] - c.args[0]) ** 2))},
       ("this is the mean squared error; the post uses the cross-entropy (log loss), whose "
        "gradient does not vanish when the sigmoid saturates",
        "이것은 평균 제곱 오차다; 글은 교차 엔트로피(로그 손실)를 쓰며, 그 기울기는 "
        "시그모이드가 포화되어도 사라지지 않는다"), _BCE),
    _m("no_hidden_activation", "forward_loss", step_label("H"),
       lambda c: _forward(c, hidden=lambda z: z),
       ("H = Z1: the hidden layer's sigmoid is missing, so the network is linear and cannot "
        "learn XOR",
        "H = Z1: 은닉층의 시그모이드가 빠져서 신경망이 선형이 되고 XOR을 배울 수 없다"),
       ("H = sigmoid(Z1)", "H = sigmoid(Z1)")),
    _m("layer2_from_Z1", "forward_loss", step_label("Z2"),
       lambda c: _forward(c, layer2_input="Z1"),
       ("Z2 = affine(W2, Z1, B2): layer 2 takes Z1 instead of H = sigmoid(Z1)",
        "Z2 = affine(W2, Z1, B2): 2층이 H = sigmoid(Z1) 대신 Z1을 받는다"),
       ("Z2 = affine(W2, H, B2)", "Z2 = affine(W2, H, B2)")),
    _m("no_output_sigmoid", "forward_loss", step_label("YHat"),
       lambda c: _forward(c, output=False),
       ("YHat = Z2: the output's sigmoid is missing, so YHat is not a probability",
        "YHat = Z2: 출력의 시그모이드가 빠져서 YHat이 확률이 아니다"),
       ("YHat = sigmoid(Z2)", "YHat = sigmoid(Z2)")),
    _m("layer1_bias_B2", "forward_loss", step_label("Z1"),
       lambda c: _forward(c, Z1=ref.affine(c.args[2][0], c.args[0], c.args[2][3])),
       ("Z1 = affine(W1, X, B2): layer 1 adds the bias of layer 2",
        "Z1 = affine(W1, X, B2): 1층에 2층의 바이어스를 더했다"),
       ("Z1 = affine(W1, X, B1)", "Z1 = affine(W1, X, B1)")),
    _m("ascent", "optimize", "optimize",
       lambda c: _params(post_loop(ref.get_gradients, c.args[0], c.args[1], c.args[2],
                                   -c.args[3], c.args[4])[0]),
       ("params[i] += learning_rate * dparams[i]: the step goes up the gradient, so the loss "
        "grows",
        "params[i] += learning_rate * dparams[i]: 기울기를 따라 올라가므로 손실이 커진다"),
       _STEP),
    _m("learning_rate_ignored", "optimize", "optimize", lambda c: _params(_trained(c, lr=0.01)),
       ("the learning_rate argument is ignored: the steps use 0.01 whatever it is",
        "learning_rate 인자를 무시하고 항상 0.01로 업데이트한다"),
       ("use the learning_rate parameter in the update", "업데이트에 learning_rate 인자를 쓴다")),
    _m("one_step_short", "optimize", "optimize", lambda c: _params(_trained(c, steps=-1)),
       ("one update fewer than iteration", "업데이트가 iteration보다 한 번 적다"),
       ("for epoch in range(iteration)", "for epoch in range(iteration)")),
    _m("one_step_more", "optimize", "optimize", lambda c: _params(_trained(c, steps=1)),
       ("one update more than iteration", "업데이트가 iteration보다 한 번 많다"),
       ("for epoch in range(iteration)", "for epoch in range(iteration)")),
    _m("not_updated", "optimize", "optimize", lambda c: _params(list(c.args[2])),
       ("the parameters come back unchanged: the update rebinds a loop variable "
        "(for p in params: p = p - ...) instead of changing params[i]",
        "파라미터가 그대로 돌아온다: 업데이트가 params[i]를 바꾸지 않고 반복 변수에 새 값을 "
        "넣기만 한다 (for p in params: p = p - ...)"), _STEP),
    _m("yhat_of_start", "optimize", "optimize",
       lambda c: {"YHat": ref.forward_loss(c.args[0], c.args[1], c.args[2])[3]},
       ("Y_hat_predict is the output of the starting parameters, before training",
        "Y_hat_predict가 학습 전 처음 파라미터의 출력이다"),
       ("after the loop: _, _, _, Y_hat_predict, _ = forward_loss(X, Y, params)",
        "반복이 끝난 뒤: _, _, _, Y_hat_predict, _ = forward_loss(X, Y, params)")),
    _m("yhat_before_last_step", "optimize", "optimize",
       lambda c: {"YHat": ref.optimize(c.args[0], c.args[1], c.args[2], c.args[3],
                                       c.args[4] - 1)[2]},
       ("Y_hat_predict is the output before the last update (kept from inside the loop)",
        "Y_hat_predict가 마지막 업데이트 전의 출력이다 (반복 안에서 구한 값)"),
       ("after the loop: _, _, _, Y_hat_predict, _ = forward_loss(X, Y, params)",
        "반복이 끝난 뒤: _, _, _, Y_hat_predict, _ = forward_loss(X, Y, params)")),
)  # fmt: skip
