"""Every fast path against the NumPy reference.

Stated tolerance: 1e-10 absolute on every parameter and recorded loss. The compiled loop does
the reference's arithmetic in the same order, so in practice the two agree to about 1e-15 over
these runs; differences come only from rounding in library functions (exp, tanh, matmul).
"""

import itertools
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import xornet
from xornet import Params, TrainConfig, train, train_many
from xornet.engines import AUTO_MIN_STEPS, resolve_engine
from xornet.engines._written_step import Shape
from xornet.errors import TrainingDiverged, XornetError

TOL = 1e-10
ACTIVATIONS = ("sigmoid", "tanh", "relu")
OPTIMIZERS = (("gd", False), ("momentum", False), ("momentum", True), ("adam", False))
BATCHES = ((None, True), (2, True), (3, False), (1, False))  # (batch_size, shuffle)
STOPS = ({"tol": None}, {"tol": 0.05}, {"tol": None, "stop_when_correct": True})
INITS = ("normal", "glorot", "he")
LR = {"gd": 0.5, "momentum": 0.1, "adam": 0.02}


def combos():
    for i, (act, (opt, nesterov), (batch, shuffle)) in enumerate(
        itertools.product(ACTIVATIONS, OPTIMIZERS, BATCHES)
    ):
        config = TrainConfig(
            hidden=3,
            activation=act,
            optimizer=opt,
            nesterov=nesterov,
            learning_rate=LR[opt],
            batch_size=batch,
            shuffle=shuffle,
            steps=1500,
            record_every=37,
            init=INITS[i % 3],
            **STOPS[i % 3],
        )
        yield pytest.param(
            config,
            id=f"{act}-{opt}{'-nesterov' if nesterov else ''}-b{batch}"
            f"{'-shuffled' if shuffle and batch else ''}-stop{i % 3}",
        )


def assert_same(a, b):
    np.testing.assert_allclose(a.params.ravel(), b.params.ravel(), rtol=0, atol=TOL)
    np.testing.assert_allclose(a.loss_history, b.loss_history, rtol=0, atol=TOL)
    np.testing.assert_array_equal(a.history_steps, b.history_steps)
    assert (a.steps, a.stop_reason) == (b.steps, b.stop_reason)
    assert a.final_loss == pytest.approx(b.final_loss, abs=TOL)
    assert a.outcome.kind == b.outcome.kind


@pytest.mark.parametrize("config", list(combos()))
def test_numba_matches_numpy_for_every_combination(config):
    data = xornet.parity(3) if config.batch_size == 3 else xornet.xor()
    reference = train(data.X, data.y, config, rng=7, engine="numpy")
    fast = train(data.X, data.y, config, rng=7, engine="numba")
    assert (reference.engine, fast.engine) == ("numpy", "numba")
    assert_same(fast, reference)


CLASSIC = [
    TrainConfig(hidden=2, init="uniform", init_scale=0.5, loss="sse", optimizer="momentum",
                momentum=0.9, learning_rate=0.5, steps=3000, tol=0.04),
    TrainConfig(hidden=2, init="uniform", init_scale=1.0, loss="sse", learning_rate=0.5,
                batch_size=1, shuffle=False, steps=4000, tol=None, stop_when_correct=True,
                margin=0.1),
    TrainConfig(hidden=3, loss="sse", activation="tanh", optimizer="adam", learning_rate=0.05,
                batch_size=2, steps=1500, record_every=7),
]  # fmt: skip


@pytest.mark.parametrize("config", CLASSIC)
def test_numba_matches_numpy_with_the_classic_settings(config):
    data = xornet.xor()
    for seed in (0, 3):
        assert_same(train(data.X, data.y, config, rng=seed, engine="numba"),
                    train(data.X, data.y, config, rng=seed, engine="numpy"))  # fmt: skip


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("config", [c for c in CLASSIC if not (c.batch_size and c.shuffle)])
def test_many_networks_with_the_classic_settings(engine, config):
    data = xornet.xor()
    many = train_many(data.X, data.y, config, [0, 1, 2], target=0.04, engine=engine)
    for i in range(3):
        alone = train(data.X, data.y, config, rng=i, engine="numpy")
        np.testing.assert_allclose(many.params(i).ravel(), alone.params.ravel(), atol=TOL)
        assert (many.steps[i], many.stop_reason[i]) == (alone.steps, alone.stop_reason)
        assert many.final_loss[i] == pytest.approx(alone.final_loss, abs=TOL)


def test_numba_matches_numpy_on_the_posts_full_run():
    data = xornet.xor()
    config = xornet.PRESETS["post"]
    start = xornet.post_initial_params(3)
    fast = train(data.X, data.y, config, params=start, engine="numba")
    reference = train(data.X, data.y, config.replace(steps=20_000), params=start, engine="numpy")
    np.testing.assert_allclose(fast.loss_history[:200], reference.loss_history, rtol=0, atol=TOL)
    assert fast.final_loss < 0.01
    assert fast.outcome.kind == "solved"


def test_a_transposed_X_or_a_strided_y_runs_the_same_compiled_code(lane_kernel):
    # numba compiles a function again for each layout of its arrays; the engines hand every
    # kernel C-contiguous arrays, so the tutorial's X.T costs no second compile.
    from xornet.engines import _kernels, _lanes

    data = xornet.xor()
    X = np.asfortranarray(data.X)
    y = np.repeat(data.y, 2)[::2]
    assert not X.flags.c_contiguous
    assert not y.flags.c_contiguous
    config = TrainConfig(steps=50, tol=None)
    one = train(data.X, data.y, config, rng=0, engine="numba")
    many = train_many(data.X, data.y, config, range(16), engine="numba")
    lanes = (_lanes._run_lanes_512, _lanes._run_lanes_narrow)  # the width the CPU takes

    def signatures():
        return [list(_kernels.run.signatures), *(list(k.signatures) for k in lanes)]

    compiled = signatures()
    assert any(compiled[1:])  # the lanes did compile: the comparison below means something
    assert_same(train(X, y, config, rng=0, engine="numba"), one)
    np.testing.assert_array_equal(train_many(X, y, config, range(16), engine="numba").thetas,
                                  many.thetas)  # fmt: skip
    assert signatures() == compiled


def test_numba_on_a_larger_random_set():
    data = xornet.moons(150, rng=1)
    config = TrainConfig(
        hidden=6, activation="tanh", optimizer="adam", learning_rate=0.02, steps=800, batch_size=16
    )
    assert_same(
        train(data.X, data.y, config, rng=2, engine="numba"),
        train(data.X, data.y, config, rng=2, engine="numpy"),
    )


def test_numba_reports_divergence_at_the_same_step():
    data = xornet.xor()
    config = TrainConfig(activation="relu", init="he", learning_rate=1e100, tol=None)
    steps = []
    for engine in ("numpy", "numba"):
        with pytest.raises(TrainingDiverged, match="diverged at step") as e:
            train(data.X, data.y, config, rng=0, engine=engine)
        steps.append(e.value.step)
    assert steps[0] == steps[1]


def test_numba_callback_gets_the_latest_record_and_can_stop():
    data = xornet.xor()
    config = TrainConfig(tol=None, steps=10_000_000)
    calls = []

    def callback(step, loss):
        calls.append((step, loss))
        return True

    result = train(data.X, data.y, config, rng=0, callback=callback, engine="numba")
    assert result.stop_reason == "interrupted"
    assert len(calls) == 1
    step, loss = calls[0]
    assert step == result.history_steps[-1]
    assert loss == result.loss_history[-1]
    assert 0 < result.steps < config.steps
    reference = train(data.X, data.y, config.replace(steps=result.steps), rng=0, engine="numpy")
    np.testing.assert_allclose(result.params.ravel(), reference.params.ravel(), atol=TOL)


def test_engine_resolution(monkeypatch):
    assert resolve_engine("numpy") == "numpy"
    assert resolve_engine("numba") == "numba"
    assert resolve_engine("auto", AUTO_MIN_STEPS) == "numba"
    assert resolve_engine("auto", AUTO_MIN_STEPS - 1) == "numpy"
    assert resolve_engine("auto") == "numba"
    with pytest.raises(XornetError, match="unknown engine 'cuda'"):
        resolve_engine("cuda")
    import xornet.engines as engines

    monkeypatch.setattr(engines, "numba_available", lambda: False)
    assert resolve_engine("auto") == "numpy"
    with pytest.raises(XornetError, match=r"pip install 'xornet\[fast\]'"):
        resolve_engine("numba")


def test_compiled_code_is_cached_on_disk():
    # A fresh process loads the kernels from numba's cache instead of compiling them again.
    code = (
        "import xornet\n"
        "from xornet.engines import _kernels as k\n"
        "d = xornet.xor()\n"
        "xornet.train(d.X, d.y, xornet.TrainConfig(steps=100), rng=0, engine='numba')\n"
        "print(sum(k.run.stats.cache_hits.values()), sum(k.run.stats.cache_misses.values()))\n"
    )
    for _ in range(2):  # the first may have to fill the cache
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
        )
    hits, misses = map(int, proc.stdout.split())
    assert (hits, misses) == (1, 0)


# --------------------------------------------------------------------------- many networks

MANY_CONFIGS = [
    TrainConfig(hidden=2, learning_rate=0.5, steps=2000, tol=None),
    TrainConfig(
        hidden=3, activation="tanh", optimizer="momentum", learning_rate=0.1, steps=1500, tol=0.05
    ),
    TrainConfig(
        hidden=2, optimizer="adam", learning_rate=0.05, steps=1500, tol=None, stop_when_correct=True
    ),
    TrainConfig(
        hidden=4,
        activation="relu",
        init="he",
        learning_rate=0.2,
        batch_size=1,
        shuffle=False,
        steps=1200,
        tol=None,
    ),
    TrainConfig(
        hidden=2,
        optimizer="momentum",
        nesterov=True,
        learning_rate=0.3,
        batch_size=2,
        shuffle=False,
        steps=1000,
        tol=None,
    ),
]


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize("config", MANY_CONFIGS)
def test_each_network_equals_training_it_alone(engine, config):
    data = xornet.xor()
    seeds = [0, 1, 2, 5, 11, 12]
    many = train_many(data.X, data.y, config, seeds, engine=engine)
    assert many.engine == engine
    assert len(many) == len(seeds)
    for i, seed in enumerate(seeds):
        alone = train(data.X, data.y, config, rng=seed, engine="numpy")
        np.testing.assert_allclose(many.params(i).ravel(), alone.params.ravel(), rtol=0, atol=TOL)
        assert many.steps[i] == alone.steps
        assert many.stop_reason[i] == alone.stop_reason
        assert many.final_loss[i] == pytest.approx(alone.final_loss, abs=TOL)
        np.testing.assert_allclose(many.probabilities[i], alone.probabilities, atol=TOL)
        assert many.accuracy[i] == alone.accuracy
        assert many.outcome[i] == alone.outcome.kind


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_solve_and_target_steps_match_the_stop_rules(engine):
    data = xornet.xor()
    config = TrainConfig(hidden=3, learning_rate=0.5, steps=3000, tol=None)
    seeds = range(8)
    many = train_many(data.X, data.y, config, seeds, target=0.1, engine=engine)
    for i, seed in enumerate(seeds):
        correct = train(data.X, data.y, config.replace(stop_when_correct=True), rng=seed)
        expected = correct.steps if correct.stop_reason == "all_correct" else -1
        assert many.solve_step[i] == expected
        reached = train(data.X, data.y, config.replace(tol=0.1), rng=seed)
        expected = reached.steps if reached.stop_reason == "tolerance" else -1
        assert many.target_step[i] == expected


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_learning_rate_per_network(engine):
    data = xornet.xor()
    config = TrainConfig(hidden=3, steps=500, tol=None)
    rates = [0.05, 0.5, 2.0]
    many = train_many(data.X, data.y, config, [4, 4, 4], learning_rates=rates, engine=engine)
    for i, lr in enumerate(rates):
        alone = train(data.X, data.y, config.replace(learning_rate=lr), rng=4, engine="numpy")
        np.testing.assert_allclose(many.params(i).ravel(), alone.params.ravel(), atol=TOL)
    np.testing.assert_array_equal(many.learning_rates, rates)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_diverged_networks_are_reported_not_raised(engine):
    data = xornet.xor()
    config = TrainConfig(activation="relu", init="he", tol=None, steps=50)
    many = train_many(data.X, data.y, config, [0, 0], learning_rates=[1e100, 0.1], engine=engine)
    assert list(many.outcome) == ["diverged", many.outcome[1]]
    assert many.outcome[1] != "diverged"
    assert many.stop_reason[0] == "diverged"
    assert np.isnan(many.final_loss[0])


def test_the_posts_initial_weights_can_be_given():
    data = xornet.xor()
    config = xornet.PRESETS["post"].replace(steps=30_000)
    starts = [xornet.post_initial_params(s) for s in range(4)]
    many = train_many(data.X, data.y, config, range(4), params=starts)
    for i in range(4):
        alone = train(data.X, data.y, config, params=starts[i])
        np.testing.assert_allclose(many.params(i).ravel(), alone.params.ravel(), atol=TOL)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_the_posts_starts_are_drawn_for_a_post_configuration(engine):
    # config.start == "post": network i starts from the post's weights for seeds[i], as
    # train(..., rng=seeds[i]) does, with no params to pass.
    data = xornet.xor()
    config = xornet.PRESETS["post"].replace(steps=3_000)
    seeds = [0, 3, 7, 11]
    many = train_many(data.X, data.y, config, seeds, engine=engine)
    for i, seed in enumerate(seeds):
        alone = train(data.X, data.y, config, params=xornet.post_initial_params(seed),
                      engine="numpy")  # fmt: skip
        np.testing.assert_allclose(many.params(i).ravel(), alone.params.ravel(), rtol=0, atol=TOL)
        assert many.final_loss[i] == pytest.approx(alone.final_loss, abs=TOL)
    random = train_many(data.X, data.y, config.replace(start="random"), seeds, engine=engine)
    assert not np.allclose(random.initial_loss, many.initial_loss)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"config": TrainConfig(batch_size=2)}, "fixed order"),
        ({"seeds": [-1]}, "seed must be from 0 to"),
        ({"seeds": [1, 2], "learning_rates": [0.1]}, "1 learning rates for 2 networks"),
        ({"seeds": [1], "learning_rates": [-0.1]}, "positive finite"),
        ({"seeds": []}, "at least one network"),
        ({"seeds": [1], "params": []}, "0 initial params for 1 networks"),
        ({"seeds": [1], "params": [xornet.init_params(2, 5, rng=0)]}, "2-8-1 network"),
    ],
)
def test_train_many_refuses_what_it_cannot_do(kwargs, message):
    data = xornet.xor()
    with pytest.raises(XornetError, match=message):
        train_many(data.X, data.y, **kwargs)


# ----------------------------------------------------------------------------- lanes


def spy_kernels(monkeypatch):
    """Record which compiled kernels of the lanes and the written-out loops build and run.

    Returns a namespace: ``made``, the written-out kernels built (``(shape, kwargs)`` of
    :func:`xornet.engines._written.kernel`, the C loop's as ``one=True``, the C lanes' as the
    lanes'); ``native``, the shape of each C loop built (:func:`xornet.engines._native.kernel`)
    and ``native_lanes``, of each C lane kernel (:func:`xornet.engines._native_lanes.kernel`);
    ``written`` and ``one``, a number per call of a written-out kernel (the lanes', and the
    one-network loop's); ``lanes``, the block width of each call of the lane kernel. A test
    that claims a kernel trained its networks checks here that it ran: a dispatch that
    silently fell back to another kernel fails it.
    """
    from types import SimpleNamespace

    from xornet.engines import _lanes, _native, _native_lanes, _written

    spy = SimpleNamespace(made=[], written=[], one=[], lanes=[], native=[], native_lanes=[])
    real_kernel, real_native, real_lanes = _written.kernel, _native.kernel, _lanes.run_lanes
    real_native_lanes = _native_lanes.kernel

    def counting(run, calls):
        def counted(*a):
            calls.append(a[2].shape[-1])  # the lanes' width, or the one network's size
            return run(*a)

        return counted

    def kernel(shape, **kwargs):
        spy.made.append((shape, kwargs))
        return counting(real_kernel(shape, **kwargs), spy.one if kwargs.get("one") else spy.written)

    def native(shape):  # the one-network loop compiled in C: made and run as numba's
        spy.made.append((shape, {"one": True}))
        spy.native.append(shape)
        return counting(real_native(shape), spy.one)

    def native_lanes(shape, **kwargs):  # the lanes' step compiled in C: made and run as numba's
        spy.made.append((shape, {}))
        spy.native_lanes.append(shape)
        return counting(real_native_lanes(shape, **kwargs), spy.written)

    def lanes(*a):
        spy.lanes.append(a[2].shape[-1])  # T (P, width)
        return real_lanes(*a)

    monkeypatch.setattr(_written, "kernel", kernel)
    monkeypatch.setattr(_native, "kernel", native)
    monkeypatch.setattr(_native_lanes, "kernel", native_lanes)
    monkeypatch.setattr(_lanes, "run_lanes", lanes)
    return spy


LANE_CONFIGS = [
    TrainConfig(hidden=2, learning_rate=0.5, steps=1500, tol=None),
    TrainConfig(
        hidden=2,
        init="uniform",
        init_scale=0.5,
        loss="sse",
        optimizer="momentum",
        momentum=0.9,
        learning_rate=0.5,
        steps=1500,
        tol=0.04,
    ),
    TrainConfig(
        hidden=3, learning_rate=1.0, steps=1200, tol=0.05, stop_when_correct=True, margin=0.1
    ),
    TrainConfig(
        hidden=2, optimizer="momentum", nesterov=True, learning_rate=0.3, steps=1000, tol=None
    ),
    TrainConfig(hidden=5, learning_rate=2.0, steps=800, tol=0.01),
    TrainConfig(hidden=2, optimizer="adam", learning_rate=0.05, steps=1500, tol=0.02),
    # Adam on the squared error, with beta1 of its own (a smaller eps or a larger rate makes
    # Adam's division amplify rounding: then even the scalar loop leaves the reference).
    TrainConfig(
        hidden=3, optimizer="adam", loss="sse", learning_rate=0.05, beta1=0.8, steps=800, tol=0.04
    ),
    TrainConfig(hidden=4, activation="relu", init="he", learning_rate=0.1, steps=1500, tol=0.05),
    TrainConfig(
        hidden=3,
        activation="relu",
        optimizer="momentum",
        learning_rate=0.05,
        steps=1000,
        tol=None,
        stop_when_correct=True,
    ),
    TrainConfig(
        hidden=3, activation="tanh", optimizer="momentum", learning_rate=0.1, steps=1500, tol=0.05
    ),
    TrainConfig(
        hidden=4, activation="tanh", init="glorot", learning_rate=0.5, steps=1500, tol=0.02
    ),
]


def both_engines(config, seeds, rates):
    """``train_many`` on XOR with the numba engine and with the NumPy reference."""
    data = xornet.xor()
    return tuple(
        train_many(data.X, data.y, config, seeds, learning_rates=rates, target=0.1, engine=e)
        for e in ("numba", "numpy")
    )


def assert_same_training(many, reference):
    """The parameters agree to TOL, and every step count and outcome exactly."""
    np.testing.assert_allclose(many.thetas, reference.thetas, rtol=0, atol=TOL)
    for name in ("steps", "stop_reason", "solve_step", "target_step", "outcome"):
        np.testing.assert_array_equal(getattr(many, name), getattr(reference, name))


@pytest.mark.parametrize("config", LANE_CONFIGS)
def test_the_lane_kernel_equals_training_each_network_alone(config, monkeypatch, lane_kernel):
    # Full-batch one-output networks (GD, momentum, Adam) run in SIMD lanes (_lanes.py),
    # with a hand-written exp: the reference's numbers to the same 1e-10.
    kernels = spy_kernels(monkeypatch)
    data = xornet.xor()
    seeds = list(range(37))  # not a whole number of blocks: the padding must not matter
    rates = np.linspace(0.5, 1.5, len(seeds)) * config.learning_rate
    many, reference = both_engines(config, seeds, rates)
    assert kernels.lanes  # the lane kernel trained them
    assert not kernels.written
    assert_same_training(many, reference)
    for i in (0, 17, 36):
        alone = train(data.X, data.y, config.replace(learning_rate=float(rates[i])), rng=seeds[i],
                      engine="numpy")  # fmt: skip
        np.testing.assert_allclose(many.params(i).ravel(), alone.params.ravel(), rtol=0, atol=TOL)


@given(st.integers(1, 5000), st.integers(1, 8))
def test_lane_blocks_split_the_networks_evenly_over_the_threads(n_networks, threads):
    from xornet.engines._blocks import split
    from xornet.engines._lanes import LANES

    block, per_thread = split(n_networks, threads)
    used = -(-n_networks // (block * per_thread))  # threads that get networks
    assert block % 8 == 0
    assert 8 <= block <= LANES
    assert used <= threads
    assert used * per_thread * block >= n_networks
    # A thread's lanes exceed its even share by less than 8 a block (the multiple of 8).
    assert per_thread * block < n_networks / threads + 8 * per_thread


def test_the_lane_kernel_on_three_threads(monkeypatch, lane_kernel):
    # Blocks and threads change with the core count; the numbers must not.
    from xornet.engines import _blocks

    monkeypatch.setattr(_blocks.os, "cpu_count", lambda: 3)
    kernels = spy_kernels(monkeypatch)
    data = xornet.xor()
    config = LANE_CONFIGS[0]
    many = train_many(data.X, data.y, config, range(53), engine="numba")
    reference = train_many(data.X, data.y, config, range(53), engine="numpy")
    # 53 networks on 3 threads: three blocks of 24 lanes each time the blocks are packed.
    assert set(kernels.lanes) == {24}
    assert len(kernels.lanes) % 3 == 0
    np.testing.assert_allclose(many.thetas, reference.thetas, rtol=0, atol=TOL)
    np.testing.assert_array_equal(many.steps, reference.steps)


def test_the_lane_kernel_reports_divergence():
    # At a learning rate of 1e308 the weights pass the float limit within two steps. Which of
    # the two steps is called the divergence can differ by one between engines: the NumPy loop
    # raises on any overflow in any intermediate, the compiled ones check the sums and weights.
    data = xornet.xor()
    config = TrainConfig(hidden=2, tol=None, steps=50)
    rates = [1e308] + [0.1] * 15  # 16 networks: enough for the lanes
    seeds = [0] * 16
    many = train_many(data.X, data.y, config, seeds, learning_rates=rates, engine="numba")
    reference = train_many(data.X, data.y, config, seeds, learning_rates=rates, engine="numpy")
    assert (
        list(many.stop_reason) == list(reference.stop_reason) == ["diverged"] + ["max_steps"] * 15
    )
    assert abs(int(many.steps[0]) - int(reference.steps[0])) <= 1
    assert np.isnan(many.final_loss[0])
    np.testing.assert_allclose(many.thetas[1:], reference.thetas[1:], rtol=0, atol=TOL)


def test_a_network_the_general_lanes_call_diverged_keeps_its_numbers():
    # Per-pattern gradient descent at learning rates up to 1e300: a stopped network's later
    # updates were weighted by 0 (0 * inf = nan), so every number of a diverged network came
    # back nan, where the NumPy engine returns the numbers it diverged with.
    data = xornet.xor()
    config = TrainConfig(hidden=2, optimizer="gd", steps=3000, stop_when_correct=True, tol=0.02,
                         init="uniform", init_scale=50, batch_size=1, shuffle=False)  # fmt: skip
    rates = np.geomspace(0.01, 1e300, 40)
    many = train_many(data.X, data.y, config, 40, learning_rates=rates, engine="numba")
    reference = train_many(data.X, data.y, config, 40, learning_rates=rates, engine="numpy")
    assert many.kernel.startswith("general/")
    diverged = np.flatnonzero(many.stop_reason == "diverged")
    assert len(diverged) >= 2
    np.testing.assert_array_equal(many.steps, reference.steps)
    assert not np.isnan(many.thetas[diverged]).all(axis=1).any()  # every one had nan, before
    same = [i for i in diverged if np.array_equal(many.thetas[i], reference.thetas[i], True)]
    assert len(same) >= 2  # bit for bit, nan and inf included


def test_the_lane_kernel_asks_for_512_bit_vectors():
    # The function attributes reach LLVM, and on a CPU with AVX-512 the loops use its 512-bit
    # registers (zmm); elsewhere the attribute changes nothing. (The kernel itself is loaded
    # from numba's cache, which cannot be inspected: a fresh function with the same call is.)
    import llvmlite.binding as llvm
    from numba import njit

    from xornet.engines._lanes import prefer_512_bit_vectors, sigmoid_e

    @njit(error_model="numpy")
    def sigmoids(z, out):
        prefer_512_bit_vectors()
        for i in range(z.size):
            out[i], _ = sigmoid_e(z[i])

    z = np.linspace(-30, 30, 1001)
    out = np.empty_like(z)
    sigmoids(z, out)
    np.testing.assert_allclose(out, 1 / (1 + np.exp(-z)), rtol=1e-15, atol=0)
    signature = sigmoids.signatures[0]
    assert '"prefer-vector-width"="512"' in sigmoids.inspect_llvm(signature)
    if "+avx512f" in llvm.get_host_cpu_features().flatten().split(","):
        assert "zmm" in sigmoids.inspect_asm(signature)


def test_a_kernel_body_is_compiled_once_for_each_width():
    # The lane kernels' bodies take the width as a constant of their callers
    # (_lanes.vector_width): the wide caller's code asks for 512-bit vectors, the narrow one's
    # does not, and a width that is not a constant is refused rather than guessed.
    import llvmlite.binding as llvm
    from numba import njit
    from numba.core.errors import TypingError

    from xornet.engines._lanes import sigmoid_e, vector_width

    @njit(error_model="numpy")
    def body(z, out, wide):
        vector_width(wide)
        for i in range(z.size):
            out[i], _ = sigmoid_e(z[i])

    @njit(error_model="numpy")
    def wide(z, out):
        body(z, out, True)

    @njit(error_model="numpy")
    def narrow(z, out):
        body(z, out, False)

    z = np.linspace(-30, 30, 1001)
    out_wide, out_narrow = np.empty_like(z), np.empty_like(z)
    wide(z, out_wide)
    narrow(z, out_narrow)
    np.testing.assert_array_equal(out_wide, out_narrow)
    assert len(body.signatures) == 2
    by_width = {str(sig[-1]): body.inspect_llvm(sig) for sig in body.signatures}
    assert '"prefer-vector-width"="512"' in by_width["Literal[bool](True)"]
    assert '"prefer-vector-width"="512"' not in by_width["Literal[bool](False)"]
    if "+avx512f" in llvm.get_host_cpu_features().flatten().split(","):
        wide_signature = next(s for s in body.signatures if s[-1].literal_value)
        assert "zmm" in body.inspect_asm(wide_signature)

    @njit(error_model="numpy")
    def unknown(z, out, flag):
        body(z, out, flag)

    with pytest.raises(TypingError, match="constant True or False"):
        unknown(z, out_wide, z.size > 0)


def elementwise(kernel, **options):
    """A compiled loop applying the numba function ``kernel`` to every element, compiled with
    numba's ``options``."""
    from numba import njit

    @njit(**options)
    def apply(x):
        out = np.empty_like(x)
        for i in range(x.size):
            out[i] = kernel(x[i])
        return out

    return apply


def test_the_hand_written_tanh_is_within_four_ulp():
    from xornet.engines._lanes import tanh_v

    x = np.concatenate([np.linspace(-30, 30, 600_001), np.geomspace(1e-300, 20, 100_001)])
    x = np.concatenate([x, -x, [0.0, -0.0, 0.4, np.nextafter(0.4, 0), 800.0, -800.0]])
    ours, numpy = elementwise(tanh_v)(x), np.tanh(x)
    assert np.all(np.abs(ours - numpy) <= 4 * np.spacing(np.abs(numpy)))
    assert np.array_equal(np.signbit(ours), np.signbit(numpy))  # -0.0 stays -0.0


@pytest.mark.parametrize(
    ("name", "ulp"), [("exp_nonpos", 2), ("exp_nonpos_horner", 1), ("exp_table", 1)]
)
# The inlined exps take their caller's options: the written-out kernels fuse multiply-adds.
@pytest.mark.parametrize("options", [{}, {"fastmath": {"contract"}}], ids=["plain", "contract"])
def test_the_hand_written_exps_are_within_their_ulp_of_the_exact_value(name, ulp, options):
    from decimal import Decimal, localcontext

    from xornet.engines import _exp

    exp = elementwise(getattr(_exp, name), **options)
    rng = np.random.default_rng(1)
    x = np.concatenate([-np.geomspace(1e-300, 700, 5_001), -rng.exponential(5.0, 5_000)])
    x = np.concatenate([x, -rng.uniform(0.0, 1.0, 5_000), [0.0, -0.0, -1e-320]])
    x = np.concatenate([x, -np.log(2) * np.array([1 / 256, 1 / 128, 0.5, 1.0, 1.5])])
    with localcontext() as context:
        context.prec = 40  # Decimal's exp is correctly rounded
        exact = np.array([float(Decimal(v).exp()) for v in x])
    assert np.all(np.abs(exp(x) - exact) <= ulp * np.spacing(exact))
    x = -rng.exponential(5.0, 200_000)  # and within one more ulp of libm's on many more
    assert np.all(np.abs(exp(x) - np.exp(x)) <= (ulp + 1) * np.spacing(np.exp(x)))


def test_the_exp_table_holds_the_nearest_doubles():
    from decimal import Decimal, localcontext

    from xornet.engines._exp import _EXP2_TABLE

    with localcontext() as context:
        context.prec = 40  # Decimal's power is correctly rounded
        exact = [float(Decimal(2) ** (Decimal(j) / 128)) for j in range(128)]
    assert exact == _EXP2_TABLE.tolist()


# ------------------------------------------------------------------- the step written out

# Each (shape, activation, optimizer, loss, shortcut) is its own kernel, compiled in seconds:
# these configurations cover every line the generator can write with five kernels, which
# they share. (Adam stays on the sigmoid: with tanh or ReLU its division amplifies the fused
# multiply-adds' rounding to within a few times of the tolerance.)
WRITTEN_CONFIGS = [
    LANE_CONFIGS[0],  # the post's kind of network: 2-2-1, sigmoid, gradient descent, BCE
    LANE_CONFIGS[0].replace(tol=0.05, stop_when_correct=True, margin=0.1, steps=1200),
    LANE_CONFIGS[8].replace(nesterov=True),  # Nesterov momentum, on ReLU's kernel
    LANE_CONFIGS[5],  # Adam
    LANE_CONFIGS[1].replace(hidden=1, shortcut=True),  # the 1986 2-1-1 network: SSE, momentum
    LANE_CONFIGS[8],  # ReLU
    LANE_CONFIGS[9],  # tanh
]


def compiled_by(compiler, monkeypatch):
    """Written-out loops compiled by ``compiler``: "c" (``cc``; the test is skipped without
    one) or "numba" (``XORNET_NATIVE=0``)."""
    from xornet.engines import _native

    if compiler == "numba":
        monkeypatch.setenv("XORNET_NATIVE", "0")
    else:
        monkeypatch.delenv("XORNET_NATIVE", raising=False)
        if not _native.available():
            pytest.skip("no C compiler (cc) on PATH")


@pytest.fixture(params=["c", "numba"])
def written_out(request, monkeypatch):
    """Every lane-shaped job runs through the written-out step, compiled in C (when cc is
    there) or, with ``XORNET_NATIVE=0``, by numba; returns the spy on the kernels
    (:func:`spy_kernels`), which checks that the compiler expected built it."""
    from xornet.engines import many as many_module

    compiled_by(request.param, monkeypatch)
    monkeypatch.setattr(many_module, "WRITTEN_OUT_MIN_WORK", 0)
    spy = spy_kernels(monkeypatch)
    yield spy
    assert bool(spy.native_lanes) == (request.param == "c")


@pytest.mark.parametrize("config", WRITTEN_CONFIGS)
def test_the_written_out_step_equals_training_each_network_alone(config, written_out):
    # The same check as the lane kernel's, to the same 1e-10, although multiply-adds may be
    # fused there (one rounding instead of two).
    data = xornet.xor()
    seeds = list(range(70))  # a block of 64 and a padded one
    rates = np.linspace(0.5, 1.5, len(seeds)) * config.learning_rate
    many, reference = both_engines(config, seeds, rates)
    assert written_out.made == [(Shape.of(4, 2, config), {})]
    assert written_out.written  # it ran, and the lane kernel did not
    assert not written_out.lanes
    assert_same_training(many, reference)
    assert len(set(many.stop_reason)) > 1 or config.tol is None  # the rules did fire
    for i in (0, 37, 69):
        alone = train(data.X, data.y, config.replace(learning_rate=float(rates[i])), rng=seeds[i],
                      engine="numpy")  # fmt: skip
        np.testing.assert_allclose(many.params(i).ravel(), alone.params.ravel(), rtol=0, atol=TOL)


def test_a_network_trains_alike_whatever_networks_share_its_block(written_out):
    # The update is chosen, not weighted by 0 or 1: with Adam's v overflowing to inf (these
    # starts, times 1e160), 0 * inf once gave nan to lanes a pass did not update, so that a
    # network's stop step depended on its block-mates (and C's blocks are smaller than numba's).
    data = xornet.xor()
    config = TrainConfig(hidden=2, steps=300, optimizer="adam", learning_rate=0.05, tol=0.3,
                         stop_when_correct=True)  # fmt: skip
    starts = [xornet.init_params(2, 2, rng=i) for i in range(40)]
    huge = [Params(p.W1 * 1e160, p.b1, p.W2 * 1e160, p.b2) for p in starts]
    mates_a = train_many(data.X, data.y, config, range(20), params=huge[:20], engine="numba")
    mates_b = train_many(data.X, data.y, config, range(20), params=[huge[0], *huge[20:39]],
                         engine="numba")  # fmt: skip
    reference = train_many(data.X, data.y, config, range(20), params=huge[:20], engine="numpy")
    assert written_out.written
    assert (mates_a.stop_reason[0], mates_a.steps[0]) == (mates_b.stop_reason[0], mates_b.steps[0])
    np.testing.assert_array_equal(mates_a.thetas[0], mates_b.thetas[0])
    assert list(mates_a.stop_reason) == list(reference.stop_reason)
    np.testing.assert_array_equal(mates_a.steps, reference.steps)


def test_adams_second_moment_past_the_float_range_is_carried_on_by_the_one_network_loop():
    # g^2 past 1e308 makes Adam's v infinite, which leaves the weights where they are: the
    # compiled loops go on (the NumPy loop calls any overflow divergence). Writing that v back
    # into the optimizer once raised "optimizer state 'v' does not fit the parameters".
    data = xornet.xor()
    config = TrainConfig(hidden=2, steps=300, optimizer="adam", learning_rate=0.05, tol=None)
    start = xornet.init_params(2, 2, rng=16)
    huge = Params(start.W1 * 1e160, start.b1, start.W2 * 1e160, start.b2)
    one = train(data.X, data.y, config, params=huge, engine="numba")
    many = train_many(data.X, data.y, config, [0] * 16, params=[huge] * 16, engine="numba")
    assert one.stop_reason == many.stop_reason[0] == "max_steps"
    np.testing.assert_array_equal(one.params.ravel(), many.thetas[0])
    # Such a run can be saved and continued: an infinite v is a state, not a damaged one.
    half = xornet.Trainer(data.X, data.y, config, params=huge, engine="numba").run(until=150)
    assert any(np.isinf(v).any() for v in half.state().optimizer["v"])
    resumed = xornet.Trainer.resume(data.X, data.y, config, half.params, half.state(),
                                    engine="numba").run()  # fmt: skip
    np.testing.assert_array_equal(resumed.params.ravel(), one.params.ravel())


def test_the_written_out_step_reports_divergence_and_runs_on_three_threads(
    written_out, monkeypatch
):
    from xornet.engines import _blocks

    monkeypatch.setattr(_blocks.os, "cpu_count", lambda: 3)
    data = xornet.xor()
    config = TrainConfig(hidden=2, tol=None, steps=50)
    rates = [1e308] + [0.1] * 199  # 200 networks: blocks of 64, spread over the threads
    many = train_many(data.X, data.y, config, [0] * 200, learning_rates=rates, engine="numba")
    reference = train_many(data.X, data.y, config, [0] * 200, learning_rates=rates,
                           engine="numpy")  # fmt: skip
    assert written_out.written  # the written-out step trained them
    assert not written_out.lanes
    assert list(many.stop_reason) == list(reference.stop_reason)
    assert many.stop_reason[0] == "diverged"
    assert abs(int(many.steps[0]) - int(reference.steps[0])) <= 1  # see the lane kernel's test
    np.testing.assert_allclose(many.thetas[1:], reference.thetas[1:], rtol=0, atol=TOL)


def test_the_written_out_step_gives_the_same_bits_in_tasks_of_several_blocks(
    written_out, monkeypatch
):
    # A task of the written-out kernel takes several of its 64-lane blocks when there are many
    # networks (_blocks.WRITTEN_TASKS_PER_CORE): a network's numbers do not depend on which
    # block or task it ran in, to the bit, stop rules and all.
    from xornet.engines import _blocks

    monkeypatch.setattr(_blocks.os, "cpu_count", lambda: 2)
    data = xornet.xor()
    config = TrainConfig(hidden=2, learning_rate=2.0, steps=300, tol=0.3)
    seeds = range(2_500)  # on 2 threads, 8 tasks a thread: 2 or 3 blocks a task
    many = train_many(data.X, data.y, config, seeds, engine="numba")
    calls = len(written_out.written)
    monkeypatch.setattr(_blocks, "WRITTEN_TASKS_PER_CORE", 10**9)  # one block a task
    one_block = train_many(data.X, data.y, config, seeds, engine="numba")
    assert calls < len(written_out.written) - calls  # the first run made fewer, larger calls
    assert set(many.stop_reason) == {"tolerance", "max_steps"}  # the rule fired for some
    np.testing.assert_array_equal(many.thetas, one_block.thetas)
    np.testing.assert_array_equal(many.steps, one_block.steps)
    np.testing.assert_array_equal(many.solve_step, one_block.solve_step)


def test_which_jobs_have_their_step_written_out(monkeypatch):
    from xornet.engines import _written
    from xornet.engines import many as many_module

    post = xornet.PRESETS["post"]  # 200,000 steps
    assert many_module._written_out_applies(post, 4, 2, 1000)  # 2e8 network-steps
    assert not many_module._written_out_applies(post, 4, 2, 999)  # a shorter job: the lanes
    assert not many_module._written_out_applies(post.replace(hidden=9), 256, 8, 10_000)  # big
    assert _written.fits(4, 2, 10)  # 120 multiply-adds a forward pass
    assert not _written.fits(4, 2, 11)
    # A shortcut network runs in lanes only when written out; otherwise one at a time.
    shortcut = post.replace(shortcut=True, hidden=1, start="random")
    assert many_module._lanes_apply(shortcut, 4, 2, 1, 1000)
    assert not many_module._lanes_apply(shortcut, 4, 2, 1, 999)
    monkeypatch.setattr(many_module, "WRITTEN_OUT_MIN_WORK", 0)
    assert many_module._lanes_apply(shortcut, 4, 2, 1, 16)
    # With cc, a small step (XOR up to 3 hidden units) for a job of any length.
    monkeypatch.setattr(many_module, "WRITTEN_OUT_MIN_WORK", 10**18)
    assert many_module._written_out_applies(post.replace(steps=1, hidden=3), 4, 2, 16, cc=True)
    assert not many_module._written_out_applies(post.replace(steps=1, hidden=4), 4, 2, 16, cc=True)
    assert not many_module._written_out_applies(post.replace(steps=0), 4, 2, 16, cc=True)


def test_the_written_out_source_is_the_step_of_the_network():
    import ast

    from xornet.engines._written import source

    text = source(Shape(4, 2, 2))
    ast.parse(text)
    # One name per number: W1 is t0..t3, b1 t4 t5, W2 t6 t7, b2 t8; four samples' hidden units.
    assert "t8 = B[8, q]" in text
    assert "t9" not in text
    assert {f"h{r}_{j}" for r in range(4) for j in range(2)} <= set(text.replace(",", " ").split())
    # An exp for each of 8 hidden units and 4 outputs; a division for each four of them.
    assert text.count("= exp_nonpos_horner(") == text.count("= sigmoid_from(") == 4 * 2 + 4
    assert text.count("1.0 / ") == 3
    assert "dz = (p3 - y3) / 4.0" in text  # the mean BCE's dL/dz2
    shortcut = source(Shape(4, 2, 1, "sigmoid", "momentum", "sse", shortcut=True))
    assert "t6 = B[6, q]" in shortcut  # the 2-1-1 network's 7 weights, t0..t6
    assert "t7" not in shortcut
    assert "dz = (p0 - y0) * p0 * (1.0 - p0)" in shortcut  # the squared error's dE/dz2
    relu = source(Shape(4, 2, 2, "relu"))
    assert relu.count("= exp_nonpos_horner(") == 4  # the outputs' sigmoids only
    assert relu.count("1.0 / ") == 1


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_shared_division_gives_each_reciprocal_within_6_ulp(size):
    from xornet.engines._written_step import reciprocal_lines

    # The written-out step's 1 / (1 + e) for up to four sigmoids with one division: six
    # roundings, each within half an ulp of its result.
    d = np.random.default_rng(size).uniform(1.0, 2.0, size=(size, 10_000))
    d[:, 0] = 1.0
    d[:, 1] = 2.0
    names = {f"d{k}": d[k] for k in range(size)}
    exec("\n".join(reciprocal_lines(list(names), [f"r{k}" for k in range(size)])), {}, names)
    for k in range(size):
        ulps = np.abs(names[f"r{k}"] - 1.0 / d[k]) / np.spacing(1.0 / d[k])
        assert ulps.max() <= 6.0


def test_written_out_kernels_are_cached_on_disk_and_compiled_in_memory_without_one(
    tmp_path, monkeypatch
):
    from xornet.engines import _cache, _written

    # Written once, atomically, under the cache directory; read back by name.
    monkeypatch.delenv("XORNET_CACHE_DIR")  # the suite's own directory (conftest.py)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    text = _written.source(Shape(4, 2, 2))
    run = _cache.load("xornet_written_test_disk", text, "run_written")
    assert (tmp_path / "xornet" / "kernels" / "xornet_written_test_disk.py").read_text() == text
    assert not list((tmp_path / "xornet" / "kernels").glob("*.tmp"))
    # A cache directory that cannot be made (here: under a file) compiles from the text.
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    in_memory = _cache.load("xornet_written_test_memory", text, "run_written")
    assert in_memory is not run
    assert in_memory.py_func.__module__ == "xornet_written_test_memory"


def test_a_cache_directory_others_can_write_is_not_used(tmp_path, monkeypatch):
    # XORNET_CACHE_DIR=/tmp (or a shared folder): anyone could plant a kernel's file, named by a
    # hash anyone can compute, and it was imported, running their code as this user.
    from xornet.engines import _cache, _written

    shared = tmp_path / "shared"
    shared.mkdir()
    text = _written.source(Shape(4, 2, 2))
    (shared / "xornet_written_test_planted.py").write_text("run_written = 'planted'\n")
    monkeypatch.setenv("XORNET_CACHE_DIR", str(shared))
    shared.chmod(0o777)  # as /tmp is (but for its sticky bit)
    run = _cache.load("xornet_written_test_planted", text, "run_written")
    assert run != "planted"
    assert not _cache.is_private(shared)
    assert run.py_func.__module__ == "xornet_written_test_planted"  # compiled from the text
    assert [p.name for p in shared.iterdir()] == ["xornet_written_test_planted.py"]
    shared.chmod(0o755)  # this user's alone: the file there is the cache's
    assert _cache.is_private(shared)
    assert _cache.load("xornet_written_test_planted", text, "run_written") == "planted"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no owners to compare (Windows)")
def test_the_cache_directory_xornet_makes_is_its_own_whatever_the_umask(tmp_path, monkeypatch):
    # With umask 002 (Debian's and Ubuntu's for users), the directory was made group-writable,
    # so is_private refused xornet's own cache: every process compiled, with a note each time.
    from xornet.engines import _cache, _written

    where = tmp_path / "cache" / "kernels"
    monkeypatch.setenv("XORNET_CACHE_DIR", str(where))
    text = _written.source(Shape(4, 2, 2))
    old = os.umask(0o002)
    try:
        _cache.load("xornet_written_test_umask", text, "run_written")
    finally:
        os.umask(old)
    assert _cache.is_private(where)
    assert (where / "xornet_written_test_umask.py").is_file()  # the disk cache is used


def test_the_cache_directory_is_xornet_cache_dir_else_xdg_cache_home_else_home(
    tmp_path, monkeypatch
):
    from xornet.engines._cache import cache_dir

    monkeypatch.setenv("XORNET_CACHE_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "mine"  # the directory itself
    monkeypatch.setenv("XORNET_CACHE_DIR", "")  # set but empty: as if unset
    assert cache_dir() == tmp_path / "xdg" / "xornet" / "kernels"
    monkeypatch.delenv("XORNET_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "xornet" / "kernels"


def test_the_suites_kernels_go_to_a_directory_of_its_own_not_the_users_cache(tmp_path, monkeypatch):
    # conftest.py points XORNET_CACHE_DIR at a temporary directory made for this run of the
    # suite: a kernel compiled here lands there, and neither $XDG_CACHE_HOME nor ~/.cache
    # sees a file.
    import tempfile

    from xornet.engines import _cache, _written
    from xornet.engines import many as many_module

    xdg, home = tmp_path / "xdg", tmp_path / "home"
    xdg.mkdir()
    home.mkdir()
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    monkeypatch.setenv("HOME", str(home))
    ours = _cache.cache_dir()
    assert ours == Path(os.environ["XORNET_CACHE_DIR"])
    assert ours.parent == Path(tempfile.gettempdir())
    assert ours.name.startswith("xornet-kernels-")
    monkeypatch.setattr(many_module, "WRITTEN_OUT_MIN_WORK", 0)
    data = xornet.xor()
    config = LANE_CONFIGS[0].replace(steps=10)  # the post's 2-2-1 network, as WRITTEN_CONFIGS
    many = train_many(data.X, data.y, config, range(16), engine="numba")
    alone = train(data.X, data.y, config, rng=15, engine="numpy")
    np.testing.assert_allclose(many.params(15).ravel(), alone.params.ravel(), rtol=0, atol=TOL)
    name = _cache.name_for(_written.source(Shape(4, 2, 2)))
    assert (ours / f"{name}.py").is_file()  # the kernel's source, and numba's compiled code
    assert list((ours / "__pycache__").glob(f"{name}.run_written-*.nbi"))
    assert not list(xdg.iterdir())
    assert not list(home.iterdir())


def test_a_kernels_name_hashes_its_source_and_the_code_it_calls(monkeypatch):
    from xornet.engines import _cache, _written

    text = _written.source(Shape(4, 2, 2))
    name = _cache.name_for(text)
    assert name.startswith(_cache.PREFIX)
    assert name == _cache.name_for(text) != _cache.name_for(_written.source(Shape(4, 2, 3)))
    monkeypatch.setattr(_cache, "called_code", lambda: b"another version of _lanes.py")
    assert _cache.name_for(text) != name


def test_the_cache_counts_and_clears_only_kernels_old_names_included(tmp_path, monkeypatch):
    from xornet.engines import _cache

    monkeypatch.delenv("XORNET_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    where = tmp_path / "xornet" / "kernels"
    (where / "__pycache__").mkdir(parents=True)
    files = {
        where / "xornet_written_0123.py": 100,
        where / "__pycache__" / "xornet_written_0123.run_written-1.py311.nbi": 20,
        where / "xornet_written_abc.tmp": 3,  # a killed process's half-written module
        where / "xornet_unrolled_4567.py": 50,  # an earlier version's kernel
        where / "notes.txt": 7,  # not the cache's
    }
    for path, size in files.items():
        path.write_bytes(b"x" * size)
    assert _cache.cache_dir() == where
    assert _cache.cache_usage() == (2, 173)
    assert _cache.clear_cache() == (2, 173)
    assert [p.name for p in where.rglob("*") if p.is_file()] == ["notes.txt"]


# As WRITTEN_CONFIGS, each kernel is compiled once: the first is the post's 2-2-1 network,
# whose kernel the post's full run compiles too; the ReLU network also diverges below.
ONE_WRITTEN = [
    next(c.values[0] for c in combos() if c.id == "sigmoid-gd-bNone-stop0").replace(hidden=2),
    next(c.values[0] for c in combos() if c.id == "tanh-momentum-nesterov-bNone-stop0"),
    next(c.values[0] for c in combos() if c.id == "relu-adam-bNone-stop2"),
    CLASSIC[0],  # the 1986 setup: squared error, momentum, stop at E = 0.04
    LANE_CONFIGS[1].replace(hidden=1, shortcut=True),  # the 2-1-1 network
]


@pytest.fixture(params=["c", "numba"])
def one_written_out(request, monkeypatch):
    """Every full-batch one-output run of one network takes the written-out loop, compiled in
    C (when cc is there) or, with ``XORNET_NATIVE=0``, by numba; returns the spy on the kernels
    (:func:`spy_kernels`) with ``c``, whether the C loop is the one expected."""
    from xornet.engines import fused

    compiled_by(request.param, monkeypatch)
    fused.load()  # the engine's warm-up, before it too would take (and compile) a loop of its own
    monkeypatch.setattr(fused, "load", lambda *run: None)
    monkeypatch.setattr(fused, "WRITTEN_OUT_MIN_STEPS", 0)
    spy = spy_kernels(monkeypatch)
    spy.c = request.param == "c"
    return spy


@pytest.mark.parametrize("config", ONE_WRITTEN)
def test_one_network_with_its_step_written_out_matches_numpy(config, one_written_out):
    data = xornet.xor()
    for seed in (0, 3):
        before = len(one_written_out.one)
        assert_same(train(data.X, data.y, config, rng=seed, engine="numba"),
                    train(data.X, data.y, config, rng=seed, engine="numpy"))  # fmt: skip
        assert len(one_written_out.one) > before  # the written-out loop trained it
    choice = Shape.of(4, 2, config)
    # Built for this network's shape once a run, by the compiler expected.
    assert one_written_out.made.count((choice, {"one": True})) == 2
    assert one_written_out.native.count(choice) == (2 if one_written_out.c else 0)


def test_a_long_run_of_a_small_network_loads_only_the_loop_it_runs(monkeypatch):
    # Before, every numba run first loaded the general loop: a new user's first
    # `xornet train --preset post` compiled it for seconds beside the written-out loop it ran.
    from xornet.engines import _kernels

    general, calls = _kernels.run, []

    def spy(*args):
        calls.append(len(args))
        return general(*args)

    monkeypatch.setattr(_kernels, "run", spy)
    data, config = xornet.xor(), xornet.PRESETS["post"]
    long = train(data.X, data.y, config, rng=3, engine="numba")
    assert calls == []  # neither loaded nor run
    assert long.steps == 200_000
    short = train(data.X, data.y, config.replace(steps=30_000), rng=3, engine="numba")
    assert calls  # a short run takes the general loop
    assert short.steps == 30_000


def test_one_network_with_its_step_written_out_reports_divergence(one_written_out):
    # The ReLU network of ONE_WRITTEN with Adam: at 1e160 the first step overflows.
    data = xornet.xor()
    config = ONE_WRITTEN[2].replace(learning_rate=1e160, tol=None, stop_when_correct=False)
    steps = []
    for engine in ("numpy", "numba"):
        with pytest.raises(TrainingDiverged, match="diverged at step") as e:
            train(data.X, data.y, config, rng=0, engine=engine)
        steps.append(e.value.step)
    assert steps[0] == steps[1]
    assert (Shape(4, 2, 3, "relu", "adam"), {"one": True}) in one_written_out.made
    assert one_written_out.one  # and it ran


def test_which_single_runs_have_their_step_written_out():
    from xornet.engines import fused

    post = xornet.PRESETS["post"]  # 200,000 steps, full batch, one output
    assert fused._written_out(post, 4, 2, 1, per_epoch=1) is not None
    assert fused._written_out(post.replace(steps=99_999), 4, 2, 1, per_epoch=1) is None
    assert fused._written_out(post, 4, 2, 1, per_epoch=2) is None  # mini-batches
    assert fused._written_out(post, 4, 2, 3, per_epoch=1) is None  # softmax
    assert fused._written_out(post.replace(hidden=11), 4, 2, 1, per_epoch=1) is None  # too big


def test_the_one_network_source_keeps_the_parameters_in_variables():
    import ast

    from xornet.engines._written import source_one

    text = source_one(Shape(4, 2, 2))
    ast.parse(text)
    assert "theta[" not in text.split("while step < stop_step:")[1].split("theta[0] = t0")[0]
    assert "loss += log1p_exp(sign3 * z3)" in text  # the BCE from the logits, as _kernels.run
    adam = source_one(Shape(4, 2, 2, "sigmoid", "adam"))
    assert "t8 -= lr * (m8 / c1) / (math.sqrt(u8 / c2) + eps)" in adam
