"""Model files: the parameter arrays and a JSON metadata record in one ``.npz``.

A model file is a NumPy ``.npz`` archive holding ``W1``, ``b1``, ``W2``, ``b2`` (and ``W3`` for
a shortcut network) and ``metadata``, a JSON text with at least ``format``, ``format_version``,
``xornet_version``, ``activation`` and ``shapes``. Format 1 has the four arrays; format 2 adds
``W3``, so that a reader that knows only format 1 refuses a shortcut network rather than
silently dropping its shortcut. Networks without one are still written as format 1. It is read
with ``allow_pickle=False``, so loading a file runs no code from it.

A file may also carry where its training run stands (:class:`xornet.TrainState`), so that the
run can be continued (:meth:`xornet.Trainer.resume`, ``xornet train --resume``): its arrays are
members named ``state.*`` (``state.loss_history``, ``state.order`` and the optimizer's arrays,
``state.optimizer.<key>.<W1...>``), its scalars and the generator's state a ``state`` record in
the metadata. The state changes no format version: a reader that does not know it reads the
network and ignores it, and a file without it loads as before (``Model.state`` is None).

Saves are atomic: the archive is written to a temporary file in the target's directory, flushed
to disk, then renamed over the target, so an interrupted save never leaves a half-written model.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, get_args

import numpy as np

from xornet._typing import Array
from xornet.config import StopReason
from xornet.errors import ModelFileError, XornetError
from xornet.functional import ACTIVATIONS
from xornet.params import NAMES, SHORTCUT_NAMES, Params

if TYPE_CHECKING:
    from xornet.training import TrainState

__all__ = ["FORMAT_VERSION", "Model", "atomic_write", "load_model", "save_model"]

#: Version of the file layout this xornet writes; it reads this version and older.
FORMAT_VERSION: Final = 2
FORMAT_NAME: Final = "xornet-model"


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


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object]) -> None:
    """Write a file atomically: ``write(f)`` fills a temporary file that is then renamed.

    Parameters
    ----------
    path : str or Path
        The file to create or replace.
    write : callable
        Called with a file object open for binary writing; what it writes becomes the content.

    Notes
    -----
    If ``write`` raises (or the process is interrupted), the target is left as it was and the
    temporary file is removed.
    """
    path = Path(path)
    directory = path.parent
    if not directory.is_dir():
        raise ModelFileError(f"{path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _new_file_mode())
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    """0666 less the process's umask: the mode ``open(path, "w")`` gives a new file."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


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
        Extra JSON-serialisable facts (training configuration, final loss, dataset, ...).
    state : TrainState, optional
        The run's :meth:`xornet.Trainer.state`, so that it can be continued from the file.

    Raises
    ------
    XornetError
        If the state does not fit ``params`` or its generator is not NumPy's default (PCG64).
    """
    from xornet import __version__

    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}")
    record: dict[str, Any] = dict(metadata or {})
    record.pop("state", None)
    state_arrays: dict[str, Array] = {}
    if state is not None:
        record["state"], state_arrays = _split_state(state, params)
    record.update(
        format=FORMAT_NAME,
        format_version=2 if params.shortcut else 1,
        xornet_version=__version__,
        activation=activation,
        shapes={name: list(a.shape) for name, a in params.as_dict().items()},
    )
    text = json.dumps(record, sort_keys=True, allow_nan=False)
    members: dict[str, Any] = {"metadata": np.array(text)}
    for name, a in params.as_dict().items():
        members[name] = np.ascontiguousarray(a, dtype=np.float64)
    members.update(state_arrays)
    atomic_write(path, lambda f: np.savez(f, **members))


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
        If the file is missing, is not a model file, is truncated or corrupt, has arrays that
        do not match its metadata, holds non-finite weights, or was written in a newer format.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        # Open the file ourselves: np.load leaves its own handle open when the zip is broken.
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
            missing = [name for name in (*NAMES, "metadata") if name not in archive.files]
            if missing:
                raise ModelFileError(f"{path}: not a xornet model (missing {', '.join(missing)})")
            names = SHORTCUT_NAMES if "W3" in archive.files else NAMES
            saved = [*names, "metadata", *(n for n in archive.files if n.startswith(_STATE))]
            members = {name: archive[name] for name in saved}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(f"{path}: not a readable model file ({reason})") from None
    # np.load returns the raw bytes of a member that is not a .npy array.
    for name, member in members.items():
        if not isinstance(member, np.ndarray):
            raise ModelFileError(f"{path}: not a readable model file ({name} is not an array)")
    arrays = {name: members[name] for name in names}
    metadata = members["metadata"]
    if metadata.shape != () or metadata.dtype.kind != "U":
        raise ModelFileError(f"{path}: the metadata record is not a text")
    try:
        record = json.loads(str(metadata))
    except json.JSONDecodeError:
        raise ModelFileError(f"{path}: the metadata record is not valid JSON") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path}: not a xornet model (wrong format name)")
    version = record.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{path}: invalid format_version {version!r}")
    if "W3" in arrays and version < 2:
        raise ModelFileError(f"{path}: shortcut weights W3 in a format-{version} file")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written in model format {version}, newer than this xornet reads "
            f"({FORMAT_VERSION}); upgrade xornet"
        )
    activation = record.get("activation")
    if activation not in ACTIVATIONS:
        raise ModelFileError(f"{path}: unknown activation {activation!r}")
    shapes = record.get("shapes", {})
    for name in names:
        if list(arrays[name].shape) != shapes.get(name):
            raise ModelFileError(
                f"{path}: array {name} has shape {arrays[name].shape}, but the metadata says "
                f"{shapes.get(name)}"
            )
        if arrays[name].dtype != np.float64:
            dtype = arrays[name].dtype
            raise ModelFileError(f"{path}: array {name} has dtype {dtype}, not float64")
        if not np.isfinite(arrays[name]).all():
            raise ModelFileError(f"{path}: array {name} holds non-finite values")
    try:
        params = Params(*(arrays[name] for name in names))
    except ValueError as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    state_members = {k: v for k, v in members.items() if k.startswith(_STATE)}
    state = None
    if "state" in record or state_members:
        try:
            state = _join_state(record.get("state"), state_members, params)
        except XornetError as exc:
            raise ModelFileError(f"{path}: the saved training state {exc}") from None
    return Model(params, str(activation), record, state)


# ----------------------------------------------------------------------------- the run's state

_STATE: Final = "state."  # the prefix of the state's members
_STATE_KEYS: Final = {"step", "stop_reason", "order_epoch", "rng", "optimizer"}
_ARRAYS: Final = "arrays"  # an optimizer entry whose arrays are members of their own


def _split_state(state: TrainState, params: Params) -> tuple[dict[str, Any], dict[str, Array]]:
    """A run's state as its JSON record and its arrays (``state.*`` members)."""
    if not _is_pcg64_state(state.rng):
        raise XornetError("only the state of NumPy's default generator (PCG64) can be saved")
    arrays: dict[str, Array] = {
        f"{_STATE}loss_history": np.ascontiguousarray(state.loss_history, dtype=np.float64),
        f"{_STATE}order": np.ascontiguousarray(state.order, dtype=np.int64),
    }
    optimizer: dict[str, Any] = {}
    for key, value in state.optimizer.items():
        if value is None or _is_int(value):
            optimizer[key] = value if value is None else int(value)
            continue
        if not isinstance(value, list | tuple):
            raise XornetError(f"cannot save the optimizer's {key!r} ({type(value).__name__})")
        if [np.shape(a) for a in value] != [w.shape for w in params]:
            raise XornetError(f"the optimizer's {key!r} does not fit the parameters")
        optimizer[key] = _ARRAYS
        for name, a in zip(params.names, value, strict=True):
            arrays[f"{_STATE}optimizer.{key}.{name}"] = np.ascontiguousarray(a, dtype=np.float64)
    record: dict[str, Any] = {
        "step": int(state.step),
        "stop_reason": state.stop_reason,
        "order_epoch": int(state.order_epoch),
        "rng": state.rng,
        "optimizer": optimizer,
    }
    return record, arrays


def _join_state(record: object, members: dict[str, Any], params: Params) -> TrainState:
    """The state from its record and members, every type and shape checked (XornetError)."""
    from xornet.training import TrainState

    if not isinstance(record, dict) or set(record) != _STATE_KEYS:
        raise XornetError(f"is not a record of {', '.join(sorted(_STATE_KEYS))}")
    step, stop_reason, order_epoch = record["step"], record["stop_reason"], record["order_epoch"]
    if not (_is_int(step) and step >= 0):
        raise XornetError(f"has step {step!r}, not a count")
    if not (_is_int(order_epoch) and order_epoch >= -1):
        raise XornetError(f"has order_epoch {order_epoch!r}, not an epoch")
    if stop_reason is not None and stop_reason not in get_args(StopReason):
        raise XornetError(f"has an unknown stop reason {stop_reason!r}")
    if not _is_pcg64_state(record["rng"]):
        raise XornetError("has no valid generator state (PCG64)")
    optimizer_record = record["optimizer"]
    if not isinstance(optimizer_record, dict):
        raise XornetError("has no optimizer record")
    expected = {f"{_STATE}loss_history", f"{_STATE}order"}
    optimizer: dict[str, Any] = {}
    for key, value in optimizer_record.items():
        if value == _ARRAYS:
            names = [f"{_STATE}optimizer.{key}.{name}" for name in params.names]
            expected.update(names)
            pairs = zip(names, params, strict=True)
            optimizer[key] = [_floats(members.get(n), w.shape, n) for n, w in pairs]
        elif value is None or (_is_int(value) and value >= 0):
            optimizer[key] = value
        else:
            raise XornetError(f"has an optimizer entry {key!r} = {value!r}")
    if set(members) != expected:
        odd = sorted(set(members) ^ expected)
        raise XornetError(f"has missing or unexpected arrays ({', '.join(odd)})")
    history = members[f"{_STATE}loss_history"]
    _floats(history, (history.size,) if isinstance(history, np.ndarray) else (), "loss_history")
    order = members[f"{_STATE}order"]
    if not (isinstance(order, np.ndarray) and order.dtype == np.int64 and order.ndim == 1
            and np.array_equal(np.sort(order), np.arange(order.size))):  # fmt: skip
        raise XornetError("has a batch order that is not an order of the samples")
    return TrainState(step=step, loss_history=history, stop_reason=stop_reason,
                      optimizer=optimizer, rng=record["rng"], order=order,
                      order_epoch=order_epoch)  # fmt: skip


def _floats(member: object, shape: tuple[int, ...], name: str) -> Array:
    """``member`` if it is a finite float64 array of ``shape`` (else XornetError)."""
    if not (isinstance(member, np.ndarray) and member.dtype == np.float64
            and member.shape == shape and np.isfinite(member).all()):  # fmt: skip
        raise XornetError(f"has no finite float64 array {name} of shape {shape}")
    return member


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_pcg64_state(rng: object) -> bool:
    """Whether ``rng`` is a ``bit_generator.state`` of NumPy's PCG64, with values in range."""
    if not (isinstance(rng, dict) and set(rng) == {"bit_generator", "state", "has_uint32",
                                                   "uinteger"}):  # fmt: skip
        return False
    inner = rng["state"]
    return (
        rng["bit_generator"] == "PCG64"
        and isinstance(inner, dict)
        and set(inner) == {"state", "inc"}
        and all(_is_int(v) and 0 <= v < 2**128 for v in inner.values())
        and rng["has_uint32"] in (0, 1)
        and _is_int(rng["has_uint32"])
        and _is_int(rng["uinteger"])
        and 0 <= rng["uinteger"] < 2**32
    )
