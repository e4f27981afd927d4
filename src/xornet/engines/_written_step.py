"""The step of a small network as lines of Python source, one local variable per number:
the post's seven steps written out for one shape and one choice, for :mod:`._written` to put
inside its loops (see there for why, and for the names: ``t{c}`` the parameters, ``g{c}`` the
gradients, ``a{r}_{j}`` and ``h{r}_{j}`` a hidden unit's sum and output for sample ``r``,
``z{r}`` and ``p{r}`` the logit and output).

Each function returns lines without indentation; the caller indents them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from xornet.config import TrainConfig

__all__ = ["SHARED_DIVISION", "Shape", "data_lines", "lanes_step_lines", "reciprocal_lines",
           "sample_lines", "sigmoid_lines"]  # fmt: skip


class Shape(NamedTuple):
    """What a written-out step is written for, and so all its source depends on (besides the
    vector width): ``n`` samples, ``d`` inputs, ``h`` hidden units and one output, the
    activation, the optimizer, the loss, and direct input-to-output weights ``W3 (d, 1)``
    (``shortcut``). Every written-out loop, numba's (:mod:`._written`) and C's
    (:mod:`._native`, :mod:`._native_lanes`), is made and cached for one."""

    n: int
    d: int
    h: int
    activation: str = "sigmoid"  # or "tanh", "relu"
    optimizer: str = "gd"  # or "momentum", "adam"
    loss: str = "bce"  # or "sse"
    shortcut: bool = False

    @classmethod
    def of(cls, n: int, d: int, config: TrainConfig) -> Shape:
        """The shape of a run of ``config`` on ``n`` samples of ``d`` inputs (one output)."""
        return cls(n, d, config.hidden, config.activation, config.optimizer, config.loss,
                   config.shortcut)  # fmt: skip

    def described(self, many: bool = False) -> str:
        """In words, as a message names it: ``a 2-2-1 network on 4 samples (sigmoid, gd,
        bce)``, or with ``many`` ``many 2-2-1 networks on 4 samples (...)``."""
        choice = [self.activation, self.optimizer, self.loss] + ["shortcut"] * self.shortcut
        networks = "many {}-{}-1 networks" if many else "a {}-{}-1 network"
        return f"{networks.format(self.d, self.h)} on {self.n} samples ({', '.join(choice)})"

    @property
    def params(self) -> int:
        """Its parameters, in the order the step names them ``t0 ...``: ``W1 (d, h)``,
        ``b1 (h,)``, ``W2 (h, 1)``, ``b2 (1,)`` and with a shortcut ``W3 (d, 1)``."""
        return self.d * self.h + 2 * self.h + 1 + (self.d if self.shortcut else 0)


#: Each activation's derivative from its output ``h``, as the scalar loop computes it.
SLOPES = {
    "sigmoid": "{h} * (1.0 - {h})",
    "tanh": "1.0 - {h} * {h}",
    "relu": "1.0 * ({h} > 0.0)",
}


def data_lines(n: int, d: int) -> list[str]:
    """The data as constants of the loop: ``x{r}_{i}``, ``y{r}``; right by the margin is
    ``side{r} * p - edge{r} > 0``, and ``sign{r} z`` is the logit the BCE of sample r needs."""
    out = ["# The data, as constants of the loop; side * p - edge > 0: right by the margin."]
    for r in range(n):
        xs = ", ".join(f"x{r}_{i}" for i in range(d))
        out.append(f"{xs} = {', '.join(f'X[{r}, {i}]' for i in range(d))}")
        out.append(f"y{r} = y[{r}]")
        out.append(f"side{r}, sign{r} = (1.0 if y{r} > 0.5 else -1.0), 1.0 - 2.0 * y{r}")
        out.append(f"edge{r} = 0.5 + margin if y{r} > 0.5 else -(0.5 - margin)")
    return out


def sample_lines(shape: Shape, lanes: bool, shared: int = 1) -> list[str]:
    """Forward and backward in the post's seven steps: the gradients ``g{c}`` of parameters
    ``t{c}``, with ``check`` (0 while every sum is finite) and ``worst`` (the least of
    side * p - edge).

    The forward pass runs layer by layer over all the samples (every hidden unit's sum
    ``a{r}_{j}``, then every activation ``h{r}_{j}``, then every logit ``z{r}`` and ``p{r}``),
    so the exps of a layer sit side by side with nothing between them to wait for (it pays for
    XOR's shape with few hidden units, where a sample's exps alone cannot keep the core busy).
    Then the backward pass, sample by sample. In lanes, exp and tanh are the vectorisable ones
    (:mod:`._exp`, :mod:`._lanes`), the sigmoids of a layer share their divisions
    (:func:`reciprocal_lines`), each logit goes to row ``Z2 + r`` of the block, and ``low`` sums a
    lower bound of the loss; for one network, the sigmoid of :mod:`._kernels` (with
    :func:`._exp.exp_table`).
    """
    n, d, h, activation, _, loss, shortcut = shape
    b1, W2, b2 = d * h, d * h + h, d * h + 2 * h
    W3 = b2 + 1
    out = ["# Z1 = X W1 + b1"]
    for r in range(n):
        for j in range(h):
            out.append(f"a{r}_{j} = x{r}_0 * t{j}")
            out += [f"a{r}_{j} += x{r}_{i} * t{i * h + j}" for i in range(1, d)]
            out.append(f"a{r}_{j} += t{b1 + j}")
            out.append(f"check += 0.0 * a{r}_{j}")
    units = [f"{r}_{j}" for r in range(n) for j in range(h)]
    out.append(f"# H = {activation}(Z1)")
    if activation == "sigmoid":
        out += sigmoid_lines([f"a{u}" for u in units], [f"h{u}" for u in units], lanes, shared)
    else:
        act = {"tanh": "tanh_v({})" if lanes else "math.tanh({})", "relu": "max({}, 0.0)"}
        out += [f"h{u} = {act[activation].format(f'a{u}')}" for u in units]
    out.append(f"# z2 = H W2 + b2{' + X W3' if shortcut else ''}, p = sigmoid(z2)")
    for r in range(n):
        out.append(f"z{r} = h{r}_0 * t{W2}")
        out += [f"z{r} += h{r}_{j} * t{W2 + j}" for j in range(1, h)]
        out.append(f"z{r} += t{b2}")
        if shortcut:  # + x W3, summed on its own first, as the scalar loop does
            out.append(f"c = x{r}_0 * t{W3}")
            out += [f"c += x{r}_{i} * t{W3 + i}" for i in range(1, d)]
            out.append(f"z{r} += c")
        out.append(f"check += 0.0 * z{r}")
        if lanes:
            out.append(f"B[Z2 + {r}, q] = z{r}")
    out += sigmoid_lines([f"z{r}" for r in range(n)], [f"p{r}" for r in range(n)], lanes, shared)
    for r in range(n):
        out.append(f"# sample {r}, backward")
        out.append(f"worst = min(worst, side{r} * p{r} - edge{r})")
        if loss == "sse":  # 1) dE/dz2 = (p - y) p (1 - p)
            if lanes:  # the squared error itself
                out.append(f"low += 0.5 * (p{r} - y{r}) ** 2")
            out.append(f"dz = (p{r} - y{r}) * p{r} * (1.0 - p{r})")
        else:  # 1) dL/dz2 = (p - y) / n; log1p(e) >= e - e^2 / 2 bounds the BCE below
            if lanes:
                out.append(f"low += max(sign{r} * z{r}, 0.0) + (e_p{r} - 0.5 * e_p{r} * e_p{r})")
            out.append(f"dz = (p{r} - y{r}) / {n}.0")
        out.append(f"g{b2} += dz  # 3) dL/db2")
        if shortcut:
            out += [f"g{W3 + i} += x{r}_{i} * dz  # dL/dW3" for i in range(d)]
        for j in range(h):
            hj = f"h{r}_{j}"
            out.append(f"g{W2 + j} += {hj} * dz  # 2) dL/dW2")
            out.append(f"dz1 = (dz * t{W2 + j}) * ({SLOPES[activation].format(h=hj)})  # 4) 5)")
            out.append(f"g{b1 + j} += dz1  # 7) dL/db1")
            out += [f"g{i * h + j} += x{r}_{i} * dz1  # 6) dL/dW1" for i in range(d)]
    return out


#: Sigmoids whose reciprocals 1 / (1 + e) share one division in the lanes (at most 4, all
#: :func:`reciprocal_lines` writes; sharing among more did not pay).
SHARED_DIVISION = 4


def sigmoid_lines(zs: list[str], outs: list[str], lanes: bool, shared: int = 1) -> list[str]:
    """``outs[k] = sigmoid(zs[k])``. For one network, :func:`._kernels.sigmoid_called`, one at a
    time. In lanes, from ``e_{out} = exp(-|z|)`` (kept: the loss's bound reads the outputs')
    and ``r_{out} = 1 / (1 + e)``, with ``shared`` divisions shared (:func:`reciprocal_lines`)."""
    if not lanes:
        return [f"{o} = sigmoid_called({z})" for z, o in zip(zs, outs, strict=True)]
    text = [f"e_{o} = exp_nonpos_horner(-abs({z}))" for z, o in zip(zs, outs, strict=True)]
    text += [f"d_{o} = 1.0 + e_{o}" for o in outs]
    if shared > 1:
        text.append(f"# r = 1 / d, {shared} at a time with one division (reciprocal_lines)")
    for k in range(0, len(outs), shared):
        group = outs[k : k + shared]
        text += reciprocal_lines([f"d_{o}" for o in group], [f"r_{o}" for o in group])
    text += [f"{o} = sigmoid_from({z}, e_{o}, r_{o})" for z, o in zip(zs, outs, strict=True)]
    return text


def reciprocal_lines(ds: list[str], rs: list[str]) -> list[str]:
    """``rs[k] = 1 / ds[k]`` for up to four numbers in [1, 2] with one division.

    A division is the slowest arithmetic the step has (a vector division takes the divider about
    16 cycles; a multiplication, half of one): ``1 / (d0 d1 d2 d3)`` times the other three is
    ``1 / d0``. With the products in pairs, ``1 / (d0 d1)`` is ``d2 d3 / (d0 d1 d2 d3)``, and
    ``1 / d0`` is ``d1 / (d0 d1)``: one division and nine multiplications for four. Each product
    is below 16; each reciprocal takes six roundings instead of one, so it is within 6 ulp
    (tested).
    """
    if not 1 <= len(ds) == len(rs) <= 4:
        raise ValueError(f"reciprocals of 1 to 4 numbers, not {len(ds)}")
    if len(ds) == 1:
        return [f"{rs[0]} = 1.0 / {ds[0]}"]
    if len(ds) == 2:
        return [
            f"inv = 1.0 / ({ds[0]} * {ds[1]})",
            f"{rs[0]}, {rs[1]} = {ds[1]} * inv, {ds[0]} * inv",
        ]
    if len(ds) == 3:
        return [
            f"pa = {ds[0]} * {ds[1]}",
            f"inv = 1.0 / (pa * {ds[2]})",
            f"ia = {ds[2]} * inv  # 1 / pa",
            f"{rs[0]}, {rs[1]}, {rs[2]} = {ds[1]} * ia, {ds[0]} * ia, pa * inv",
        ]  # fmt: skip
    return [
        f"pa, pb = {ds[0]} * {ds[1]}, {ds[2]} * {ds[3]}",
        "inv = 1.0 / (pa * pb)",
        "ia, ib = pb * inv, pa * inv  # 1 / pa, 1 / pb",
        f"{rs[0]}, {rs[1]} = {ds[1]} * ia, {ds[0]} * ia",
        f"{rs[2]}, {rs[3]} = {ds[3]} * ib, {ds[2]} * ib",
    ]


def lanes_step_lines(shape: Shape, shared: int) -> list[str]:
    """The body of the loop over the lanes: one network's whole step (see :func:`._written.source`),
    ``shared`` sigmoids to a division."""
    n, optimizer, loss, P = shape.n, shape.optimizer, shape.loss, shape.params
    out = [f"t{c} = B[{c}, q]" for c in range(P)]
    out += [f"g{c} = 0.0" for c in range(P)]
    # Few branches, since each costs numba compile time in a function this long: 0 * a is 0
    # for a finite a and nan otherwise, so ``check`` stays 0 while every sum is finite; and
    # ``worst`` is the least of side * p - edge, positive when every sample is right.
    out += ["check, worst, low = 0.0, math.inf, 0.0  # finiteness, correctness, the loss's bound"]
    out += sample_lines(shape, lanes=True, shared=shared)
    out += [
        "# The evaluation: is there anything to record or check (see _lanes.run_lanes)?",
        f"level = low{'' if loss == 'sse' else f' / {n}.0'}",
        "fin, right, seeking = 1.0 * (check == 0.0), 1.0 * (worst > 0.0), B[SEEKING, q]",
        "reach = max(tol_level, seeking * target - (1.0 - seeking))  # target, or -1",
        "near = 1.0 * (level <= reach * (1.0 + 1e-12))",
        "event = 1.0 * ((1.0 - fin) + right * B[UNSOLVED, q] + near > 0.0)",
        "B[FINITE, q], B[CORRECT, q], B[LOW, q], B[EVENT, q] = fin, right, low, event",
        "active = B[ACTIVE, q]",
        "events += int(active * event)",
        "# The update where w = 1.0 (this pass updates the lane), not where w = 0.0: chosen, not",
        "# weighted, so that an inf or nan of a lane not updated leaks into nothing (0 * inf).",
        "w = first * active * (1.0 - event) + (1.0 - first) * B[RERUN, q]",
        "rate = B[LR, q]",
        "check = 0.0",
    ]
    for c in range(P):
        if optimizer == "gd":
            out.append(f"t{c} = t{c} - rate * g{c} if w == 1.0 else t{c}")
        elif optimizer == "momentum":
            vr = P + c
            out += [
                f"v = B[{vr}, q] * mu",
                f"v -= rate * g{c}",
                f"B[{vr}, q] = v if w == 1.0 else B[{vr}, q]",
                f"delta = mu * v - rate * g{c} if nesterov else v",
                f"t{c} = t{c} + delta if w == 1.0 else t{c}",
            ]
        else:
            mr, vr = P + c, 2 * P + c
            out += [
                f"m = B[{mr}, q] * beta1",
                f"m += (1.0 - beta1) * g{c}",
                f"u = B[{vr}, q] * beta2",
                f"u += (1.0 - beta2) * g{c} * g{c}",
                f"B[{mr}, q] = m if w == 1.0 else B[{mr}, q]",
                f"B[{vr}, q] = u if w == 1.0 else B[{vr}, q]",
                "delta = rate * (m / c1) / (math.sqrt(u / c2) + eps)",
                f"t{c} = t{c} - delta if w == 1.0 else t{c}",
            ]
        out.append(f"check += 0.0 * t{c}")
        out.append(f"B[{c}, q] = t{c}")
    out += [
        "spoiled = w * (check != 0.0)",
        "B[SPOILED, q] = spoiled + (1.0 - w) * (1.0 - first) * B[SPOILED, q]",
        "bad += int(spoiled)",
    ]
    return out
