"""Many networks with the step written out, compiled in C (xornet.engines._native_lanes): the
same numbers as numba's written-out lanes (xornet.engines._written) and, through train_many, as
the NumPy reference (tests/test_engines.py runs its written-out tests on both compilers). On the
machine it was written on (gcc 12.2, numba's LLVM, Intel AVX-512) the two agreed bit for bit,
stop rules and all; which multiply-adds each compiler fuses is its own choice, so the weights
are held to 1e-12 here and the steps and stop reasons exactly."""

import ast

import numpy as np
import pytest

import xornet
from xornet.engines import _native, _native_lanes, _written
from xornet.engines._written_step import Shape

# The C loops' tests: skipped without cc, or with them turned off (XORNET_NATIVE=0 pytest).
pytestmark = pytest.mark.skipif(not _native.available(), reason="no cc, or XORNET_NATIVE=0")

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0.0, 1.0, 1.0, 0.0])
#: Each a kernel numba compiles too (seconds): the post's shape with the rules that fire events
#: (tolerance, a loss target, all correct by a margin), Adam with a shortcut, momentum on tanh.
CASES = [
    {"tol": 0.2, "stop_when_correct": True, "margin": 0.1},
    {"tol": 0.05, "optimizer": "adam", "learning_rate": 0.05, "shortcut": True, "hidden": 1},
    {"tol": None, "optimizer": "momentum", "nesterov": True, "activation": "tanh", "loss": "sse"},
]


def run(kernel, config, T0, lrs, steps, target=None):
    """One call of a run_written from T0 (P, N): every array it writes."""
    from xornet.engines.fused import pack_settings

    fs, ints = pack_settings(config, 4, target)
    P, N = T0.shape
    out = [T0.copy(), np.zeros((_written.SLOTS[config.optimizer], P, N)), lrs.copy()]
    counters = [np.zeros(N, np.int64), np.zeros(N, np.int64), np.full(N, -1, np.int64),
                np.full(N, -1, np.int64)]  # fmt: skip
    counters[1][-5:] = xornet.config.STOP_CODES["diverged"]  # padding lanes: never trained
    kernel(X, Y, *out, fs, ints, 0, steps, *counters)
    return out + counters


def shape_of(config):
    return Shape.of(4, 2, config)


@pytest.mark.parametrize("bits", [512, 256])
@pytest.mark.parametrize("case", CASES, ids=["rules", "adam-shortcut", "nesterov-tanh"])
def test_the_c_lanes_give_numbas_numbers(case, bits, monkeypatch):
    from xornet.engines._lanes import VECTOR_BITS_VARIABLE

    config = xornet.PRESETS["post"].replace(**{"start": "random", "learning_rate": 0.5} | case)
    shape = shape_of(config)
    P = config.hidden * 4 + 1 + (2 if config.shortcut else 0)
    N = 128  # two numba blocks, eight C blocks of 16 (or 8) lanes
    rng = np.random.default_rng(sum(map(ord, str(tuple(shape)))))
    T0 = rng.normal(size=(P, N)) * 2
    lrs = config.learning_rate * rng.uniform(0.5, 2.0, size=N)
    lrs[:3] = 1e308  # these diverge at once
    monkeypatch.setenv(VECTOR_BITS_VARIABLE, str(bits))
    c = run(_native_lanes.kernel(shape, bits=bits), config, T0, lrs, 1500, target=0.25)
    numba = run(_written.kernel(shape), config, T0, lrs, 1500, target=0.25)
    names = ["T", "V", "lr", "step", "stop", "first_correct", "first_target"]
    for name, ours, theirs in zip(names, c, numba, strict=True):
        if name in ("T", "V"):  # the padding's and the diverged lanes' numbers included
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12, err_msg=name)
        else:
            np.testing.assert_array_equal(ours, theirs, err_msg=name)
    reasons = {xornet.config.stop_reason_of(int(code)) for code in c[4]}
    assert "diverged" in reasons
    assert len(reasons) >= 2 + (config.tol is not None)  # the rules fired
    assert (c[5] >= 0).sum() > 10  # many first all-correct steps recorded


def test_the_c_is_the_step_numba_compiles():
    # Every number the step numba's kernel runs assigns is assigned in the C.
    text = _native_lanes.source(Shape(4, 2, 2))
    lines = _written.lanes_step_lines(Shape(4, 2, 2), 4)
    targets = [t for n in ast.parse("\n".join(lines)).body
               for t in getattr(n, "targets", [getattr(n, "target", None)])]  # fmt: skip
    names = {n.id for t in targets for n in getattr(t, "elts", [t]) if isinstance(n, ast.Name)}
    assert {"a3_1", "e_h2_0", "r_p3", "worst", "g8", "spoiled", "events"} <= names
    for name in names - {"events", "bad"}:
        assert f" {name} = " in text or f" {name} += " in text, name
    assert "B[grp][8] = t8;" in text  # B[8, q] = t8: the block's row, a vector of a group
    assert "events_v += (active * event);" in text  # a count of lanes, summed once a step
    assert "exp_nonpos_horner((-vabs(a0_0)))" in text
    assert "#define WIDTH 8" in text
    assert "#define WIDTH 4" in _native_lanes.source(Shape(4, 2, 2), bits=256)
    assert "int_power(beta1, s + 1)" in _native_lanes.source(Shape(4, 2, 2, "sigmoid", "adam"))


def test_the_writer_refuses_what_it_cannot_write():
    writer = _native_lanes._Writer({}, {"LR": 9})
    for line in ("t0 = B[0, 1]", "t0 = math.exp(t1)", "t0 = t1 ** 3", "t0, t1 = t1, t0",
                 "for q in range(3): pass"):  # fmt: skip
        with pytest.raises(ValueError, match="no C for"):
            writer.statements([line], 0)


def test_the_kernel_checks_its_arrays():
    run_written = _native_lanes.kernel(Shape(4, 2, 2))
    config = xornet.PRESETS["post"]
    T = np.zeros((9, 32))
    good = run(run_written, config, T, np.full(32, 0.1), 2)  # runs
    assert good[3].tolist() == [2] * 27 + [0] * 5  # the padding never ran
    from xornet.engines.fused import pack_settings

    fs, ints = pack_settings(config, 4, None)
    counters = [np.zeros(32, np.int64)] * 4
    with pytest.raises(ValueError, match="T must be a C-contiguous float64"):
        run_written(X, Y, np.zeros((32, 9)).T, np.zeros((0, 9, 32)), np.ones(32), fs, ints, 0,
                    1, *counters)  # fmt: skip
    with pytest.raises(ValueError, match="lr has shape"):
        run_written(X, Y, T, np.zeros((0, 9, 32)), np.ones(31), fs, ints, 0, 1, *counters)
    T24 = np.zeros((9, 24))
    with pytest.raises(ValueError, match="24 networks is not a multiple of 16"):
        run_written(X, Y, T24, np.zeros((0, 9, 24)), np.ones(24), fs, ints, 0, 1,
                    *[np.zeros(24, np.int64)] * 4)  # fmt: skip


@pytest.mark.parametrize("how", ["cc fails", "XORNET_NATIVE=0"])
def test_without_the_c_lanes_numba_runs_them_with_the_same_numbers(how, monkeypatch, cc_fails):
    from xornet.engines import many

    monkeypatch.setattr(many, "WRITTEN_OUT_MIN_WORK", 0)
    config = xornet.PRESETS["post"].replace(steps=400, learning_rate=0.5, start="random", tol=0.3)
    data = xornet.xor()
    with_c = xornet.train_many(data.X, data.y, config, range(40), engine="numba")
    tried = []
    if how == "cc fails":
        tried = cc_fails(_native_lanes)
    else:
        monkeypatch.setenv("XORNET_NATIVE", "0")
    made = []
    real = _written.kernel
    monkeypatch.setattr(
        _written, "kernel", lambda shape, **k: made.append(shape) or real(shape, **k)
    )
    without = xornet.train_many(data.X, data.y, config, range(40), engine="numba")
    assert cc_fails.said() == ([cc_fails.post_many] if how == "cc fails" else [])
    assert made == [shape_of(config)]  # numba's written-out lanes ran it
    np.testing.assert_allclose(without.thetas, with_c.thetas, rtol=0, atol=1e-12)
    assert list(without.stop_reason) == list(with_c.stop_reason)
    assert "tolerance" in set(with_c.stop_reason)
    if how == "cc fails":  # tried once a process
        xornet.train_many(data.X, data.y, config, range(40), engine="numba")
        assert tried == [shape_of(config)]
        assert cc_fails.said() == []


def test_a_failing_cc_leaves_a_short_job_to_the_lane_kernel(monkeypatch, cc_fails):
    # cc on the PATH but failing: a short job runs what it runs without cc (the lane kernel, its
    # numba code shared by every shape), not numba's written-out step (seconds per shape).
    cc_fails(_native_lanes)
    data = xornet.xor()
    config = xornet.PRESETS["post"].replace(steps=300, start="random")
    result = xornet.train_many(data.X, data.y, config, range(40), engine="numba")
    assert cc_fails.said() == [cc_fails.post_many]
    assert result.kernel.startswith("lanes/")
    monkeypatch.setattr(_native, "FAILED", set())
    monkeypatch.undo()
    assert xornet.train_many(data.X, data.y, config, range(40), engine="numba").kernel.startswith(
        "written-c/"
    )
