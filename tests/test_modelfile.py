"""Model files: round trip, every corrupt-file case, and atomic saves."""

import json
import zipfile

import numpy as np
import pytest

import xornet
from xornet.errors import ModelFileError, XornetError
from xornet.modelfile import FORMAT_VERSION, atomic_write, load_model, save_model


@pytest.fixture
def trained():
    d = xornet.xor()
    return xornet.train(d.X, d.y, xornet.TrainConfig(activation="tanh", hidden=3), rng=0)


def test_round_trip(tmp_path, trained):
    path = tmp_path / "m.npz"
    save_model(path, trained.params, "tanh", {"final_loss": trained.final_loss, "seed": 0})
    model = load_model(path)
    for a, b in zip(model.params, trained.params, strict=True):
        np.testing.assert_array_equal(a, b)
    assert model.activation == "tanh"
    assert model.metadata["final_loss"] == trained.final_loss
    assert model.metadata["format_version"] == 1  # plain networks stay readable by format 1
    assert model.metadata["xornet_version"] == xornet.__version__
    assert model.metadata["shapes"] == {"W1": [2, 3], "b1": [3], "W2": [3, 1], "b2": [1]}
    np.testing.assert_array_equal(model.predict_proba(xornet.xor().X), trained.probabilities)


def test_file_is_plain_npz_with_json_metadata(tmp_path, trained):
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["W1", "W2", "b1", "b2", "metadata"]
        assert json.loads(str(archive["metadata"]))["format"] == "xornet-model"


def rewrite(path, **changes):
    """Write an npz with the given arrays and metadata record changes."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    record = json.loads(str(arrays["metadata"]))
    for key, value in changes.pop("record", {}).items():
        if value is None:
            record.pop(key)
        else:
            record[key] = value
    arrays["metadata"] = np.array(json.dumps(record))
    for key, value in changes.items():
        if value is None:
            arrays.pop(key)
        else:
            arrays[key] = value
    np.savez(path, **arrays)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"record": {"format_version": FORMAT_VERSION + 1}}, "newer than this xornet reads"),
        ({"record": {"format_version": "one"}}, "invalid format_version"),
        ({"record": {"format": "other"}}, "wrong format name"),
        ({"record": {"activation": "softplus"}}, "unknown activation"),
        ({"W1": np.zeros((3, 3))}, "array W1 has shape"),
        ({"b2": np.array([np.nan])}, "non-finite"),
        ({"b1": np.zeros(3, dtype=np.float32)}, "dtype float32"),
        ({"W2": None}, "missing W2"),
        ({"metadata": np.array("{not json")}, "not valid JSON"),
    ],
)
def test_mismatched_or_newer_files_are_refused(tmp_path, trained, change, message):
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    rewrite(path, **change)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_truncated_and_garbage_files_are_refused(tmp_path, trained):
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    data = path.read_bytes()
    for i, cut in enumerate([len(data) // 2, 30, len(data) - 10]):
        broken = tmp_path / f"cut{i}.npz"
        broken.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="not a readable model file"):
            load_model(broken)
    garbage = tmp_path / "g.npz"
    garbage.write_bytes(b"hello, not a zip file")
    with pytest.raises(ModelFileError):
        load_model(garbage)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_model(tmp_path / "nope.npz")


def test_pickled_object_arrays_are_not_loaded(tmp_path, trained):
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    rewrite(path, W1=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ModelFileError, match="not a readable model file"):
        load_model(path)


def test_corrupt_member_is_refused(tmp_path, trained):
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    with zipfile.ZipFile(path) as z:
        members = {name: z.read(name) for name in z.namelist()}
    members["W1.npy"] = b"junk, not an array"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    with pytest.raises(ModelFileError, match="not a readable model file"):
        load_model(path)


def test_interrupted_save_leaves_the_old_file_and_no_temporary(tmp_path, trained):
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    before = path.read_bytes()

    def crash(f):
        f.write(b"half a model")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, crash)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_saved_files_get_the_usual_mode_not_a_private_one(tmp_path, trained):
    import os
    import stat

    old = os.umask(0o022)
    try:
        save_model(tmp_path / "m.npz", trained.params)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.npz").stat().st_mode) == 0o644


def test_save_into_a_missing_directory_is_a_clear_error(tmp_path, trained):
    with pytest.raises(ModelFileError, match="does not exist"):
        save_model(tmp_path / "no" / "m.npz", trained.params)


# ----------------------------------------------------------------------------- the run's state


def paused(optimizer="adam", steps=30):
    """A run of shuffled mini-batches stopped at ``steps``, and its data."""
    d = xornet.parity(3)
    config = xornet.TrainConfig(optimizer=optimizer, learning_rate=0.1, batch_size=3,
                                steps=100, tol=None, record_every=4)  # fmt: skip
    trainer = xornet.Trainer(d.X, d.y, config, rng=7, engine="numpy").run(until=steps)
    return trainer, d


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "adam"])
def test_state_round_trip_continues_the_run_exactly(tmp_path, optimizer):
    trainer, d = paused(optimizer)
    path = tmp_path / "m.npz"
    save_model(path, trainer.params, "sigmoid", {"note": 1}, state=trainer.state())
    model = load_model(path)
    state = model.state
    assert state.step == 30
    assert state.stop_reason is None
    np.testing.assert_array_equal(state.loss_history, trainer.loss_history)
    np.testing.assert_array_equal(state.order, trainer.state().order)
    assert state.rng == trainer.state().rng
    assert model.metadata["format_version"] == 1  # the state needs no newer reader
    resumed = xornet.Trainer.resume(d.X, d.y, trainer.config, model.params, state, engine="numpy")
    resumed.run()
    trainer.run()
    for a, b in zip(resumed.params, trainer.params, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(resumed.loss_history, trainer.loss_history)


def test_a_file_without_state_loads_as_before_and_a_state_file_reads_without_it(tmp_path):
    trainer, _ = paused()
    plain, with_state = tmp_path / "plain.npz", tmp_path / "state.npz"
    save_model(plain, trainer.params)
    save_model(with_state, trainer.params, state=trainer.state())
    assert load_model(plain).state is None
    with np.load(with_state, allow_pickle=False) as archive:
        names = sorted(archive.files)
        record = json.loads(str(archive["metadata"]))
    # What a reader that knows no state reads is all there, unchanged.
    assert {"W1", "b1", "W2", "b2", "metadata"} <= set(names)
    assert record["format_version"] == 1
    assert sorted(n for n in names if n.startswith("state.")) == [
        "state.loss_history", "state.optimizer.m.W1", "state.optimizer.m.W2",
        "state.optimizer.m.b1", "state.optimizer.m.b2", "state.optimizer.v.W1",
        "state.optimizer.v.W2", "state.optimizer.v.b1", "state.optimizer.v.b2", "state.order",
    ]  # fmt: skip
    assert record["state"]["optimizer"] == {"t": 30, "m": "arrays", "v": "arrays"}
    for a, b in zip(load_model(with_state).params, load_model(plain).params, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("change", "message"), [
    (lambda r: r.pop("step"), "is not a record of"),
    (lambda r: r.update(step=-1), "has step -1"),
    (lambda r: r.update(step=True), "has step True"),
    (lambda r: r.update(order_epoch="x"), "has order_epoch 'x'"),
    (lambda r: r.update(stop_reason="bored"), "unknown stop reason 'bored'"),
    (lambda r: r.update(rng={"bit_generator": "MT19937"}), "no valid generator state"),
    (lambda r: r["rng"]["state"].update(inc=-5), "has no valid generator"),
    (lambda r: r.update(optimizer=[1]), "has no optimizer record"),
    (lambda r: r["optimizer"].update(t=-1), "optimizer entry 't' = -1"),
    (lambda r: r["optimizer"].update(extra="arrays"), "state.optimizer.extra.W1"),
])  # fmt: skip
def test_a_bad_state_record_is_refused(tmp_path, change, message):
    trainer, _ = paused()
    path = tmp_path / "m.npz"
    save_model(path, trainer.params, state=trainer.state())
    with np.load(path, allow_pickle=False) as archive:
        record = json.loads(str(archive["metadata"]))["state"]
    change(record)
    rewrite(path, record={"state": record})
    with pytest.raises(ModelFileError, match="the saved training state") as info:
        load_model(path)
    assert message in str(info.value)


@pytest.mark.parametrize(("member", "value", "message"), [
    ("state.optimizer.m.W1", np.zeros((3, 3)), "state.optimizer.m.W1 of shape (3, 8)"),
    ("state.optimizer.v.b2", np.array([np.inf]), "finite float64 array state.optimizer.v.b2"),
    ("state.optimizer.v.b2", None, "state.optimizer.v.b2 of shape"),
    ("state.loss_history", np.array([[0.5]]), "loss_history"),
    ("state.loss_history", np.array([1, 2]), "loss_history"),
    ("state.order", np.array([0, 0, 1], dtype=np.int64), "not an order of the samples"),
    ("state.order", np.arange(8.0), "a batch order that is not"),
    ("state.colour", np.zeros(1), "unexpected arrays (state.colour)"),
])  # fmt: skip
def test_a_bad_state_array_is_refused(tmp_path, member, value, message):
    trainer, _ = paused()
    path = tmp_path / "m.npz"
    save_model(path, trainer.params, state=trainer.state())
    rewrite(path, **{member: value})
    with pytest.raises(ModelFileError, match="the saved training state") as info:
        load_model(path)
    assert message in str(info.value)


def test_state_arrays_without_their_record_are_refused(tmp_path):
    trainer, _ = paused()
    path = tmp_path / "m.npz"
    save_model(path, trainer.params, state=trainer.state())
    rewrite(path, record={"state": None})
    with pytest.raises(ModelFileError, match="the saved training state is not a record"):
        load_model(path)


def test_saving_a_state_that_does_not_fit_is_an_error(tmp_path):
    import dataclasses

    trainer, _ = paused()
    state = trainer.state()
    other = dataclasses.replace(
        state, rng=np.random.Generator(np.random.MT19937(0)).bit_generator.state
    )
    with pytest.raises(XornetError, match="PCG64"):
        save_model(tmp_path / "m.npz", trainer.params, state=other)
    wrong = dataclasses.replace(state, optimizer={"m": [np.zeros(2)], "v": None, "t": 1})
    with pytest.raises(XornetError, match="does not fit the parameters"):
        save_model(tmp_path / "m.npz", trainer.params, state=wrong)
    assert not (tmp_path / "m.npz").exists()
