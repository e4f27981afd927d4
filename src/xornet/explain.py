"""Every number of one training step, named, shaped and explained, in the post's order.

:func:`explain_step` runs one step with the library's own functions (:func:`xornet.forward`,
:func:`xornet.network.backward_steps`, the optimizer) and keeps every array;
:func:`explain_next` does it for the step a :class:`xornet.Trainer` takes next (its batch, its
optimizer's state, its loss); :func:`render` prints them for a terminal, in English or Korean,
and :func:`to_json` for notebooks. Nothing here computes maths of its own, and nothing here
trains: to explain the step after ``N`` steps, run a Trainer to ``N`` and explain its next.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import numpy as np

from xornet._text import array_text
from xornet._typing import Array
from xornet.network import Backprop, backward_steps, check_data, forward, loss
from xornet.optim import Optimizer, make_optimizer
from xornet.params import Params

if TYPE_CHECKING:
    from xornet.training import Trainer

__all__ = [
    "Explanation",
    "Quantity",
    "explain_next",
    "explain_step",
    "render",
    "to_json",
]


@dataclass(frozen=True, eq=False)
class Quantity:
    """One named array of the step.

    Attributes
    ----------
    key : str
        Identifier: ``X``, ``y``, ``W1`` ... ``Z1``, ``H``, ``Z2``, ``P``, ``loss``, ``dZ2`` ...
        ``db1``, ``W1_new`` ... ``b2_new``, ``loss_new``.
    stage : {"data", "params", "forward", "backward", "update"}
    number : int or None
        The post's step number (forward 1-5, backward 1-7), or None.
    value : ndarray
        The numbers; rows are samples wherever there are samples.
    """

    key: str
    stage: str
    number: int | None
    value: Array


@dataclass(frozen=True, eq=False)
class Explanation:
    """One training step, every array of it, in the post's order.

    Attributes
    ----------
    quantities : list of Quantity
    step : int
        How many training steps came before this one.
    activation, optimizer : str
    learning_rate : float
    loss : {"bce", "sse"}
    """

    quantities: list[Quantity]
    step: int
    activation: str
    optimizer: str
    learning_rate: float
    loss: str = "bce"
    _index: dict[str, Quantity] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {q.key: q for q in self.quantities})

    def __getitem__(self, key: str) -> Array:
        """The array named ``key``."""
        return self._index[key].value

    def __contains__(self, key: object) -> bool:
        """Whether the step has an array named ``key`` (``W3`` only with a shortcut)."""
        return key in self._index

    def __repr__(self) -> str:
        d, h = self["W1"].shape
        return (f"Explanation(step={self.step}, network={d}-{h}-{self['W2'].shape[1]}, "
                f"optimizer={self.optimizer!r}, loss={float(self['loss']):.6g})")  # fmt: skip

    def _repr_html_(self) -> str:
        from xornet._html import explanation_html

        words = {"act": _ACT_FORMULA, "sse": _SSE_WORDS, "softmax": _SOFTMAX_WORDS,
                 "words": _WORDS, "headings": _HEADINGS, "rules": _RULES}  # fmt: skip
        return explanation_html(self, words)


def _gradients(b: Backprop) -> Params:
    return Params(b.dW1, b.db1, b.dW2, b.db2, b.dW3)


def explain_step(
    params: Params,
    X: Array,
    y: Array,
    *,
    activation: str = "sigmoid",
    optimizer: Optimizer | None = None,
    learning_rate: float = 0.01,
    step: int = 0,
    kind: str = "bce",
) -> Explanation:
    """Run one training step on ``(X, y)`` and keep every array.

    ``X, y`` is the step's batch: all the data for a full-batch step (the post's). To explain
    a step of a run, use :func:`explain_next`, which passes the run's own batch, optimizer
    and loss.

    Parameters
    ----------
    params : Params
        The parameters before the step (not modified; the explanation holds copies).
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    activation : {"sigmoid", "tanh", "relu"}
    optimizer : Optimizer, optional
        The optimizer, with its state; plain gradient descent at ``learning_rate`` when None.
        It is copied, so the caller's state does not move.
    learning_rate : float
        Used when ``optimizer`` is None, and shown in the update's formula.
    step : int
        How many steps came before (for the heading).
    kind : {"bce", "sse"}
        The loss.

    Returns
    -------
    Explanation
    """
    import copy

    check_data(params, X, y)
    # The explanation keeps copies: a caller that trains on afterwards does not change it.
    params, X, y = params.copy(), np.array(X, dtype=np.float64), np.array(y, dtype=np.float64)
    opt = make_optimizer("gd", learning_rate) if optimizer is None else copy.deepcopy(optimizer)
    cache = forward(params, X, activation)
    before = loss(cache, y, kind)
    b = backward_steps(params, cache, y, kind)
    new = params.copy()
    opt.step(new, _gradients(b))
    after = loss(forward(new, X, activation), y, kind)
    name = type(opt).__name__.lower()
    lr = float(getattr(opt, "learning_rate", learning_rate))
    q = Quantity
    quantities = [
        q("X", "data", None, X),
        q("y", "data", None, y),
        q("W1", "params", None, params.W1),
        q("b1", "params", None, params.b1),
        q("W2", "params", None, params.W2),
        q("b2", "params", None, params.b2),
        *([q("W3", "params", None, params.W3)] if params.W3 is not None else []),
        q("Z1", "forward", 1, cache.Z1),
        q("H", "forward", 2, cache.H),
        q("Z2", "forward", 3, cache.Z2),
        q("P", "forward", 4, cache.P),
        q("loss", "forward", 5, np.array(before)),
        *(
            q(k, "backward", i, v)
            for i, (k, v) in enumerate(b._asdict().items(), start=1)
            if v is not None
        ),
        q("W1_new", "update", None, new.W1),
        q("b1_new", "update", None, new.b1),
        q("W2_new", "update", None, new.W2),
        q("b2_new", "update", None, new.b2),
        *([q("W3_new", "update", None, new.W3)] if new.W3 is not None else []),
        q("loss_new", "update", None, np.array(after)),
    ]
    return Explanation(quantities, step, activation, name, lr, kind)


def explain_next(trainer: Trainer) -> Explanation:
    """Every number of the step ``trainer`` takes next, without taking it.

    The step is the trainer's own: its parameters, the batch the step trains on
    (:meth:`xornet.Trainer.next_rows`), its optimizer with its state (copied), its loss and
    activation, and its step count for the heading. After ``e = explain_next(trainer)``,
    ``trainer.step()`` moves ``trainer.params`` to ``e["W1_new"]``, ``e["b1_new"]``, ...
    (tested). When the run has ended, or a stop rule ends it at this step, the step shown is
    the one it would take if it went on.

    Parameters
    ----------
    trainer : Trainer
        Not changed.

    Returns
    -------
    Explanation
    """
    rows = trainer.next_rows()
    X, y = (trainer.X, trainer.y) if rows is None else (trainer.X[rows], trainer.y[rows])
    config = trainer.config
    return explain_step(trainer.params, X, y, activation=config.activation,
                        optimizer=trainer.optimizer, learning_rate=config.learning_rate,
                        step=trainer.steps, kind=config.loss)  # fmt: skip


# ----------------------------------------------------------------------------- words

_ACT_FORMULA: Final = {
    "sigmoid": ("sigmoid(Z1) = 1 / (1 + exp(-Z1))", "dH * H * (1 - H)"),
    "tanh": ("tanh(Z1)", "dH * (1 - H^2)"),
    "relu": ("max(Z1, 0)", "dH * [H > 0]"),
}

# The squared error's own words, replacing the cross-entropy's where they differ.
_SSE_WORDS: Final[dict[str, tuple[str, str, str]]] = {
    "loss": ("E = 1/2 sum((P - y)^2)", "total squared error over the samples",
             "제곱 오차의 합 (샘플 전체)"),
    "dZ2": ("dZ2 = (P - y) * P * (1 - P)", "the sigmoid's derivative does not cancel here",
            "여기서는 시그모이드의 미분이 상쇄되지 않는다"),
}  # fmt: skip

# A softmax output's own words (more than two classes), replacing the sigmoid's.
_SOFTMAX_WORDS: Final[dict[str, tuple[str, str, str]]] = {
    "y": ("y", "targets: the class of each sample", "정답: 각 샘플의 클래스"),
    "b2": ("b2", "biases of the output units, one per class", "2층 바이어스: 클래스마다 하나"),
    "Z2": ("Z2 = H @ W2 + b2{shortcut}", "affine map to the outputs (one logit per class)",
           "어파인 변환: 은닉층에서 출력으로 (클래스마다 로짓 하나)"),
    "P": ("P = softmax(Z2) = exp(Z2) / sum(exp(Z2))", "probability of each class (rows sum to 1)",
          "각 클래스의 확률 (행의 합은 1)"),
    "loss": ("L = mean(logsumexp(Z2) - Z2[y])", "cross-entropy, mean over samples",
             "교차 엔트로피, 샘플 평균"),
    "dZ2": ("dZ2 = (P - onehot(y)) / n", "softmax and cross-entropy cancel to P - onehot(y)",
            "소프트맥스와 교차 엔트로피가 상쇄되어 P - onehot(y) 가 된다"),
}  # fmt: skip

# key -> (formula, English meaning, Korean meaning)
_WORDS: Final[dict[str, tuple[str, str, str]]] = {
    "X": ("X", "inputs, one sample per row", "입력: 한 행이 한 샘플"),
    "y": ("y", "targets, the labels to learn", "정답 레이블"),
    "W1": ("W1", "weights of layer 1: input -> hidden", "1층 가중치: 입력 -> 은닉"),
    "b1": ("b1", "biases of layer 1, one per hidden unit", "1층 바이어스: 은닉 유닛마다 하나"),
    "W2": ("W2", "weights of layer 2: hidden -> output", "2층 가중치: 은닉 -> 출력"),
    "b2": ("b2", "bias of the output unit", "2층 바이어스: 출력 유닛"),
    "Z1": (
        "Z1 = X @ W1 + b1",
        "affine map into the hidden layer",
        "어파인 변환: 입력을 은닉층으로",
    ),
    "H": (
        "H = {act}",
        "hidden activations: the non-linearity that lets XOR be separated",
        "은닉층 활성화: 이 비선형성 덕분에 XOR을 선형 분리할 수 있게 된다",
    ),
    "Z2": (
        "Z2 = H @ W2 + b2{shortcut}",
        "affine map to the output (the logit)",
        "어파인 변환: 은닉층에서 출력으로 (로짓)",
    ),
    "P": (
        "P = sigmoid(Z2)",
        "probability of class 1 (the post's YHat)",
        "클래스 1일 확률 (글의 YHat)",
    ),
    "loss": (
        "s = 2y - 1, L = mean(log(1 + exp(-s Z2)))",
        "binary cross-entropy, mean over samples",
        "이진 교차 엔트로피, 샘플 평균",
    ),
    "dZ2": (
        "dZ2 = (P - y) / n",
        "sigmoid and cross-entropy cancel to P - y",
        "시그모이드와 교차 엔트로피가 상쇄되어 P - y 가 된다",
    ),
    "W3": (
        "W3",
        "shortcut weights: input -> output, skipping the hidden layer",
        "지름길 가중치: 은닉층을 건너뛰어 입력 -> 출력",
    ),
    "dW3": (
        "dW3 = X.T @ dZ2",
        "the shortcut: each input times the output error",
        "지름길: 입력 x 출력 오차를 샘플에 대해 합한다",
    ),
    "dW2": (
        "dW2 = H.T @ dZ2",
        "each hidden activation times the output error",
        "은닉 활성화 x 출력 오차를 샘플에 대해 합한다",
    ),
    "db2": (
        "db2 = sum(dZ2)",
        "the bias touches every sample: sum the errors",
        "바이어스는 모든 샘플에 닿으므로 오차를 합한다",
    ),
    "dH": (
        "dH = dZ2 @ W2.T",
        "the output error sent back along W2",
        "출력 오차를 W2를 따라 되돌려 보낸다",
    ),
    "dZ1": ("dZ1 = {grad}", "through the activation's derivative", "활성화 함수의 미분을 곱한다"),
    "dW1": (
        "dW1 = X.T @ dZ1",
        "each input times the hidden error",
        "입력 x 은닉 오차를 샘플에 대해 합한다",
    ),
    "db1": (
        "db1 = sum(dZ1)",
        "the first layer's bias (the post's comment says dB2)",
        "1층 바이어스 (글의 주석에는 dB2라고 잘못 적혀 있다)",
    ),
    "loss_new": ("L_new", "the loss after the update, changed by", "업데이트 후 손실, 변화량"),
}

_HEADINGS: Final = {
    "en": {
        "title": "One training step of a {d}-{h}-{k} network ({act} hidden units), after {step} "
        "steps",
        "data": "Data",
        "params": "Parameters before the step",
        "forward": "Forward pass",
        "backward": "Backward pass (the post's seven steps)",
        "update": "Update: {rule}",
        "shape": "shape",
    },
    "ko": {
        "title": "{d}-{h}-{k} 신경망 ({act} 은닉 유닛)의 학습 한 단계, {step}번 학습한 뒤",
        "data": "데이터",
        "params": "업데이트 전 파라미터",
        "forward": "순전파",
        "backward": "역전파 (글의 일곱 단계)",
        "update": "업데이트: {rule}",
        "shape": "모양",
    },
}

_RULES: Final = {
    "gd": "W <- W - {lr:g} * dW",
    "momentum": "v <- mu v - {lr:g} * dW;  W <- W + v",
    "adam": "W <- W - {lr:g} * m_hat / (sqrt(v_hat) + eps)",
}


def _style(text: str, code: str, colour: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if colour else text


_PRECISION: Final = 4  # decimals shown


def render(explanation: Explanation, *, lang: str = "en", colour: bool = False) -> str:
    """The step as text for a terminal.

    Parameters
    ----------
    explanation : Explanation
    lang : {"en", "ko"}
        Labels and explanations in English or Korean (formulas are the same).
    colour : bool
        Bold names and dim explanations with ANSI escapes.

    Returns
    -------
    str
    """
    if lang not in _HEADINGS:
        raise ValueError(f"lang must be 'en' or 'ko', got {lang!r}")
    words = _HEADINGS[lang]
    e = explanation
    act, grad = _ACT_FORMULA[e.activation]
    d, h = e["W1"].shape
    rule = _RULES.get(e.optimizer, _RULES["gd"]).format(lr=e.learning_rate)
    lines = [
        _style(
            words["title"].format(d=d, h=h, k=e["W2"].shape[1], act=e.activation, step=e.step),
            "1",
            colour,
        )
    ]
    stage = None
    for quantity in e.quantities:
        if quantity.key.endswith("_new") and quantity.key != "loss_new":
            continue
        if quantity.stage != stage:
            stage = quantity.stage
            lines += ["", _style(words[stage].format(rule=rule), "1;4", colour)]
        words_for = _WORDS
        if e.loss == "sse" and quantity.key in _SSE_WORDS:
            words_for = _SSE_WORDS
        elif e["W2"].shape[1] > 1 and quantity.key in _SOFTMAX_WORDS:
            words_for = _SOFTMAX_WORDS
        formula, english, korean = words_for[quantity.key]
        shortcut = " + X @ W3" if "W3" in e else ""
        formula = formula.format(act=act, grad=grad, shortcut=shortcut)
        meaning = korean if lang == "ko" else english
        number = f"{quantity.number}) " if quantity.number else ""
        value = quantity.value
        if quantity.key == "loss_new":
            change = value - e["loss"]
            lines.append(f"{_style(formula, '1', colour)} = {float(value):.6f}  "
                         f"{_style(f'({meaning} {float(change):+.3g})', '2', colour)}")  # fmt: skip
            continue
        if value.ndim == 0:
            lines.append(f"{number}{_style(formula, '1', colour)} = {float(value):.6f}  "
                         f"{_style(meaning, '2', colour)}")  # fmt: skip
            continue
        shape = f"{words['shape']} {value.shape}"
        lines.append(f"{number}{_style(formula, '1', colour)}  [{shape}]  "
                     f"{_style(meaning, '2', colour)}")  # fmt: skip
        text = array_text(value, max_line_width=96)
        lines += ["    " + line for line in text.splitlines()]
    for key in ("W1", "b1", "W2", "b2", "W3"):
        if f"{key}_new" not in e:
            continue
        text = array_text(e[f"{key}_new"])
        label = f"{key} <-"
        # The rows below the first line up under it: the label, a space, then the array.
        indent = "\n" + " " * (len(label) + 1)
        lines.append(f"{_style(label, '1', colour)} " + text.replace("\n", indent))
    return "\n".join(lines) + "\n"


def to_json(explanation: Explanation) -> str:
    """Every array of the step as JSON: ``{"step": ..., "arrays": {key: nested lists}}``.

    Parameters
    ----------
    explanation : Explanation

    Returns
    -------
    str
    """
    e = explanation
    record = {
        "step": e.step,
        "activation": e.activation,
        "optimizer": e.optimizer,
        "learning_rate": e.learning_rate,
        "arrays": {q.key: np.asarray(q.value).tolist() for q in e.quantities},
        "stages": {q.key: q.stage for q in e.quantities},
        "post_step": {q.key: q.number for q in e.quantities if q.number is not None},
    }
    return json.dumps(record, indent=2)
