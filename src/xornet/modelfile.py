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

import contextlib
import json
import math
import os
import re
import reprlib
import stat
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, cast, get_args

import numpy as np

from xornet._typing import Array
from xornet.config import MAX_STEPS, StopReason, check_seed
from xornet.data import name_problem
from xornet.diagnosis import OutcomeKind
from xornet.errors import ModelFileError, XornetError
from xornet.functional import ACTIVATIONS
from xornet.params import NAMES, SHORTCUT_NAMES, Params

if TYPE_CHECKING:
    from xornet.training import TrainState

__all__ = ["FORMAT_VERSION", "METADATA_SCHEMA", "Model", "atomic_write", "load_model", "save_model"]

#: Version of the file layout this xornet writes; it reads this version and older.
FORMAT_VERSION: Final = 2
FORMAT_NAME: Final = "xornet-model"

#: The largest model file (and the largest total of its members, uncompressed) read or written.
MAX_FILE_BYTES: Final = 64 * 2**20
#: The most members a model file may have (xornet writes at most 18).
MAX_MEMBERS: Final = 64
#: The longest metadata text, in characters (a ``.npy`` text takes four bytes per character).
MAX_METADATA_CHARS: Final = 8 * 2**20
#: The deepest nesting of lists and records in the metadata (xornet's own goes 4 deep).
MAX_DEPTH: Final = 16


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
    temporary file is removed. A process killed outright cannot remove it: the temporary file,
    hidden beside the target as ``.NAME.PID.XXXXXXXX.tmp``, is removed by the next save of the
    same target once it is a minute old or its writer (process ``PID``) is gone. Only files of
    this exact pattern for this target, regular files of the same user, are ever removed. (In
    a folder that several machines share, a writer on another machine looks gone: its save
    may then fail with an error, never leave a broken target.)
    """
    path = _checked_path(path)
    directory = path.parent
    if not directory.is_dir():
        raise ModelFileError(f"{path}: directory {directory} does not exist")
    _remove_stale_temporaries(path)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=directory
        )
    except OSError as exc:  # a folder we may not write in, a name too long
        raise ModelFileError(f"{path}: cannot be written ({exc.strerror or exc})") from None
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _new_file_mode())
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):  # a full disk, a target that is a folder
            raise ModelFileError(f"{path}: cannot be written ({exc.strerror or exc})") from None
        raise


def _checked_path(path: str | Path) -> Path:
    """``path`` as a Path; ModelFileError for a name no file can have (a NUL character)."""
    if "\x00" in str(path):
        raise ModelFileError(f"{str(path)!r}: not a file name (it holds a NUL character)")
    return Path(path)


#: How old a temporary file must be to count as left behind, whoever wrote it.
STALE_SECONDS: Final = 60.0


def _remove_stale_temporaries(path: Path) -> None:
    """Remove the temporary files that killed saves of ``path`` left (best effort, silent).

    Two names are xornet's: ``.NAME.PID.XXXXXXXX.tmp`` (this version: removed when a minute old
    or when process PID is gone) and ``.NAME.XXXXXXXX.tmp`` (older versions, which wrote no
    PID: removed when a minute old). ``XXXXXXXX`` is :func:`tempfile.mkstemp`'s random part.
    """
    name = re.escape(path.name)
    pattern = re.compile(rf"\.{name}\.(?:(\d{{1,10}})\.)?[a-z0-9_]{{8}}\.tmp")
    prefix = f".{path.name}."
    now = time.time()
    try:
        entries = [e for e in os.scandir(path.parent) if e.name.startswith(prefix)]
    except OSError:
        return
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode) or (
                hasattr(os, "getuid") and info.st_uid != os.getuid()
            ):
                continue
            pid = match.group(1)
            old = now - info.st_mtime > STALE_SECONDS
            if old or (pid is not None and not _is_running(int(pid))):
                os.unlink(entry.path)
        except OSError:  # gone already, or not ours to remove: leave it
            continue


def _is_running(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (True when it cannot be told)."""
    if os.name != "posix" or not 0 < pid < 2**31:  # on Windows, os.kill(pid, 0) would kill
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it exists, as another user's
        return True
    return True


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
        record["state"], state_arrays = _split_state(state, params)
    record.update(
        format=FORMAT_NAME,
        format_version=2 if params.shortcut else 1,
        xornet_version=__version__,
        activation=activation,
        shapes={name: list(a.shape) for name, a in arrays.items()},
    )
    text = _json_text(record)
    try:  # what will be read back, checked as load_model checks it: the same rules
        _parse_record(text)
        if state is not None:
            _join_state(record["state"], state_arrays, Params(*arrays.values()))
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
    path = _checked_path(path)
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory, not a model file")
    if not path.is_file():
        what = "not a regular file" if path.exists() else "no such model file"
        raise ModelFileError(f"{path}: {what}")
    try:
        # Open the file ourselves: np.load leaves its own handle open when the zip is broken.
        with path.open("rb") as handle:
            _check_zip_directory(handle)
            with zipfile.ZipFile(handle) as archive:
                return _read_model(path, archive)
    except _UnreadableError as exc:
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
        raise ModelFileError(f"{path}: not a readable model file ({_one_line(exc)})") from None


class _UnreadableError(Exception):
    """A file that cannot be read as a model archive (the message says why, in a few words)."""


def _one_line(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 120 else f"{text[:117]}..."


# ----------------------------------------------------------------------------- the archive

_ZIP_END: Final = b"PK\x05\x06"  # the end-of-central-directory record's signature
_ZIP_END_SIZE: Final = 22
_MAX_DIRECTORY_BYTES: Final = 64 * 1024  # the zip directory: MAX_MEMBERS entries fit easily
_NPY_MAGIC: Final = b"\x93NUMPY"
_COMPRESSIONS: Final = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # np.savez, savez_compressed


def _check_zip_directory(handle: BinaryIO) -> None:
    """Bound the file and its zip directory from the end record, before zipfile parses it.

    zipfile reads the whole directory when it opens an archive, so a file that claims a
    million members would cost memory before they could be counted; the end record (the
    last 22 bytes, or before a comment of up to 64 kB) says how many there are and how large
    the directory is.
    """
    size = os.fstat(handle.fileno()).st_size
    if size > MAX_FILE_BYTES:
        raise _UnreadableError(
            f"{size / 2**20:.0f} MiB, larger than the {MAX_FILE_BYTES // 2**20} "
            "MiB a model file may take"
        )
    head = handle.read(len(_NPY_MAGIC))
    handle.seek(max(0, size - _ZIP_END_SIZE - 0xFFFF))
    tail = handle.read()
    handle.seek(0)
    at = tail.rfind(_ZIP_END)
    if at < 0 or len(tail) - at < _ZIP_END_SIZE:
        if head.startswith(_NPY_MAGIC):
            raise _UnreadableError("a single NumPy array (.npy), not a model (.npz)")
        if head.startswith(b"PK\x03\x04"):
            raise _UnreadableError("a truncated or damaged zip archive")
        raise _UnreadableError(
            "not a zip archive; a model file is the .npz that save_model and "
            "xornet train --save write"
        )
    _, _, _, _, entries, directory_size, _, _ = struct.unpack(
        "<4s4H2LH", tail[at : at + _ZIP_END_SIZE]
    )
    if entries > MAX_MEMBERS:  # 0xFFFF too: a zip64 archive, far beyond any model
        raise _UnreadableError(f"{entries:,} members, more than the {MAX_MEMBERS} a model file has")
    if directory_size > _MAX_DIRECTORY_BYTES:
        raise _UnreadableError(
            f"a zip directory of {directory_size:,} bytes, larger than a model file's"
        )


@dataclass(frozen=True)
class _Member:
    """A member of the archive as its zip entry and its ``.npy`` header declare it."""

    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype[Any]


class _Archive:
    """The members of a model archive, each bounded before any of its data is read."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.zip = archive
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise _UnreadableError(
                f"{len(infos):,} members, more than the {MAX_MEMBERS} a model file has"
            )
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            # np.load's convention: member "W1.npy" is the array named "W1".
            name = info.filename.removesuffix(".npy")
            if name in self.infos:
                raise _UnreadableError(f"member {_shown(info.filename)} appears twice")
            self.infos[name] = info
        total = sum(info.file_size for info in infos)
        if total > MAX_FILE_BYTES:
            raise _UnreadableError(
                f"members of {total / 2**20:.0f} MiB uncompressed, more than "
                f"the {MAX_FILE_BYTES // 2**20} MiB of a model file"
            )
        self.members: dict[str, _Member] = {}

    def declare(self, name: str) -> _Member:
        """The member's declared shape and type, from its header; its size checked."""
        info = self.infos[name]
        shown = _shown(info.filename)
        if not info.filename.endswith(".npy"):
            raise _UnreadableError(f"{name} is not an array")
        if info.flag_bits & 0x1:
            raise _UnreadableError(f"member {shown} is encrypted")
        if info.compress_type not in _COMPRESSIONS:
            raise _UnreadableError(f"member {shown} uses an unknown compression method")
        try:
            with self.zip.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise _UnreadableError(f"member {shown} is a .npy array of version {version}")
                offset = f.tell()
        except ValueError as exc:  # not a .npy header
            raise _UnreadableError(f"member {shown}: {_one_line(exc)}") from None
        if dtype.hasobject:
            raise _UnreadableError(f"{name} holds Python objects, which are never loaded")
        if any(n < 0 for n in shape):
            raise _UnreadableError(f"member {shown} declares the shape {shape}")
        declared = math.prod(shape) * dtype.itemsize  # Python ints: a (2, 10**12) cannot wrap
        if declared > MAX_FILE_BYTES:
            raise _UnreadableError(
                f"member {shown} declares a {shape} {dtype} array of "
                f"{declared / 2**20:,.0f} MiB, more than a model file "
                "holds"
            )
        if info.file_size != offset + declared:
            raise _UnreadableError(
                f"member {shown} takes {info.file_size:,} bytes, but its "
                f"header declares {offset + declared:,} (a {shape} {dtype} "
                "array)"
            )
        member = _Member(info, tuple(shape), dtype)
        self.members[name] = member
        return member

    def read(self, name: str) -> np.ndarray[Any, Any]:
        """The member's data, once :meth:`declare` has bounded it."""
        member = self.members[name]
        try:
            with self.zip.open(member.info) as f:
                a = np.lib.format.read_array(f, allow_pickle=False)
        except ValueError as exc:  # shorter than declared
            shown = _shown(member.info.filename)
            raise _UnreadableError(f"member {shown}: {_one_line(exc)}") from None
        if a.shape != member.shape or a.dtype != member.dtype:  # cannot happen: read as declared
            raise _UnreadableError(f"member {name} changed as it was read")
        return a


def _read_model(path: Path, archive: zipfile.ZipFile) -> Model:
    """The model in ``archive``: everything bounded and checked, then the arrays read."""
    members = _Archive(archive)
    missing = [name for name in (*NAMES, "metadata") if name not in members.infos]
    if missing:
        raise ModelFileError(f"{path}: not a xornet model (missing {', '.join(missing)})")
    names = SHORTCUT_NAMES if "W3" in members.infos else NAMES
    state_names = sorted(n for n in members.infos if n.startswith(_STATE))
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
            _check_state_layout(state_record, declared_state, shapes_of)
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
            state = _join_state(state_record, {n: members.read(n) for n in state_names}, params)
        except XornetError as exc:
            raise ModelFileError(f"{path}: the saved training state {exc}") from None
    return Model(params, str(record["activation"]), record, state)


def _read_metadata(path: Path, members: _Archive) -> dict[str, Any]:
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
        return _parse_record(str(members.read("metadata")))
    except XornetError as exc:
        raise ModelFileError(f"{path}: {exc}") from None


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _parse_record(text: str) -> dict[str, Any]:
    """The metadata record in ``text``, bounded, parsed and checked against the schema.

    Raises
    ------
    XornetError
        Saying what is wrong: too long, not JSON, too deep, or not what the schema says.
    """
    if len(text) > MAX_METADATA_CHARS:
        raise XornetError(
            f"the metadata record is {len(text):,} characters long, more than "
            f"the {MAX_METADATA_CHARS:,} a model file holds"
        )
    try:
        record = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise XornetError(f"the metadata record nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, NaN, an integer of over 4,300 digits
        raise XornetError(f"the metadata record is not valid JSON ({_one_line(exc)})") from None
    if not isinstance(record, dict):
        raise XornetError("not a xornet model (the metadata is not a record)")
    problem = _nesting_problem(record) or _schema_problem(record, METADATA_SCHEMA)
    if problem is not None:
        raise XornetError(problem)
    return record


def _nesting_problem(value: object) -> str | None:
    """Whether a JSON value nests deeper than MAX_DEPTH or holds a number beyond float64."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return "the metadata record holds a number beyond float64 (such as 1e999)"
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_DEPTH:
            return f"the metadata record nests deeper than {MAX_DEPTH} levels"
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)
    return None


# ----------------------------------------------------------------------------- the schema

_shown_repr = reprlib.Repr()
_shown_repr.maxstring = _shown_repr.maxother = _shown_repr.maxlong = 40
_shown_repr.maxlist = _shown_repr.maxdict = 4
_shown_repr.maxlevel = 2


def _shown(value: object) -> str:
    """A short repr: a message quotes a file's value, never all of it."""
    text = _shown_repr.repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


# A rule's test: the value and the record it is in (a rule may rely on the keys before it).
_Valid = Callable[[Any, Mapping[str, Any]], bool]


@dataclass(frozen=True)
class _Key:
    """What one key of a record must hold, and how a message says that it does not.

    ``problem`` starts the message, with ``{key}`` and ``{value}`` filled in; ``(expected
    ...)`` ends it. ``record``: the value is a record of exactly these keys, each checked.
    """

    expected: str
    valid: _Valid
    required: bool = False
    problem: str = "invalid {key} {value} in the metadata"
    record: Mapping[str, _Key] | None = None

    def check(self, key: str, value: Any, record: Mapping[str, Any]) -> str | None:
        """None when ``value`` is valid, else the message's text."""
        if self.record is not None:
            return _schema_problem(value, self.record, closed=True)
        if self.valid(value, record):
            return None
        return f"{self.problem.format(key=key, value=_shown(value))} (expected {self.expected})"


def _is_int(value: object) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    """A finite JSON number (not a boolean); a whole one within 64 bits (JSON has larger ones,
    which no field holds and which NumPy cannot take as a number)."""
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63


def _is_text(value: object, limit: int = 255) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit and value.isprintable()


def _is_name(value: object) -> bool:
    return isinstance(value, str) and name_problem(value) is None


_INT64_MAX: Final = 2**63 - 1  # no whole number of a model file is larger


def _whole(low: int, high: int = _INT64_MAX) -> _Valid:
    return lambda v, r: _is_int(v) and low <= v <= high


def _are_shapes(value: object, record: Mapping[str, Any]) -> bool:
    """A record of W1, b1, W2, b2 (and W3): lists of one or two positive whole numbers."""
    return (
        isinstance(value, dict)
        and set(value) in (set(NAMES), set(SHORTCUT_NAMES))
        and all(
            isinstance(s, list)
            and 1 <= len(s) <= 2
            and all(_is_int(n) and 1 <= n <= 2**31 for n in s)
            for s in value.values()
        )
    )


def _are_feature_names(value: object, record: Mapping[str, Any]) -> bool:
    """One distinct name per input of W1 (the shapes are checked before)."""
    return (
        isinstance(value, list)
        and len(value) == record["shapes"]["W1"][0]
        and all(_is_name(name) for name in value)
        and len(set(value)) == len(value)
    )


def _is_seed(value: object) -> bool:
    try:
        check_seed(value)
    except XornetError:
        return False
    return True


_DATA_OPTIONS: Final = {
    "samples": lambda v: _is_int(v) and _is_number(v),
    "noise": lambda v: v is None or _is_number(v),
    "data_seed": _is_seed,
}


def _are_data_options(value: object, record: Mapping[str, Any]) -> bool:
    """None (a CSV file) or the settings a random set was drawn with (their ranges are the
    data module's to check when it draws the set again)."""
    return value is None or (
        isinstance(value, dict)
        and set(value) <= set(_DATA_OPTIONS)
        and all(_DATA_OPTIONS[k](v) for k, v in value.items())
    )


def _is_scalar(value: object) -> bool:
    """A configuration value: null, true/false, a short text or a number."""
    return value is None or isinstance(value, bool) or _is_number(value) or _is_text(value)


def _is_config(value: object, record: Mapping[str, Any]) -> bool:
    """A record of the configuration's fields and their values (TrainConfig.from_dict checks
    the fields and ranges where a configuration is rebuilt: a newer xornet may add fields)."""
    return isinstance(value, dict) and all(
        _is_text(k, 64) and _is_scalar(v) for k, v in value.items()
    )


def _are_losses(value: object, record: Mapping[str, Any]) -> bool:
    return isinstance(value, list) and all(_is_loss(v, record) for v in value)


def _are_history_steps(value: object, record: Mapping[str, Any]) -> bool:
    """The step of each loss record: as many as there are losses (checked before)."""
    losses = record.get("loss_history")
    return (
        isinstance(value, list)
        and isinstance(losses, list)
        and len(value) == len(losses)
        and all(_is_int(v) and 0 <= v <= MAX_STEPS for v in value)
    )


def _one_of(choices: tuple[str, ...] | Mapping[str, Any], none: bool = False) -> _Valid:
    return lambda v, r: (none and v is None) or (isinstance(v, str) and v in choices)


def _is_sha256(value: object, record: Mapping[str, Any]) -> bool:
    return isinstance(value, str) and re.fullmatch("[0-9a-f]{64}", value) is not None


def _is_loss(value: object, record: Mapping[str, Any]) -> bool:
    return _is_number(value) and cast(float, value) >= 0


def _is_fraction(value: object, record: Mapping[str, Any]) -> bool:
    return _is_number(value) and 0 <= cast(float, value) <= 1


_REASONS: Final = get_args(StopReason)
_HAS: Final = "has {key} {value}"

#: The ``state`` record's keys (a closed record: exactly these). Its arrays are members, checked
#: against it before they are read (:func:`_check_state_layout`) and once read.
STATE_SCHEMA: Final[Mapping[str, _Key]] = {
    "step": _Key(f"a whole number from 0 to {MAX_STEPS:.0e}", _whole(0, MAX_STEPS), True, _HAS),
    "stop_reason": _Key(f"null or one of {', '.join(_REASONS)}", _one_of(_REASONS, none=True),
                        True, "has an unknown stop reason {value}"),
    "order_epoch": _Key("a whole number from -1", _whole(-1), True, _HAS),
    "rng": _Key("the state of NumPy's PCG64 generator", lambda v, r: _is_pcg64_state(v), True,
                "has no valid generator state (PCG64): {value}"),
    "optimizer": _Key("a record of the optimizer's state", lambda v, r: isinstance(v, dict), True,
                      "has no optimizer record: {value}"),
}  # fmt: skip

#: The metadata record's keys: what each must hold, checked in this order (a rule may rely on
#: the keys before it). The first five are in every model file; the others are written by
#: ``xornet train --save`` (and the playground) and may be missing. Other keys are a caller's
#: own and may hold any JSON within :data:`MAX_DEPTH` levels.
METADATA_SCHEMA: Final[Mapping[str, _Key]] = {
    "format": _Key(repr(FORMAT_NAME), lambda v, r: v == FORMAT_NAME, True,
                   "not a xornet model: wrong format name {value}"),
    "format_version": _Key("a whole number from 1", _whole(1), True),
    "xornet_version": _Key("a version text", lambda v, r: _is_text(v, 64), True),
    "activation": _Key(f"one of {', '.join(ACTIVATIONS)}", _one_of(ACTIVATIONS), True,
                       "unknown activation {value} in the metadata"),
    "shapes": _Key("the shapes of W1, b1, W2, b2 (and W3): lists of whole numbers", _are_shapes,
                   True),
    "state": _Key("the run's state", lambda v, r: True, record=STATE_SCHEMA),
    "config": _Key("a record of the configuration's fields and their values", _is_config),
    "dataset": _Key("a dataset's name", lambda v, r: _is_name(v)),
    "feature_names": _Key("one distinct name per input of W1", _are_feature_names),
    "data_options": _Key("null or a record of samples, noise, data_seed", _are_data_options),
    "data_sha256": _Key("64 hexadecimal digits", _is_sha256),
    "seed": _Key("a seed, from 0 to 2**32 - 1", lambda v, r: _is_seed(v)),
    "steps": _Key(f"a whole number from 0 to {MAX_STEPS:.0e}", _whole(0, MAX_STEPS)),
    "stop_reason": _Key(f"null or one of {', '.join(_REASONS)}", _one_of(_REASONS, none=True)),
    "final_loss": _Key("a finite number >= 0", _is_loss),
    "accuracy": _Key("a number from 0 to 1", _is_fraction),
    "outcome": _Key(f"one of {', '.join(get_args(OutcomeKind))}",
                    _one_of(get_args(OutcomeKind))),
    "loss_history": _Key("a list of finite numbers >= 0", _are_losses),
    "history_steps": _Key("the step of each loss_history record", _are_history_steps),
    "source": _Key("a short text", lambda v, r: _is_text(v)),
}  # fmt: skip


def _schema_problem(
    record: object, schema: Mapping[str, _Key], *, closed: bool = False
) -> str | None:
    """What is wrong with ``record`` under ``schema`` (the first problem), or None.

    ``closed``: the record has exactly the schema's keys.
    """
    keys = ", ".join(sorted(schema))
    if not isinstance(record, dict) or (closed and set(record) != set(schema)):
        return f"is not a record of {keys}"
    for key, rule in schema.items():
        if key not in record:
            if rule.required:
                return f"not a xornet model: its metadata has no {key!r}"
            continue
        problem = rule.check(key, record[key], record)
        if problem is not None:
            return problem if rule.record is None else f"the saved training {key} {problem}"
        if key == "format_version" and record[key] > FORMAT_VERSION:
            return (
                f"written in model format {record[key]}, newer than this xornet reads "
                f"({FORMAT_VERSION}); upgrade xornet"
            )
    return None


# ----------------------------------------------------------------------------- the run's state

_STATE: Final = "state."  # the prefix of the state's members
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


def _state_members(
    record: object, shapes: Mapping[str, tuple[int, ...]]
) -> dict[str, tuple[tuple[int, ...] | None, type]]:
    """The members a state record calls for: name -> (shape, or None for any 1-D, dtype)."""
    problem = _schema_problem(record, STATE_SCHEMA, closed=True)
    if problem is not None:
        raise XornetError(problem)
    record = cast(dict[str, Any], record)  # checked by the schema just above
    expected: dict[str, tuple[tuple[int, ...] | None, type]] = {
        f"{_STATE}loss_history": (None, np.float64),
        f"{_STATE}order": (None, np.int64),
    }
    for key, value in record["optimizer"].items():
        if not _is_text(key, 64):
            raise XornetError(f"has an optimizer entry named {_shown(key)}")
        if value == _ARRAYS:
            for name, shape in shapes.items():
                expected[f"{_STATE}optimizer.{key}.{name}"] = (shape, np.float64)
        elif not (value is None or _whole(0)(value, record)):
            raise XornetError(f"has an optimizer entry {_shown(key)} = {_shown(value)}")
    return expected


def _floats_problem(name: str, shape: object) -> str:
    return f"has no finite float64 array {name} of shape {shape}"


def _check_state_layout(
    record: object,
    declared: Mapping[str, tuple[tuple[int, ...], np.dtype[Any]]],
    shapes: Mapping[str, tuple[int, ...]],
) -> None:
    """The state's members, as their headers declare them, against its record (XornetError)."""
    expected = _state_members(record, shapes)
    for name, (shape, dtype) in expected.items():
        if shape is not None and declared.get(name) != (shape, np.dtype(dtype)):
            raise XornetError(_floats_problem(name, shape))
    if set(declared) != set(expected):
        odd = sorted(set(declared) ^ set(expected))
        raise XornetError(f"has missing or unexpected arrays ({', '.join(odd)})")
    history_shape, history_dtype = declared[f"{_STATE}loss_history"]
    if len(history_shape) != 1 or history_dtype != np.float64:
        raise XornetError(_floats_problem("loss_history", "(n,)"))
    order_shape, order_dtype = declared[f"{_STATE}order"]
    if len(order_shape) != 1 or order_dtype != np.int64:
        raise XornetError("has a batch order that is not an order of the samples")


def _join_state(record: object, members: dict[str, Any], params: Params) -> TrainState:
    """The state from its record and members, every type, shape and value checked (XornetError)."""
    from xornet.training import TrainState

    declared = {n: (a.shape, a.dtype) for n, a in members.items()}
    _check_state_layout(
        record, declared, {n: w.shape for n, w in zip(params.names, params, strict=True)}
    )
    record = cast(dict[str, Any], record)  # checked by the layout just above
    for name, a in members.items():
        if a.dtype == np.float64 and not np.isfinite(a).all():
            raise XornetError(
                _floats_problem(
                    name.removeprefix(_STATE) if name.endswith("loss_history") else name, a.shape
                )
            )
    optimizer: dict[str, Any] = {}
    for key, value in record["optimizer"].items():
        if value == _ARRAYS:
            optimizer[key] = [members[f"{_STATE}optimizer.{key}.{name}"] for name in params.names]
        else:
            optimizer[key] = value
    history = members[f"{_STATE}loss_history"]
    if (history < 0).any():  # a loss (cross-entropy, squared error) is never negative
        raise XornetError(f"has a negative loss record ({history[history < 0][0]:g})")
    order = members[f"{_STATE}order"]
    if not np.array_equal(np.sort(order), np.arange(order.size)):
        raise XornetError("has a batch order that is not an order of the samples")
    return TrainState(step=record["step"], loss_history=members[f"{_STATE}loss_history"],
                      stop_reason=record["stop_reason"], optimizer=optimizer, rng=record["rng"],
                      order=order, order_epoch=record["order_epoch"])  # fmt: skip


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
