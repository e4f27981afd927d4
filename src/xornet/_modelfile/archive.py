"""The bounded reader of an untrusted ``.npz``: every size is bounded before it is read.

A model file may come from anyone. :func:`check_zip_directory` bounds the file and its zip
directory from the end record, before :mod:`zipfile` parses it; :class:`Archive` bounds the
number of members and their total size, then each member's declared shape, type and size (from
its zip entry and ``.npy`` header) before any of its data is read, and reads no Python objects.
Anything wrong is an :class:`UnreadableError` saying why in a few words.
"""

from __future__ import annotations

import math
import os
import struct
import zipfile
from dataclasses import dataclass
from typing import Any, BinaryIO, Final

import numpy as np

from xornet._modelfile.schema import QUOTED_ERROR, quoted
from xornet.errors import one_line

__all__ = ["MAX_FILE_BYTES", "MAX_MEMBERS", "Archive", "UnreadableError", "check_zip_directory"]

#: The largest model file (and the largest total of its members, uncompressed) read or written.
MAX_FILE_BYTES: Final = 64 * 2**20
#: The most members a model file may have (xornet writes at most 18).
MAX_MEMBERS: Final = 64


class UnreadableError(Exception):
    """A file that cannot be read as a model archive (the message says why, in a few words)."""


_ZIP_END: Final = b"PK\x05\x06"  # the end-of-central-directory record's signature
_ZIP_END_SIZE: Final = 22
_MAX_DIRECTORY_BYTES: Final = 64 * 1024  # the zip directory: MAX_MEMBERS entries fit easily
_NPY_MAGIC: Final = b"\x93NUMPY"
_COMPRESSIONS: Final = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # np.savez, savez_compressed


def check_zip_directory(handle: BinaryIO) -> None:
    """Bound the file and its zip directory from the end record, before zipfile parses it.

    zipfile reads the whole directory when it opens an archive, so a file that claims a
    million members would cost memory before they could be counted; the end record (the
    last 22 bytes, or before a comment of up to 64 kB) says how many there are and how large
    the directory is.
    """
    size = os.fstat(handle.fileno()).st_size
    if size > MAX_FILE_BYTES:
        raise UnreadableError(
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
            raise UnreadableError("a single NumPy array (.npy), not a model (.npz)")
        if head.startswith(b"PK\x03\x04"):
            raise UnreadableError("a truncated or damaged zip archive")
        raise UnreadableError(
            "not a zip archive; a model file is the .npz that save_model and "
            "xornet train --save write"
        )
    _, _, _, _, entries, directory_size, _, _ = struct.unpack(
        "<4s4H2LH", tail[at : at + _ZIP_END_SIZE]
    )
    if entries > MAX_MEMBERS:  # 0xFFFF too: a zip64 archive, far beyond any model
        raise UnreadableError(f"{entries:,} members, more than the {MAX_MEMBERS} a model file has")
    if directory_size > _MAX_DIRECTORY_BYTES:
        raise UnreadableError(
            f"a zip directory of {directory_size:,} bytes, larger than a model file's"
        )


@dataclass(frozen=True)
class _Member:
    """A member of the archive as its zip entry and its ``.npy`` header declare it."""

    info: zipfile.ZipInfo
    shape: tuple[int, ...]
    dtype: np.dtype[Any]


class Archive:
    """The members of a model archive, each bounded before any of its data is read."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.zip = archive
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UnreadableError(
                f"{len(infos):,} members, more than the {MAX_MEMBERS} a model file has"
            )
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            # np.load's convention: member "W1.npy" is the array named "W1".
            name = info.filename.removesuffix(".npy")
            if name in self.infos:
                raise UnreadableError(f"member {quoted(info.filename)} appears twice")
            self.infos[name] = info
        total = sum(info.file_size for info in infos)
        if total > MAX_FILE_BYTES:
            raise UnreadableError(
                f"members of {total / 2**20:.0f} MiB uncompressed, more than "
                f"the {MAX_FILE_BYTES // 2**20} MiB of a model file"
            )
        self.members: dict[str, _Member] = {}

    def declare(self, name: str) -> _Member:
        """The member's declared shape and type, from its header; its size checked."""
        info = self.infos[name]
        shown = quoted(info.filename)
        if not info.filename.endswith(".npy"):
            raise UnreadableError(f"{name} is not an array")
        if info.flag_bits & 0x1:
            raise UnreadableError(f"member {shown} is encrypted")
        if info.compress_type not in _COMPRESSIONS:
            raise UnreadableError(f"member {shown} uses an unknown compression method")
        try:
            with self.zip.open(info) as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise UnreadableError(f"member {shown} is a .npy array of version {version}")
                offset = f.tell()
        except ValueError as exc:  # not a .npy header
            raise UnreadableError(f"member {shown}: {one_line(exc, limit=QUOTED_ERROR)}") from None
        if dtype.hasobject:
            raise UnreadableError(f"{name} holds Python objects, which are never loaded")
        if any(n < 0 for n in shape):
            raise UnreadableError(f"member {shown} declares the shape {shape}")
        declared = math.prod(shape) * dtype.itemsize  # Python ints: a (2, 10**12) cannot wrap
        if declared > MAX_FILE_BYTES:
            raise UnreadableError(
                f"member {shown} declares a {shape} {dtype} array of "
                f"{declared / 2**20:,.0f} MiB, more than a model file "
                "holds"
            )
        if info.file_size != offset + declared:
            raise UnreadableError(
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
            shown = quoted(member.info.filename)
            raise UnreadableError(f"member {shown}: {one_line(exc, limit=QUOTED_ERROR)}") from None
        if a.shape != member.shape or a.dtype != member.dtype:  # cannot happen: read as declared
            raise UnreadableError(f"member {name} changed as it was read")
        return a
