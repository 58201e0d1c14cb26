"""``opsplan batch``: many scenarios x solvers x seeds, on a local process pool or a Dask cluster.

:func:`run_batch` hands the jobs (:mod:`opsplan.app.batch_jobs`) to an :class:`Executor` and
writes the results table as rows come back (atomically, at most every second), with a manifest
``<output>.manifest.json`` beside it (inputs and their hashes, parameters, versions, machine).
Jobs already in the results file are skipped (resume: the same command run again goes on where
it stopped). Ctrl+C or SIGTERM stops submitting, cancels what is not finished, writes what is,
and the run ends as interrupted.

:class:`LocalExecutor` runs jobs on a pool of worker processes (fork server or spawn; only plain
data crosses). A worker that dies (a crash in native code, the OOM killer) costs only its job:
the jobs that were running in the pool are run again one at a time in a fresh pool, so that one
that dies again is known to be the culprit and becomes an error row; the others go on.
``opsplan.app.batch_dask.DaskExecutor`` runs the same jobs on a Dask cluster.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures as cf
import json
import os
import platform
import queue
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from opsplan.app.batch_jobs import JobSpec, error_row, file_hash, run_job
from opsplan.app.progress import BatchProgress
from opsplan.app.results import format_of, read_results, write_results
from opsplan.models.errors import OpsPlanError

INTERRUPTED = 130  # exit code of a run stopped by Ctrl+C or SIGTERM (the same command resumes it)
WRITE_EVERY_S = 0.5  # the results file is rewritten at most this often while rows come in
DIED = "the worker process running this job died (twice: run alone it died again)"
RESTART_DELAY_S = 0.5  # after a worker died, before the pool's jobs run again
MAX_START_FAILURES = 5  # pools in a row that could not start a worker: the job fails with the reason


def cpu_count() -> int:
    """The cores this process may use (its affinity mask where the platform has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


# -- executors ------------------------------------------------------------------------------------
class Executor(Protocol):
    """Where jobs run. ``submit(fn, spec)`` returns a future whose result is ``fn(spec)`` (a row);
    ``as_completed`` yields the given futures as they finish (a cancelled one too); ``result``
    gives a finished future's row (raises for a cancelled one); ``cancel_all`` cancels what has
    not finished, running jobs included, without waiting; ``close`` releases the workers."""

    def submit(self, fn: Callable[[JobSpec], dict[str, Any]], spec: JobSpec) -> Any: ...

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]: ...

    def result(self, future: Any) -> dict[str, Any]: ...

    def cancel_all(self) -> None: ...

    def close(self) -> None: ...


def _init_worker(modules: Sequence[str], path: Sequence[str]) -> None:
    """A pool worker: the parent's import path and solver registrations (plug-ins, a test's solver);
    Ctrl+C at a terminal reaches the whole process group: only the parent acts on it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for p in path:
        if p not in sys.path:
            sys.path.append(p)
    from opsplan.solvers import registry

    registry.load_registrations(modules)


@dataclass(eq=False)
class _Task:
    handle: cf.Future
    fn: Callable[[JobSpec], dict[str, Any]]
    spec: JobSpec
    tries: int = 0
    gen: int = -1


@dataclass
class _PoolState:
    pending: collections.deque = field(default_factory=collections.deque)  # never started
    suspects: collections.deque = field(default_factory=collections.deque)  # were running when a worker died
    inflight: dict = field(default_factory=dict)  # pool future -> _Task


class LocalExecutor:
    """Jobs on ``workers`` local processes (see the module's text for what a dying worker costs).

    Parameters
    ----------
    workers
        Processes, each running one job at a time.
    context
        ``"forkserver"`` (default where the platform has it: workers fork from a server that has
        imported the solvers) or ``"spawn"``.
    """

    def __init__(self, workers: int, context: str | None = None) -> None:
        import multiprocessing as mp

        self.workers = max(1, int(workers))
        if context is None:
            context = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
        self._ctx = mp.get_context(context)
        if context == "forkserver":
            from opsplan.solvers import registry

            # as the race's server (solvers/race.py): registrations and kernels loaded once
            self._ctx.set_forkserver_preload(list(dict.fromkeys(
                [*registry.registration_modules(), "opsplan.solvers.race_server", "opsplan.app.batch_jobs"])))
        self._lock = threading.RLock()
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._state = _PoolState()
        self._pool: cf.ProcessPoolExecutor | None = None
        self._gen = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._hold_until = 0.0
        self._start_failures = 0
        self._succeeded = False
        self.restarts = 0  # pools replaced after a worker died

    # the protocol
    def submit(self, fn: Callable[[JobSpec], dict[str, Any]], spec: JobSpec) -> cf.Future:
        handle: cf.Future = cf.Future()
        with self._lock:
            if self._stopping:
                raise RuntimeError("the executor is cancelled or closed")
            self._state.pending.append(_Task(handle, fn, spec))
            if self._thread is None:
                self._thread = threading.Thread(target=self._dispatch, name="batch-dispatch", daemon=True)
                self._thread.start()
        self._events.put(("wake",))
        return handle

    def as_completed(self, futures: Iterable[cf.Future]) -> Iterator[cf.Future]:
        return cf.as_completed(list(futures))

    def result(self, future: cf.Future) -> dict[str, Any]:
        return future.result()

    def cancel_all(self) -> None:
        with self._lock:
            self._stopping = True
            st = self._state
            tasks = [*st.pending, *st.suspects, *st.inflight.values()]
            st.pending.clear()
            st.suspects.clear()
            st.inflight.clear()
            pool, self._pool = self._pool, None
        for t in tasks:
            if t.handle.cancel():
                t.handle.set_running_or_notify_cancel()  # wakes as_completed
        if pool is not None:
            self._kill(pool)
        self._events.put(("stop",))

    def close(self) -> None:
        with self._lock:
            self._stopping = True
            pool, self._pool = self._pool, None
        self._events.put(("stop",))
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # the dispatcher thread: fills the pool, handles finished and dead jobs
    def _dispatch(self) -> None:
        try:
            while True:
                with self._lock:
                    if self._stopping:
                        return
                    self._fill()
                try:
                    event = self._events.get(timeout=0.1)
                except queue.Empty:
                    continue
                if event[0] == "stop":
                    return
                if event[0] == "done":
                    with self._lock:
                        if not self._stopping:
                            self._finished(event[1])
        except BaseException as err:  # noqa: BLE001 - a bug here must not leave the runner waiting forever
            with self._lock:
                st = self._state
                tasks = [*st.pending, *st.suspects, *st.inflight.values()]
            for t in tasks:
                if not t.handle.done():
                    t.handle.set_exception(err)

    def _fill(self) -> None:
        st = self._state
        if time.monotonic() < self._hold_until:
            return
        if any(t.gen != self._gen for t in st.inflight.values()):
            return  # a pool broke: wait until each of its jobs has been accounted for
        if st.suspects or any(t.tries > 1 for t in st.inflight.values()):
            # after a death each job that was running runs again alone: one that dies now is the culprit
            if not st.inflight and st.suspects:
                self._start(st.suspects.popleft())
            return
        while st.pending and len(st.inflight) < self.workers:
            t = st.pending.popleft()
            if not t.handle.cancelled():
                self._start(t)

    def _start(self, t: _Task) -> None:
        if self._pool is None:
            from opsplan.solvers import registry

            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=self._ctx, initializer=_init_worker,
                                                initargs=(registry.registration_modules(), list(sys.path)))
        t.tries += 1
        t.gen = self._gen
        try:
            pf = self._pool.submit(t.fn, t.spec)
        except Exception as err:  # noqa: BLE001 - no worker could be started (the pool broke, the fork server died)
            t.tries -= 1
            self._start_failures += 1
            if self._start_failures > MAX_START_FAILURES:
                t.handle.set_exception(err)
            else:
                (self._state.suspects if t.tries else self._state.pending).appendleft(t)
            self._replace_pool()
            return
        self._state.inflight[pf] = t
        pf.add_done_callback(lambda f: self._events.put(("done", f)))

    def _finished(self, pf: cf.Future) -> None:
        t = self._state.inflight.pop(pf, None)
        if t is None or t.handle.done():
            return
        exc = pf.exception()
        if isinstance(exc, BrokenProcessPool):
            if t.gen == self._gen:
                self._replace_pool()
            if not self._succeeded and self.restarts > MAX_START_FAILURES:
                # no worker has ever finished a job: they die on start (a broken environment), not on a job
                self._fail_all(f"worker processes die before finishing any job ({self.restarts} pools tried)", t)
                return
            if t.tries >= 2:
                t.handle.set_result(error_row(t.spec, DIED, worker=""))
            else:
                self._state.suspects.append(t)
        elif exc is not None:
            t.handle.set_exception(exc)
        else:
            self._start_failures = 0
            self._succeeded = True
            t.handle.set_result(pf.result())

    def _fail_all(self, why: str, *more: _Task) -> None:
        st = self._state
        for t in [*more, *st.pending, *st.suspects, *st.inflight.values()]:
            if not t.handle.done():
                t.handle.set_result(error_row(t.spec, why, worker=""))
        st.pending.clear()
        st.suspects.clear()
        st.inflight.clear()

    def _replace_pool(self) -> None:
        pool, self._pool = self._pool, None
        self._gen += 1
        self.restarts += 1
        # a signal to the whole process group (a batch system's SIGTERM) kills the workers as it reaches
        # this process: wait a moment, so that the stop is seen before the jobs are run again
        self._hold_until = time.monotonic() + RESTART_DELAY_S
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _kill(pool: cf.ProcessPoolExecutor) -> None:
        """End the pool's workers now: a running solve is not waited for (it will run on resume)."""
        procs = list((getattr(pool, "_processes", None) or {}).values())
        for p in procs:
            try:
                p.terminate()
            except (OSError, ValueError, AttributeError):
                pass
        pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            try:
                p.join(2.0)
            except (OSError, ValueError, AttributeError, AssertionError):
                pass


# -- progress -------------------------------------------------------------------------------------
# -- the manifest ---------------------------------------------------------------------------------
def manifest_path(output: str | os.PathLike[str]) -> Path:
    """``<output>.manifest.json`` beside the results file."""
    return Path(str(output) + ".manifest.json")


def _dist_version(*names: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    for n in names:
        try:
            return version(n)
        except PackageNotFoundError:
            continue
    return None


def versions() -> dict[str, str | None]:
    """Versions of what decides results: OpsPlan, Python and the solver engines (read from the
    installed distributions; nothing heavy is imported)."""
    from opsplan.app.batch_jobs import opsplan_version

    return {"opsplan": opsplan_version(), "python": platform.python_version(),
            "ortools": _dist_version("ortools"), "highspy": _dist_version("highspy"),
            "onnxruntime": _dist_version("onnxruntime", "onnxruntime-gpu")}


def machine() -> dict[str, Any]:
    return {"host": socket.gethostname(), "cpus": cpu_count(), "os": f"{platform.system()} {platform.release()}",
            "platform": platform.platform(), "machine": platform.machine()}


def manifest(jobs: Sequence[JobSpec], output: str | os.PathLike[str], extra: dict[str, Any] | None = None,
             hashes: dict[str, str] | None = None) -> dict[str, Any]:
    """The manifest of a batch: inputs with content hashes, solvers, seeds, parameters, versions, machine."""
    hashes = {} if hashes is None else hashes
    inputs: dict[tuple[str, int | None], dict[str, Any]] = {}
    for j in jobs:
        if (j.input, j.index) not in inputs:
            if j.input not in hashes:
                try:
                    hashes[j.input] = file_hash(j.input)
                except OSError:
                    hashes[j.input] = ""
            inputs[j.input, j.index] = {"path": j.input, "index": j.index, "sha256": hashes[j.input],
                                        "family": j.family, "reference": j.reference}

    def distinct(key: str) -> list[Any]:
        return list(dict.fromkeys(getattr(j, key) for j in jobs))

    return {
        "format": "opsplan-batch-manifest",
        "version": 1,
        "results": str(output),
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": list(sys.argv),
        "inputs": list(inputs.values()),
        "solvers": distinct("solver"),
        "seeds": distinct("seed"),
        "parameters": {"time_limit": distinct("time_limit"), "threads": distinct("threads"),
                       "format": distinct("fmt"), "schedules": distinct("schedules_dir"), **(extra or {})},
        "versions": versions(),
        "machine": machine(),
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from opsplan.models.io.atomic import atomic_write_text

    atomic_write_text(path, json.dumps(data, indent=1) + "\n")


# -- the runner -----------------------------------------------------------------------------------
class BatchRun(list):
    """The rows of a batch (a list), with ``skipped`` (jobs resumed from the file), ``new`` (rows
    made by this run), ``interrupted`` and ``total`` (jobs of the run)."""

    skipped: int = 0
    new: int = 0
    interrupted: bool = False
    total: int = 0
    wall_s: float = 0.0


def check_output(output: str | os.PathLike[str]) -> Path:
    """Refuse a results path that cannot be written, before any job runs."""
    from opsplan.app.common import check_output as check_writable

    path = Path(output)
    check_writable(path, "-o")  # not a folder, a pipe, or below a file
    try:
        format_of(path)
    except ValueError as err:
        raise OpsPlanError(str(err)) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def run_batch(jobs: Sequence[JobSpec], executor: Executor, output: str | os.PathLike[str], resume: bool = True,
              progress: BatchProgress | None = None, manifest_extra: dict[str, Any] | None = None,
              signals: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> BatchRun:
    """Run ``jobs`` on ``executor``, writing the results to ``output`` as they come.

    Parameters
    ----------
    jobs
        From :func:`opsplan.app.batch_jobs.make_jobs`.
    executor
        :class:`LocalExecutor`, a Dask executor or any :class:`Executor`.
    output
        The results file (``.csv``, ``.parquet`` or ``.json``); its manifest goes beside it.
    resume
        Keep the rows already in ``output`` and skip their jobs (a job whose row is an error is
        run again); False starts the file afresh.
    progress
        Shows the run (None: silent).
    manifest_extra
        More parameters for the manifest (workers, scheduler).
    signals
        The signals that stop the run cleanly (what is finished is written).

    Returns
    -------
    BatchRun
        Every row of the file (earlier ones first), in job order.
    """
    from opsplan.app.progress import interrupts

    t0 = time.perf_counter()
    path = check_output(output)
    old: list[dict[str, Any]] = []
    if resume and path.is_file():
        try:
            old = read_results(path)
        except Exception as err:  # noqa: BLE001 - any unreadable file: say which and what to do
            raise OpsPlanError(f"{path}: cannot resume from it ({' '.join(str(err).split())}); "
                               f"pass --no-resume to start it afresh, or write elsewhere") from None
    wanted = {j.job_id for j in jobs}
    done_ids = {r["job_id"] for r in old if r["status"] != "error"}
    # an error row of this run's jobs is run again (a fixed environment, a worker that died); others stay
    kept = [r for r in old if r["status"] != "error" or r["job_id"] not in wanted]
    todo = [j for j in jobs if j.job_id not in done_ids]
    order = {j.job_id: k for k, j in enumerate(jobs)}
    new: list[dict[str, Any]] = []
    hashes: dict[str, str] = {}
    extra = dict(manifest_extra or {})

    def rows_now() -> list[dict[str, Any]]:
        return sorted(kept + new, key=lambda r: order.get(r["job_id"], -1))

    def write(final: bool = False, interrupted: bool = False) -> None:
        write_results(path, rows_now())
        info = manifest(jobs, path, extra, hashes)
        info["jobs"] = {"total": len(jobs), "resumed": len(jobs) - len(todo), "run": len(new),
                        "errors": sum(1 for r in new if r["status"] == "error"),
                        "complete": final and not interrupted, "interrupted": interrupted}
        _write_json(manifest_path(path), info)

    write()  # before any job: an unwritable place fails now, not after the first solve
    run = BatchRun()
    run.total, run.skipped = len(jobs), len(jobs) - len(todo)
    stop = threading.Event()
    if progress is not None:
        progress.start(len(jobs), run.skipped)
    last_write = time.monotonic()
    try:
        with interrupts(stop.set, signals):
            futures = {executor.submit(run_job, j): j for j in todo}
            finished: queue.SimpleQueue = queue.SimpleQueue()
            end = object()

            def pump() -> None:  # waits on the executor in a thread: the main thread stays free for signals
                try:
                    for f in executor.as_completed(list(futures)):
                        finished.put(f)
                except BaseException as err:  # noqa: BLE001 - handed to the main thread
                    finished.put(err)
                finished.put(end)

            threading.Thread(target=pump, name="batch-results", daemon=True).start()
            remaining = len(futures)

            def take(f: Any) -> None:
                spec = futures[f]
                try:
                    row = executor.result(f)
                except cf.CancelledError:
                    return
                except Exception as err:  # noqa: BLE001 - the executor's failure is this job's row
                    row = error_row(spec, err)
                new.append(row)
                if progress is not None:
                    progress.job_done(row)

            written = 0
            while remaining and not stop.is_set():
                try:
                    item = finished.get(timeout=0.2)
                except queue.Empty:
                    item = None
                if item is end:
                    break
                if isinstance(item, BaseException):
                    raise item
                if item is not None:
                    remaining -= 1
                    take(item)
                if len(new) > written and time.monotonic() - last_write >= WRITE_EVERY_S:
                    write()
                    written, last_write = len(new), time.monotonic()
            if stop.is_set():
                executor.cancel_all()
                # what finished before the stop still counts
                while True:
                    try:
                        item = finished.get_nowait()
                    except queue.Empty:
                        break
                    if item is end or isinstance(item, BaseException):
                        break
                    if item.done() and not item.cancelled():
                        take(item)
    finally:
        if progress is not None:
            progress.stop()
        run.interrupted = stop.is_set()
        write(final=True, interrupted=run.interrupted)
    run.extend(rows_now())
    run.new = len(new)
    run.wall_s = time.perf_counter() - t0
    return run


# -- the command ----------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags of ``opsplan batch``."""
    from opsplan.app.common import at_least, positive_seconds

    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="scenario files, folders (a benchmark folder's index.json gives references) and globs; "
                        "FILE#K: instance K of a multi-instance file")
    p.add_argument("--format", default=None, help="input format of every file (default: detected per file)")
    p.add_argument("--solver", default="cpsat", metavar="A,B,...",
                   help="solvers, comma-separated (dispatch:* for every rule); each scenario runs with each")
    p.add_argument("--solvers", default=None, metavar="X,Y",
                   help="one race of these solvers per job (like --solver race with its members)")
    p.add_argument("--seeds", type=at_least(1), default=1, metavar="K", help="run each pair with seeds 0..K-1")
    p.add_argument("--time-limit", type=positive_seconds, default=None, metavar="S", help="seconds per job")
    p.add_argument("--threads", type=at_least(0), default=1, metavar="N",
                   help="solver threads per job (default 1; 0: the solver's choice, counted as every core)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=at_least(1), default=None, metavar="W",
                       help="local worker processes (default: cores // threads)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="run on a Dask distributed cluster, e.g. tcp://host:8786")
    p.add_argument("--oversubscribe", action="store_true",
                   help="allow workers x threads beyond the cores")
    p.add_argument("-o", "--output", required=True, metavar="RESULTS",
                   help="results table: .csv, .parquet or .json (a manifest is written beside it)")
    p.add_argument("--schedules", default=None, metavar="DIR", help="save each job's schedule in this folder")
    p.add_argument("--no-resume", action="store_true",
                   help="start the results file afresh (default: skip the jobs already in it; failed ones run again)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="a line per finished job (above the bar on a terminal)")


def cores_per_job(solvers: Sequence[str], threads: int, cpus: int) -> int:
    """The cores one job may keep busy: its threads (0: every core), at least a race's members."""
    from opsplan.app.batch_jobs import split_solver

    need = threads or cpus
    for s in solvers:
        _, options = split_solver(s)
        need = max(need, len(options.get("solvers", ())))
    return need


def main(args: argparse.Namespace) -> int:
    """``opsplan batch``: the parsed arguments to a finished (or interrupted) results file."""
    from opsplan.app.batch_jobs import check_solver, expand_inputs, make_jobs, race_name
    from opsplan.app.bench import expand_solvers
    from opsplan.app.common import fail

    output = check_output(args.output)
    if args.solvers:  # cli.main has made --solver "race": one race of these members per job
        members = [s.strip() for s in args.solvers.split(",") if s.strip()]
        solvers = [race_name(members)]
    else:
        solvers = expand_solvers(args.solver)
    for s in solvers:
        check_solver(s)
    schedules = None
    if args.schedules:
        schedules = Path(args.schedules)
        if schedules.exists() and not schedules.is_dir():
            return fail(f"--schedules {schedules}: not a folder")
        schedules.mkdir(parents=True, exist_ok=True)
    items = expand_inputs(args.inputs, args.format, exclude=[output, manifest_path(output)])
    jobs = make_jobs(items, solvers, args.seeds, args.time_limit, args.threads, args.format, schedules)
    extra: dict[str, Any] = {"seeds_given": args.seeds}
    if args.scheduler:
        try:
            from opsplan.app.batch_dask import DaskExecutor
        except ImportError as err:
            return fail(f"--scheduler needs dask and distributed: pip install 'opsplan[cluster]' ({err})")
        executor: Any = DaskExecutor(args.scheduler)
        extra["scheduler"] = args.scheduler
    else:
        cpus = cpu_count()
        per_job = cores_per_job(solvers, args.threads, cpus)
        workers = args.workers or max(1, cpus // per_job)
        if workers * per_job > cpus and not args.oversubscribe:
            return fail(f"--workers {workers} x {per_job} core(s) per job needs {workers * per_job} cores, this "
                        f"machine has {cpus}: lower --workers or --threads, or pass --oversubscribe")
        executor = LocalExecutor(min(workers, max(1, len(jobs))))
        extra.update(workers=workers, oversubscribe=bool(args.oversubscribe))
    progress = BatchProgress(verbose=args.verbose)
    try:
        run = run_batch(jobs, executor, output, resume=not args.no_resume, progress=progress,
                        manifest_extra=extra)
    finally:
        executor.close()
    mine = [r for r in run if r["job_id"] in {j.job_id for j in jobs}]
    failed = [r for r in mine if r["status"] == "error"]
    broken = [r for r in mine if r["violations"] > 0]
    head = f"batch: {len(jobs)} job(s)"
    if run.skipped:
        head += f", {run.skipped} already in {output}"
    text = (f"{head}; {run.new} run now in {run.wall_s:.1f} s: {len(mine) - len(failed)} solved, "
            f"{len(failed)} failed")
    if broken:
        text += f", {len(broken)} with checker violations (a solver bug)"
    if run.interrupted:
        left = len(jobs) - len(mine)
        progress.message(f"{text}; interrupted: {left} not run; the same command resumes -> {output}")
        return INTERRUPTED
    progress.message(f"{text} -> {output}")
    if failed:
        r = failed[0]
        progress.message(f"e.g. {r['input']} with {r['solver']}: {r['error']}")
    return 1 if failed or broken else 0


__all__ = ["BatchProgress", "BatchRun", "Executor", "INTERRUPTED", "LocalExecutor", "add_arguments",
           "check_output", "cpu_count", "main", "manifest", "manifest_path", "run_batch", "versions"]
