"""The catalogue of known mistakes: what each wrong version of the post's code returns.

Each :class:`Mistake` is a mutation of the right computation: a small function that computes
what a learner who made that mistake gets. A learner's numbers that equal a mistake's on every
case, to about 1e-12, are that mistake: the review can say "your dLdW1 equals
np.dot(dLdZ1, X.T), the transpose" with confidence, not guess.

The backward pass is written here as the post's seven steps (:data:`STEPS`), each a rule that
reads the arrays before it; a mistake of the backward pass replaces one or more rules, and two
mistakes that replace different rules combine. Unchanged, the seven rules give exactly
xornet's gradients (a test pins them to :func:`xornet.explain.explain_step`); the reference
numbers the review compares with always come from xornet itself.

Mistakes of the other functions are in :mod:`xornet.review._layer_mistakes`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import numpy as np

from xornet._typing import Array
from xornet.review._cases import Case, same
from xornet.review._layer_mistakes import LAYER_MISTAKES
from xornet.review._mistake import Mistake, Rule
from xornet.review.post_layout import step_label

__all__ = [
    "BACKWARD",
    "GRADIENTS",
    "STEPS",
    "Mistake",
    "all_mistakes",
    "backward",
    "combined",
    "matching",
]


class _State(dict[str, Array]):
    """The backward pass's arrays, each computed from its rule when first read."""

    def __init__(self, base: dict[str, Array], rules: Mapping[str, Rule]) -> None:
        super().__init__(base)
        self.rules = rules

    def __missing__(self, name: str) -> Array:
        value: Array = self.rules[name](self)
        self[name] = value
        return value


#: The post's get_gradients, step by step, in its layout (m = the number of samples).
STEPS: Final[dict[str, Rule]] = {
    "dLdZ2": lambda s: (1 / s["m"]) * (s["YHat"] - s["Y"]),
    "dLdW2": lambda s: s["H"] @ s["dLdZ2"].T,
    "dLdB2": lambda s: np.sum(s["dLdZ2"], axis=1, keepdims=True),
    "dLdH": lambda s: s["W2"] @ s["dLdZ2"],
    "dLdZ1": lambda s: s["dLdH"] * s["H"] * (1 - s["H"]),
    "dLdW1": lambda s: s["X"] @ s["dLdZ1"].T,
    "dLdB1": lambda s: np.sum(s["dLdZ1"], axis=1, keepdims=True),
}

#: The arrays get_gradients returns, in its order.
GRADIENTS: Final = ("dLdW1", "dLdB1", "dLdW2", "dLdB2")


def backward(case: Case, swaps: Mapping[str, Rule] | None = None) -> dict[str, Array]:
    """The four gradients of a network case, with some of the post's steps replaced."""
    X, Y, (_, _, W2, _) = case.args
    ref = case.ref
    base = {"X": X, "Y": Y, "W2": W2, "m": np.float64(X.shape[1]),
            "Z1": ref["Z1"], "H": ref["H"], "YHat": ref["YHat"]}  # fmt: skip
    state = _State(base, {**STEPS, **(swaps or {})})
    with np.errstate(all="ignore"):
        return {name: state[name] for name in GRADIENTS}


def _sigmoid(z: Array) -> Array:
    from xornet.functional import sigmoid

    return sigmoid(z)


def _b(key: str, step: str, swaps: dict[str, Rule], what: tuple[str, str],
       fix: tuple[str, str]) -> Mistake:  # fmt: skip
    def produce(case: Case) -> dict[str, Any]:
        return dict(backward(case, swaps))

    return Mistake(key, "get_gradients", step_label(step), produce, {"en": what[0], "ko": what[1]},
                   {"en": fix[0], "ko": fix[1]}, step, swaps)  # fmt: skip


_SUM_DZ1 = ("dLdB1 = np.sum(dLdZ1, axis=1, keepdims=True)",
            "dLdB1 = np.sum(dLdZ1, axis=1, keepdims=True)")  # fmt: skip
_SUM_DZ2 = ("dLdB2 = np.sum(dLdZ2, axis=1, keepdims=True)",
            "dLdB2 = np.sum(dLdZ2, axis=1, keepdims=True)")  # fmt: skip

#: The backward pass's mistakes, in the order of the post's steps.
BACKWARD: Final[tuple[Mistake, ...]] = (
    _b("no_mean", "dLdZ2", {"dLdZ2": lambda s: s["YHat"] - s["Y"]},
       ("dLdZ2 is missing the 1/m: the loss is a mean over m samples, so every gradient is "
        "m times too large",
        "dLdZ2에 1/m이 빠졌다: 손실은 m개 샘플의 평균이므로 모든 기울기가 m배 커진다"),
       ("dLdZ2 = (1/m) * (YHat - Y) with m = X.shape[1]",
        "m = X.shape[1]로 두고 dLdZ2 = (1/m) * (YHat - Y)")),
    _b("m_from_features", "dLdZ2", {"dLdZ2": lambda s: (s["YHat"] - s["Y"]) / s["X"].shape[0]},
       ("m is taken from X.shape[0], the number of features; samples are X's columns",
        "m을 특성의 수인 X.shape[0]에서 가져왔다; 샘플은 X의 열이다"),
       ("m = X.shape[1]", "m = X.shape[1]")),
    _b("y_minus_yhat", "dLdZ2", {"dLdZ2": lambda s: (1 / s["m"]) * (s["Y"] - s["YHat"])},
       ("the output error is taken as Y - YHat; the loss's derivative is YHat - Y, so every "
        "gradient has the wrong sign and the updates would climb the loss",
        "출력 오차를 Y - YHat으로 잡았다; 손실의 미분은 YHat - Y이므로 모든 기울기의 부호가 "
        "반대이고, 업데이트가 손실을 키운다"),
       ("dLdZ2 = (1/m) * (YHat - Y)", "dLdZ2 = (1/m) * (YHat - Y)")),
    _b("output_derivative", "dLdZ2",
       {"dLdZ2": lambda s: (1 / s["m"]) * (s["YHat"] - s["Y"]) * s["YHat"] * (1 - s["YHat"])},
       ("dLdZ2 is multiplied by the sigmoid's derivative YHat * (1 - YHat); with cross-entropy "
        "that factor cancels",
        "dLdZ2에 시그모이드의 미분 YHat * (1 - YHat)을 곱했다; 교차 엔트로피와 함께라면 이 "
        "항은 상쇄된다"),
       ("dLdZ2 = (1/m) * (YHat - Y): the cross-entropy's 1 / (YHat (1 - YHat)) cancels the "
        "sigmoid's derivative",
        "dLdZ2 = (1/m) * (YHat - Y): 교차 엔트로피의 1 / (YHat (1 - YHat))이 시그모이드의 "
        "미분을 상쇄한다")),
    _b("squared_error", "dLdZ2",
       {"dLdZ2": lambda s: (s["YHat"] - s["Y"]) * s["YHat"] * (1 - s["YHat"])},
       ("dLdZ2 = (YHat - Y) * YHat * (1 - YHat) is the gradient of the summed squared error, "
        "not of the post's mean cross-entropy",
        "dLdZ2 = (YHat - Y) * YHat * (1 - YHat)은 제곱 오차 합의 기울기이지, 글의 평균 교차 "
        "엔트로피의 기울기가 아니다"),
       ("dLdZ2 = (1/m) * (YHat - Y)", "dLdZ2 = (1/m) * (YHat - Y)")),
    _b("dW2_transposed", "dLdW2", {"dLdW2": lambda s: s["dLdZ2"] @ s["H"].T},
       ("dLdW2 is transposed: np.dot(dLdZ2, H.T) has shape (1, h) but W2 is (h, 1)",
        "dLdW2가 전치되었다: np.dot(dLdZ2, H.T)의 모양은 (1, h)이지만 W2는 (h, 1)이다"),
       ("dLdW2 = np.dot(H, dLdZ2.T)", "dLdW2 = np.dot(H, dLdZ2.T)")),
    _b("dW2_from_X", "dLdW2", {"dLdW2": lambda s: s["X"] @ s["dLdZ2"].T},
       ("dLdW2 uses X; the input of layer 2 is H", "dLdW2에 X를 썼다; 2층의 입력은 H이다"),
       ("dLdW2 = np.dot(H, dLdZ2.T)", "dLdW2 = np.dot(H, dLdZ2.T)")),
    _b("dW2_from_Z1", "dLdW2", {"dLdW2": lambda s: s["Z1"] @ s["dLdZ2"].T},
       ("dLdW2 uses Z1, the hidden layer before its sigmoid; layer 2 sees H = sigmoid(Z1)",
        "dLdW2에 시그모이드를 거치기 전의 Z1을 썼다; 2층이 받는 것은 H = sigmoid(Z1)이다"),
       ("dLdW2 = np.dot(H, dLdZ2.T)", "dLdW2 = np.dot(H, dLdZ2.T)")),
    _b("dB2_no_keepdims", "dLdB2", {"dLdB2": lambda s: np.sum(s["dLdZ2"], axis=1)},
       ("dLdB2 is summed without keepdims=True: shape (1,) instead of B2's (1, 1)",
        "dLdB2를 keepdims=True 없이 합했다: 모양이 B2의 (1, 1)이 아니라 (1,)이다"), _SUM_DZ2),
    _b("dB2_scalar", "dLdB2", {"dLdB2": lambda s: np.sum(s["dLdZ2"])},
       ("dLdB2 = np.sum(dLdZ2) is a number, not an array of B2's shape (1, 1)",
        "dLdB2 = np.sum(dLdZ2)는 B2의 모양 (1, 1)의 배열이 아니라 숫자 하나다"), _SUM_DZ2),
    _b("dB2_axis0", "dLdB2", {"dLdB2": lambda s: np.sum(s["dLdZ2"], axis=0, keepdims=True)},
       ("dLdB2 sums over axis 0, the output units; the samples are axis 1",
        "dLdB2를 출력 유닛 축(axis 0)으로 합했다; 샘플은 axis 1이다"), _SUM_DZ2),
    _b("dB2_mean", "dLdB2", {"dLdB2": lambda s: np.mean(s["dLdZ2"], axis=1, keepdims=True)},
       ("dLdB2 takes the mean, not the sum: dLdZ2 already carries the 1/m, so it is divided "
        "by m twice",
        "dLdB2에 합이 아니라 평균을 썼다: dLdZ2에 이미 1/m이 있으니 m으로 두 번 나눈 셈이다"),
       _SUM_DZ2),
    _b("dB2_from_dZ1", "dLdB2", {"dLdB2": lambda s: np.sum(s["dLdZ1"], axis=1, keepdims=True)},
       ("dLdB2 sums dLdZ1, the first layer's error: the bias of layer 2 takes dLdZ2",
        "dLdB2에 1층의 오차 dLdZ1을 합했다: 2층 바이어스에는 dLdZ2를 쓴다"), _SUM_DZ2),
    _b("no_hidden_derivative", "dLdZ1", {"dLdZ1": lambda s: s["dLdH"]},
       ("dLdZ1 is missing the sigmoid's derivative H * (1 - H)",
        "dLdZ1에 시그모이드의 미분 H * (1 - H)가 빠졌다"),
       ("dLdZ1 = dLdH * H * (1 - H)", "dLdZ1 = dLdH * H * (1 - H)")),
    _b("derivative_of_H", "dLdZ1",
       {"dLdZ1": lambda s: s["dLdH"] * _sigmoid(s["H"]) * (1 - _sigmoid(s["H"]))},
       ("dLdZ1 takes sigmoid(H) * (1 - sigmoid(H)): H is already sigmoid(Z1), so the "
        "derivative is simply H * (1 - H)",
        "dLdZ1에 sigmoid(H) * (1 - sigmoid(H))를 썼다: H가 이미 sigmoid(Z1)이므로 미분은 "
        "H * (1 - H)이다"),
       ("dLdZ1 = dLdH * H * (1 - H)", "dLdZ1 = dLdH * H * (1 - H)")),
    _b("derivative_of_Z1", "dLdZ1", {"dLdZ1": lambda s: s["dLdH"] * s["Z1"] * (1 - s["Z1"])},
       ("dLdZ1 takes Z1 * (1 - Z1): the sigmoid's derivative is written through its output, "
        "H * (1 - H)",
        "dLdZ1에 Z1 * (1 - Z1)을 썼다: 시그모이드의 미분은 출력으로 쓰면 H * (1 - H)이다"),
       ("dLdZ1 = dLdH * H * (1 - H)", "dLdZ1 = dLdH * H * (1 - H)")),
    _b("tanh_derivative", "dLdZ1", {"dLdZ1": lambda s: s["dLdH"] * (1 - s["H"] ** 2)},
       ("dLdZ1 uses tanh's derivative 1 - H**2, but the hidden layer is a sigmoid",
        "dLdZ1에 tanh의 미분 1 - H**2를 썼지만 은닉층은 시그모이드다"),
       ("dLdZ1 = dLdH * H * (1 - H)", "dLdZ1 = dLdH * H * (1 - H)")),
    _b("dW1_transposed", "dLdW1", {"dLdW1": lambda s: s["dLdZ1"] @ s["X"].T},
       ("dLdW1 is transposed: np.dot(dLdZ1, X.T) has shape (h, d) but W1 is (d, h); with the "
        "post's 2 inputs and 2 hidden units the shapes agree and only the values are wrong",
        "dLdW1이 전치되었다: np.dot(dLdZ1, X.T)의 모양은 (h, d)지만 W1은 (d, h)이다; 글처럼 "
        "입력 2개, 은닉 유닛 2개면 모양은 같고 값만 틀린다"),
       ("dLdW1 = np.dot(X, dLdZ1.T)", "dLdW1 = np.dot(X, dLdZ1.T)")),
    _b("dW1_from_H", "dLdW1", {"dLdW1": lambda s: s["H"] @ s["dLdZ1"].T},
       ("dLdW1 uses H; the input of layer 1 is X", "dLdW1에 H를 썼다; 1층의 입력은 X이다"),
       ("dLdW1 = np.dot(X, dLdZ1.T)", "dLdW1 = np.dot(X, dLdZ1.T)")),
    _b("dB1_no_keepdims", "dLdB1", {"dLdB1": lambda s: np.sum(s["dLdZ1"], axis=1)},
       ("dLdB1 is summed without keepdims=True: shape (h,) instead of B1's (h, 1); in "
        "optimize, B1 - lr * dLdB1 then broadcasts to an (h, h) array",
        "dLdB1을 keepdims=True 없이 합했다: 모양이 B1의 (h, 1)이 아니라 (h,)이다; optimize에서 "
        "B1 - lr * dLdB1은 (h, h) 배열로 브로드캐스트된다"), _SUM_DZ1),
    _b("dB1_scalar", "dLdB1", {"dLdB1": lambda s: np.sum(s["dLdZ1"])},
       ("dLdB1 = np.sum(dLdZ1) adds up every hidden unit's error into one number; each unit's "
        "bias needs its own sum over the samples",
        "dLdB1 = np.sum(dLdZ1)은 모든 은닉 유닛의 오차를 숫자 하나로 합친다; 유닛마다 샘플에 "
        "대한 합이 따로 필요하다"), _SUM_DZ1),
    _b("dB1_axis0", "dLdB1", {"dLdB1": lambda s: np.sum(s["dLdZ1"], axis=0, keepdims=True)},
       ("dLdB1 sums over axis 0, the hidden units; the samples are axis 1",
        "dLdB1을 은닉 유닛 축(axis 0)으로 합했다; 샘플은 axis 1이다"), _SUM_DZ1),
    _b("dB1_mean", "dLdB1", {"dLdB1": lambda s: np.mean(s["dLdZ1"], axis=1, keepdims=True)},
       ("dLdB1 takes the mean, not the sum: the 1/m is already in dLdZ2",
        "dLdB1에 합이 아니라 평균을 썼다: 1/m은 이미 dLdZ2에 있다"), _SUM_DZ1),
    _b("dB1_from_dZ2", "dLdB1", {"dLdB1": lambda s: np.sum(s["dLdZ2"], axis=1, keepdims=True)},
       ("dLdB1 sums dLdZ2, the output's error: the first layer's bias takes dLdZ1 (the post's "
        "comment on this step says dB2, but its code sums dLdZ1)",
        "dLdB1에 출력의 오차 dLdZ2를 합했다: 1층 바이어스에는 dLdZ1을 쓴다 (글의 이 단계 "
        "주석은 dB2라고 하지만 코드는 dLdZ1을 합한다)"), _SUM_DZ1),
    _b("bias_without_mean", "dLdB2",
       {"dLdZ2": lambda s: s["YHat"] - s["Y"], "dLdW2": lambda s: s["H"] @ s["dLdZ2"].T / s["m"],
        "dLdW1": lambda s: s["X"] @ s["dLdZ1"].T / s["m"]},
       ("the weight gradients carry the 1/m but the bias gradients do not: dLdB2 and dLdB1 "
        "are m times too large",
        "가중치 기울기에는 1/m이 있지만 바이어스 기울기에는 없다: dLdB2와 dLdB1이 m배 크다"),
       ("divide the bias sums by m too, or put the 1/m in dLdZ2 once, as the post does",
        "바이어스 합도 m으로 나누거나, 글처럼 1/m을 dLdZ2에 한 번만 넣는다")),
    _b("mean_twice", "dLdW2",
       {"dLdW2": lambda s: s["H"] @ s["dLdZ2"].T / s["m"],
        "dLdB2": lambda s: np.sum(s["dLdZ2"], axis=1, keepdims=True) / s["m"],
        "dLdW1": lambda s: s["X"] @ s["dLdZ1"].T / s["m"],
        "dLdB1": lambda s: np.sum(s["dLdZ1"], axis=1, keepdims=True) / s["m"]},
       ("the 1/m is applied twice, in dLdZ2 and again in each gradient: every gradient is m "
        "times too small",
        "1/m을 dLdZ2와 각 기울기에서 두 번 적용했다: 모든 기울기가 m배 작다"),
       ("keep the 1/m in dLdZ2 only", "1/m은 dLdZ2에만 둔다")),
)  # fmt: skip


def combined(a: Mistake, b: Mistake) -> Mistake | None:
    """Two backward mistakes made together, or None when they replace the same step."""
    if not a.swaps or not b.swaps or set(a.swaps) & set(b.swaps):
        return None
    first, second = sorted((a, b), key=lambda m: m.step)  # in the post's order
    swaps = {**first.swaps, **second.swaps}
    both = {lang: f"{first.what[lang]}; {second.what[lang]}" for lang in ("en", "ko")}
    fixes = {lang: f"{first.fix[lang]}; {second.fix[lang]}" for lang in ("en", "ko")}
    return _b(f"{first.key}+{second.key}", first.at, swaps,
              (both["en"], both["ko"]), (fixes["en"], fixes["ko"]))  # fmt: skip


def _matches(mistake: Mistake, cases: Sequence[Case], outputs: Sequence[Any]) -> bool:
    ran = [(c, o) for c, o in zip(cases, outputs, strict=True) if o is not None]
    harmless = True  # two mistakes can cancel (m times, then 1/m twice): that is no mistake
    for case, output in ran:
        try:
            with np.errstate(all="ignore"):
                produced = mistake.produce(case)
        except (ValueError, TypeError, IndexError, ArithmeticError):
            return False  # the mistake cannot be made on these shapes
        if any(k not in output or not same(output[k], v) for k, v in produced.items()):
            return False
        harmless = harmless and all(k in case.ref and same(v, case.ref[k])
                                    for k, v in produced.items())  # fmt: skip
    return bool(ran) and not harmless


def matching(
    mistakes: Iterable[Mistake], cases: Sequence[Case], outputs: Sequence[dict[str, Any] | None]
) -> list[Mistake]:
    """The mistakes whose outputs equal the learner's on every case the learner's code ran.

    Parameters
    ----------
    mistakes : iterable of Mistake
    cases : sequence of Case
    outputs : sequence of dict or None
        The learner's outputs by the post's names, one per case (None where the code failed).

    Returns
    -------
    list of Mistake
        Single mistakes first; for the backward pass, when no single one matches, pairs.
    """
    mistakes = list(mistakes)
    found = [m for m in mistakes if _matches(m, cases, outputs)]
    if found:
        return found
    pairs = (combined(a, b) for a, b in itertools.combinations(mistakes, 2))
    return [p for p in pairs if p is not None and _matches(p, cases, outputs)]


def all_mistakes() -> tuple[Mistake, ...]:
    """Every mistake in the catalogue, in the order of the post's functions."""
    first = [m for m in LAYER_MISTAKES if m.function != "optimize"]
    return (*first, *BACKWARD, *(m for m in LAYER_MISTAKES if m.function == "optimize"))
