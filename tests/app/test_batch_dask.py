"""``opsplan batch --scheduler``: the batch on a real Dask cluster.

One scheduler and two workers (each ``dask worker`` with its nanny, one thread) run as separate
processes on loopback for the whole module, started once (a few seconds) and always killed at the
end. The scheduler runs with ``allowed-failures`` 1 (a job whose worker dies is run once more, then
given up as ``KilledWorker``) and ``worker-saturation`` 1.0 (a worker holds only the job it runs).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from opsplan.app.batch_dask import ClusterError, DaskExecutor, ProbeSpec, measure_overhead, parse_address, probe_job
from opsplan.app.cli import main
from opsplan.app.results import read_results

BENCH = Path(__file__).resolve().parents[1] / "data" / "benchmarks" / "jobshop"
DASK = str(Path(sys.executable).with_name("dask"))
START_S = 60  # a loaded CI machine: the cluster's processes import dask, distributed, opsplan


def _spawn(args: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with log.open("wb") as out:  # its own session: the whole process group (nanny and worker) is ours to kill
        return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)


def _kill(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(p.pid, signal.SIGKILL)  # the group: a worker its nanny left behind too
        except ProcessLookupError:
            pass
        p.wait()


def _client(address: str):
    from distributed import Client

    return Client(address, timeout=START_S, set_as_default=False)


@contextlib.contextmanager
def _cluster(d: Path, workers: int = 2) -> Iterator[dict]:
    """A scheduler and ``workers`` one-thread workers on 127.0.0.1 (processes of their own, killed on exit)."""
    # as docs/batch.md advises: a job is retried once after its worker died, and a one-thread worker
    # holds only the job it runs (so that its death implicates no job queued behind)
    env = dict(os.environ, DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1",
               DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION="1.0")
    info = d / "scheduler.json"
    procs = [_spawn([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(info)], d / "scheduler.log", env)]
    try:
        deadline = time.monotonic() + START_S
        while not (info.is_file() and info.stat().st_size) and time.monotonic() < deadline:
            assert procs[0].poll() is None, (d / "scheduler.log").read_text()
            time.sleep(0.05)
        address = json.loads(info.read_text())["address"]
        for k in range(1, workers + 1):
            procs.append(_spawn([DASK, "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                 "--no-dashboard", "--memory-limit", "0", "--name", f"w{k}"],
                                d / f"worker{k}.log", env))
        if workers:
            with _client(address) as c:
                c.wait_for_workers(workers, timeout=START_S)
        yield {"address": address, "dir": d, "scheduler": procs[0]}
    finally:
        _kill(procs)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two one-thread workers for the module: ``{"address", "dir", "scheduler"}``."""
    with _cluster(tmp_path_factory.mktemp("dask")) as c:
        yield c


@pytest.fixture
def executor(cluster):
    """A connected executor; afterwards the cluster has its two workers again (a killed one restarted)."""
    ex = DaskExecutor(cluster["address"], timeout=10)
    try:
        yield ex
    finally:
        ex.close()
        with _client(cluster["address"]) as c:
            c.wait_for_workers(2, timeout=START_S)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- addresses and connection errors (no cluster needed) -----------------------------------------
def test_scheduler_addresses_are_parsed_or_refused_in_one_line():
    assert parse_address("tcp://10.0.0.5:8786") == ("tcp", "10.0.0.5", 8786)
    assert parse_address("10.0.0.5:9000") == ("tcp", "10.0.0.5", 9000)
    assert parse_address("tls://head") == ("tls", "head", 8786)
    for bad, says in [("http://head:8787", "protocol 'http'"), ("tcp://head:99999", "out of range"),
                      ("tcp://head:port", "expected tcp://HOST:PORT"), ("", "empty address"),
                      ("tcp://head:8786/status", "not a scheduler address")]:
        with pytest.raises(ClusterError, match="expected tcp://HOST:PORT") as err:
            parse_address(bad)
        assert says in str(err.value) and "\n" not in str(err.value)


def test_no_scheduler_at_the_address_is_a_quick_clear_error():
    port = _free_port()  # nothing listens there
    t = time.perf_counter()
    with pytest.raises(ClusterError, match=rf"no Dask scheduler at 127.0.0.1:{port}: Connection refused"):
        DaskExecutor(f"tcp://127.0.0.1:{port}", timeout=20)
    assert time.perf_counter() - t < 5  # refused at once, not after the connect timeout


def test_a_port_that_never_answers_times_out_instead_of_hanging():
    with socket.socket() as s:  # listens, accepts, says nothing: Dask's own client would wait forever
        s.bind(("127.0.0.1", 0))
        s.listen()
        t = time.perf_counter()
        with pytest.raises(ClusterError, match=r"accepts connections but sent nothing within 0.5 s"):
            DaskExecutor(f"tcp://127.0.0.1:{s.getsockname()[1]}", timeout=0.5)
        assert time.perf_counter() - t < 5


def test_batch_with_an_unreachable_scheduler_exits_2_with_one_line(tmp_path, capsys):
    out = tmp_path / "r.csv"
    rc = main(["batch", str(BENCH / "ft06.txt"), "--solver", "dispatch:spt",
               "--scheduler", f"tcp://127.0.0.1:{_free_port()}", "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2
    assert "no Dask scheduler at 127.0.0.1" in err and "Traceback" not in err and len(err.splitlines()) == 1
    rc = main(["batch", str(BENCH / "ft06.txt"), "--scheduler", "http://127.0.0.1:8787", "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and "protocol 'http'" in err and len(err.splitlines()) == 1


# -- on the cluster -------------------------------------------------------------------------------
def test_jobs_spread_over_both_workers_and_come_back_as_rows(executor):
    info = executor.workers_info()
    assert info["workers"] == 2 and info["threads"] == 2 and info["allowed_failures"] == 1
    assert info["hosts"] == ["127.0.0.1"] and info["cores"]["127.0.0.1"] == os.cpu_count()
    specs = [ProbeSpec(f"spread-{k}", sleep_s=0.05) for k in range(16)]
    futures = [executor.submit(probe_job, s) for s in specs]
    rows = [executor.result(f) for f in executor.as_completed(futures)]
    assert sorted(r["job_id"] for r in rows) == sorted(s.job_id for s in specs)
    assert all(r["status"] == "optimal" and r["objective"] == len(r["job_id"]) for r in rows)
    assert {r["worker"] for r in rows} == set(info["addresses"])  # the Dask worker's address, both used
    assert executor.summary() == f"2 workers (2 threads) on 1 host at {executor.address}"
    assert executor.oversubscribed(1) == []
    assert executor.oversubscribed(os.cpu_count()) == ([] if os.cpu_count() == 1 else
                                                       [f"127.0.0.1: 2 task slot(s) x {os.cpu_count()} core(s) "
                                                        f"per job > {os.cpu_count()} cores"])
    # the key is the job's id: submitting the same job again is recognisably the same task
    again = executor.submit(probe_job, specs[0])
    assert again.key == futures[0].key == "opsplan-job-spread-0"


def test_only_plain_data_and_module_level_functions_are_sent(executor):
    with pytest.raises(TypeError, match="module-level function"):
        executor.submit(lambda spec: {}, ProbeSpec("lambda"))
    factor = 2

    def closure(spec):
        return {"job_id": spec.job_id * factor}

    with pytest.raises(TypeError, match="module-level function"):
        executor.submit(closure, ProbeSpec("closure"))
    with pytest.raises(TypeError, match=r"spec\.marker is a \w*Path: only plain data"):
        executor.submit(probe_job, ProbeSpec("path", marker=Path("x")))  # type: ignore[arg-type]


def test_the_same_batch_on_the_cluster_gives_the_local_rows(cluster, tmp_path, monkeypatch):
    """Deterministic solvers (dispatch rules; CP-SAT on one thread with a fixed seed, proved optimal).
    The inputs are given relative to this process's folder, which is not the workers'."""
    monkeypatch.chdir(BENCH)
    inputs = ["ft06.txt", "la01.txt"]
    common = ["--solver", "cpsat,dispatch:mwkr,dispatch:spt", "--seeds", "2", "--threads", "1",
              "--time-limit", "30"]
    local, remote = tmp_path / "local.csv", tmp_path / "cluster.parquet"
    assert main(["batch", *inputs, *common, "--workers", "2", "-o", str(local)]) == 0
    assert main(["batch", *inputs, *common, "--scheduler", cluster["address"], "-o", str(remote)]) == 0
    a, b = read_results(local), read_results(remote)
    assert len(a) == len(b) == 2 * 3 * 2

    def same(r):
        return r["job_id"], r["input"], r["solver"], r["seed"], r["status"], r["objective"], r["violations"]

    assert [same(r) for r in a] == [same(r) for r in b]
    assert [r["input"] for r in b][::6] == inputs  # as given, though the workers read them by absolute path
    assert {r["objective"] for r in b if r["solver"] == "cpsat"} == {55.0, 666.0}  # ft06, la01 optima
    assert all(r["status"] == "optimal" for r in b if r["solver"] == "cpsat")
    with DaskExecutor(cluster["address"]) as ex:
        assert {r["worker"] for r in b} <= set(ex.workers_info()["addresses"])
    manifest = json.loads(Path(str(remote) + ".manifest.json").read_text())
    assert manifest["jobs"]["complete"] and manifest["jobs"]["errors"] == 0


def test_a_worker_killed_mid_job_costs_only_that_job_which_runs_again(executor, tmp_path):
    marker = tmp_path / "started"
    victim = ProbeSpec("victim", sleep_s=1.0, marker=str(marker))
    others = [ProbeSpec(f"bystander-{k}", sleep_s=0.2) for k in range(6)]
    futures = [executor.submit(probe_job, victim)] + [executor.submit(probe_job, s) for s in others]
    deadline = time.monotonic() + 20
    while not (marker.is_file() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.02)
    first_pid = int(marker.read_text())
    assert first_pid != os.getpid()
    marker.unlink()
    os.kill(first_pid, signal.SIGKILL)  # kill -9 the worker process running the victim
    rows = {r["job_id"]: r for r in (executor.result(f) for f in executor.as_completed(futures))}
    assert sorted(rows) == sorted(["victim"] + [s.job_id for s in others])
    assert all(r["status"] == "optimal" and r["error"] == "" for r in rows.values())
    assert int(marker.read_text()) != first_pid  # the victim ran again, in another process


def test_a_job_that_kills_every_worker_it_runs_on_becomes_an_error_row(executor):
    bad = ProbeSpec("poison", kill_worker=True)
    good = [ProbeSpec(f"fine-{k}", sleep_s=0.05) for k in range(4)]
    futures = [executor.submit(probe_job, bad)] + [executor.submit(probe_job, s) for s in good]
    rows = {r["job_id"]: r for r in (executor.result(f) for f in executor.as_completed(futures))}
    assert sorted(rows) == sorted(["poison"] + [s.job_id for s in good])
    assert rows["poison"]["status"] == "error" and "KilledWorker" in rows["poison"]["error"]
    assert "died" in rows["poison"]["error"] and rows["poison"]["worker"].startswith("tcp://127.0.0.1:")
    assert all(rows[s.job_id]["status"] == "optimal" for s in good)


def test_cancel_all_cancels_what_is_not_finished(executor):
    futures = [executor.submit(probe_job, ProbeSpec(f"slow-{k}", sleep_s=0.3)) for k in range(8)]
    executor.cancel_all()
    done = cancelled = 0
    for f in executor.as_completed(futures):
        try:
            row = executor.result(f)
            done += row["status"] == "optimal"
        except Exception as err:  # noqa: BLE001
            import concurrent.futures as cf

            assert isinstance(err, cf.CancelledError)
            cancelled += 1
    assert done + cancelled == 8 and cancelled >= 6  # at most the two already running may finish


def test_overhead_is_measured_per_job(executor):
    m = measure_overhead(executor, 40)
    assert m["jobs"] == 40 and m["workers"] == 2
    assert 0 < m["direct_ms"] < m["throughput_ms"] and m["latency_ms"] > 0
    assert m["overhead_ms"] == pytest.approx(m["throughput_ms"] - m["direct_ms"], abs=1e-3)


def test_losing_the_scheduler_makes_the_unfinished_jobs_error_rows(tmp_path):
    with _cluster(tmp_path, workers=1) as c:
        ex = DaskExecutor(c["address"], timeout=10)
        futures = [ex.submit(probe_job, ProbeSpec(f"orphan-{k}", sleep_s=0.5)) for k in range(4)]
        time.sleep(0.2)
        c["scheduler"].kill()  # the scheduler's process dies (its group: the worker lives on until cleanup)
        c["scheduler"].wait()
        t = time.perf_counter()
        rows = [ex.result(f) for f in ex.as_completed(futures)]
        assert time.perf_counter() - t < 10  # they do not wait for a scheduler that is gone
        records: list[logging.LogRecord] = []
        handler = logging.Handler(logging.ERROR)
        handler.emit = records.append  # type: ignore[method-assign]
        logging.getLogger("distributed.client").addHandler(handler)
        try:
            ex.close()
        finally:
            logging.getLogger("distributed.client").removeHandler(handler)
        assert not records, [r.getMessage() for r in records]  # closing the orphaned client is quiet
    assert sorted(r["job_id"] for r in rows) == [f"orphan-{k}" for k in range(4)]
    assert all(r["status"] == "error" and "lost with the connection to the scheduler" in r["error"] for r in rows)


def test_workers_of_another_version_are_refused(executor):
    executor.check_versions()  # the same installation: fine
    with pytest.raises(ClusterError, match=r"do not match this machine \(opsplan 0\.0\.0-other, python 3\.0\)") as err:
        executor.check_versions({"opsplan": "0.0.0-other", "python": "3.0"})
    text = str(err.value)
    assert text.count("tcp://127.0.0.1:") >= 2 and "install the same versions on every worker" in text


def test_a_scheduler_without_workers_is_an_error_not_a_hang(tmp_path):
    with _cluster(tmp_path, workers=0) as c:
        t = time.perf_counter()
        with pytest.raises(ClusterError, match=r"has no worker \(waited 0.5 s\); start some with `dask worker tcp://"):
            DaskExecutor(c["address"], timeout=0.5)
        assert time.perf_counter() - t < 5


def test_a_batch_whose_worker_is_killed_mid_solve_still_has_every_row(executor, cluster, tmp_path):
    """The real path (run_batch, run_job, CP-SAT): kill -9 a worker while it solves; its job runs again."""
    import threading

    from opsplan.app.batch import run_batch
    from opsplan.app.batch_jobs import make_jobs

    jobs = make_jobs([str(BENCH / "ft10.txt")], ["cpsat"], seeds=3, time_limit=1.0, threads=1)
    killed: list[str] = []

    def kill_a_busy_worker() -> None:
        with _client(cluster["address"]) as c:
            pids = c.run(os.getpid)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                busy = [a for a, keys in c.processing().items() if keys]
                if busy:
                    time.sleep(0.3)  # inside the solve (1 s)
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append(busy[0])
                    return
                time.sleep(0.02)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    run = run_batch(jobs, executor, tmp_path / "r.csv")
    killer.join()
    assert killed, "no worker was busy"
    assert sorted(r["job_id"] for r in run) == sorted(j.job_id for j in jobs)
    assert all(r["status"] in ("feasible", "optimal", "time_limit") and r["violations"] == 0 for r in run), \
        [(r["status"], r["error"]) for r in run]
    assert not run.interrupted
    assert killed[0] not in {r["worker"] for r in run}  # the killed worker's job finished on another one
