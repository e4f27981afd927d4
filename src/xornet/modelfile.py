"""Model files: the parameter arrays and a JSON metadata record in one ``.npz``.

A model file is a NumPy ``.npz`` archive holding ``W1``, ``b1``, ``W2``, ``b2`` (and ``W3`` for
a shortcut network) and ``metadata``, a JSON text with at least ``format``, ``format_version``,
``xornet_version``, ``activation`` and ``shapes``. Format 1 has the four arrays; format 2 adds
``W3``, so that a reader that knows only format 1 refuses a shortcut network rather than
silently dropping its shortcut. Networks without one are still written as format 1.

A file may also carry where its training run stands (:class:`xornet.TrainState`), so that the
run can be continued (:meth:`xornet.Trainer.resume`, ``xornet train --resume``): its arrays are
members named ``state.*`` (``state.loss_history``, ``state.order`` and the optimizer's arrays,
``state.optimizer.<key>.<W1...>``), its scalars and the generator's state a ``state`` record in
the metadata. The state changes no format version: a reader that does not know it reads the
network and ignores it, and a file without it loads as before (``Model.state`` is None).

A model file may come from anyone, so loading one runs no code from it and trusts none of its
sizes: the file's size, its number of members, each member's declared shape, type and size
(from the zip directory and the ``.npy`` header, before any data is read) and the metadata's
length are bounded first (:data:`MAX_FILE_BYTES`, :data:`MAX_MEMBERS`,
:data:`MAX_METADATA_CHARS`); then the metadata is checked against :data:`METADATA_SCHEMA`
(every key xornet writes, with its type and range; other keys may hold any JSON within
:data:`MAX_DEPTH` levels); only then are the arrays read. Anything wrong is one
:class:`~xornet.errors.ModelFileError` naming the file and the member or key. ``save_model``
applies the same rules before it writes, so it never writes a file that ``load_model`` refuses.

Saves are atomic: the archive is written to a temporary file in the target's directory, flushed
to disk, then renamed over the target, so an interrupted save never leaves a half-written model.
A save that was killed leaves its temporary file behind; the next save of the same target
removes it (see :func:`atomic_write`).
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

# ``NAME as NAME``: a public name of this module that its own code does not use.
from xornet._atomic import STALE_SECONDS as STALE_SECONDS
from xornet._atomic import atomic_write, checked_path
from xornet._modelfile.archive import MAX_FILE_BYTES, Archive, UnreadableError, check_zip_directory
from xornet._modelfile.archive import MAX_MEMBERS as MAX_MEMBERS
from xornet._modelfile.schema import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MAX_METADATA_CHARS,
    METADATA_SCHEMA,
    QUOTED_ERROR,
    parse_record,
)
from xornet._modelfile.schema import MAX_DEPTH as MAX_DEPTH
from xornet._modelfile.schema import STATE_SCHEMA as STATE_SCHEMA
from xornet._modelfile.state import STATE_PREFIX, check_state_layout, join_state, split_state
from xornet._typing import Array, IntArray
from xornet.errors import ModelFileError, XornetError, one_line
from xornet.functional import ACTIVATIONS
from xornet.params import NAMES, SHORTCUT_NAMES, Params

if TYPE_CHECKING:
    from xornet.training import TrainState

__all__ = [
    "FORMAT_VERSION",
    "MAX_HISTORY_POINTS",
    "METADATA_SCHEMA",
    "Model",
    "atomic_write",
    "history_metadata",
    "load_model",
    "save_model",
]

#: The most loss records a model file's metadata keeps (``loss_history``, its figure's curve):
#: a longer run's are thinned, evenly, so that the record stays within
#: :data:`MAX_METADATA_CHARS` (100,000 records take about 4 million characters). The run's
#: state keeps every record.
MAX_HISTORY_POINTS: Final = 100_000


@dataclass(frozen=True, eq=False)
class Model:
    """A trained network as stored in a model file.

    Attributes
    ----------
    params : Params
    activation : str
        Hidden activation.
    metadata : dict
        The JSON record (configuration, final loss, versions, ...).
    state : TrainState or None
        Where the training run stood when it was saved, to continue it
        (:meth:`xornet.Trainer.resume`); None when the file holds only the network.
    """

    params: Params
    activation: str
    metadata: dict[str, Any] = field(default_factory=dict)
    state: TrainState | None = None

    def predict_proba(self, X: Array) -> Array:
        """Probabilities for ``X`` of shape (n_samples, d).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            The probability of class 1 (two classes) or of each class.
        """
        from xornet.network import predict_proba

        return predict_proba(self.params, X, self.activation)

    def __repr__(self) -> str:
        state = "" if self.state is None else f", state at step {self.state.step}"
        return f"Model({self.params!r}, activation={self.activation!r}{state})"

    def _repr_html_(self) -> str:
        from xornet._html import model_html

        return model_html(self)


def save_model(
    path: str | Path,
    params: Params,
    activation: str = "sigmoid",
    metadata: dict[str, Any] | None = None,
    state: TrainState | None = None,
) -> None:
    """Save a model to ``path`` (an ``.npz`` file), atomically.

    Parameters
    ----------
    path : str or Path
        Target file; it is replaced if it exists. The name is used as given.
    params : Params
    activation : str
        Hidden activation of the network.
    metadata : dict, optional
        Extra JSON-serialisable facts (training configuration, final loss, dataset, ...). The
        keys xornet knows must hold what :data:`METADATA_SCHEMA` says (``feature_names`` one
        name per input, ...); others any JSON within :data:`MAX_DEPTH` levels.
    state : TrainState, optional
        The run's :meth:`xornet.Trainer.state`, so that it can be continued from the file.

    Raises
    ------
    XornetError
        Before anything is written, for anything :func:`load_model` would refuse: an unknown
        activation, weights that are not finite, metadata that is not JSON or does not fit the
        schema, a state that does not fit ``params`` or whose generator is not NumPy's
        default (PCG64), or a file larger than :data:`MAX_FILE_BYTES`.
    """
    from xornet import __version__

    if activation not in ACTIVATIONS:
        raise XornetError(f"unknown activation {activation!r}")
    arrays = {
        name: np.ascontiguousarray(a, dtype=np.float64) for name, a in params.as_dict().items()
    }
    for name, a in arrays.items():
        if not np.isfinite(a).all():
            raise XornetError(f"cannot save a model whose {name} holds non-finite values")
    record: dict[str, Any] = dict(metadata or {})
    record.pop("state", None)
    state_arrays: dict[str, Array] = {}
    if state is not None:
        record["state"], state_arrays = split_state(state, params)
    record.update(
        format=FORMAT_NAME,
        format_version=2 if params.shortcut else 1,
        xornet_version=__version__,
        activation=activation,
        shapes={name: list(a.shape) for name, a in arrays.items()},
    )
    text = _json_text(record)
    try:  # what will be read back, checked as load_model checks it: the same rules
        parse_record(text)
        if state is not None:
            join_state(record["state"], state_arrays, Params(*arrays.values()))
    except XornetError as exc:
        raise XornetError(f"cannot save this model: {exc}") from None
    members: dict[str, Array] = {"metadata": np.array(text), **arrays, **state_arrays}
    # Each member also takes its .npy header and zip entries: well under 1 kB.
    size = sum(a.nbytes + 1024 for a in members.values())
    if size > MAX_FILE_BYTES:
        raise XornetError(
            f"cannot save this model: it would take {size / 2**20:.0f} MiB, more than the "
            f"{MAX_FILE_BYTES // 2**20} MiB of a model file"
        )
    atomic_write(path, lambda f: np.savez(f, **members))  # type: ignore[arg-type]


def history_metadata(losses: Array, steps: IntArray) -> dict[str, list[Any]]:
    """A run's loss records as its model file's metadata keeps them: ``loss_history`` and
    ``history_steps``, at most :data:`MAX_HISTORY_POINTS` of them, evenly spaced, the first
    and the last kept.

    Parameters
    ----------
    losses : ndarray of shape (n_records,)
    steps : ndarray of shape (n_records,)
        The step of each record.
    """
    losses, steps = np.asarray(losses), np.asarray(steps)
    if len(losses) > MAX_HISTORY_POINTS:
        kept = np.unique(np.linspace(0, len(losses) - 1, MAX_HISTORY_POINTS).round().astype(int))
        losses, steps = losses[kept], steps[kept]
    return {"loss_history": losses.tolist(), "history_steps": steps.tolist()}


def _json_text(record: dict[str, Any]) -> str:
    """The record as JSON text; XornetError naming the first key JSON cannot hold."""
    try:
        return json.dumps(record, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:  # an object JSON cannot hold, NaN, a huge int
        for key in sorted(record):
            try:
                json.dumps(record[key], allow_nan=False)
            except (TypeError, ValueError):
                break
        else:
            key = "?"
        raise XornetError(f"the metadata's {key!r} cannot be saved as JSON ({exc})") from None


def load_model(path: str | Path) -> Model:
    """Load a model saved by :func:`save_model`.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    Model

    Raises
    ------
    ModelFileError
        If the file is missing, is not a zip archive (an ``.npz``), is larger than the bounds
        (:data:`MAX_FILE_BYTES`, :data:`MAX_MEMBERS`, :data:`MAX_METADATA_CHARS`), is truncated
        or corrupt, has a member whose header does not match its size, has metadata that does
        not fit :data:`METADATA_SCHEMA`, has arrays that do not match its metadata, holds
        non-finite weights, or was written in a newer format. The message names the file and
        the member or key.
    """
    path = checked_path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory, not a model file")
    if not path.is_file():
        what = "not a regular file" if path.exists() else "no such model file"
        raise ModelFileError(f"{path}: {what}")
    try:
        # Open the file ourselves: np.load leaves its own handle open when the zip is broken.
        with path.open("rb") as handle:
            check_zip_directory(handle)
            with zipfile.ZipFile(handle) as archive:
                return _read_model(path, archive)
    except UnreadableError as exc:
        raise ModelFileError(f"{path}: not a readable model file ({exc})") from None
    except (
        zipfile.BadZipFile,
        EOFError,
        OSError,
        zlib.error,
        struct.error,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        # zipfile's NotImplementedError: a zip feature it lacks (version, patched data);
        # RuntimeError: encryption. Either is a file xornet did not write.
        reason = one_line(exc, limit=QUOTED_ERROR)
        raise ModelFileError(f"{path}: not a readable model file ({reason})") from None


def _read_model(path: Path, archive: zipfile.ZipFile) -> Model:
    """The model in ``archive``: everything bounded and checked, then the arrays read."""
    members = Archive(archive)
    missing = [name for name in (*NAMES, "metadata") if name not in members.infos]
    if missing:
        raise ModelFileError(f"{path}: not a xornet model (missing {', '.join(missing)})")
    names = SHORTCUT_NAMES if "W3" in members.infos else NAMES
    state_names = sorted(n for n in members.infos if n.startswith(STATE_PREFIX))
    for name in (*names, "metadata", *state_names):
        members.declare(name)
    record = _read_metadata(path, members)
    # The arrays as their headers declare them, against the metadata, before they are read.
    version = record["format_version"]
    if "W3" in names and version < 2:
        raise ModelFileError(f"{path}: shortcut weights W3 in a format-{version} file")
    shapes = record["shapes"]
    if set(shapes) != set(names):
        raise ModelFileError(
            f"{path}: the metadata has the shapes of {', '.join(shapes)}, but "
            f"the file holds the arrays {', '.join(names)}"
        )
    for name in names:
        declared = members.members[name]
        if list(declared.shape) != shapes.get(name):
            raise ModelFileError(
                f"{path}: array {name} has shape {declared.shape}, but the "
                f"metadata says {shapes.get(name)}"
            )
        if declared.dtype != np.float64:
            raise ModelFileError(f"{path}: array {name} has dtype {declared.dtype}, not float64")
    try:  # the shapes must make a network: Params checks them, on arrays that take no memory
        Params(*(np.broadcast_to(0.0, members.members[name].shape) for name in names))
    except ValueError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    state_record = record.get("state")
    if state_record is not None or state_names:
        declared_state = {
            n: (members.members[n].shape, members.members[n].dtype) for n in state_names
        }
        shapes_of = {name: members.members[name].shape for name in names}
        try:
            check_state_layout(state_record, declared_state, shapes_of)
        except XornetError as exc:
            raise ModelFileError(f"{path}: the saved training state {exc}") from None
    # Every size is now known and bounded: read.
    arrays = {name: members.read(name) for name in names}
    for name in names:
        if not np.isfinite(arrays[name]).all():
            raise ModelFileError(f"{path}: array {name} holds non-finite values")
    params = Params(*(arrays[name] for name in names))
    state = None
    if state_record is not None or state_names:
        try:
            state = join_state(state_record, {n: members.read(n) for n in state_names}, params)
        except XornetError as exc:
            raise ModelFileError(f"{path}: the saved training state {exc}") from None
    return Model(params, str(record["activation"]), record, state)


def _read_metadata(path: Path, members: Archive) -> dict[str, Any]:
    """The metadata record: its length bounded, then parsed, then checked against the schema."""
    declared = members.members["metadata"]
    if declared.shape != () or declared.dtype.kind != "U":
        raise ModelFileError(f"{path}: the metadata record is not a text")
    chars = declared.dtype.itemsize // 4
    if chars > MAX_METADATA_CHARS:
        raise ModelFileError(
            f"{path}: the metadata record is {chars:,} characters long, more "
            f"than the {MAX_METADATA_CHARS:,} a model file holds"
        )
    try:
        return parse_record(str(members.read("metadata")))
    except XornetError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
