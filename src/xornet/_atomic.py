"""Atomic file writes: a file is written whole or not at all.

:func:`atomic_write` fills a temporary file beside the target, flushes it to disk and renames it
over the target; what a killed write left behind, the next write of the same target removes.
Model files, reports, figures and study files are written this way.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Final

from xornet.errors import ModelFileError

__all__ = ["STALE_SECONDS", "atomic_write", "checked_path"]


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
    A symbolic link is followed: the file it points to is replaced, the link kept.

    If ``write`` raises (or the process is interrupted), the target is left as it was and the
    temporary file is removed. A process killed outright cannot remove it: the temporary file,
    hidden beside the target as ``.NAME.PID.XXXXXXXX.tmp``, is removed by the next save of the
    same target once it is a minute old or its writer (process ``PID``) is gone. Only files of
    this exact pattern for this target, regular files of the same user, are ever removed. (In
    a folder that several machines share, a writer on another machine looks gone: its save
    may then fail with an error, never leave a broken target.)
    """
    path = checked_path(path)
    if os.path.islink(path):  # replace the file it points to: a rename over the link would drop it
        path = Path(os.path.realpath(path))
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


def checked_path(path: str | Path) -> Path:
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
