"""The disk cache of the generated kernels (:mod:`._written`): where they live, and loading them.

A generated kernel is a Python module that numba compiles. numba keeps a compiled function
next to its source file, so each kernel's source is written as a file under the user's cache
directory (:func:`cache_dir`: ``$XDG_CACHE_HOME/xornet/kernels``, or ``$XORNET_CACHE_DIR``)
and imported from there: a second process loads the compiled code instead of compiling again.
The file is named by a hash of the kernel's source and of the code it calls
(:func:`called_code`), so an upgrade never loads a stale kernel; nor does it delete the old
ones, which :func:`cache_usage` counts and :func:`clear_cache` (``xornet cache [--clear]``)
removes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

__all__ = [
    "NATIVE_PREFIX",
    "PREFIX",
    "STALE_SECONDS",
    "cache_dir",
    "cache_usage",
    "called_code",
    "clear_cache",
    "is_private",
    "load",
    "name_for",
]

#: The start of every kernel module's name (and file name) in the cache.
PREFIX: Final = "xornet_written_"
#: The start of every C kernel's library name (:mod:`._native`), counted and cleared with them.
NATIVE_PREFIX: Final = "xornet_native_"
#: What earlier versions named their kernels: never loaded again, but counted and cleared.
OLD_PREFIXES: Final = ("xornet_unrolled_",)

#: The modules a generated kernel calls into, next to this file.
_CALLED: Final = ("_exp.py", "_lanes.py", "_kernels.py", "_layout.py")


def cache_dir() -> Path:
    """Where compiled kernels are kept: ``$XORNET_CACHE_DIR`` when it is set and not empty,
    else ``$XDG_CACHE_HOME/xornet/kernels`` (by default ``~/.cache/xornet/kernels``).

    ``XORNET_CACHE_DIR`` is the directory itself (no ``xornet/kernels`` is appended): it keeps
    a run's kernels out of the user's cache, as xornet's own test suite does (it points it at
    a temporary directory of the session), or puts them somewhere writable when the home is not.
    A directory that others can write in is not used (:func:`is_private`): the kernels are then
    compiled in memory in each process.

    Returns
    -------
    pathlib.Path
        The directory; it may not exist yet.
    """
    override = os.environ.get("XORNET_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "xornet" / "kernels"


@functools.cache
def called_code() -> bytes:
    """The source of the modules a generated kernel calls into: part of its file's name, so a
    kernel compiled against other versions of them is never loaded."""
    here = Path(__file__).parent
    return b"".join((here / name).read_bytes() for name in _CALLED)


def name_for(text: str) -> str:
    """The module name of the kernel whose source is ``text``: :data:`PREFIX` and a hash of
    the source and of :func:`called_code`."""
    return PREFIX + hashlib.sha256(text.encode() + called_code()).hexdigest()[:16]


def _cached_files() -> list[Path]:
    """The cache's files: each kernel's module, what Python and numba compiled from it
    (``__pycache__/xornet_written_*``), and what a killed process left (a half-written module,
    ``*.tmp``, or a C library's compile directory, ``xornet_native_tmp*/``, whose files are
    listed before it, once it is :data:`STALE_SECONDS` old: a younger one may be a compile
    under way in another process), with those of earlier versions' names; nothing else in the
    directory is touched."""
    where = cache_dir()
    found: list[Path] = []
    for prefix in (PREFIX, NATIVE_PREFIX, *OLD_PREFIXES):
        found += sorted(where.glob(f"{prefix}*")) + sorted(
            (where / "__pycache__").glob(f"{prefix}*")
        )
    files: list[Path] = []
    for f in found:
        try:
            if f.is_dir():
                if time.time() - f.stat().st_mtime < STALE_SECONDS:
                    continue
                files += sorted(f.iterdir())
        except OSError:  # gone meanwhile: another process finished or cleared it
            continue
        files.append(f)
    return files


#: Age after which a C compile directory in the cache is what a killed process left (a compile
#: takes seconds).
STALE_SECONDS = 600


def cache_usage() -> tuple[int, int]:
    """How many kernels the cache holds and how many bytes it takes.

    Nothing prunes it on its own: a new xornet version writes new kernels and leaves the old
    ones. :func:`clear_cache` empties it.

    Returns
    -------
    kernels : int
        Kernel modules (one per shape and choice compiled on this machine).
    size : int
        Bytes of every file of the cache's.
    """
    return _usage(_cached_files())


def _usage(files: list[Path]) -> tuple[int, int]:
    kernels = sum(1 for f in files if f.suffix in (".py", ".so") and f.parent == cache_dir())
    size = 0
    for f in files:
        with contextlib.suppress(OSError):  # gone meanwhile
            size += f.stat().st_size if f.is_file() else 0
    return kernels, size


def clear_cache() -> tuple[int, int]:
    """Delete every compiled kernel; each is compiled again, in seconds, when next needed.
    Run it when no xornet process is training (one loading a kernel would miss its file).

    Returns
    -------
    kernels, size : int
        What was removed, as :func:`cache_usage` counts it.
    """
    files = _cached_files()
    usage = _usage(files)
    for f in files:
        with contextlib.suppress(OSError):  # changed meanwhile by another process: left
            if f.is_dir():
                f.rmdir()  # a stale compile directory, emptied just before
            else:
                f.unlink(missing_ok=True)
    return usage


def is_private(directory: Path) -> bool:
    """Whether only this user (or the administrator) can write in ``directory``: it is this
    user's and neither its group nor others may write it.

    A kernel's file is code that is imported, and numba's cache beside it is unpickled, so
    in a directory others can write (``XORNET_CACHE_DIR=/tmp``, a shared folder) they could
    plant either, to run as this user. Such a directory is not used as a cache.
    """
    if not hasattr(os, "getuid"):  # no owners to compare here (Windows)
        return True
    info = directory.stat()
    return info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def load(name: str, text: str, entry: str) -> Callable[..., Any]:
    """The function ``entry`` of the generated module ``text``, imported from a file in the
    cache directory (numba caches a compiled function next to its source file), written first
    if needed, atomically. If the directory cannot be written, or others can write in it
    (:func:`is_private`), compiled from the text in memory, without the disk cache."""
    path = cache_dir() / f"{name}.py"
    try:
        # This user's alone whatever the umask (002 would make it group-writable, and so
        # never used as a cache by is_private): only the directory itself needs to be.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not is_private(path.parent):
            raise PermissionError(f"{path.parent} can be written by others")
        if not path.exists():
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=PREFIX, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, path)  # whole or not at all, even with two processes at it
    except OSError:
        namespace: dict[str, Any] = {"__name__": name}
        exec(compile(text.replace("cache=True", "cache=False"), name, "exec"), namespace)
        return namespace[entry]  # type: ignore[no-any-return]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a file path always has both
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # numba's disk cache finds the module again by its name
    spec.loader.exec_module(module)
    return getattr(module, entry)  # type: ignore[no-any-return]
