"""Atomic file writes: a temporary file in the target's folder, fsync, then ``os.replace``.

A reader (or a crash) sees either the old file or the complete new one, never a
half-written file, and a failure while writing leaves the old file untouched and
no temporary file behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path


def _temp_name(target: Path) -> Path:
    # A hidden name in the same folder: os.replace is only atomic within one file system.
    # The suffix is kept so writers that pick a format by extension (pandas) still work.
    # The stem is shortened so that a target name near the file system's limit still has room.
    return target.with_name(f".{target.stem[:40]}.{secrets.token_hex(6)}.tmp{target.suffix}")


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not possible (nor needed) on every platform.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy_mode(src: Path, dst: Path) -> None:
    try:
        os.chmod(dst, os.stat(src).st_mode & 0o7777)
    except OSError:
        pass


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and durably.

    Parameters
    ----------
    path
        The target file; missing parent folders are created.
    data
        The complete new content.

    Returns
    -------
    Path
        The target path.
    """
    with atomic_path(path) as tmp:
        # O_EXCL: never follow or reuse somebody else's file; mode 0o666 lets the umask decide.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_write_bytes`)."""
    return atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it replaces ``path`` atomically.

    For writers that insist on opening the file themselves (pandas' Excel writer).
    The temporary name keeps the target's suffix so such writers pick the right format.
    On an exception the temporary file is removed and ``path`` is left as it was.
    A symbolic link is kept: the file it points to is replaced. Errors name
    ``path``, never the temporary file.
    """
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder, not a file", str(path))
    if target.exists() and not target.is_file():
        # a device, a pipe or a socket (``-o /dev/null``): replacing it would put a plain file in
        # its place (as root, even /dev/null's); refused rather than replaced
        raise OSError(errno.EINVAL, "is not a regular file (a device, pipe or socket)", str(path))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror, str(path)) from None
    tmp = _temp_name(target)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if target.exists():
            _copy_mode(target, tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and exc.filename is not None and Path(exc.filename) == tmp:
            raise type(exc)(exc.errno, exc.strerror, str(path)) from None
        raise
    _fsync_dir(target.parent)
