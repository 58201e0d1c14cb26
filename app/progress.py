"""Terminal progress output for long CLI work (stderr, so --json stdout stays clean), and
turning Ctrl+C and SIGTERM into a clean stop of that work."""

from __future__ import annotations

import contextlib
import math
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TextIO, TypeVar

T = TypeVar("T")


#: what stops long work: Ctrl+C, and the kill a job scheduler, a container runtime or a Dask nanny sends
STOP_SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def interrupts(handler: Callable[[], None], signals: tuple[int, ...] = STOP_SIGNALS) -> Iterator[None]:
    """While inside, ``signals`` (Ctrl+C and SIGTERM by default) call ``handler`` (e.g. a stop
    token's ``set``) instead of raising KeyboardInterrupt or killing the process: a solver then
    stops cleanly and reports what it has. Outside the main thread (where Python cannot set
    handlers) it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, lambda *_: handler()) for sig in signals}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def sigterm_as_ctrl_c() -> Iterator[None]:
    """While inside, SIGTERM does what Ctrl+C does (raises KeyboardInterrupt in the main thread)
    instead of killing the process at once: work that keeps what it has on Ctrl+C keeps it on a
    kill too, and the exit status is the same. ``opsplan``'s main runs every command inside it;
    :func:`interrupts` inside it takes both signals over. Outside the main thread it does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if old is None else old)


def in_worker(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` in a worker thread while this thread waits for it.

    Python runs signal handlers only in the main thread, between bytecodes: a solver
    blocked there in native code (CP-SAT's search, HiGHS) would hold back the handler of
    :func:`interrupts` until it ended by itself, at its time limit. Waiting here instead
    lets the handler run at once, and its stop token then ends the search. Exceptions
    come back to the caller.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, whatever it is
            box["error"] = exc

    worker = threading.Thread(target=target, name="opsplan-work", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
    if "error" in box:
        raise box["error"]
    return box["value"]


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


# -- the live bar of many jobs (batch, bench) ------------------------------------------------
def job_line(row: dict[str, Any], done: int, total: int) -> str:
    """One finished job in words: ``[3/20] ft06 dispatch:spt seed 0: feasible 88 (0.01 s)``."""
    obj = row.get("objective")
    value = "" if obj is None or (isinstance(obj, float) and math.isnan(obj)) else f" {obj:g}"
    what = f"error: {row['error']}" if row["status"] == "error" else f"{row['status']}{value}"
    return (f"[{done}/{total}] {row['instance'] or row['input']} {row['solver']} seed {row['seed']}: {what} "
            f"({row['runtime_s']:.2f} s)")


class BatchProgress:
    """The live bar of a batch on a terminal (done/total, failures, elapsed, remaining; rich);
    without a terminal nothing but, with ``verbose``, a line per finished job."""

    def __init__(self, stream: TextIO | None = None, verbose: bool = False, tty: bool | None = None,
                 label: str = "batch") -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose
        self.label = label  # the bar's first word: "batch", or the bench set's name
        self.tty = bool(self.stream.isatty()) if tty is None else tty
        self.failed = 0
        self.done = 0
        self.total = 0
        self._bar: Any = None
        self._task: Any = None

    def start(self, total: int, done: int) -> None:
        self.total, self.done = total, done
        if not self.tty:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=self.stream, force_terminal=True)
        # a long job (minutes) must still give a rate: estimate over the whole run, not 30 s
        self._bar = Progress(TextColumn(self.label, markup=False), BarColumn(), MofNCompleteColumn(),
                             TextColumn("[red]{task.fields[failed]} failed"), TextColumn("elapsed"),
                             TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                             console=console, speed_estimate_period=24 * 3600.0)
        self._bar.start()
        self._task = self._bar.add_task("batch", total=total, completed=done, failed=0)

    def advance(self, failed: bool = False) -> None:
        """One more job finished (``bench`` counts its rows so, without a batch row to show)."""
        self.done += 1
        self.failed += bool(failed)
        if self._bar is not None:
            self._bar.update(self._task, advance=1, failed=self.failed)

    def job_done(self, row: dict[str, Any]) -> None:
        self.done += 1
        if row["status"] == "error":
            self.failed += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, failed=self.failed)
            if self.verbose:
                self._bar.console.print(job_line(row, self.done, self.total), markup=False, highlight=False)
        elif self.verbose:
            print(job_line(row, self.done, self.total), file=self.stream, flush=True)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def message(self, text: str) -> None:
        """A line that is always shown (the final summary)."""
        print(text, file=self.stream, flush=True)


