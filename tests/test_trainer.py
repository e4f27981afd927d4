"""The Trainer: one home for a run. Stepping, stretches, engines and resuming all agree."""

import numpy as np
import pytest

import xornet
from xornet import TrainConfig, Trainer, train
from xornet.config import check_seed, start_params, start_params_many
from xornet.errors import TrainingDiverged, XornetError

# Settings whose state a resumed run must carry: the optimizers' own state, shuffled
# mini-batches (the batch order and the generator), records that fall mid-epoch.
RESUMABLE = [
    TrainConfig(hidden=3, optimizer="gd", learning_rate=0.5, steps=300, tol=None),
    TrainConfig(hidden=3, optimizer="momentum", learning_rate=0.1, steps=300, tol=None),
    TrainConfig(hidden=3, optimizer="adam", learning_rate=0.05, steps=300, tol=None),
    TrainConfig(
        hidden=3,
        optimizer="adam",
        learning_rate=0.05,
        steps=300,
        tol=None,
        batch_size=3,
        record_every=7,
    ),
    TrainConfig(
        hidden=3,
        optimizer="momentum",
        nesterov=True,
        learning_rate=0.1,
        steps=300,
        tol=None,
        batch_size=1,
        loss="sse",
    ),
]


def _data():
    d = xornet.noisy_xor(12, rng=5)
    return d.X, d.y


@pytest.mark.parametrize("config", RESUMABLE)
def test_single_steps_equal_one_run(config):
    X, y = _data()
    whole = Trainer(X, y, config, rng=1, engine="numpy").run()
    stepped = Trainer(X, y, config, rng=1, engine="numpy")
    while stepped.step():
        pass
    assert stepped.steps == whole.steps == config.steps
    np.testing.assert_array_equal(stepped.params.ravel(), whole.params.ravel())
    np.testing.assert_array_equal(stepped.loss_history, whole.loss_history)
    assert stepped.stop_reason == whole.stop_reason == "max_steps"


@pytest.mark.parametrize("config", RESUMABLE)
def test_a_run_saved_and_resumed_equals_one_never_stopped(config):
    X, y = _data()
    whole = train(X, y, config, rng=2, engine="numpy")
    first = Trainer(X, y, config, rng=2, engine="numpy").run(until=137)
    state = first.state()
    assert state.step == 137
    resumed = Trainer.resume(X, y, config, first.params, state, engine="numpy").run()
    result = resumed.result()
    np.testing.assert_array_equal(result.params.ravel(), whole.params.ravel())
    np.testing.assert_array_equal(result.loss_history, whole.loss_history)
    assert result.steps == whole.steps


def test_stretches_may_end_anywhere_and_records_are_taken_once():
    X, y = _data()
    config = TrainConfig(hidden=3, learning_rate=0.5, steps=250, tol=None, record_every=10,
                         batch_size=5)  # fmt: skip
    whole = Trainer(X, y, config, rng=3, engine="numpy").run()
    pieces = Trainer(X, y, config, rng=3, engine="numpy")
    for until in (0, 0, 10, 10, 11, 30, 99, 100, 250, 400):
        pieces.run(until=until)
    np.testing.assert_array_equal(pieces.params.ravel(), whole.params.ravel())
    np.testing.assert_array_equal(pieces.loss_history, whole.loss_history)
    assert len(pieces.loss_history) == 25


def test_an_interrupted_run_continues_where_it_stopped():
    X, y = _data()
    config = TrainConfig(hidden=3, learning_rate=0.5, steps=500, tol=None, record_every=50)
    whole = Trainer(X, y, config, rng=4, engine="numpy").run()
    calls = []

    def stop_at_200(step, loss):
        calls.append(step)
        return step == 200

    trainer = Trainer(X, y, config, rng=4, engine="numpy").run(callback=stop_at_200)
    assert trainer.stop_reason == "interrupted"
    assert trainer.steps == 200
    assert not trainer.finished
    trainer.run(callback=lambda step, loss: calls.append(step))
    assert calls == [0, 50, 100, 150, 200, 250, 300, 350, 400, 450]  # 200 reported once
    np.testing.assert_array_equal(trainer.params.ravel(), whole.params.ravel())
    np.testing.assert_array_equal(trainer.loss_history, whole.loss_history)
    assert trainer.stop_reason == "max_steps"


def test_a_finished_run_takes_no_more_steps(xor_data):
    X, y = xor_data
    trainer = Trainer(X, y, TrainConfig(tol=0.5, steps=10_000), rng=0, engine="numpy").run()
    assert trainer.stop_reason == "tolerance"
    assert trainer.finished
    before = trainer.params.ravel()
    assert trainer.step() is False
    trainer.run(until=10_000)
    np.testing.assert_array_equal(trainer.params.ravel(), before)
    assert trainer.result().stop_reason == "tolerance"


numba = pytest.importorskip("numba")


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(hidden=3, optimizer="adam", learning_rate=0.05, steps=3000, tol=None),
        TrainConfig(
            hidden=3,
            optimizer="momentum",
            learning_rate=0.1,
            steps=3000,
            tol=None,
            batch_size=5,
            record_every=7,
        ),
    ],
)
def test_compiled_stretches_mixed_with_reference_steps_match_the_reference(config):
    X, y = _data()
    reference = Trainer(X, y, config, rng=6, engine="numpy").run()
    mixed = Trainer(X, y, config, rng=6, engine="numba")
    for until in (1, 2, 700, 701, 1400, 2999):
        mixed.run(until=until)
        mixed.step()  # one reference step between compiled stretches
    mixed.run()
    assert mixed.engines_run == {"numba", "numpy"}
    np.testing.assert_allclose(mixed.params.ravel(), reference.params.ravel(), atol=1e-10)
    np.testing.assert_allclose(mixed.loss_history, reference.loss_history, atol=1e-10)
    assert mixed.result().engine == "numba"


def test_a_compiled_run_resumes_from_its_state():
    X, y = _data()
    config = TrainConfig(hidden=3, optimizer="adam", learning_rate=0.05, steps=4000, tol=None,
                         batch_size=4)  # fmt: skip
    whole = train(X, y, config, rng=7, engine="numba")
    first = Trainer(X, y, config, rng=7, engine="numba").run(until=1999)
    resumed = Trainer.resume(X, y, config, first.params, first.state(), engine="numba").run()
    np.testing.assert_allclose(resumed.params.ravel(), whole.params.ravel(), atol=1e-10)
    np.testing.assert_allclose(resumed.loss_history, whole.loss_history, atol=1e-10)


def test_compiled_divergence_names_its_step(xor_data):
    X, y = xor_data
    config = TrainConfig(activation="relu", learning_rate=1e100, init="he", steps=1000, tol=None)
    with pytest.raises(TrainingDiverged) as numpy_error:
        Trainer(X, y, config, rng=0, engine="numpy").run()
    with pytest.raises(TrainingDiverged) as numba_error:
        Trainer(X, y, config, rng=0, engine="numba").run()
    assert numpy_error.value.step == numba_error.value.step


# ----------------------------------------------------------------------------- config's rules


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "3"])
def test_one_rule_for_seeds(seed):
    with pytest.raises(XornetError, match="seed"):
        check_seed(seed)


def test_the_post_start_is_the_posts_weights_and_needs_an_integer_seed(xor_data):
    X, y = xor_data
    config = xornet.PRESETS["post"]
    expected = xornet.post_initial_params(3)
    np.testing.assert_array_equal(start_params(config, 2, 2, 3).ravel(), expected.ravel())
    many = start_params_many(config, 2, 2, [3, 4])
    np.testing.assert_array_equal(many[1].ravel(), xornet.post_initial_params(4).ravel())
    trainer = Trainer(X, y, config, rng=3)
    np.testing.assert_array_equal(trainer.params.ravel(), expected.ravel())
    with pytest.raises(XornetError, match="rng must be an integer"):
        Trainer(X, y, config, rng=np.random.default_rng(3))


@pytest.mark.parametrize("change", [{"init": "glorot"}, {"shortcut": True}])
def test_the_post_start_refuses_what_it_cannot_draw(change):
    with pytest.raises(XornetError, match="start"):
        xornet.PRESETS["post"].replace(**change)
    assert xornet.PRESETS["post"].replace(start="random", **change).start == "random"


def test_random_starts_are_drawn_from_the_runs_generator(xor_data):
    X, y = xor_data
    config = TrainConfig(hidden=3)
    expected = xornet.init_params(2, 3, "normal", rng=11)
    np.testing.assert_array_equal(Trainer(X, y, config, rng=11).params.ravel(), expected.ravel())
    assert [p.ravel().tolist() for p in start_params_many(config, 2, 2, [11])] == [
        expected.ravel().tolist()
    ]


def test_a_state_that_does_not_fit_is_refused():
    X, y = _data()
    config = RESUMABLE[3]
    trainer = Trainer(X, y, config, rng=1).run(until=20)
    state = trainer.state()
    import dataclasses

    with pytest.raises(XornetError, match="order"):
        Trainer.resume(X, y, config, trainer.params,
                       dataclasses.replace(state, order=np.zeros(12, dtype=np.int64)))  # fmt: skip
    with pytest.raises(XornetError, match="loss records"):
        Trainer.resume(X, y, config, trainer.params,
                       dataclasses.replace(state, step=2000))  # fmt: skip
    bad = dict(state.optimizer, m=[np.zeros(1)] * 4)
    with pytest.raises(XornetError, match="does not fit"):
        Trainer.resume(X, y, config, trainer.params, dataclasses.replace(state, optimizer=bad))


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_a_run_takes_the_same_seeds_as_every_start(xor_data, seed):
    X, y = xor_data
    with pytest.raises(XornetError, match="rng must be"):
        Trainer(X, y, TrainConfig(), rng=seed)


def test_a_resumed_run_checks_its_stop_rules_again_where_it_stopped(xor_data):
    X, y = xor_data
    config = TrainConfig(tol=0.3, steps=10_000)
    stopped = Trainer(X, y, config, rng=0, engine="numpy").run()
    assert stopped.stop_reason == "tolerance"
    same = Trainer.resume(X, y, config, stopped.params, stopped.state(), engine="numpy").run()
    assert (same.steps, same.stop_reason) == (stopped.steps, "tolerance")
    looser = config.replace(tol=0.01)
    further = Trainer.resume(X, y, looser, stopped.params, stopped.state(), engine="numpy").run()
    whole = Trainer(X, y, looser, rng=0, engine="numpy").run()
    assert further.steps == whole.steps > stopped.steps
    np.testing.assert_array_equal(further.params.ravel(), whole.params.ravel())


def test_numbers_too_large_for_their_field_are_refused_or_stored_as_floats():
    assert TrainConfig(learning_rate=10**30).learning_rate == 1e30
    assert isinstance(TrainConfig(learning_rate=10**30).learning_rate, float)
    with pytest.raises(XornetError, match="learning_rate: is too large"):
        TrainConfig(learning_rate=10**400)
    with pytest.raises(XornetError, match="record_every"):
        TrainConfig(record_every=10**30)


def test_adams_saved_second_moments_cannot_be_negative():
    X, y = _data()
    config = RESUMABLE[2]
    trainer = Trainer(X, y, config, rng=1).run(until=5)
    state = trainer.state()
    import dataclasses

    bad = dict(state.optimizer, v=[-np.ones_like(a) for a in state.optimizer["v"]])
    with pytest.raises(XornetError, match="v must be >= 0"):
        Trainer.resume(X, y, config, trainer.params, dataclasses.replace(state, optimizer=bad))
