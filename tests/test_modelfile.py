"""Model files: round trip, every corrupt-file case, and atomic saves."""

import json
import zipfile

import numpy as np
import pytest

import xornet
from xornet.errors import ModelFileError
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
