"""One training step in the study post's layout and names, so a learner can compare line by line.

xornet keeps rows as samples (``Z1 = X @ W1 + b1``, ``Z1`` of shape (n, h)); the post keeps
**features in rows and samples in columns** (``Z1 = W1.T @ X + B1``, shape (h, n)) and names its
gradients ``dLdZ2 ... dLdB1``. :func:`post_arrays` converts an
:class:`xornet.explain.Explanation` (every array of one step, computed by the library) to the
post's layout and names; :func:`render_post` prints it as the post writes its seven functions.
No number is computed here: each is an explanation's array, transposed or reshaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import numpy as np

from xornet._text import array_text
from xornet.errors import XornetError

if TYPE_CHECKING:
    from xornet._typing import Array
    from xornet.explain import Explanation

__all__ = ["POST_NAMES", "format_array", "post_arrays", "post_json", "render_post", "step_label"]

# The post's name of each array, from the explanation's key, and how it changes layout:
# "T" transposes (samples move to columns), "col" turns a 1-D bias into a column, "row" turns
# the labels into a row, "" keeps the array as it is.
_CONVERT: Final = {
    "X": ("X", "T"), "y": ("Y", "row"),
    "W1": ("W1", ""), "b1": ("B1", "col"), "W2": ("W2", ""), "b2": ("B2", "col"),
    "Z1": ("Z1", "T"), "H": ("H", "T"), "Z2": ("Z2", "T"), "P": ("YHat", "T"), "loss": ("loss", ""),
    "dZ2": ("dLdZ2", "T"), "dW2": ("dLdW2", ""), "db2": ("dLdB2", "col"), "dH": ("dLdH", "T"),
    "dZ1": ("dLdZ1", "T"), "dW1": ("dLdW1", ""), "db1": ("dLdB1", "col"),
    "W1_new": ("W1_new", ""), "b1_new": ("B1_new", "col"), "W2_new": ("W2_new", ""),
    "b2_new": ("B2_new", "col"), "loss_new": ("loss_new", ""),
}  # fmt: skip

#: The post's names, from xornet's (``P`` is ``YHat``, ``dZ2`` is ``dLdZ2``, ``b1`` is ``B1``).
POST_NAMES: Final = {key: name for key, (name, _) in _CONVERT.items()}

_HIDDEN: Final = {
    "sigmoid": ("sigmoid(Z1)", "dLdH * H * (1 - H)"),
    "tanh": ("np.tanh(Z1)", "dLdH * (1 - H ** 2)"),
    "relu": ("np.maximum(Z1, 0)", "dLdH * (H > 0)"),
}

# post name -> (formula, English, Korean); {act} and {grad} follow the hidden activation.
_LINES: Final = {
    "X": ("X", "inputs: one feature per row, one sample per column",
          "입력: 한 행이 한 특성, 한 열이 한 샘플"),
    "Y": ("Y", "targets, one per column", "정답: 열마다 하나"),
    "W1": ("W1", "weights of layer 1", "1층 가중치"),
    "B1": ("B1", "biases of layer 1, a column", "1층 바이어스 (열 벡터)"),
    "W2": ("W2", "weights of layer 2", "2층 가중치"),
    "B2": ("B2", "bias of layer 2", "2층 바이어스"),
    "Z1": ("Z1 = affine(W1, X, B1) = W1.T @ X + B1", "affine map into the hidden layer",
           "어파인 변환: 입력을 은닉층으로"),
    "H": ("H = {act}", "hidden activations", "은닉층 활성화"),
    "Z2": ("Z2 = affine(W2, H, B2) = W2.T @ H + B2", "affine map to the output",
           "어파인 변환: 은닉층에서 출력으로"),
    "YHat": ("YHat = sigmoid(Z2)", "probability of class 1", "클래스 1일 확률"),
    "loss": ("loss = binary_cross_entropy(Y, YHat)", "mean over the samples", "샘플 평균"),
    "dLdZ2": ("dLdZ2 = (1/m) * (YHat - Y)", "sigmoid and cross-entropy cancel to YHat - Y",
              "시그모이드와 교차 엔트로피가 상쇄되어 YHat - Y 가 된다"),
    "dLdW2": ("dLdW2 = np.dot(H, dLdZ2.T)", "summed over the samples", "샘플에 대해 합한다"),
    "dLdB2": ("dLdB2 = np.sum(dLdZ2, axis=1, keepdims=True)", "the bias touches every sample",
              "바이어스는 모든 샘플에 닿는다"),
    "dLdH": ("dLdH = np.dot(W2, dLdZ2)", "the output error sent back along W2",
             "출력 오차를 W2를 따라 되돌려 보낸다"),
    "dLdZ1": ("dLdZ1 = {grad}", "through the activation's derivative",
              "활성화 함수의 미분을 곱한다"),
    "dLdW1": ("dLdW1 = np.dot(X, dLdZ1.T)", "summed over the samples", "샘플에 대해 합한다"),
    "dLdB1": ("dLdB1 = np.sum(dLdZ1, axis=1, keepdims=True)",
              "the first layer's bias (the post's comment says dB2)",
              "1층 바이어스 (글의 주석에는 dB2라고 적혀 있다)"),
}  # fmt: skip

# The post's numbered steps: forward_loss 1-5, get_gradients 1-7.
_STEPS: Final = {
    "Z1": ("forward", 1), "H": ("forward", 2), "Z2": ("forward", 3), "YHat": ("forward", 4),
    "loss": ("forward", 5), "dLdZ2": ("backward", 1), "dLdW2": ("backward", 2),
    "dLdB2": ("backward", 3), "dLdH": ("backward", 4), "dLdZ1": ("backward", 5),
    "dLdW1": ("backward", 6), "dLdB1": ("backward", 7),
}  # fmt: skip


def step_label(name: str, activation: str = "sigmoid") -> str:
    """The post's step that computes ``name``, e.g. ``backward 1) dLdZ2 = (1/m) * (YHat - Y)``."""
    stage, number = _STEPS[name]
    act, grad = _HIDDEN[activation]
    return f"{stage} {number}) " + _LINES[name][0].format(act=act, grad=grad)


_HEADINGS: Final = {
    "en": {
        "title": "One training step in the post's layout (features x samples), after {step} steps",
        "data": "Data",
        "params": "Parameters before the step (_params = W1, B1, W2, B2)",
        "forward": "forward_loss",
        "backward": "get_gradients (the post's seven steps)",
        "update": "optimize: params[i] += -{lr:g} * dparams[i]",
        "shape": "shape",
        "loss_new": "loss after the step",
    },
    "ko": {
        "title": "글의 배치(특성 x 샘플)로 본 학습 한 단계, {step}번 학습한 뒤",
        "data": "데이터",
        "params": "업데이트 전 파라미터 (_params = W1, B1, W2, B2)",
        "forward": "forward_loss (순전파)",
        "backward": "get_gradients (글의 역전파 일곱 단계)",
        "update": "optimize: params[i] += -{lr:g} * dparams[i]",
        "shape": "모양",
        "loss_new": "업데이트 후 손실",
    },
}


def post_arrays(explanation: Explanation) -> dict[str, Array]:
    """Every array of an explained step, in the post's layout and under the post's names.

    Parameters
    ----------
    explanation : Explanation
        One step of the post's network: one sigmoid output, cross-entropy, no shortcut
        weights, full batch.

    Returns
    -------
    dict of str to ndarray
        ``X (d, n)``, ``Y (1, n)``, ``W1 (d, h)``, ``B1 (h, 1)``, ``W2 (h, 1)``, ``B2 (1, 1)``,
        ``Z1, H (h, n)``, ``Z2, YHat (1, n)``, ``loss ()``, ``dLdZ2 (1, n)``, ``dLdW2 (h, 1)``,
        ``dLdB2 (1, 1)``, ``dLdH, dLdZ1 (h, n)``, ``dLdW1 (d, h)``, ``dLdB1 (h, 1)``, and the
        parameters after the update (``W1_new`` ... ``B2_new``) with ``loss_new``.

    Raises
    ------
    XornetError
        For a step the post's layout does not describe (a softmax output, the squared error,
        shortcut weights).
    """
    e = explanation
    if "W3" in e or e["W2"].shape[1] != 1 or e.loss != "bce":
        raise XornetError(
            "the post's layout shows the post's network: one sigmoid output, cross-entropy, "
            "no shortcut weights"
        )
    out: dict[str, Array] = {}
    for quantity in e.quantities:
        name, how = _CONVERT[quantity.key]
        value = np.asarray(quantity.value, dtype=np.float64)
        if how == "T":
            value = value.T  # (n, k) -> (k, n): samples move to columns
        elif how == "col":
            value = value[:, None]  # (k,) -> (k, 1)
        elif how == "row":
            value = value[None, :]  # (n,) -> (1, n)
        out[name] = value
    return out


def render_post(explanation: Explanation, *, lang: str = "en") -> str:
    """The step as text, laid out and named as the post's code (``Z1 = W1.T @ X + B1``).

    Parameters
    ----------
    explanation : Explanation
        As for :func:`post_arrays`.
    lang : {"en", "ko"}
        Words in English or Korean (formulas are the same).

    Returns
    -------
    str
    """
    if lang not in _HEADINGS:
        raise XornetError(f"lang must be 'en' or 'ko', got {lang!r}")
    arrays = post_arrays(explanation)
    words = _HEADINGS[lang]
    act, grad = _HIDDEN[explanation.activation]
    lines = [words["title"].format(step=explanation.step)]
    stage = None
    for quantity in explanation.quantities:
        name = POST_NAMES[quantity.key]
        if quantity.stage != stage:
            stage = quantity.stage
            heading = words[stage].format(lr=explanation.learning_rate)
            if stage == "update" and explanation.optimizer != "gd":
                heading = f"optimize ({explanation.optimizer})"
            lines += ["", heading]
        if quantity.stage == "update":
            lines += _update_line(name, arrays, quantity.key, words["loss_new"])
            continue
        formula, english, korean = _LINES[name]
        formula = formula.format(act=act, grad=grad)
        number = f"{quantity.number}) " if quantity.number else ""
        meaning = korean if lang == "ko" else english
        value = arrays[name]
        if value.ndim == 0:
            lines.append(f"{number}{formula} = {float(value):.6f}  ({meaning})")
            continue
        lines.append(f"{number}{formula}  [{words['shape']} {value.shape}]  {meaning}")
        lines += ["    " + line for line in format_array(value).splitlines()]
    return "\n".join(lines) + "\n"


def post_json(explanation: Explanation) -> str:
    """Every array of the step as JSON, in the post's layout and names.

    ``{"layout": "post", "step": ..., "arrays": {name: nested lists}, "post_step": {name:
    "backward 1"}}``, with the names of :func:`post_arrays`.

    Parameters
    ----------
    explanation : Explanation
        As for :func:`post_arrays`.

    Returns
    -------
    str
    """
    import json

    arrays = post_arrays(explanation)
    record = {
        "layout": "post",
        "step": explanation.step,
        "activation": explanation.activation,
        "optimizer": explanation.optimizer,
        "learning_rate": explanation.learning_rate,
        "arrays": {name: value.tolist() for name, value in arrays.items()},
        "post_step": {name: f"{stage} {n}" for name, (stage, n) in _STEPS.items()},
    }
    return json.dumps(record, indent=2)


def _update_line(name: str, arrays: dict[str, Array], key: str, label: str) -> list[str]:
    if key == "loss_new":
        change = float(arrays["loss_new"] - arrays["loss"])
        return [f"{label} = {float(arrays['loss_new']):.6f}  ({change:+.3g})"]
    text = format_array(arrays[name])
    return [f"{name.removesuffix('_new')} <- " + text.replace("\n", "\n" + " " * 6)]


def format_array(value: Array) -> str:
    """An array as the post's readers see it printed, four decimals."""
    return array_text(np.asarray(value, dtype=np.float64), max_line_width=96)
