"""Checks of forward_loss and get_gradients: every intermediate, every gradient, and where a
wrong backward pass first goes wrong.

A gradient that matches no known mistake is still located (which returned arrays are wrong,
and so which of the post's seven steps is the first that can be), and compared with central
differences of the learner's *own* forward_loss: a backward pass that is right for a wrong
forward pass is told so.
"""

from __future__ import annotations

import inspect
import itertools
from typing import Any, Final

import numpy as np

from xornet.review._cases import Case, as_array, network_cases, relation, same, shown
from xornet.review._context import EXPLAIN, Context, examine, signature
from xornet.review._layer_mistakes import LAYER_MISTAKES
from xornet.review._load import comment_slips
from xornet.review.catalogue import BACKWARD, GRADIENTS
from xornet.review.post_layout import step_label

__all__ = ["forward_loss", "get_gradients"]

FORWARD: Final = ("Z1", "H", "Z2", "YHat", "loss")
# The learner's function each forward output comes from.
_MADE_BY: Final = {"Z1": "affine", "H": "sigmoid", "Z2": "affine", "YHat": "sigmoid",
                   "loss": "binary_cross_entropy"}  # fmt: skip


def _scalar(value: Any) -> Any:
    array = as_array(value)
    return float(array.reshape(())) if array is not None and array.size == 1 else value


def _forward_output(value: Any) -> dict[str, Any] | None:
    if not (isinstance(value, tuple | list) and len(value) == 5):
        return None
    out = dict(zip(FORWARD, value, strict=True))
    out["loss"] = _scalar(out["loss"])
    return out


def _permuted(ctx: Context, check: str, names: tuple[str, ...], outputs: list[Any]) -> bool:
    """A finding when the outputs are the right ones in another order."""
    case, output = network_cases()[0], outputs[0]
    if output is None:
        return False
    for order in itertools.permutations(names):
        if order != names and all(
            same(output[a], case.ref[b]) for a, b in zip(names, order, strict=True)
        ):
            ctx.add(check, "fail", "order", name=check, theirs=", ".join(order),
                    post=", ".join(names))  # fmt: skip
            return True
    return False


def forward_loss(ctx: Context) -> None:
    """``Z1, H, Z2, YHat, loss`` on the post's data and two other sizes."""
    fn = ctx.function("forward_loss")
    if fn is None or not signature(ctx, "forward_loss", fn, "(X, Y, _params)", 3):
        return
    mistakes = [m for m in LAYER_MISTAKES if m.function == "forward_loss"]

    def order(outs: list[Any]) -> bool:
        return _permuted(ctx, "forward_loss", FORWARD, outs)

    outputs = examine(ctx, "forward_loss", fn, network_cases(), _forward_output, FORWARD,
                      mistakes, order)  # fmt: skip
    ctx.memo["forward_right"] = not ctx.failed("forward_loss")
    if outputs is None or not ctx.failed("forward_loss"):
        return
    first_wrong = next((k for c, o in zip(network_cases(), outputs, strict=True) if o is not None
                        for k in FORWARD if not same(o[k], c.ref[k])), None)  # fmt: skip
    if first_wrong is not None and ctx.failed(_MADE_BY[first_wrong]):
        ctx.add("forward_loss", "note", "forward.follows", step=step_label(first_wrong),
                name=first_wrong, fn=_MADE_BY[first_wrong])  # fmt: skip


# ----------------------------------------------------------------------------- get_gradients


def _gradient_output(value: Any) -> dict[str, Any] | None:
    if not (isinstance(value, tuple | list) and len(value) == 2):
        return None
    grads, loss = value
    if not (isinstance(grads, tuple | list) and len(grads) == 4):
        return None
    return {**dict(zip(GRADIENTS, grads, strict=True)), "loss": _scalar(loss)}


def get_gradients(ctx: Context) -> None:
    """The four gradients and the loss on the post's data and two other sizes; the first wrong
    step and the likely mistake when they are wrong."""
    fn = ctx.function("get_gradients")
    if fn is None or not signature(ctx, "get_gradients", fn, "(X, Y, _params)", 3):
        return
    _comment_notes(ctx, fn)
    cases = network_cases()
    outputs = examine(ctx, "get_gradients", fn, cases, _gradient_output, GRADIENTS, BACKWARD,
                      lambda outs: _permuted(ctx, "get_gradients", GRADIENTS, outs))  # fmt: skip
    if outputs is None:
        return
    if ctx.failed("get_gradients"):
        if not any(f.code in ("mistake", "order", "returns") for f in ctx.findings
                   if f.check == "get_gradients"):  # fmt: skip
            _locate(ctx, outputs)
            _against_own_forward(ctx, fn, outputs)
        return
    bad = [(c, o) for c, o in zip(cases, outputs, strict=True)
           if o is not None and not same(o["loss"], c.ref["loss"])]  # fmt: skip
    if bad:
        case, output = bad[0]
        ctx.add("get_gradients", "fail", "gradients.loss", shown=[shown("loss", case.ref["loss"],
                output["loss"])], case=case.label)  # fmt: skip


# Which of the seven steps can be the first wrong one, from which returned arrays are wrong.
def _first_step(wrong: set[str]) -> str:
    if {"dLdW2", "dLdB2"} <= wrong:
        return "dLdZ2"
    if "dLdW2" in wrong:
        return "dLdW2"
    if "dLdB2" in wrong:
        return "dLdB2"
    if {"dLdW1", "dLdB1"} <= wrong:
        return "dLdZ1"  # or dLdH, step 4, which feeds it
    return "dLdW1" if "dLdW1" in wrong else "dLdB1"


def _locate(ctx: Context, outputs: list[dict[str, Any] | None]) -> None:
    pairs = [(c, o) for c, o in zip(network_cases(), outputs, strict=True) if o is not None]
    wrong = [k for k in GRADIENTS if any(not same(o[k], c.ref[k]) for c, o in pairs)]
    if not wrong:
        return
    case, output = next((c, o) for c, o in pairs if any(not same(o[k], c.ref[k]) for k in wrong))
    step = _first_step(set(wrong))
    off = [k for k in wrong if not same(output[k], case.ref[k])]
    hows = {lang: "; ".join(f"{k}: {relation(output[k], case.ref[k])[lang]}" for k in off)
            for lang in ("en", "ko")}  # fmt: skip
    number = "4-5" if step == "dLdZ1" else step_label(step).split(")")[0].split()[-1]
    steps = {"en": f"step{'s' if '-' in number else ''} {number}", "ko": f"{number}단계"}
    ctx.add("get_gradients", "note", "gradients.located", step=step_label(step),
            explain=EXPLAIN, data={"wrong": wrong, "first_step": step},
            steps=steps, hows=hows)  # fmt: skip


def _own_gradient(ctx: Context, forward: Any, case: Case, eps: float = 1e-6) -> list[Any] | None:
    """Central differences of the learner's forward_loss loss, for each parameter."""
    X, Y, params = case.args
    grads = []
    for index, p in enumerate(params):
        g = np.zeros_like(p)
        for position in np.ndindex(p.shape):
            losses = []
            for sign in (1.0, -1.0):
                shifted = [q.copy() for q in params]
                shifted[index][position] += sign * eps
                outcome = ctx.call(forward, X, Y, shifted)
                out = _forward_output(outcome.value) if outcome.ok else None
                loss = None if out is None else as_array(out["loss"])
                if loss is None or loss.size != 1:
                    return None
                losses.append(float(loss.reshape(())))
            g[position] = (losses[0] - losses[1]) / (2 * eps)
        grads.append(g)
    return grads


def _against_own_forward(ctx: Context, fn: Any, outputs: list[dict[str, Any] | None]) -> None:
    forward = ctx.namespace.get("forward_loss")
    case, output = network_cases()[0], outputs[0]
    if not callable(forward) or output is None:
        return
    with np.errstate(all="ignore"):
        numeric = _own_gradient(ctx, forward, case)
    if numeric is None:
        return
    agree = all(
        same(output[k], g, rtol=1e-4, atol=1e-7) for k, g in zip(GRADIENTS, numeric, strict=True)
    )
    if agree and not ctx.memo.get("forward_right", True):
        ctx.add("get_gradients", "note", "gradients.consistent")
    elif not agree:
        off = [k for k, g in zip(GRADIENTS, numeric, strict=True)
               if not same(output[k], g, rtol=1e-4, atol=1e-7)]  # fmt: skip
        ctx.add("get_gradients", "note", "gradients.not_derivative", arrays=", ".join(off),
                shown=[shown(f"{k} (central differences)", g, output[k])
                       for k, g in zip(GRADIENTS, numeric, strict=True) if k in off])  # fmt: skip


def _comment_notes(ctx: Context, fn: Any) -> None:
    """A note for each comment that names the other layer's bias (the post's step 7 slip)."""
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return
    for lineno, name, comment in comment_slips("".join(lines), first):
        ctx.add("get_gradients", "note", "gradients.comment", where=ctx.where(lineno), name=name,
                comment=comment)  # fmt: skip
