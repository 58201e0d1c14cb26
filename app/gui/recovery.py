"""Autosave and crash recovery, in plain Python (the main window drives it with a timer).

Each open document autosaves to its own recovery file in the user's state
folder shortly after every change. A clean close or a save removes the file;
a file still there at the next start is the work of a session that crashed,
and the application offers to restore it. Every session writes its own file
(the name carries the process and the moment it opened the document), so a
later session on the same file never overwrites or removes a crashed one's work.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from opsplan.models.io import document as io
from opsplan.models.io.atomic import atomic_write_bytes


def config_dir() -> Path:
    """Where settings and recovery files live (``$OPSPLAN_CONFIG_DIR`` overrides)."""
    env = os.environ.get("OPSPLAN_CONFIG_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "opsplan"


def recovery_dir() -> Path:
    return config_dir() / "recovery"


@dataclass(frozen=True)
class Recovery:
    """One recovery file left behind: the document, where it came from and when it was written."""

    path: Path
    original: str | None
    saved_at: float
    pid: int

    def load(self) -> io.Document:
        return io.load(self.path, validate=False)

    @property
    def label(self) -> str:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.saved_at))
        return f"{self.original or 'an unsaved plan'} (autosaved {when})"


class RecoveryStore:
    """Autosave target of one open document."""

    def __init__(self, key: str | None = None) -> None:
        self.key = key or "untitled"
        session = f"{os.getpid()}-{time.time_ns() // 1000}"
        self.path = recovery_dir() / f"{self._slug(self.key)}-{session}.opsplan.json"

    @staticmethod
    def _slug(key: str) -> str:
        return hashlib.sha1(key.encode()).hexdigest()[:16]

    def write(self, doc: io.Document, original: str | Path | None) -> Path:
        """Write ``doc`` atomically beside a small meta file naming the original.

        The meta file goes first: a crash between the two writes leaves the
        previous document with the right original, never a document without one.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        meta = {"original": str(original) if original else None, "saved_at": time.time(), "pid": os.getpid()}
        atomic_write_bytes(self._meta(self.path), json.dumps(meta).encode())
        atomic_write_bytes(self.path, io.dumps(doc).encode())
        return self.path

    def discard(self) -> None:
        for p in (self.path, self._meta(self.path)):
            try:
                p.unlink()
            except FileNotFoundError:
                pass

    @staticmethod
    def _meta(path: Path) -> Path:
        return path.with_name(path.name + ".meta")


def pending(original: str | Path | None = None) -> list[Recovery]:
    """Recovery files left by sessions that are no longer running, newest first.

    With ``original``, only the work autosaved from that file.
    """
    want = str(Path(original).resolve()) if original is not None else None
    out = []
    d = recovery_dir()
    if not d.is_dir():
        return out
    for p in d.glob("*.opsplan.json"):
        meta_path = RecoveryStore._meta(p)
        try:
            stat = p.stat()
        except OSError:
            continue  # removed meanwhile (its session discarded it)
        original, saved_at, pid = _read_meta(meta_path, stat.st_mtime)
        if pid and pid != os.getpid() and _alive(pid):
            continue  # another running session owns it
        if want is not None and (not original or str(Path(original).resolve()) != want):
            continue
        out.append(Recovery(p, original, saved_at, pid))
    return sorted(out, key=lambda r: -r.saved_at)


def _read_meta(path: Path, mtime: float) -> tuple[str | None, float, int]:
    """(original, saved_at, pid) from a meta file; what is missing, unreadable or of the wrong
    type falls back to (None, the document's mtime, 0) rather than break the start-up scan."""
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        meta = None
    if not isinstance(meta, dict):
        meta = {}
    original = meta.get("original")
    saved_at, pid = meta.get("saved_at"), meta.get("pid")
    ok_number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)  # noqa: E731
    return (original if isinstance(original, str) and original and "\0" not in original else None,
            float(saved_at) if ok_number(saved_at) else mtime,
            int(pid) if ok_number(pid) and 0 < pid < 2**31 else 0)


def set_aside(rec: Recovery) -> Path:
    """Rename a recovery file that cannot be loaded so it is no longer offered, yet kept for the
    planner (or a bug report): its unsaved work may still be read by hand. Returns the new path."""
    kept = rec.path.with_name(rec.path.name + ".unreadable")
    rec.path.replace(kept)
    try:
        RecoveryStore._meta(rec.path).unlink()
    except FileNotFoundError:
        pass
    return kept


def discard(rec: Recovery) -> None:
    for p in (rec.path, RecoveryStore._meta(rec.path)):
        try:
            p.unlink()
        except FileNotFoundError:
            pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
