"""Model files: round trip, every corrupt-file case, and atomic saves."""

import io
import json
import re
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
        (
            {
                "record": {
                    "shapes": {"W1": [2, 3], "b1": [3], "W2": [3, 1], "b2": [1], "W3": [2, 1]}
                }
            },
            "the metadata has the shapes of W1, b1, W2, b2, W3, but the file holds the arrays W1, "
            "b1, W2, b2",
        ),
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
    (lambda r: r["optimizer"].update(t=10**400), "optimizer entry 't' = 1000"),  # OverflowError
    (lambda r: r.update(step=10**400), "has step 1000000"),  # a 400-digit message
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
    ("state.loss_history", np.array([0.7, -1.0]), "has a negative loss record (-1)"),
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


# ----------------------------------------------------------------------------- the metadata schema


def saved_record(tmp_path, trained, **extra):
    """A model saved with the metadata ``xornet train --save`` writes, and its record."""
    path = tmp_path / "m.npz"
    save_model(path, trained.params, "tanh", {
        "config": trained.config.to_dict(), "dataset": "xor", "feature_names": ["x1", "x2"],
        "data_options": {"samples": 200, "noise": None, "data_seed": 0}, "data_sha256": "0" * 64,
        "seed": 0, "steps": trained.steps, "stop_reason": trained.stop_reason,
        "final_loss": trained.final_loss, "accuracy": trained.accuracy, "outcome": "solved",
        "loss_history": trained.loss_history.tolist(),
        "history_steps": trained.history_steps.tolist(), "source": "tests", **extra,
    })  # fmt: skip
    return path


# Each key of the schema, with values that are not what it holds.
BAD_VALUES = {
    "format": ["other", 1, None],
    "format_version": ["one", 0, True, 1.0, 10**400],
    "xornet_version": [1, "", "x" * 65, "1\n2"],
    "activation": [["x"], "softplus", None],
    "shapes": [5, [], {"W1": 2}, {"W1": [2, 3], "b1": [3], "W2": [3, 1]},
               {"W1": [2.0, 3], "b1": [3], "W2": [3, 1], "b2": [1]},
               {"W1": [2, 3, 1], "b1": [3], "W2": [3, 1], "b2": [1]}],
    "config": [[], "adam", {"hidden": [3]}, {"hidden": {"deep": 1}}, {"record_every": 10**30},
               {"learning_rate": 10**400}],
    "dataset": [3, "", "x" * 256, "a\nb", ["xor"]],
    "feature_names": ["ab", ["a"], ["a", "b", "c"], ["a", "a"], ["a", 2], ["a", ""], None],
    "data_options": [[], {"samples": "many"}, {"colour": 1}, {"noise": True},
                     {"samples": 10**400}, {"data_seed": 10**400}, {"data_seed": -1}],
    "data_sha256": ["abc", 5, "G" * 64],
    "seed": [-1, 2**32, "0", 1.5],
    "steps": [-1, "10", 10**11, 1.0],
    "stop_reason": ["bored", 1],
    "final_loss": ["low", -1.0, [0.1], True, 10**400],  # 10**400: OverflowError
    "accuracy": [1.5, "all", None, 10**400],
    "outcome": ["great", None],
    "loss_history": ["a", ["a"], [-1.0], [[0.5]], [10**400]],
    "history_steps": [["1"], [1, 2, 3], "0", [-1]],
    "source": [1, "", "a\tb"],
}  # fmt: skip


def test_every_key_of_the_schema_is_tried():
    from xornet.modelfile import METADATA_SCHEMA

    assert set(BAD_VALUES) == set(METADATA_SCHEMA) - {"state"}  # the state: tests below


@pytest.mark.parametrize(("key", "value"), [
    pytest.param(k, v, id=f"{k}-{i}") for k, values in BAD_VALUES.items()
    for i, v in enumerate(values)
])  # fmt: skip
def test_metadata_of_the_wrong_type_is_one_error_naming_file_and_key(tmp_path, trained, key,
                                                                     value):  # fmt: skip
    path = saved_record(tmp_path, trained)
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    record = json.loads(str(arrays["metadata"]))
    record[key] = value
    arrays["metadata"] = np.array(json.dumps(record))
    np.savez(path, **arrays)
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert key.replace("_", " ") in message or key in message
    assert "\n" not in message
    assert len(message) < len(str(path)) + 250


def test_what_train_save_and_the_playground_write_is_in_the_schema(tmp_path, capsys):
    from xornet.cli import main
    from xornet.modelfile import METADATA_SCHEMA
    from xornet.playground.session import Session

    path = tmp_path / "m.npz"
    assert main(["train", "--steps", "50", "--seed", "0", "--save", str(path)]) == 0
    capsys.readouterr()
    assert set(load_model(path).metadata) <= set(METADATA_SCHEMA)
    assert load_model(path).state is not None
    path.write_bytes(Session().model_bytes())
    assert set(load_model(path).metadata) <= set(METADATA_SCHEMA)


@pytest.mark.parametrize(("metadata", "message"), [
    ("[" * 100_000 + "]" * 100_000, "nests deeper than 16 levels"),  # RecursionError before
    ('{"a": ' * 20 + "1" + "}" * 20, "nests deeper than 16 levels"),
    ('{"a": NaN}', "not valid JSON (NaN is not a JSON number)"),
    ('{"a": 1e999}', "holds a number beyond float64"),
    ('{"a": ' + "9" * 5000 + "}", "not valid JSON"),  # ValueError from int() before
    ("[1, 2]", "the metadata is not a record"),
])  # fmt: skip
def test_metadata_text_that_is_not_a_bounded_record_is_refused(tmp_path, trained, metadata,
                                                               message):  # fmt: skip
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    if metadata.startswith('{"a"'):  # keep the record a model's, with one bad key
        with np.load(path, allow_pickle=False) as archive:
            record = json.loads(str(archive["metadata"]))
        metadata = json.dumps(record)[:-1] + ", " + metadata[1:]
    rewrite(path, metadata=np.array(metadata))
    with pytest.raises(ModelFileError, match=re.escape(message)):
        load_model(path)


def test_a_huge_string_is_quoted_short(tmp_path, trained):
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    rewrite(path, record={"activation": "x" * 1_000_000})
    with pytest.raises(ModelFileError, match="unknown activation 'xxx") as info:
        load_model(path)
    assert len(str(info.value)) < len(str(path)) + 200


def test_a_bad_model_file_is_one_line_and_exit_2_in_the_cli(tmp_path, trained, capsys):
    from xornet.cli import main

    path = saved_record(tmp_path, trained)
    rewrite(path, record={"shapes": 5})
    for command in (["predict", str(path), "0", "1"], ["train", "--resume", str(path)]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1
        assert f"{path}: invalid shapes 5 in the metadata" in err


def test_save_refuses_what_load_would_refuse_and_writes_nothing(tmp_path, trained, monkeypatch):
    import xornet.modelfile as modelfile

    path = tmp_path / "m.npz"
    cases = [
        ({"feature_names": ["only one"]}, "invalid feature_names"),
        ({"final_loss": float("nan")}, "the metadata's 'final_loss' cannot be saved as JSON"),
        ({"seed": np.int64(3)}, "the metadata's 'seed' cannot be saved as JSON"),
        ({"note": [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}, "nests deeper than 16"),
    ]
    for metadata, message in cases:
        with pytest.raises(XornetError, match=message):
            save_model(path, trained.params, "tanh", metadata)
    with pytest.raises(XornetError, match="unknown activation"):
        save_model(path, trained.params, "softplus")
    bad = trained.params.copy()
    bad.W1[0, 0] = np.inf
    with pytest.raises(XornetError, match="W1 holds non-finite values"):
        save_model(path, bad)
    monkeypatch.setattr(modelfile, "MAX_FILE_BYTES", 200)
    with pytest.raises(XornetError, match="more than the 0 MiB of a model file"):
        save_model(path, trained.params)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- hostile archives


def npy(array=None, *, shape=None, descr="<f8", data=b""):
    """A .npy member: an array's bytes, or a bare header declaring ``shape`` and ``data``."""
    buf = io.BytesIO()
    if array is not None:
        np.lib.format.write_array(buf, np.asarray(array), allow_pickle=False)
    else:
        header = {"descr": descr, "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(buf, header)
        buf.write(data)
    return buf.getvalue()


def members_of(path):
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def write_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression, compresslevel=1) as z:
        for name, data in members.items():
            z.writestr(name, data)


def refused(path, message):
    """load_model refuses ``path`` with ``message``, in one line, and without filling memory."""
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match=message) as info:
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "\n" not in str(info.value)
    assert str(info.value).startswith(f"{path}: ")
    assert peak < 4 * 2**20, f"{peak / 2**20:.0f} MiB used to refuse it"


def test_a_header_claiming_a_huge_array_is_refused_before_reading(tmp_path, trained):
    # 5 kB that said (2, 10**12): MemoryError before.
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    members = members_of(path)
    members["W1.npy"] = npy(shape=(2, 10**12), data=b"\0" * 4096)
    write_zip(path, members)
    assert path.stat().st_size < 6000
    refused(path, r"member 'W1.npy' declares a \(2, 1000000000000\) float64 array of "
                  "15,258,789 MiB, more than a model file holds")  # fmt: skip


def test_a_zip_bomb_member_is_refused_before_it_is_inflated(tmp_path, trained):
    # 80 MB of zeros deflate to 0.4 MB; before, all of it was inflated, then refused.
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    members = members_of(path)
    members["W1.npy"] = npy(shape=(2, 5_000_000), data=bytes(80_000_000))
    write_zip(path, members, zipfile.ZIP_DEFLATED)
    del members
    assert path.stat().st_size < 1_000_000
    refused(path, "members of 76 MiB uncompressed, more than the 64 MiB of a model file")


def test_a_header_lying_about_its_shape_is_refused(tmp_path, trained):
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    members = members_of(path)
    # The header says (2, 3), as the metadata does, but 100 times the data follows (before,
    # the rest was silently ignored); and the other way round, less data than declared.
    members["W1.npy"] = npy(shape=(2, 3), data=bytes(4800))
    write_zip(path, members)
    refused(path, r"member 'W1.npy' takes 4,928 bytes, but its header declares 176 \(a \(2, 3\) "
                  "float64 array\\)")  # fmt: skip
    members["W1.npy"] = npy(shape=(2, 3), data=bytes(40))
    write_zip(path, members)
    refused(path, "member 'W1.npy' takes 168 bytes, but its header declares 176")


def test_thousands_of_members_are_refused_from_the_zip_directory(tmp_path, trained):
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    members = members_of(path)
    members.update({f"junk{i}.npy": b"" for i in range(5000)})
    write_zip(path, members)
    refused(path, "5,005 members, more than the 64 a model file has")
    # A directory larger than its end record says: refused before zipfile parses it.
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    data[end + 8 : end + 12] = (5).to_bytes(2, "little") * 2
    path.write_bytes(bytes(data))
    refused(path, "a zip directory of .* bytes, larger than a model file's")


def test_a_member_written_twice_is_refused(tmp_path, trained):
    import warnings

    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    members = members_of(path)
    with zipfile.ZipFile(path, "a") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name
        z.writestr("W1.npy", npy(np.zeros((2, 3))))
    refused(path, "member 'W1.npy' appears twice")
    del members


def patch_entry(path, name, offset, value):
    """Set a 2-byte field of ``name``'s zip entries: local header and central directory."""
    data = bytearray(path.read_bytes())
    for signature, base in ((b"PK\x03\x04", 0), (b"PK\x01\x02", 2)):
        at = data.find(signature)
        while at >= 0:
            field_at = 26 if signature == b"PK\x03\x04" else 28
            length = int.from_bytes(data[at + field_at : at + field_at + 2], "little")
            start = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[start : start + length] == name.encode():
                data[at + offset + base : at + offset + base + 2] = value.to_bytes(2, "little")
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("offset", "value", "message"), [
    (6, 0x1, "member 'W1.npy' is encrypted"),  # RuntimeError before
    (8, 99, "member 'W1.npy' uses an unknown compression method"),  # NotImplementedError before
])  # fmt: skip
def test_encrypted_or_oddly_compressed_members_are_refused(tmp_path, trained, offset, value,
                                                           message):  # fmt: skip
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    patch_entry(path, "W1.npy", offset, value)
    refused(path, message)


def test_metadata_longer_than_the_bound_is_refused_before_it_is_read(tmp_path, trained):
    path = tmp_path / "m.npz"
    save_model(path, trained.params)
    members = members_of(path)
    members["metadata.npy"] = npy(shape=(), descr="<U9000000", data=bytes(36_000_000))
    write_zip(path, members, zipfile.ZIP_DEFLATED)
    del members
    refused(path, "the metadata record is 9,000,000 characters long, more than the 8,388,608")


def test_a_file_beyond_the_size_bound_is_refused_unread(tmp_path):
    path = tmp_path / "m.npz"
    with path.open("wb") as f:
        f.truncate(65 * 2**20)  # sparse: takes no disk
    refused(path, "65 MiB, larger than the 64 MiB a model file may take")


@pytest.mark.parametrize(("content", "message"), [
    (b"hello, not a zip file", r"not a zip archive; a model file is the \.npz that save_model"),
    (None, r"a single NumPy array \(\.npy\), not a model \(\.npz\)"),
    (b"PK\x03\x04 and then nothing", "a truncated or damaged zip archive"),
])  # fmt: skip
def test_a_file_that_is_not_a_zip_says_so_in_one_line(tmp_path, content, message):
    path = tmp_path / "m.npz"
    path.write_bytes(npy(np.zeros(3)) if content is None else content)
    with pytest.raises(ModelFileError, match=message) as info:
        load_model(path)
    assert "pickle" not in str(info.value)  # NumPy's advice to load it unsafely, before
    assert "\n" not in str(info.value)


def test_a_directory_is_not_a_model_file(tmp_path):
    with pytest.raises(ModelFileError, match="is a directory, not a model file"):
        load_model(tmp_path)


def test_state_members_are_bounded_before_they_are_read(tmp_path):
    trainer, _ = paused()
    path = tmp_path / "m.npz"
    save_model(path, trainer.params, state=trainer.state())
    members = members_of(path)
    members["state.loss_history.npy"] = npy(shape=(10**11,), data=b"")
    write_zip(path, members)
    refused(path, r"member 'state.loss_history.npy' declares a \(100000000000,\) float64 array")


# ----------------------------------------------------------------------------- killed saves


def test_a_killed_save_leaves_a_temporary_that_the_next_save_removes(tmp_path, trained):
    import os
    import subprocess
    import sys

    path = tmp_path / "m.npz"
    script = (
        "import sys, time\n"
        "from xornet.modelfile import atomic_write\n"
        "def write(f):\n"
        "    f.write(b'half a model'); f.flush(); print('writing', flush=True); time.sleep(60)\n"
        f"atomic_write({str(path)!r}, write)\n"
    )
    src = os.path.dirname(os.path.dirname(xornet.__file__))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdout.readline() == b"writing\n"
    finally:
        child.kill()  # SIGKILL: no handler runs, the temporary stays
        child.wait()
        child.stdout.close()
    [left] = [p.name for p in tmp_path.iterdir()]
    assert re.fullmatch(rf"\.m\.npz\.{child.pid}\.[a-z0-9_]{{8}}\.tmp", left)
    save_model(path, trained.params)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.npz"]


def test_only_stale_temporaries_of_this_target_are_removed(tmp_path, trained):
    import os
    import subprocess
    import sys
    import time

    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, check=True).stdout)  # fmt: skip
    alive = os.getpid()
    old = time.time() - 120

    def make(name, age=None, *, kind="file"):
        p = tmp_path / name
        if kind == "dir":
            p.mkdir()
        elif kind == "link":
            p.symlink_to(tmp_path / "target.txt")
        else:
            p.write_bytes(b"x")
        if age is not None:
            os.utime(p, (age, age), follow_symlinks=False)
        return name

    (tmp_path / "target.txt").write_text("keep me")
    removed = {
        make(f".m.npz.{gone}.abcd_123.tmp"),  # its writer is gone
        make(f".m.npz.{alive}.abcdefgh.tmp", old),  # a minute old, whoever wrote it
        make(".m.npz.k2j4h5g6.tmp", old),  # an older xornet's name, a minute old
    }
    kept = {
        make(f".m.npz.{alive}.zyxwvuts.tmp"),  # a save in progress
        make(".m.npz.k2j4h5g7.tmp"),  # an older xornet's: no writer to ask, and fresh
        make(f".other.npz.{gone}.abcdefgh.tmp", old),  # another target's
        make(f".m.npz.{gone}.abcdefgh.tmp.bak", old),
        make(f"m.npz.{gone}.abcdefgh.tmp", old),  # not hidden: not ours
        make(f".m.npz.{gone}.abc.tmp", old),  # not mkstemp's 8 characters
        make(f".M.npz.{gone}.abcdefgh.tmp", old),
        make(f".m.npz.{gone}.abcdefgh.tmp", old, kind="dir"),
        make(f".m.npz.{gone}.ABCDEFGH.tmp", old, kind="link"),
        make(f".m.npz.{gone}.abcdefg1.tmp", old, kind="link"),
        "target.txt",
    }
    save_model(tmp_path / "m.npz", trained.params)
    names = {p.name for p in tmp_path.iterdir()}
    assert names == kept | {"m.npz"}
    assert not names & removed
    assert (tmp_path / "target.txt").read_text() == "keep me"


def test_a_failed_write_is_one_error_naming_the_target(tmp_path, trained):
    folder = tmp_path / "taken.npz"
    folder.mkdir()
    with pytest.raises(ModelFileError, match=r"taken\.npz: cannot be written \(Is a directory\)"):
        save_model(folder, trained.params)  # IsADirectoryError before
    long = tmp_path / ("x" * 300 + ".npz")
    with pytest.raises(ModelFileError, match=r"cannot be written \(File name too long\)"):
        save_model(long, trained.params)  # an OSError naming the temporary file before
    assert [p.name for p in tmp_path.iterdir()] == ["taken.npz"]


def test_names_that_are_no_regular_file_are_refused(tmp_path):
    import os

    with pytest.raises(ModelFileError, match="not a file name"):
        load_model("m\0.npz")  # ValueError before
    with pytest.raises(ModelFileError, match="not a file name"):
        save_model("m\0.npz", xornet.init_params(2, 2, rng=0))
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.npz")
        with pytest.raises(ModelFileError, match=r"pipe\.npz: not a regular file"):
            load_model(tmp_path / "pipe.npz")
