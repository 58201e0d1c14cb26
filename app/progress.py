"""Terminal progress output for long CLI work (stderr, so --json stdout stays clean), and
turning Ctrl+C into a clean stop of that work."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO


@contextlib.contextmanager
def interrupts(handler: Callable[[], None], signals: tuple[int, ...] = (signal.SIGINT,)) -> Iterator[None]:
    """While inside, ``signals`` call ``handler`` (e.g. a stop token's ``set``) instead of raising
    KeyboardInterrupt or killing the process: a solver then stops cleanly and reports what it has.
    Outside the main thread (where Python cannot set handlers) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, lambda *_: handler()) for sig in signals}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


class ProgressLine:
    """One updating line on a terminal; plain lines (at most one per second) when not a TTY."""

    def __init__(self, stream: TextIO | None = None, min_interval: float = 1.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.min_interval = min_interval
        self._last = 0.0
        self._width = 0

    def update(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.tty:
            pad = max(0, self._width - len(text))
            self.stream.write("\r" + text + " " * pad)
            self._width = len(text)
            self.stream.flush()
        elif force or now - self._last >= self.min_interval:
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last = now

    def done(self) -> None:
        if self.tty and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0
