"""The lanes for every setting: mini-batches, one pattern at a time, softmax and shortcut
networks against the NumPy reference, and the vector width chosen from the CPU.

Stated tolerance: 1e-10 absolute on every parameter, as tests/test_engines.py; step counts,
stop reasons, solve and target steps and outcomes exactly.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import xornet
from xornet import TrainConfig, train, train_many
from xornet.errors import XornetError

TOL = 1e-10
SEEDS = list(range(37))  # not a whole number of blocks: the padding must not matter


def three_blobs():
    """30 points in three clusters, classes 0, 1, 2: a small softmax problem that a few
    hundred steps solve."""
    gen = np.random.default_rng(7)
    centres = np.array([[0.0, 1.0], [1.0, -0.5], [-1.0, -0.5]])
    y = np.arange(30) % 3
    X = centres[y] + 0.35 * gen.standard_normal((30, 2))
    return X, y.astype(np.float64)


@pytest.fixture
def spy(monkeypatch):
    """Record the calls of each compiled many-network kernel: ``general`` and ``lanes`` (the
    width of each call's parameters ``T (P, width)``), ``each`` (calls of the one-network
    loop per network). A test that names the kernel checks here that it ran."""
    from types import SimpleNamespace

    from xornet.engines import _blocks, _lanes, _lanes_general

    calls = SimpleNamespace(general=[], lanes=[], each=[])
    real_general, real_lanes, real_each = (
        _lanes_general.run_lanes_general,
        _lanes.run_lanes,
        _blocks.run_each,
    )

    def general(*a):
        calls.general.append(a[2].shape[-1])
        return real_general(*a)

    def lanes(*a):
        calls.lanes.append(a[2].shape[-1])
        return real_lanes(*a)

    def each(*a):
        calls.each.append(a[3].shape[0])
        return real_each(*a)

    monkeypatch.setattr(_lanes_general, "run_lanes_general", general)
    monkeypatch.setattr(_lanes, "run_lanes", lanes)
    monkeypatch.setattr(_blocks, "run_each", each)
    return calls


def both_engines(X, y, config, seeds=SEEDS, target=0.1):
    """``train_many`` with the numba engine and with the NumPy reference, a learning rate of
    its own for each network."""
    rates = np.linspace(0.5, 1.5, len(seeds)) * config.learning_rate
    return tuple(
        train_many(X, y, config, seeds, learning_rates=rates, target=target, engine=engine)
        for engine in ("numba", "numpy")
    )


def assert_same_training(many, reference):
    np.testing.assert_allclose(many.thetas, reference.thetas, rtol=0, atol=TOL)
    for name in ("steps", "stop_reason", "solve_step", "target_step", "outcome"):
        np.testing.assert_array_equal(getattr(many, name), getattr(reference, name), err_msg=name)
    np.testing.assert_allclose(many.final_loss, reference.final_loss, rtol=0, atol=TOL)
    np.testing.assert_allclose(many.probabilities, reference.probabilities, rtol=0, atol=TOL)


def assert_each_equals_training_alone(X, y, config, many, indices=(0, 17, 36)):
    """Network ``i`` is ``xornet.train`` alone (NumPy reference) with its seed and rate."""
    for i in indices:
        rate = float(many.learning_rates[i])
        alone = train(X, y, config.replace(learning_rate=rate), rng=int(many.seeds[i]),
                      engine="numpy")  # fmt: skip
        np.testing.assert_allclose(many.params(i).ravel(), alone.params.ravel(), rtol=0, atol=TOL)
        assert many.steps[i] == alone.steps
        assert many.stop_reason[i] == alone.stop_reason


# ------------------------------------------------------------------ one output, mini-batches

MINI_BATCH_CONFIGS = [
    # docs/experiments.md, section 2: per pattern, SSE, gradient descent, stop at E = 0.04.
    TrainConfig(hidden=2, init="uniform", init_scale=1.0, loss="sse", learning_rate=0.5,
                batch_size=1, shuffle=False, tol=0.04, steps=3000),
    # Two patterns a step, Nesterov momentum, stop once every output is right by 0.1.
    TrainConfig(hidden=3, optimizer="momentum", nesterov=True, learning_rate=0.3, batch_size=2,
                shuffle=False, steps=1500, tol=None, stop_when_correct=True, margin=0.1),
    # Batches of 3 and 1; records every 7 steps, so most fall inside an epoch.
    TrainConfig(hidden=2, optimizer="adam", learning_rate=0.05, batch_size=3, shuffle=False,
                steps=1500, tol=0.05, record_every=7),
    TrainConfig(hidden=3, activation="tanh", optimizer="momentum", learning_rate=0.1,
                batch_size=1, shuffle=False, steps=1200, tol=None, record_every=5),
    TrainConfig(hidden=4, activation="relu", init="he", learning_rate=0.1, batch_size=2,
                shuffle=False, steps=1500, tol=0.05),
    # Shortcut networks (not written out: a short job, lane_kernel), full batch and one pattern a
    # time.
    TrainConfig(hidden=1, shortcut=True, init="uniform", init_scale=0.5, loss="sse",
                optimizer="momentum", momentum=0.9, learning_rate=0.5, tol=0.04, steps=1500),
    TrainConfig(hidden=1, shortcut=True, init="uniform", init_scale=0.5, loss="sse",
                optimizer="momentum", momentum=0.9, learning_rate=0.5, batch_size=1,
                shuffle=False, tol=0.04, steps=3000),
]  # fmt: skip


@pytest.mark.parametrize("config", MINI_BATCH_CONFIGS)
def test_mini_batches_in_lanes_equal_training_each_network_alone(config, spy, lane_kernel):
    data = xornet.xor()
    many, reference = both_engines(data.X, data.y, config)
    assert spy.general  # the general lane kernel trained them, no network alone
    assert not spy.each
    assert not spy.lanes
    assert many.kernel.startswith("general/")
    assert_same_training(many, reference)
    assert_each_equals_training_alone(data.X, data.y, config, many)
    if config.tol is not None or config.stop_when_correct:
        assert (many.stop_reason != "max_steps").any()  # the rules did fire


# ------------------------------------------------------------------------------- softmax

SOFTMAX_CONFIGS = [
    TrainConfig(hidden=4, learning_rate=0.5, steps=800, tol=0.1),
    TrainConfig(hidden=4, optimizer="momentum", learning_rate=0.1, batch_size=5, shuffle=False,
                steps=600, tol=0.08, record_every=3),
    TrainConfig(hidden=3, activation="tanh", optimizer="adam", learning_rate=0.02, batch_size=1,
                shuffle=False, steps=600, tol=None, stop_when_correct=True, margin=0.1),
    TrainConfig(hidden=5, activation="relu", init="he", learning_rate=0.2, batch_size=7,
                shuffle=False, steps=600, tol=0.1),
    TrainConfig(hidden=2, shortcut=True, learning_rate=0.5, steps=800, tol=0.1),
]  # fmt: skip


@pytest.mark.parametrize("config", SOFTMAX_CONFIGS)
def test_softmax_networks_in_lanes_equal_training_each_network_alone(config, spy):
    X, y = three_blobs()
    many, reference = both_engines(X, y, config, target=0.3)
    assert spy.general
    assert not spy.each
    assert many.n_classes == 3
    assert many.probabilities.shape == (len(SEEDS), 30, 3)
    assert_same_training(many, reference)
    assert_each_equals_training_alone(X, y, config, many)
    assert (many.stop_reason != "max_steps").any() or config.tol is None
    assert (many.target_step >= 0).any()


def test_softmax_loss_rules_fire_at_the_step_the_reference_names():
    # A small tolerance: the lanes' cheap lower bound of the cross-entropy must never hide a
    # step where the exact loss is at the tolerance (each such step is checked exactly).
    X, y = three_blobs()
    config = TrainConfig(hidden=6, learning_rate=1.0, steps=3000, tol=2e-3)
    many, reference = both_engines(X, y, config, target=1e-2)
    assert_same_training(many, reference)
    assert (many.stop_reason == "tolerance").sum() > len(SEEDS) // 2


# ------------------------------------------------------------------ divergence and threads


def test_the_general_kernel_reports_divergence():
    # As tests/test_engines.py's lane test: which of two steps is called the divergence may
    # differ by one between the engines; the other networks are untouched by it. (ReLU: with
    # sigmoid units, weights near 1e308 saturate them, and the compiled engines' exp, which
    # gives e^-700 for anything below -700 where the reference's gives 0, sends an update to
    # infinity where the reference's gradient is 0. So the one-network loop does too.)
    data = xornet.xor()
    config = TrainConfig(hidden=2, activation="relu", batch_size=1, shuffle=False, tol=None,
                         steps=60)  # fmt: skip
    rates = [1e308] + [0.1] * 19
    seeds = [0] * 20
    many = train_many(data.X, data.y, config, seeds, learning_rates=rates, engine="numba")
    reference = train_many(data.X, data.y, config, seeds, learning_rates=rates, engine="numpy")
    assert list(many.stop_reason) == list(reference.stop_reason)
    assert many.stop_reason[0] == "diverged"
    assert abs(int(many.steps[0]) - int(reference.steps[0])) <= 1
    assert np.isnan(many.final_loss[0])
    np.testing.assert_allclose(many.thetas[1:], reference.thetas[1:], rtol=0, atol=TOL)


def test_the_general_kernel_on_three_threads(monkeypatch, spy):
    from xornet.engines import _blocks

    monkeypatch.setattr(_blocks.os, "cpu_count", lambda: 3)
    X, y = three_blobs()
    config = SOFTMAX_CONFIGS[1].replace(tol=None)  # every network runs to the end
    many, reference = both_engines(X, y, config, seeds=list(range(53)))
    assert set(spy.general) == {24}  # 53 networks: three blocks of 24 lanes each time
    assert_same_training(many, reference)


# ------------------------------------------------------------------------------- dispatch


def test_which_kernel_trains_which_job():
    from xornet.engines.many import choose_kernel as kernel_for

    post = xornet.PRESETS["post"]  # full batch, 200,000 steps
    per_pattern = MINI_BATCH_CONFIGS[0]
    assert kernel_for(post, 4, 2, 1, 1000) == "written"
    assert kernel_for(post.replace(steps=1000), 4, 2, 1, 1000) == "lanes"
    assert kernel_for(per_pattern, 4, 2, 1, 16) == "general"
    assert kernel_for(per_pattern, 4, 2, 1, 15) == "each"  # too few networks for the lanes
    assert kernel_for(post.replace(steps=1000), 30, 2, 3, 1000) == "general"  # softmax
    assert (
        kernel_for(post.replace(steps=1000, shortcut=True, start="random"), 4, 2, 1, 999)
        == "general"
    )
    assert kernel_for(post.replace(steps=1000), 4, 2, 1, 15) == "each"
    # n-bit parity with n hidden units, full batch: the lane kernel keeps every sample's hidden
    # units, the general kernel one sample's; from 7 bits the general one.
    parity = post.replace(steps=1000, hidden=6)
    assert kernel_for(parity, 64, 6, 1, 1000) == "lanes"
    assert kernel_for(parity.replace(hidden=7), 128, 7, 1, 1000) == "general"
    # With cc, a step small enough to compile at once is written out for a job of any length.
    assert kernel_for(post.replace(steps=10), 4, 2, 1, 16, cc=True) == "written"
    assert kernel_for(post.replace(steps=10), 4, 2, 1, 15, cc=True) == "each"
    assert kernel_for(post.replace(steps=0), 4, 2, 1, 16, cc=True) == "lanes"  # nothing to run
    assert kernel_for(post.replace(steps=10, hidden=3), 4, 2, 1, 16, cc=True) == "written"
    assert kernel_for(post.replace(steps=10, hidden=4), 4, 2, 1, 16, cc=True) == "lanes"
    assert kernel_for(post.replace(hidden=4), 4, 2, 1, 1000, cc=True) == "written"  # long
    assert kernel_for(parity, 64, 6, 1, 1000, cc=True) == "lanes"  # too big to write out
    assert kernel_for(per_pattern, 4, 2, 1, 16, cc=True) == "general"


def test_a_block_of_many_samples_holds_fewer_networks():
    from xornet.engines._blocks import GENERAL_MAX_LOGITS, general_lanes, split
    from xornet.engines._lanes import LANES

    assert general_lanes(4, 1) == LANES
    assert general_lanes(1024, 1) == 256
    assert general_lanes(4096, 1) == 64
    assert general_lanes(1000, 10) == 24
    assert general_lanes(10**6, 10) == 8  # never fewer than 8
    for n, k in ((4, 1), (1024, 3), (5000, 7)):
        lanes = general_lanes(n, k)
        assert lanes % 8 == 0
        assert n * k * lanes <= max(GENERAL_MAX_LOGITS, 8 * n * k)
        block, _ = split(10_000, 2, lanes)
        assert block <= lanes


def test_ten_bit_parity_in_lanes_equals_the_reference(spy, monkeypatch):
    # 1,024 samples a step, full batch in the general kernel (and, made to, in the lane
    # kernel) and in mini-batches of 100 (the last of an epoch has 24).
    from xornet.engines import many as many_module

    data = xornet.parity(10)
    config = TrainConfig(hidden=10, init="uniform", init_scale=0.5, loss="sse",
                         optimizer="momentum", momentum=0.9, learning_rate=0.01, steps=12,
                         tol=None, record_every=5)  # fmt: skip
    seeds = list(range(16))
    for setting in (config, config.replace(batch_size=100, shuffle=False, steps=25)):
        many, reference = both_engines(data.X, data.y, setting, seeds=seeds, target=None)
        assert many.kernel.startswith("general/")
        assert_same_training(many, reference)
    assert not spy.lanes
    monkeypatch.setattr(many_module, "LANE_KERNEL_MAX_UNITS", 10**6)
    many, reference = both_engines(data.X, data.y, config, seeds=seeds, target=None)
    assert many.kernel.startswith("lanes/")
    assert spy.lanes
    assert_same_training(many, reference)


# ------------------------------------------------------------------------ the vector width


@pytest.mark.parametrize(
    ("features", "bits"),
    [
        ("+avx512f,+avx2,+fma", 512),
        ("+avx512f,+avx2,-evex512", 256),  # an LLVM told to keep to 256-bit registers
        ("-avx512f,+avx2,+fma", 256),
        ("+sse4.2,-avx2", 128),
    ],
)
def test_the_vector_width_comes_from_the_cpu_numba_compiles_for(features, bits, monkeypatch):
    import numba

    from xornet.engines import _lanes

    monkeypatch.setattr(numba.config, "CPU_FEATURES", features)
    monkeypatch.delenv(_lanes.VECTOR_BITS_VARIABLE, raising=False)
    assert _lanes.cpu_vector_bits() == bits
    assert _lanes.vector_bits() == bits
    monkeypatch.setenv(_lanes.VECTOR_BITS_VARIABLE, "256")
    assert _lanes.vector_bits() == min(bits, 256)  # never wider than the CPU


def test_the_host_cpu_gives_the_vector_width(monkeypatch):
    import llvmlite.binding as llvm
    import numba

    from xornet.engines import _lanes

    monkeypatch.setattr(numba.config, "CPU_FEATURES", None)
    host = llvm.get_host_cpu_features()
    wide = host.get("avx512f") and host.get("evex512", True)  # evex512: recent LLVMs' name
    expected = 512 if wide else 256 if host.get("avx2") else 128
    assert _lanes.cpu_vector_bits() == expected


@pytest.mark.parametrize("value", ["1024", "avx2", "-1"])
def test_a_bad_vector_width_is_one_clear_error(value, monkeypatch):
    from xornet.engines import _lanes

    monkeypatch.setenv(_lanes.VECTOR_BITS_VARIABLE, value)
    with pytest.raises(XornetError, match="XORNET_VECTOR_BITS must be 128, 256 or 512"):
        _lanes.vector_bits()
    data = xornet.xor()
    with pytest.raises(XornetError, match="XORNET_VECTOR_BITS"):
        train_many(data.X, data.y, MINI_BATCH_CONFIGS[0].replace(steps=10), 16, engine="numba")


def narrow_and_wide(monkeypatch, run):
    """``run()`` with the kernels for 256-bit vectors (an AVX2 CPU's) and for this CPU's."""
    from xornet.engines import _lanes

    monkeypatch.setenv(_lanes.VECTOR_BITS_VARIABLE, "256")
    narrow = run()
    monkeypatch.delenv(_lanes.VECTOR_BITS_VARIABLE)
    return narrow, run()


@pytest.mark.parametrize(
    "job",
    ["lanes", "general", "softmax", "written"],
)
def test_the_avx2_kernels_give_the_same_numbers(job, monkeypatch, lane_kernel):
    # Forced to 256-bit vectors, the kernels are the ones an AVX2 CPU runs (on this CPU's
    # instructions). The lane kernels do the same arithmetic in narrower vectors: the same bits.
    # The written-out step also changes shape (a division for each sigmoid): the same numbers
    # to 1e-10, and the same steps.
    from xornet.engines import _lanes, _native
    from xornet.engines import many as many_module

    data = xornet.xor()
    X, y, config = data.X, data.y, MINI_BATCH_CONFIGS[0]
    if job == "lanes":
        config = TrainConfig(hidden=2, learning_rate=0.5, steps=1500, tol=0.05)
    elif job == "softmax":
        X, y = three_blobs()
        config = SOFTMAX_CONFIGS[1]
    elif job == "written":
        config = TrainConfig(hidden=2, learning_rate=0.5, steps=1500, tol=0.05)
        monkeypatch.setattr(many_module, "WRITTEN_OUT_MIN_WORK", 0)
    narrow, wide = narrow_and_wide(
        monkeypatch, lambda: train_many(X, y, config, 70, target=0.1, engine="numba")
    )
    kind = {"softmax": "general"}.get(job, job)
    if job == "written" and _native.available():
        kind = "written-c"  # compiled by cc
    assert narrow.kernel == f"{kind}/256"
    assert wide.kernel == f"{kind}/{_lanes.cpu_vector_bits()}"
    if job == "written":
        assert_same_training(narrow, wide)
    else:
        np.testing.assert_array_equal(narrow.thetas, wide.thetas)
        for name in ("steps", "stop_reason", "solve_step", "target_step"):
            np.testing.assert_array_equal(getattr(narrow, name), getattr(wide, name))


def test_the_written_out_step_has_a_shape_for_each_width():
    from xornet.engines._written import source
    from xornet.engines._written_step import Shape

    wide, narrow = source(Shape(4, 2, 2)), source(Shape(4, 2, 2), wide=False)
    assert "    prefer_512_bit_vectors()" in wide
    assert "    prefer_512_bit_vectors()" not in narrow
    # 12 sigmoids: a division for each four of them, or for each one.
    assert wide.count("1.0 / ") == 3
    assert narrow.count("1.0 / ") == 12
    assert narrow.count("= sigmoid_from(") == 12


@pytest.mark.slow
def test_code_compiled_for_an_avx2_cpu_gives_the_same_numbers(tmp_path):
    # numba compiles for the CPU it is told: a Haswell without AVX-512's instructions, in a
    # fresh process with its own caches. Its lanes agree with this process's.
    import llvmlite.binding as llvm

    host = llvm.get_host_cpu_features()
    features = ",".join(
        ("-" if name.startswith(("avx512", "amx")) or name == "evex512" else "+" if on else "-")
        + name
        for name, on in sorted(host.items())
    )
    script = textwrap.dedent(
        """
        import sys
        import numpy as np
        import xornet
        from xornet.engines import many
        data = xornet.xor()
        config = xornet.TrainConfig(hidden=2, learning_rate=0.5, steps=1500, tol=0.05)
        many.WRITTEN_OUT_MIN_WORK = 10**9 if sys.argv[2] == "lanes" else 0
        many.WRITTEN_OUT_ANY_JOB_TERMS = 0 if sys.argv[2] == "lanes" else 36  # cc's too
        result = xornet.train_many(data.X, data.y, config, 70, engine="numba")
        print(result.kernel)
        np.save(sys.argv[1], np.column_stack([result.thetas, result.steps]))
        """
    )
    env = {
        **os.environ,
        "NUMBA_CPU_NAME": "haswell",
        "NUMBA_CPU_FEATURES": features,
        "NUMBA_CACHE_DIR": str(tmp_path / "numba"),
        "XDG_CACHE_HOME": str(tmp_path / "xdg"),
        "XORNET_NATIVE": "0",  # numba's written-out lanes (cc's compile for this CPU)
    }
    env.pop("XORNET_VECTOR_BITS", None)
    env.pop("XORNET_CACHE_DIR", None)  # the suite's cache would take the place of XDG_CACHE_HOME
    # The general kernel's narrow form is checked in this process
    # (test_the_avx2_kernels_give_the_same_numbers); compiling it for a Haswell too cost 15 s.
    for job in ("lanes", "written"):
        out = tmp_path / f"{job}.npy"
        ran = subprocess.run([sys.executable, "-c", script, str(out), job], env=env,
                             capture_output=True, text=True, check=True)  # fmt: skip
        assert ran.stdout.strip() == f"{job}/256"
        here = subprocess.run([sys.executable, "-c", script, str(tmp_path / "here.npy"), job],
                              capture_output=True, text=True, check=True)  # fmt: skip
        assert here.stdout.strip().startswith((f"{job}/", f"{job}-c/"))  # here, cc's C too
        avx2, ours = np.load(out), np.load(tmp_path / "here.npy")
        np.testing.assert_array_equal(avx2[:, -1], ours[:, -1])  # the steps
        np.testing.assert_allclose(avx2[:, :-1], ours[:, :-1], rtol=0, atol=TOL)
