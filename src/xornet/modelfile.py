"""Model files: the parameter arrays and a JSON metadata record in one ``.npz``.

A model file is a NumPy ``.npz`` archive holding ``W1``, ``b1``, ``W2``, ``b2`` (and ``W3`` for
a shortcut network) and ``metadata``, a JSON text with at least ``format``, ``format_version``,
``xornet_version``, ``activation`` and ``shapes``. Format 1 has the four arrays; format 2 adds
``W3``, so that a reader that knows only format 1 refuses a shortcut network rather than
silently dropping its shortcut. Networks without one are still written as format 1. It is read
with ``allow_pickle=False``, so loading a file runs no code from it.

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
from typing import Any, BinaryIO, Final

import numpy as np

from xornet._typing import Array
from xornet.errors import ModelFileError
from xornet.functional import ACTIVATIONS
from xornet.params import NAMES, SHORTCUT_NAMES, Params

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
    """

    params: Params
    activation: str
    metadata: dict[str, Any] = field(default_factory=dict)

    def predict_proba(self, X: Array) -> Array:
        """Probabilities for ``X`` of shape (n_samples, d).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            The probability of class 1 (two classes) or of each class.
        """
        from xornet.network import predict_proba

        return predict_proba(self.params, X, self.activation)


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
    """
    from xornet import __version__

    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}")
    record: dict[str, Any] = dict(metadata or {})
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
            members = {name: archive[name] for name in (*names, "metadata")}
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
    return Model(params, str(activation), record)
