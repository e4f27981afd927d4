"""Checks of init_parameters, affine, sigmoid and binary_cross_entropy.

Each function runs on the post's shapes and on other sizes, and is compared with
:mod:`xornet.tutorial`. Numerical robustness (``np.exp(-z)`` overflowing, ``log(0)`` at a
saturated output) is reported as a warning with the stable form, never as a failure: the
post's own code has both.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from xornet import tutorial as ref
from xornet.review._cases import POST_SEED, Case, as_array, post_params, shown
from xornet.review._context import Context, examine, signature
from xornet.review._layer_mistakes import LAYER_MISTAKES

__all__ = ["affine", "binary_cross_entropy", "init_parameters", "sigmoid"]


def _mistakes(function: str) -> list[Any]:
    return [m for m in LAYER_MISTAKES if m.function == function]


def _array_output(value: Any) -> dict[str, Any] | None:
    array = as_array(value)
    return None if array is None else {"out": array}


def _scalar_output(value: Any) -> dict[str, Any] | None:
    """A loss: a number, or an array holding one (``np.float64``, shape (1, 1) ...)."""
    array = as_array(value)
    if array is None:
        return None
    return {"loss": float(array.reshape(())) if array.size == 1 else array}


def _label(en: str, ko: str) -> dict[str, str]:
    return {"en": en, "ko": ko}


# ----------------------------------------------------------------------------- init_parameters


def init_parameters(ctx: Context) -> None:
    """Four arrays of the post's shapes, finite, hidden units not all alike; notes whether
    ``np.random.seed(s)`` gives the post's start."""
    fn = ctx.function("init_parameters")
    if fn is None or not signature(ctx, "init_parameters", fn, "(num_hidden_units=2)", 1, {0: 2}):
        return
    for h in (2, 3):
        np.random.seed(POST_SEED)  # noqa: NPY002  (the post's global state, on purpose)
        case = Case(_label(f"init_parameters({h})", f"init_parameters({h})"), (h,), {})
        outcome = ctx.call(fn, h)
        if not outcome.ok:
            ctx.outcome_problem("init_parameters", "init_parameters", outcome, case)
            return
        value = outcome.value
        arrays = [as_array(v) for v in value] if isinstance(value, tuple | list) else []
        expected = [(2, h), (h, 1), (h, 1), (1, 1)]
        got = [None if a is None else a.shape for a in arrays]
        if got != expected:
            ctx.add("init_parameters", "fail", "init.shapes", h=h, got=str(got),
                    expected=str(expected))  # fmt: skip
            return
        W1, _, W2, _ = found = [a for a in arrays if a is not None]
        if not all(np.isfinite(a).all() for a in found):
            ctx.add("init_parameters", "fail", "init.nonfinite", h=h)
            return
        if _alike(W1, W2):
            ctx.add("init_parameters", "fail", "init.symmetric", h=h)
            return
        post = post_params(POST_SEED, h)
        if not all(np.array_equal(a, b) for a, b in zip(found, post, strict=True)):
            ctx.add("init_parameters", "note", "init.other")
            return
    ctx.add("init_parameters", "note", "init.post", seed=POST_SEED)


def _alike(W1: Any, W2: Any) -> bool:
    """Whether every hidden unit starts with the same weights (then they stay alike)."""
    return bool(np.all(W1[:, :1] == W1) and np.all(W2[:1] == W2))


# ----------------------------------------------------------------------------- affine


@functools.cache
def _affine_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(7)
    W1 = post_params()[0]
    shapes = [((3, 4), (3, 5), (4, 1)), ((4, 1), (4, 5), (1, 1))]
    args: list[tuple[Any, ...]] = [(W1, ref.X, np.array([[0.1], [-0.2]]))]
    args += [tuple(rng.normal(size=s) for s in shape) for shape in shapes]
    labels = [_label("W (2, 2), X (2, 4), B (2, 1): the post's first layer",
                     "W (2, 2), X (2, 4), B (2, 1): 글의 1층"),
              _label("W (3, 4), X (3, 5), B (4, 1)", "W (3, 4), X (3, 5), B (4, 1)"),
              _label("W (4, 1), X (4, 5), B (1, 1): a second layer",
                     "W (4, 1), X (4, 5), B (1, 1): 2층")]  # fmt: skip
    return tuple(
        Case(label, a, {"out": ref.affine(*a)}) for label, a in zip(labels, args, strict=True)
    )


def affine(ctx: Context) -> None:
    """``affine(W, X, B) == W.T @ X + B`` on three shapes."""
    fn = ctx.function("affine")
    if fn is not None and signature(ctx, "affine", fn, "(W, X, B)", 3):
        examine(ctx, "affine", fn, _affine_cases(), _array_output, ["out"], _mistakes("affine"))


# ----------------------------------------------------------------------------- sigmoid

# Values where 1 / (1 + np.exp(-z)) overflows (exp(1000) is inf), with their right answers.
_EXTREMES = np.array([[-1000.0, -750.0, -40.0, 0.0, 40.0, 750.0, 1000.0]])


@functools.cache
def _sigmoid_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(8)
    zs = [np.linspace(-6.0, 6.0, 8).reshape(2, 4), 3.0 * rng.normal(size=(3, 5))]
    labels = [
        _label("z of shape (2, 4)", "모양 (2, 4)의 z"),
        _label("z of shape (3, 5)", "모양 (3, 5)의 z"),
    ]
    return tuple(
        Case(lab, (z,), {"out": ref.sigmoid(z)}) for lab, z in zip(labels, zs, strict=True)
    )


def sigmoid(ctx: Context) -> None:
    """``sigmoid(z) == 1 / (1 + exp(-z))``; a warning when large ``|z|`` overflows."""
    fn = ctx.function("sigmoid")
    if fn is None or not signature(ctx, "sigmoid", fn, "(z)", 1):
        return
    examine(ctx, "sigmoid", fn, _sigmoid_cases(), _array_output, ["out"], _mistakes("sigmoid"))
    if ctx.failed("sigmoid"):
        return
    outcome = ctx.call(fn, _EXTREMES)
    values = as_array(outcome.value) if outcome.ok else None
    right = ref.sigmoid(_EXTREMES)
    if any("overflow" in w for w in outcome.warnings):
        ctx.add("sigmoid", "warn", "sigmoid.overflow")
    if values is None or values.shape != right.shape or not np.allclose(values, right, atol=1e-12):
        ctx.add("sigmoid", "warn", "sigmoid.extremes", shown=[shown("sigmoid(z)", right, values)])


# ----------------------------------------------------------------------------- cross-entropy


@functools.cache
def _bce_cases() -> tuple[Case, ...]:
    rng = np.random.default_rng(9)
    Y7 = np.array([[0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0]])
    args = [(ref.Y, np.array([[0.1, 0.8, 0.6, 0.3]])), (Y7, rng.uniform(0.05, 0.95, size=(1, 7)))]
    labels = [_label("the post's Y with YHat = [[0.1, 0.8, 0.6, 0.3]]",
                     "글의 Y와 YHat = [[0.1, 0.8, 0.6, 0.3]]"),
              _label("7 samples", "샘플 7개")]  # fmt: skip
    return tuple(Case(lab, a, {"loss": ref.binary_cross_entropy(*a)})
                 for lab, a in zip(labels, args, strict=True))  # fmt: skip


def binary_cross_entropy(ctx: Context) -> None:
    """The post's mean cross-entropy; a warning when a saturated output gives nan or inf."""
    fn = ctx.function("binary_cross_entropy")
    if fn is None or not signature(ctx, "binary_cross_entropy", fn, "(Y, YHat)", 2):
        return
    examine(ctx, "binary_cross_entropy", fn, _bce_cases(), _scalar_output, ["loss"],
            _mistakes("binary_cross_entropy"))  # fmt: skip
    if ctx.failed("binary_cross_entropy"):
        return
    saturated = np.array([[0.0, 1.0, 1.0, 0.0]])  # every sample right, with certainty
    outcome = ctx.call(fn, ref.Y, saturated)
    loss = _scalar_output(outcome.value) if outcome.ok else None
    value = None if loss is None else loss["loss"]
    if not (isinstance(value, float) and np.isfinite(value)):
        ctx.add("binary_cross_entropy", "warn", "bce.log0",
                shown=[shown("loss", 0.0, value)], got=repr(value))  # fmt: skip
