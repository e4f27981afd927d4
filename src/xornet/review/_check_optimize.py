"""Checks of optimize: the returned triple, the loss trace's spacing, the trajectory over the
first thousands of steps, the speed against the reference, and (on request) the post's whole
run from ``np.random.seed(3)``.

When the learner's get_gradients is wrong, optimize is judged against the post's loop around
the learner's own get_gradients, so that a right optimize is not failed for another function's
mistake.
"""

from __future__ import annotations

import time
from typing import Any, Final

import numpy as np

from xornet import tutorial as ref
from xornet._typing import Array
from xornet.review._cases import Case, as_array, post_params, relation, same, shown
from xornet.review._context import Context, signature
from xornet.review._layer_mistakes import LAYER_MISTAKES, post_loop
from xornet.review.catalogue import matching

__all__ = ["full", "full_reference", "optimize"]

PARAMS: Final = ("W1", "B1", "W2", "B2")
#: The mistake-finding run (a large rate makes every mistake visible) and the trajectory run.
SHORT: Final = (0.5, 300)
TRAJECTORY: Final = (0.01, 2000)
#: A learner's optimize slower than the reference by more than this gets a warning.
SLOW: Final = 20.0


def _output(value: Any) -> dict[str, Any] | None:
    if not (isinstance(value, tuple | list) and len(value) == 3):
        return None
    params, trace, yhat = value
    if not (isinstance(params, tuple | list) and len(params) == 4):
        return None
    trace_array = as_array(trace)
    if trace_array is None or trace_array.ndim != 1:
        return None
    return {**dict(zip(PARAMS, params, strict=True)), "trace": trace_array, "YHat": yhat}


def _losses(start: list[Array], lr: float, n: int) -> Array:
    """The loss before each of the steps 0 .. n of the post's training (the reference)."""
    from xornet.config import TrainConfig
    from xornet.params import Params
    from xornet.training import train

    W1, B1, W2, B2 = start
    config = TrainConfig(hidden=W1.shape[1], activation="sigmoid", optimizer="gd",
                         learning_rate=lr, steps=n + 1, record_every=1, tol=None)  # fmt: skip
    params = Params(W1.copy(), B1[:, 0].copy(), W2.copy(), B2[:, 0].copy())
    return np.asarray(train(ref.X.T, ref.Y[0], config, params=params, engine="numpy").loss_history)


def _reference(ctx: Context, start: list[Array], lr: float, n: int) -> dict[str, Any] | None:
    """What optimize should return: xornet's, or the post's loop around the learner's own
    get_gradients when that is wrong (None when it cannot run)."""
    if not ctx.failed("get_gradients"):
        params, trace, yhat = ref.optimize(ref.X, ref.Y, start, lr, n)
        return {**dict(zip(PARAMS, params, strict=True)), "trace": np.asarray(trace), "YHat": yhat}
    gradients, forward = ctx.namespace.get("get_gradients"), ctx.namespace.get("forward_loss")
    if not (callable(gradients) and callable(forward)):
        return None

    def learner_gradients(*args: Any) -> Any:
        outcome = ctx.call(gradients, *args, copy_args=False)
        if not outcome.ok:
            raise ValueError(outcome.error)
        return outcome.value

    try:
        params, trace = post_loop(learner_gradients, ref.X, ref.Y, start, lr, n)
    except (TypeError, ValueError, IndexError):
        return None
    outcome = ctx.call(forward, ref.X, ref.Y, params)
    if not outcome.ok or not isinstance(outcome.value, tuple | list) or len(outcome.value) != 5:
        return None
    return {**dict(zip(PARAMS, params, strict=True)), "trace": as_array(trace),
            "YHat": outcome.value[3], "learner_gradients": True}  # fmt: skip


def optimize(ctx: Context) -> None:
    """The triple after 300 steps at rate 0.5, then 2,000 steps at the post's 0.01."""
    fn = ctx.function("optimize")
    post = "(X, Y, _params, learning_rate=0.01, iteration=200000)"
    if fn is None or not signature(ctx, "optimize", fn, post, 5, {3: 0.01, 4: 200000}):
        return
    start = post_params()
    lr, n = SHORT
    case = Case({"en": f"the post's data and start, learning_rate={lr}, iteration={n}",
                 "ko": f"글의 데이터와 시작점, learning_rate={lr}, iteration={n}"},
                (ref.X, ref.Y, start, lr, n), {})  # fmt: skip
    given = [p.copy() for p in start]
    outcome = ctx.call(fn, ref.X.copy(), ref.Y.copy(), given, lr, n, copy_args=False)
    if not outcome.ok:
        ctx.outcome_problem("optimize", "optimize", outcome, case)
        return
    if not all(np.array_equal(a, b) for a, b in zip(given, start, strict=True)):
        ctx.add("optimize", "fail", "optimize.modifies_input")
    output = _output(outcome.value)
    expected = _reference(ctx, start, lr, n)
    if output is None:
        ctx.add(
            "optimize", "fail", "returns", name="optimize", got=f"a {type(outcome.value).__name__}"
        )
        return
    if expected is None:
        return
    if expected.get("learner_gradients"):
        ctx.add("optimize", "note", "optimize.learner_gradients")
    if _compare(ctx, case, output, expected, _losses(start, lr, n)):
        _trajectory(ctx, fn, start, _reference(ctx, start, *TRAJECTORY))


def _compare(ctx: Context, case: Case, output: dict[str, Any], expected: dict[str, Any],
             losses: Array) -> bool:  # fmt: skip
    """Findings for a wrong triple; True when it is right."""
    wrong = [k for k in (*PARAMS, "YHat") if not same(output[k], expected[k])]
    mistakes = [m for m in LAYER_MISTAKES if m.function == "optimize"]
    found = [] if expected.get("learner_gradients") else matching(mistakes, [case], [output])
    if found:
        m = found[0]
        ctx.add("optimize", "fail", "mistake", step="optimize", data={"mistake": m.key},
                shown=[shown(k, expected[k], output[k]) for k in wrong[:2]], what=m.what,
                fix_=m.fix, case=case.label)  # fmt: skip
        return False
    if wrong:
        k = wrong[0]
        ctx.add("optimize", "fail", "wrong", shown=[shown(k, expected[k], output[k])], name=k,
                how=relation(output[k], expected[k]), case=case.label)  # fmt: skip
        return False
    trace, right = output["trace"], expected["trace"]
    if same(trace, right):
        return True
    spacing = (
        _spacing(trace, losses, case.args[4]) if not expected.get("learner_gradients") else None
    )
    if spacing is not None:
        every, first = spacing
        ctx.add("optimize", "fail", "optimize.trace_spacing", every=every, first=first,
                count=len(trace), n=case.args[4])  # fmt: skip
    else:
        ctx.add("optimize", "fail", "optimize.trace", shown=[shown("loss_trace", right, trace)],
                how=relation(trace, right))  # fmt: skip
    return False


def _spacing(trace: Array, losses: Array, n: int) -> tuple[int, int] | None:
    """``(every, first)`` when the trace is the loss every ``every`` steps from step ``first``."""
    for every in (1, 10, 100, 1000):
        for first in sorted({0, 1, every - 1}):
            expected = losses[first : n + 1 : every]
            if same(trace, expected) or (len(trace) and same(trace, expected[: len(trace)])):
                return every, first
    return None


def _trajectory(ctx: Context, fn: Any, start: list[Array], right: dict[str, Any] | None) -> None:
    """2,000 steps at the post's rate from the post's start: the same path, and how fast."""
    lr, n = TRAJECTORY
    outcome = ctx.call(fn, ref.X, ref.Y, start, lr, n)
    begin = time.perf_counter()
    ref.optimize(ref.X, ref.Y, start, lr, n)
    seconds = time.perf_counter() - begin
    output = _output(outcome.value) if outcome.ok else None
    if output is None or right is None:
        return
    off = [k for k in PARAMS if not same(output[k], right[k], atol=1e-9)]
    if off:
        k = off[0]
        ctx.add("optimize", "fail", "optimize.trajectory", n=n, how=relation(output[k], right[k]),
                shown=[shown(k, right[k], output[k])])  # fmt: skip
        return
    ratio = outcome.seconds / max(seconds, 1e-9)
    ctx.add("optimize", "warn" if ratio > SLOW else "note",
            "optimize.slow" if ratio > SLOW else "optimize.speed", n=n,
            ms=1000 * outcome.seconds, ratio=ratio, data={"seconds": outcome.seconds,
            "reference_seconds": seconds, "ratio": ratio})  # fmt: skip


def full_reference() -> dict[str, Any]:
    """The reference's result of the post's whole run from ``np.random.seed(3)``: 200,000
    steps at 0.01 (seconds with the compiled engine, some more without)."""
    params, trace, yhat = ref.optimize(ref.X, ref.Y, post_params())
    return {"params": [p.tolist() for p in params], "trace": [float(trace[0]), float(trace[-1])],
            "trace_len": len(trace), "YHat": yhat.tolist()}  # fmt: skip


def full(ctx: Context) -> None:
    """The post's run exactly: the learner's optimize with its defaults from the post's start."""
    fn = ctx.function("optimize", check="full")
    if fn is None:
        return
    reference = ctx.full_reference or full_reference()
    outcome = ctx.call(fn, ref.X, ref.Y, post_params())
    case = Case({"en": "the post's whole run", "ko": "글의 전체 학습"}, (), {})
    if not outcome.ok:
        ctx.outcome_problem("full", "optimize", outcome, case)
        return
    output = _output(outcome.value)
    if output is None:
        ctx.add("full", "fail", "returns", name="optimize", got=f"a {type(outcome.value).__name__}")
        return
    trace, last = output["trace"], float(output["trace"][-1]) if len(output["trace"]) else np.nan
    expected = {**dict(zip(PARAMS, reference["params"], strict=True)), "YHat": reference["YHat"],
                "loss_trace[-1]": reference["trace"][-1]}  # fmt: skip
    got = {**{k: output[k] for k in PARAMS}, "YHat": output["YHat"], "loss_trace[-1]": last}
    # A faithful loop ends within 1e-15 of the reference; one step more or less, 1e-8 away.
    off = [k for k in expected if not same(got[k], expected[k], rtol=1e-9, atol=1e-9)]
    if off or len(trace) != reference["trace_len"]:
        shown_ = [shown(k, expected[k], got[k]) for k in off[:2]]
        shown_.append(shown("len(loss_trace)", reference["trace_len"], len(trace)))
        k = off[0] if off else "len(loss_trace)"
        how = relation(got[k], expected[k], near=False) if off else relation(len(trace), 2000)
        ctx.add("full", "fail", "full.differs", shown=shown_, name=k, how=how)
        return
    ctx.add("full", "note", "full.same", loss=last, seconds=outcome.seconds)
