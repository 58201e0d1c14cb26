"""Run :func:`opsplan.solvers.solve` off the GUI thread.

A :class:`SolveWorker` lives in the GUI thread and owns a private
:class:`QThread` that runs the solve. Solver callbacks (CP-SAT calls them on
its own threads) only emit signals of that thread object; the worker receives
them through queued connections and re-emits ``progress``, ``finished`` and
``failed`` in the GUI thread, so anything connected to the worker, lambdas
included, runs in the GUI thread and may touch widgets.

``cancel()`` sets the solve's :class:`StopToken`; every backend returns within
about a second and the worker then emits ``finished`` with a cancelled result
(possibly carrying the best schedule found so far).

Use :func:`start_solve`, which keeps the worker alive until its thread is done
and joins the thread before ``finished``/``failed`` is emitted, so no thread is
ever destroyed while running.
"""

from __future__ import annotations

from typing import Any

from opsplan.solvers import Params, Progress, Result, StopToken, solve
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot


def one_line(exc: BaseException) -> str:
    """A one-line, human message for ``exc`` (its first non-empty line, else its type)."""
    text = str(exc).strip()
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first or type(exc).__name__


class _SolveThread(QThread):
    """Runs one solve; talks to the GUI only through its signals."""

    progressed = Signal(object)
    succeeded = Signal(object)
    errored = Signal(str)

    def __init__(self, scenario: Any, solver: str, params: Params, stop: StopToken) -> None:
        super().__init__()
        self.setObjectName(f"solve-{solver}")
        self._scenario, self._solver, self._params, self._stop = scenario, solver, params, stop

    def _on_progress(self, p: Progress) -> None:  # called on solver threads
        self.progressed.emit(p)

    def run(self) -> None:  # noqa: D401 - QThread API
        try:
            result = solve(self._scenario, self._solver, self._params, self._on_progress, self._stop)
        except Exception as exc:  # any failure becomes one line for the status bar
            self.errored.emit(one_line(exc))
        else:
            self.succeeded.emit(result)


class SolveWorker(QObject):
    """One solve of ``scenario`` with ``solver`` and ``params`` on a background thread.

    Signals (all emitted in the GUI thread)
    ---------------------------------------
    progress(Progress): an improving solution or bound.
    finished(Result): the solve returned (also after ``cancel()``).
    failed(str): the solve raised; a one-line message.
    done(): after either ``finished`` or ``failed``; the thread has been joined.
    """

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    done = Signal()

    def __init__(self, scenario: Any, solver: str, params: Params | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.scenario = scenario
        self.solver = solver
        self.params = params or Params()
        self.stop_token = StopToken()
        self.result: Result | None = None
        self.error: str | None = None
        self._thread: _SolveThread | None = None
        self._started = False
        self._done = False

    # -- control -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the solve (once)."""
        if self._started:
            return
        self._started = True
        th = _SolveThread(self.scenario, self.solver, self.params, self.stop_token)
        # bound methods of a GUI-thread QObject: queued across threads
        th.progressed.connect(self._relay_progress)
        th.succeeded.connect(self._relay_result)
        th.errored.connect(self._relay_error)
        self._thread = th
        _ACTIVE.add(self)
        th.start()

    def cancel(self) -> None:
        """Ask the solve to stop (safe from any thread); ``finished`` follows within about a second."""
        self.stop_token.set()

    def is_running(self) -> bool:
        return self._started and not self._done

    def is_cancelled(self) -> bool:
        return self.stop_token.is_set()

    def wait(self, timeout_ms: int = -1) -> bool:
        """Block until the thread has ended (then deliver the pending signals); True when it has."""
        th = self._thread
        if th is None:
            return True
        ok = th.wait() if timeout_ms < 0 else th.wait(timeout_ms)
        if ok and not self._done:
            # the result signal is queued for us: deliver it now
            QCoreApplication.sendPostedEvents(self)
        return bool(ok)

    # -- relays (GUI thread) --------------------------------------------------------------------------
    @Slot(object)
    def _relay_progress(self, p: Progress) -> None:
        if not self._done:
            self.progress.emit(p)

    def _join(self) -> None:
        if self._thread is not None:
            self._thread.wait()  # run() has returned: this only waits for QThread's own wind-down
        self._done = True
        _ACTIVE.discard(self)

    @Slot(object)
    def _relay_result(self, result: Result) -> None:
        if self._done:
            return
        self.result = result
        self._join()
        self.finished.emit(result)
        self.done.emit()

    @Slot(str)
    def _relay_error(self, message: str) -> None:
        if self._done:
            return
        self.error = message
        self._join()
        self.failed.emit(message)
        self.done.emit()


#: workers whose thread may still run; keeps them (and their thread) alive until joined
_ACTIVE: set[SolveWorker] = set()
_QUIT_HOOKED = False


def _stop_all() -> None:
    """Cancel and join every running solve (at application exit)."""
    for w in list(_ACTIVE):
        w.cancel()
    for w in list(_ACTIVE):
        if w._thread is not None:
            w._thread.wait(5000)
        _ACTIVE.discard(w)


def active_workers() -> list[SolveWorker]:
    return list(_ACTIVE)


def start_solve(scenario: Any, solver: str, params: Params | None = None,
                parent: QObject | None = None) -> SolveWorker:
    """Start solving ``scenario`` with ``solver`` on a background thread; returns the running worker.

    The worker and its thread stay alive until the solve has returned, even if
    the caller drops its reference; the thread is joined before ``finished``
    or ``failed`` is emitted, and running solves are cancelled and joined when
    the application quits.
    """
    global _QUIT_HOOKED
    app = QCoreApplication.instance()
    if app is not None and not _QUIT_HOOKED:
        app.aboutToQuit.connect(_stop_all)
        _QUIT_HOOKED = True
    worker = SolveWorker(scenario, solver, params, parent)
    worker.start()
    return worker


__all__ = ["SolveWorker", "active_workers", "one_line", "start_solve"]
