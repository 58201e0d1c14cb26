"""``opsplan batch --scheduler ADDRESS``: the batch's jobs on a Dask distributed cluster.

:class:`DaskExecutor` is the :class:`opsplan.app.batch.Executor` of a cluster: it connects to a
running ``dask scheduler`` (started by whoever runs the cluster; see ``docs/batch.md``), checks that
its workers run the same OpsPlan, and hands each job to it as one task. Only plain data crosses to
the workers and back: the job function goes by reference (a module-level function, imported there),
its :class:`~opsplan.app.batch_jobs.JobSpec` by value, and the row (a dict of str, int and float)
comes back. Each worker reads the job's input file itself (a shared file system, or the same files
at the same paths).

What happens when things go wrong:

* a job that fails is its row (``run_job`` never raises);
* a task that raises anyway (e.g. the worker cannot import the job's module) is run once more
  (``retries=1``), then is an error row;
* a worker that dies (killed, out of memory, a crash in native code) costs only the jobs it held:
  the scheduler runs them again elsewhere. After ``distributed.scheduler.allowed-failures`` deaths
  of workers running the same job (a scheduler setting: 3 by default, 1 to retry exactly once) the
  job is given up as ``KilledWorker`` and becomes an error row; the others go on;
* losing the scheduler turns the jobs not yet finished into error rows (the same command resumes
  them).

Every name from ``dask``/``distributed`` is imported inside functions: importing this module costs
nothing until a cluster is used. ``python -m opsplan.app.batch_dask overhead ADDRESS`` measures the
scheduler's overhead per job on a cluster.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures as cf
import dataclasses
import inspect
import math
import os
import socket
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from opsplan.app.results import empty_row
from opsplan.models.errors import OpsPlanError

KEY_PREFIX = "opsplan-job-"  # a task's key is this and the job's id: a resubmitted job is the same task
PROTOCOLS = ("tcp", "tls")
DEFAULT_PORT = 8786


class ClusterError(OpsPlanError):
    """The cluster cannot be used: no scheduler at the address, a bad address, no workers, workers
    that do not run the same OpsPlan."""


# -- addresses ------------------------------------------------------------------------------------
def parse_address(address: str) -> tuple[str, str, int]:
    """``tcp://HOST:PORT`` (or ``tls://``, or ``HOST:PORT``, or ``HOST`` for port 8786) ->
    (protocol, host, port); anything else is a :class:`ClusterError` saying what is expected."""
    text = address.strip()
    expected = "expected tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786"
    if not text:
        raise ClusterError(f"--scheduler: empty address; {expected}")
    if "://" not in text:
        text = "tcp://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as err:
        raise ClusterError(f"--scheduler {address}: {err}; {expected}") from None
    if parts.scheme not in PROTOCOLS:
        raise ClusterError(f"--scheduler {address}: protocol '{parts.scheme}' is not one of "
                           f"{', '.join(PROTOCOLS)}; {expected}")
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ClusterError(f"--scheduler {address}: not a scheduler address; {expected}")
    return parts.scheme, parts.hostname, DEFAULT_PORT if port is None else port


def _reachable(host: str, port: int, timeout: float) -> None:
    """Fails fast (a refused connection, an unknown host) before Dask's retries would take ``timeout``,
    and fails where Dask's client would hang: a port that accepts and says nothing."""
    where = f"{host}:{port}"
    try:
        conn = socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror as err:
        raise ClusterError(f"no Dask scheduler at {where}: unknown host ({err.strerror or err})") from None
    except TimeoutError:
        raise ClusterError(f"no Dask scheduler at {where}: no connection within {timeout:g} s "
                           f"(a firewall, or the wrong host)") from None
    except OSError as err:
        raise ClusterError(f"no Dask scheduler at {where}: {err.strerror or err} "
                           f"(is `dask scheduler` running there, and the port open?)") from None
    with conn:
        try:  # a Dask server speaks first (its handshake)
            first = conn.recv(1)
        except TimeoutError:
            raise ClusterError(f"no Dask scheduler at {where}: it accepts connections but sent nothing within "
                               f"{timeout:g} s (another program, e.g. a web server such as the dashboard "
                               f"on 8787?)") from None
        except OSError as err:
            raise ClusterError(f"no Dask scheduler at {where}: {err.strerror or err}") from None
    if not first:
        raise ClusterError(f"no Dask scheduler at {where}: it closed the connection at once")


# -- what runs on the workers (module level: pickled by reference, nothing captured) ----------------
def run_on_worker(fn: Callable[[Any], dict[str, Any]], spec: Any) -> dict[str, Any]:
    """``fn(spec)`` on a Dask worker, its row's ``worker`` the worker's address."""
    row = dict(fn(spec))
    try:
        from distributed import get_worker

        row["worker"] = get_worker().address
    except ValueError:  # not in a worker (called directly)
        pass
    return row


def worker_versions() -> dict[str, str]:
    """What must match between the submitting machine and a worker."""
    from opsplan.app.common import package_version

    return {"opsplan": package_version(), "python": f"{sys.version_info[0]}.{sys.version_info[1]}"}


def _allowed_failures(dask_scheduler: Any = None) -> int:
    return int(dask_scheduler.allowed_failures)


@dataclass(frozen=True)
class ProbeSpec:
    """A trivial job (for measuring the cluster and testing it): sleeps ``sleep_s``; with ``marker``
    first writes its process id to the file ``marker``; with ``kill_worker`` kills its own process."""

    job_id: str
    sleep_s: float = 0.0
    marker: str = ""
    kill_worker: bool = False


def probe_job(spec: ProbeSpec) -> dict[str, Any]:
    """The row of a :class:`ProbeSpec` job (status ``optimal``, its process id in ``worker``)."""
    if spec.marker:
        with open(spec.marker, "w", encoding="utf-8") as f:
            f.write(str(os.getpid()))
    if spec.kill_worker:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
    if spec.sleep_s:
        time.sleep(spec.sleep_s)
    return empty_row(job_id=spec.job_id, status="optimal", objective=float(len(spec.job_id)),
                     host=socket.gethostname(), worker=str(os.getpid()))


# -- the executor ---------------------------------------------------------------------------------
_PLAIN = (str, int, float, bool, type(None))
_PATH_FIELDS = ("input", "schedules_dir")  # a job's files, read and written by the worker


def _absolute_paths(spec: Any) -> Any:
    """``spec`` with its relative paths made absolute here: a worker resolves them against its own
    working directory otherwise (the machines must see the files at the same place; docs/batch.md)."""
    if not (dataclasses.is_dataclass(spec) and not isinstance(spec, type)):
        return spec
    names = {f.name for f in dataclasses.fields(spec)}
    change = {n: os.path.abspath(v) for n in _PATH_FIELDS
              if n in names and isinstance(v := getattr(spec, n), str) and v and not os.path.isabs(v)}
    return dataclasses.replace(spec, **change) if change else spec


def _check_plain(value: Any, where: str = "spec") -> None:
    """``value`` is plain data: numbers, strings, None, and tuples, lists, dicts and dataclasses of them."""
    if isinstance(value, _PLAIN):
        return
    if isinstance(value, (tuple, list)):
        for k, v in enumerate(value):
            _check_plain(v, f"{where}[{k}]")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_plain(k, f"{where} key")
            _check_plain(v, f"{where}[{k!r}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _check_plain(getattr(value, f.name), f"{where}.{f.name}")
    else:
        raise TypeError(f"{where} is a {type(value).__name__}: only plain data crosses to the workers")


def _check_function(fn: Any) -> None:
    """``fn`` is a module-level function of an importable module: it pickles by reference alone."""
    if not (inspect.isfunction(fn) and fn.__closure__ is None and "<" not in fn.__qualname__
            and "." not in fn.__qualname__ and fn.__module__ not in (None, "__main__")):
        raise TypeError(f"{fn!r}: a job function must be a module-level function of an importable "
                        f"module (a lambda, closure or method would carry its surroundings to the workers)")


def _message(err: BaseException) -> str:
    text = " ".join(str(err).split())
    text = f"{type(err).__name__}: {text}" if text else type(err).__name__
    return text if len(text) <= 500 else text[:500] + " ..."


class DaskExecutor:
    """Jobs on the Dask cluster whose scheduler is at ``address`` (see :class:`opsplan.app.batch.Executor`).

    Parameters
    ----------
    address
        ``tcp://HOST:PORT`` of a running ``dask scheduler``.
    retries
        Times a task that raised is run again (a worker that died is the scheduler's business:
        see the module's documentation).
    timeout
        Seconds to connect to the scheduler and to wait for its first worker.
    check_versions
        Refuse workers that run another OpsPlan or Python version than this machine.

    Raises
    ------
    ClusterError
        No scheduler at the address (one line, within ``timeout``), a malformed address, no worker
        within ``timeout``, workers that cannot import OpsPlan or run another version.
    """

    def __init__(self, address: str, *, retries: int = 1, timeout: float = 30,
                 check_versions: bool = True) -> None:
        protocol, host, port = parse_address(address)
        self.address = f"{protocol}://{host}:{port}"
        self.retries = retries
        self.timeout = timeout
        self._specs: dict[str, Any] = {}
        self._futures: dict[str, Any] = {}
        self._cancelling = False
        self._client: Any = None
        _reachable(host, port, timeout)
        from distributed import Client

        try:
            self._client = Client(self.address, timeout=timeout, set_as_default=False)
        except Exception as err:  # noqa: BLE001 - whatever answers there (an HTTP server: MemoryError), it is no scheduler
            raise ClusterError(f"no Dask scheduler at {self.address} ({_message(err)}); is the address "
                               f"the scheduler's (tcp://HOST:8786 by default), not its dashboard's?") from None
        try:
            self._client.wait_for_workers(1, timeout=timeout)
        except (TimeoutError, OSError):
            self.close()
            raise ClusterError(f"the Dask scheduler at {self.address} has no worker (waited {timeout:g} s); "
                               f"start some with `dask worker {self.address}`") from None
        if check_versions:
            try:
                self.check_versions()
            except BaseException:
                self.close()
                raise

    def check_versions(self, mine: dict[str, str] | None = None) -> None:
        """Every worker runs OpsPlan, and the same version of it and of Python as ``mine`` (by default
        this machine's); a :class:`ClusterError` naming the workers that do not."""
        mine = worker_versions() if mine is None else mine
        theirs = self._client.run(worker_versions, on_error="return")
        bad = []
        for addr, v in sorted(theirs.items()):
            if isinstance(v, BaseException):
                bad.append(f"{addr} cannot run OpsPlan jobs ({_message(v)})")
            elif v != mine:
                diff = ", ".join(f"{k} {v.get(k)}" for k in mine if v.get(k) != mine[k])
                bad.append(f"{addr} has {diff}")
        if bad:
            here = ", ".join(f"{k} {v}" for k, v in mine.items())
            more = f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""
            raise ClusterError(f"workers of {self.address} do not match this machine ({here}): "
                               f"{'; '.join(bad[:3])}{more}; install the same versions on every worker")

    # the Executor protocol
    def submit(self, fn: Callable[[Any], dict[str, Any]], spec: Any) -> Any:
        """``fn(spec)`` as one task keyed by ``spec.job_id``; ``fn`` must be a module-level function
        and ``spec`` plain data (a :class:`TypeError` otherwise, before anything is sent)."""
        if self._client is None:
            raise RuntimeError("the executor is closed")
        _check_function(fn)
        _check_plain(spec)
        key = KEY_PREFIX + str(spec.job_id)
        self._specs[key] = spec
        future = self._client.submit(run_on_worker, fn, _absolute_paths(spec), key=key, pure=False,
                                     retries=self.retries)
        self._futures[key] = future
        return future

    def as_completed(self, futures: Iterable[Any]) -> Iterator[Any]:
        """The futures as they finish (errored and cancelled ones too)."""
        from distributed import as_completed

        futures = list(futures)
        if not futures:
            return iter(())
        loop = self._client.loop if self._client is not None else None
        return iter(as_completed(futures, loop=loop))

    def result(self, future: Any) -> dict[str, Any]:
        """The row of a finished job. A task that failed for good (raised twice, ``KilledWorker``,
        the scheduler lost) is an error row; one that :meth:`cancel_all` cancelled raises
        :class:`concurrent.futures.CancelledError` (it is not finished: a resume runs it)."""
        spec = self._specs.get(future.key)
        if future.cancelled() and self._cancelling:
            raise cf.CancelledError(f"job {future.key} cancelled")
        try:
            row = future.result()
        except (Exception, asyncio.CancelledError) as err:
            return self._error_row(future.key, spec, err)
        if not isinstance(row, dict):
            return self._error_row(future.key, spec, TypeError(f"the job returned a {type(row).__name__}, not a row"))
        given, sent = getattr(spec, "input", None), getattr(_absolute_paths(spec), "input", None)
        if given != sent and isinstance(row.get("input"), str) and row["input"].startswith(sent):
            row["input"] = given + row["input"][len(sent):]  # the path as given, as in a local run
        return row

    def cancel_all(self) -> None:
        """Cancel every job not finished (a job already running on a worker runs to its end there,
        as Dask cannot stop a running task; its result is dropped)."""
        self._cancelling = True
        if self._client is not None and self._futures:
            try:
                self._client.cancel(list(self._futures.values()), force=True)
            except Exception:  # noqa: BLE001 - the scheduler is gone: nothing left to cancel
                pass

    def close(self) -> None:
        """Release the futures and disconnect (the cluster goes on)."""
        client, self._client = self._client, None
        self._futures.clear()
        if client is None:
            return
        import logging

        # a client that lost its scheduler logs its cancelled reconnection as an ERROR with a traceback
        # when closed: the jobs' rows have said it already
        log = logging.getLogger("distributed.client")
        level = log.level
        if client.status != "running":
            log.setLevel(logging.CRITICAL)
        try:
            client.close(timeout=min(self.timeout, 10))
        except Exception:  # noqa: BLE001 - a scheduler already gone
            pass
        finally:
            log.setLevel(level)

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # what the cluster is
    def workers_info(self) -> dict[str, Any]:
        """The cluster as the manifest and the progress line tell it: ``scheduler``, ``workers``
        (count), ``threads`` (task slots in all), ``hosts`` and ``cores`` (per host), ``addresses``
        and ``allowed_failures`` (worker deaths a job survives; None when the scheduler will not say)."""
        if self._client is None:
            raise RuntimeError("the executor is closed")
        workers = self._client.scheduler_info(n_workers=-1)["workers"]
        try:
            cores = self._client.run(os.cpu_count, on_error="return")
        except Exception:  # noqa: BLE001 - a worker gone meanwhile
            cores = {}
        hosts: dict[str, int] = {}
        for addr, w in workers.items():
            c = cores.get(addr)
            hosts[w.get("host", addr)] = c if isinstance(c, int) else 0
        try:
            allowed = int(self._client.run_on_scheduler(_allowed_failures))
        except Exception:  # noqa: BLE001 - a scheduler that refuses to run functions
            allowed = None
        return {
            "scheduler": self.address,
            "workers": len(workers),
            "threads": sum(int(w.get("nthreads", 0)) for w in workers.values()),
            "hosts": sorted(hosts),
            "cores": hosts,
            "addresses": sorted(workers),
            "nthreads": {addr: int(w.get("nthreads", 0)) for addr, w in sorted(workers.items())},
            "allowed_failures": allowed,
        }

    def summary(self) -> str:
        """One line for the progress display: ``2 workers (2 threads) on 1 host at tcp://...``."""
        info = self.workers_info()
        n, h = info["workers"], len(info["hosts"])
        return (f"{n} worker{'s' if n != 1 else ''} ({info['threads']} thread{'s' if info['threads'] != 1 else ''}) "
                f"on {h} host{'s' if h != 1 else ''} at {self.address}")

    def oversubscribed(self, cores_per_job: int) -> list[str]:
        """Hosts where the workers' task slots x ``cores_per_job`` exceed the cores (one line each)."""
        info = self.workers_info()
        slots: dict[str, int] = {}
        workers = self._client.scheduler_info(n_workers=-1)["workers"] if self._client is not None else {}
        for addr, w in workers.items():
            slots[w.get("host", addr)] = slots.get(w.get("host", addr), 0) + int(w.get("nthreads", 0))
        return [f"{host}: {slots[host]} task slot(s) x {cores_per_job} core(s) per job > {cores} cores"
                for host, cores in info["cores"].items()
                if cores and slots.get(host, 0) * cores_per_job > cores]

    def _error_row(self, key: str, spec: Any, err: BaseException) -> dict[str, Any]:
        text = _message(err)
        worker = ""
        last = getattr(err, "last_worker", None)
        if last is not None:  # KilledWorker
            worker = str(getattr(last, "address", "") or "")
            text = (f"the Dask workers running this job died ({_message(err)}); "
                    f"the other jobs went on")
        elif isinstance(err, (cf.CancelledError, asyncio.CancelledError)) or type(err).__name__ == "CommClosedError":
            text = f"the job was lost with the connection to the scheduler at {self.address} ({text})"
        job_id = str(getattr(spec, "job_id", key[len(KEY_PREFIX):] if key.startswith(KEY_PREFIX) else key))
        try:
            from opsplan.app.batch_jobs import JobSpec, error_row

            if isinstance(spec, JobSpec):
                return error_row(spec, text, host="", worker=worker)
        except ImportError:  # pragma: no cover - batch_jobs is part of this package
            pass
        return empty_row(job_id=job_id, status="error", error=text, violations=-1, worker=worker)


# -- measuring the cluster --------------------------------------------------------------------------
def measure_overhead(executor: DaskExecutor, jobs: int = 200) -> dict[str, float]:
    """The scheduler's cost per job, in milliseconds, from ``jobs`` trivial jobs (:func:`probe_job`):
    ``direct_ms`` a call here, ``throughput_ms`` the wall time per job with all of them submitted at
    once (what a batch of short jobs pays), ``latency_ms`` one job's round trip, submitted alone."""
    tag = f"{os.getpid()}-{time.time_ns()}"
    specs = [ProbeSpec(f"probe-{tag}-{k}") for k in range(jobs)]
    t = time.perf_counter()
    for s in specs:
        probe_job(s)
    direct = (time.perf_counter() - t) / jobs
    t = time.perf_counter()
    futures = [executor.submit(probe_job, s) for s in specs]
    rows = [executor.result(f) for f in executor.as_completed(futures)]
    through = (time.perf_counter() - t) / jobs
    bad = [r for r in rows if r["status"] != "optimal"]
    if bad or len(rows) != jobs:
        raise ClusterError(f"{len(bad)} of {jobs} probe jobs failed: {bad[0]['error'] if bad else 'lost'}")
    rounds = max(5, min(50, jobs // 4))
    t = time.perf_counter()
    for k in range(rounds):
        executor.result(executor.submit(probe_job, ProbeSpec(f"probe-{tag}-alone-{k}")))
    latency = (time.perf_counter() - t) / rounds
    info = executor.workers_info()
    return {"jobs": jobs, "workers": info["workers"], "threads": info["threads"],
            "direct_ms": round(direct * 1e3, 4), "throughput_ms": round(through * 1e3, 3),
            "latency_ms": round(latency * 1e3, 3),
            "overhead_ms": round(max(0.0, through - direct) * 1e3, 3)}


def _main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m opsplan.app.batch_dask",
                                description="Look at a Dask cluster as opsplan batch --scheduler sees it.")
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("info", help="the workers, threads and hosts")
    i.add_argument("scheduler", metavar="ADDRESS")
    o = sub.add_parser("overhead", help="the scheduler's overhead per job, from trivial jobs")
    o.add_argument("scheduler", metavar="ADDRESS")
    o.add_argument("-n", "--jobs", type=int, default=200)
    args = p.parse_args(argv)
    if args.command == "overhead" and args.jobs < 1:
        p.error("--jobs must be at least 1")
    try:
        with DaskExecutor(args.scheduler) as ex:
            if args.command == "info":
                info = ex.workers_info()
                print(ex.summary())
                for addr in info["addresses"]:
                    print(f"  {addr}  {info['nthreads'][addr]} thread(s)")
                print(f"  a job survives {info['allowed_failures']} worker death(s)")
                return 0
            m = measure_overhead(ex, args.jobs)
    except OpsPlanError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(f"{m['jobs']} trivial jobs on {m['workers']} worker(s), {m['threads']} thread(s):")
    print(f"  direct call          {m['direct_ms']:.4f} ms/job")
    print(f"  through the cluster  {m['throughput_ms']:.2f} ms/job (all submitted at once)")
    print(f"  one job alone        {m['latency_ms']:.2f} ms round trip")
    print(f"  scheduler overhead   {m['overhead_ms']:.2f} ms/job")
    return 0 if math.isfinite(m["overhead_ms"]) else 1


__all__ = ["ClusterError", "DaskExecutor", "ProbeSpec", "measure_overhead", "parse_address", "probe_job",
           "run_on_worker", "worker_versions"]


if __name__ == "__main__":  # pragma: no cover
    # run as the module's real name, so that its job functions pickle by reference to the workers
    from opsplan.app.batch_dask import _main as _named_main

    sys.exit(_named_main())
