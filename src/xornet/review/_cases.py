"""The inputs the review tries a learner's functions on, each with xornet's right answer.

A network case is the post's data with the weights of ``np.random.seed(3)``, or random data
whose sizes all differ (features, samples, hidden units), so that a wrong transpose or axis
cannot hide behind a square array. Its reference arrays are one step of
:func:`xornet.explain.explain_step`, in the post's layout (:mod:`xornet.review.post_layout`).

Comparisons are strict: the same shape, and values equal to about 1e-12 (a learner's float64
arithmetic in another order differs by far less; any mistake by far more).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from xornet._typing import Array
from xornet.review._model import Shown

__all__ = [
    "ATOL",
    "POST_SEED",
    "RTOL",
    "Case",
    "as_array",
    "network_cases",
    "post_params",
    "relation",
    "same",
    "shown",
]

#: The post's start used throughout the review: it learns XOR in the post's 200,000 steps.
POST_SEED: Final = 3
#: Relative and absolute tolerance of "equal".
RTOL: Final = 1e-9
ATOL: Final = 1e-12


@dataclass(frozen=True, eq=False)
class Case:
    """Arguments for a learner's function and the right answers.

    Attributes
    ----------
    label : dict of str to str
        What the inputs are, in English and Korean.
    args : tuple
        The arguments, in the post's layout (``X, Y, _params`` for a network case).
    ref : dict of str to object
        Right answers by the post's names (``Z1`` ... ``dLdB1`` for a network case).
    """

    label: dict[str, str]
    args: tuple[Any, ...]
    ref: dict[str, Any]


def post_params(seed: int = POST_SEED, hidden: int = 2) -> list[Array]:
    """The post's ``W1, B1, W2, B2`` after ``np.random.seed(seed)``, without global state."""
    from xornet.params import post_initial_params

    p = post_initial_params(seed, hidden)
    return [p.W1, p.b1[:, None], p.W2, p.b2[:, None]]


def _network_case(X: Array, Y: Array, params: list[Array], label: dict[str, str]) -> Case:
    from xornet.explain import explain_step
    from xornet.params import Params
    from xornet.review.post_layout import post_arrays

    W1, B1, W2, B2 = params
    explanation = explain_step(Params(W1, B1[:, 0], W2, B2[:, 0]), X.T, Y[0])
    return Case(label, (X, Y, params), post_arrays(explanation))


def _random_case(d: int, n: int, h: int, seed: int) -> Case:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(d, n))
    Y = (np.arange(n) % 2).astype(np.float64)[None, rng.permutation(n)]  # both classes
    params = [rng.normal(size=(d, h)), 0.5 * rng.normal(size=(h, 1)),
              rng.normal(size=(h, 1)), 0.5 * rng.normal(size=(1, 1))]  # fmt: skip
    label = {
        "en": f"random data: {d} features, {n} samples, {h} hidden units",
        "ko": f"무작위 데이터: 특성 {d}개, 샘플 {n}개, 은닉 유닛 {h}개",
    }
    return _network_case(X, Y, params, label)


@functools.cache
def network_cases() -> tuple[Case, ...]:
    """The post's data and start, then two random networks of other sizes."""
    from xornet.tutorial import X, Y

    label = {
        "en": f"the post's X, Y and the weights of np.random.seed({POST_SEED})",
        "ko": f"글의 X, Y와 np.random.seed({POST_SEED})의 가중치",
    }
    return (
        _network_case(X, Y, post_params(), label),
        _random_case(3, 5, 4, seed=0),
        _random_case(5, 3, 2, seed=1),
    )


def as_array(value: Any) -> Array | None:
    """``value`` as a float64 array, or None when it is not numbers."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return None
    return array


def same(actual: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Whether two arrays have the same shape and values (NaN equal to NaN)."""
    a, b = as_array(actual), as_array(expected)
    if a is None or b is None or a.shape != b.shape:
        return False
    with np.errstate(invalid="ignore"):
        return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def relation(actual: Any, expected: Any, *, near: bool = True) -> dict[str, str]:
    """How a wrong array relates to the right one, in English and Korean (``near``: say when
    it is right to float32 precision)."""
    a, b = as_array(actual), as_array(expected)
    if a is None:
        return {"en": f"not an array of numbers ({type(actual).__name__})",
                "ko": f"숫자 배열이 아니다 ({type(actual).__name__})"}  # fmt: skip
    if b is None:
        return {"en": "", "ko": ""}
    if a.shape != b.shape:
        if a.shape == b.T.shape and same(a, b.T):
            return {"en": f"the transpose: shape {a.shape} instead of {b.shape}",
                    "ko": f"전치되어 있다: 모양이 {b.shape}가 아니라 {a.shape}"}  # fmt: skip
        return {"en": f"shape {a.shape} instead of {b.shape}",
                "ko": f"모양이 {b.shape}가 아니라 {a.shape}"}  # fmt: skip
    if a.ndim == 2 and a.shape[0] == a.shape[1] > 1 and same(a, b.T):
        return {"en": "the transpose of the right one", "ko": "정답의 전치"}
    if not np.isfinite(a).all():
        return {"en": "not finite (nan or inf)", "ko": "유한하지 않은 값 (nan 또는 inf)"}
    error = float(np.max(np.abs(a - b)))
    if near and same(a, b, rtol=1e-5, atol=1e-8):
        return {"en": f"right to about 6 digits only (largest error {error:.2g}; float32?)",
                "ko": f"약 6자리까지만 맞다 (최대 오차 {error:.2g}; float32?)"}  # fmt: skip
    nonzero = np.abs(b) > 1e-12
    if nonzero.sum() > 1 and np.all(np.abs(a[~nonzero]) <= 1e-12):  # one number: no pattern
        ratios = a[nonzero] / b[nonzero]
        if np.allclose(ratios, ratios.flat[0], rtol=1e-9) and abs(ratios.flat[0]) > 1e-12:
            c = float(ratios.flat[0])
            if abs(c + 1) < 1e-9:
                return {"en": "the right values with the sign flipped",
                        "ko": "정답과 부호가 반대"}  # fmt: skip
            return {"en": f"{c:.4g} times the right values", "ko": f"정답의 {c:.4g}배"}
    return {"en": f"off by up to {error:.3g}", "ko": f"최대 {error:.3g}만큼 다르다"}


def _number(x: float) -> float | str:
    return float(x) if np.isfinite(x) else str(float(x))  # "nan", "inf", "-inf"


def shown(name: str, expected: Any, actual: Any) -> Shown:
    """Expected and actual values for a finding (arrays cut to their first 8 x 8)."""

    def cut(value: Any) -> tuple[Any, list[int] | None]:
        a = as_array(value)
        if a is None:
            return (None if value is None else repr(value)[:200]), None
        small = a[tuple(slice(0, 8) for _ in range(a.ndim))] if a.ndim else a
        if not np.isfinite(small).all():  # strict JSON has no nan or inf: write them as text
            return np.vectorize(_number, otypes=[object])(small).tolist(), list(a.shape)
        return small.tolist(), list(a.shape)

    e, e_shape = cut(expected)
    a, a_shape = cut(actual)
    return Shown(name, e, a, e_shape, a_shape)
