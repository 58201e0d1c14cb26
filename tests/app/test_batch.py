"""``opsplan batch``: jobs, the local process pool, resume, interrupts, outputs and progress."""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from opsplan.app import batch
from opsplan.app.batch import BatchProgress, LocalExecutor, manifest_path, run_batch
from opsplan.app.batch_jobs import JobSpec, expand_inputs, make_jobs, run_job
from opsplan.app.cli import main
from opsplan.app.results import NAMES, read_results
from opsplan.models.errors import OpsPlanError

ROOT = Path(__file__).resolve().parents[2]


class Serial:
    """An executor that runs each job in this process as it is submitted, and keeps the specs it got."""

    def __init__(self, workers: int = 1, context: str | None = None) -> None:
        self.workers = workers
        self.specs: list[JobSpec] = []

    def submit(self, fn, spec):  # noqa: ANN001, ANN201
        self.specs.append(spec)
        f: cf.Future = cf.Future()
        f.set_result(fn(spec))
        return f

    def as_completed(self, futures):  # noqa: ANN001, ANN201
        return iter(list(futures))

    def result(self, future):  # noqa: ANN001, ANN201
        return future.result()

    def cancel_all(self) -> None:
        pass

    def close(self) -> None:
        pass


@pytest.fixture
def shop(bench_dir):
    """Paths of the classic job shops ft06 (optimum 55), la01 (666) and abz7 (hard) in tests/data."""
    folder = bench_dir / "jobshop"
    return {n: str(folder / f"{n}.txt") for n in ("ft06", "la01", "abz7")}


@pytest.fixture
def crash_solver(monkeypatch):
    """The test-only solver ``crash`` (tests/app/batch_crash_plugin.py: its process dies), registered
    as a plug-in is, so that worker processes load it; the registry is restored afterwards."""
    from opsplan.solvers import registry

    registry.known()  # the built-in registrations first
    monkeypatch.setattr(registry, "_MODULES", list(registry._MODULES))
    monkeypatch.setattr(registry, "_BACKENDS", dict(registry._BACKENDS))
    monkeypatch.setattr(registry, "_ENTRIES", dict(registry._ENTRIES))
    monkeypatch.syspath_prepend(str(ROOT))
    registry.add_registrations("tests.app.batch_crash_plugin")
    yield "crash"
    sys.modules.pop("tests.app.batch_crash_plugin", None)


def _plain(rows) -> list[dict]:  # noqa: ANN001
    """Rows with NaN as None, so that equal rows compare equal."""
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows]


def _cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "opsplan.app.cli", "batch", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


# -- inputs and jobs ---------------------------------------------------------------------------------
def test_inputs_from_a_benchmark_folder_files_globs_and_instances(bench_dir, tmp_path):
    """A benchmark folder gives its instances with references and families; a file inside one gets its
    reference; FILE#K is instance K; a glob expands; each scenario once."""
    items = expand_inputs([str(bench_dir / "jobshop"), str(bench_dir / "jobshop" / "ft06.txt"),
                           str(bench_dir / "tardiness" / "wt40.txt") + "#3", str(bench_dir / "fjsp" / "mk0*.fjs")])
    got = {(Path(i.path).name, i.index): (i.family, i.reference) for i in items}
    assert got[("ft06.txt", None)] == ("ft", 55.0) and got[("la01.txt", None)] == ("la", 666.0)
    assert got[("wt40.txt", 3)] == ("wt40", 537.0)  # the optimum of wt40 #3 in its index
    assert got[("mk01.fjs", None)] == ("mk", 40.0) and ("mk06.fjs", None) in got
    assert len(items) == len(got)  # ft06 named twice: once
    (tmp_path / "mine.txt").write_text((bench_dir / "jobshop" / "ft06.txt").read_text())
    (tmp_path / "old.csv").write_text("job_id\n")
    (tmp_path / "old.csv.manifest.json").write_text("{}")
    assert [(Path(i.path).name, i.family, i.reference) for i in expand_inputs([str(tmp_path)])] == [
        ("mine.txt", "", None)]  # a planner's own file; an earlier results file is not an input


def test_inputs_that_are_not_there_fail_before_anything_runs(tmp_path):
    """A missing file, a glob matching nothing and a named pipe (which would block a worker) are errors."""
    with pytest.raises(OpsPlanError, match="no such file"):
        expand_inputs([str(tmp_path / "nope.txt")])
    with pytest.raises(OpsPlanError, match="no file or folder matches"):
        expand_inputs([str(tmp_path / "*.fjs")])
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(OpsPlanError, match="not a regular file"):
        expand_inputs([str(tmp_path / "pipe.txt")])


def test_job_id_follows_content_and_parameters_not_the_file_name(shop, tmp_path):
    """The resume key: a copy under another name is the same job; other content, seed or limit is not."""
    copy = tmp_path / "copy.txt"
    copy.write_bytes(Path(shop["ft06"]).read_bytes())
    a = make_jobs([shop["ft06"]], ["cpsat"], 2, 1.0)
    b = make_jobs([str(copy)], ["cpsat"], 2, 1.0)
    assert [j.job_id for j in a] == [j.job_id for j in b] and a[0].job_id != a[1].job_id  # seeds 0, 1
    assert make_jobs([shop["ft06"]], ["cpsat"], 1, 2.0)[0].job_id != a[0].job_id
    copy.write_text(copy.read_text() + "\n\n")
    assert make_jobs([str(copy)], ["cpsat"], 2, 1.0)[0].job_id != a[0].job_id


def test_run_job_never_raises(shop, tmp_path):
    """A malformed file, an unknown solver: rows with status error and the reason, nothing raised."""
    bad = tmp_path / "bad.txt"
    bad.write_text("3 3\n0 5 1 x\n")
    spec = make_jobs([str(bad)], ["dispatch:spt"], fmt="orlib-jobshop")[0]
    row = run_job(spec)
    assert row["status"] == "error" and "bad.txt" in row["error"] and row["violations"] == -1
    row = run_job(make_jobs([shop["ft06"]], ["no-such-solver"])[0])
    assert row["status"] == "error" and "no-such-solver" in row["error"] and row["instance"] == "ft06"


# -- the runner -------------------------------------------------------------------------------------
def test_a_pool_run_gives_one_full_row_per_job_equal_to_opsplan_solve(shop, tmp_path, capsys):
    """Two worker processes: a row per (scenario, solver) with every column filled, solved elsewhere
    than here, and each objective equal to `opsplan solve` of the same scenario and solver."""
    solvers = ["dispatch:spt", "dispatch:mwkr", "cpsat"]
    jobs = make_jobs([shop["ft06"], shop["la01"]], solvers, 1, 5.0, 1)
    ex = LocalExecutor(2, context="spawn")  # spawn: the test process's fork server is the race's to set up
    try:
        run = run_batch(jobs, ex, tmp_path / "r.csv")
    finally:
        ex.close()
    assert [(r["instance"], r["solver"]) for r in run] == [(n, s) for n in ("ft06", "la01") for s in solvers]
    assert _plain(read_results(tmp_path / "r.csv")) == _plain(run)
    for r in run:
        solved = main(["solve", shop[r["instance"]], "--solver", r["solver"], "--time-limit", "5", "--threads", "1",
                       "--json"])
        assert solved == 0
        assert r["objective"] == json.loads(capsys.readouterr().out)["objective"], r
        assert r["kind"] == "jobshop" and r["family"] in ("ft", "la") and r["violations"] == 0 and r["error"] == ""
        assert r["reference"] == {"ft06": 55, "la01": 666}[r["instance"]]
        assert math.isclose(r["ref_gap"], (r["objective"] - r["reference"]) / r["reference"])
        assert r["worker"] != str(os.getpid()) and r["host"] and r["opsplan_version"] and r["solver_version"]
        assert r["finished_at"] and r["runtime_s"] >= 0 and r["time_limit"] == 5.0 and r["threads"] == 1
        curve = json.loads(r["progress"])
        assert curve and curve[-1][1] == r["objective"]
    assert {r["status"] for r in run if r["solver"] == "cpsat"} == {"optimal"}
    assert all(r["gap"] == 0 for r in run if r["solver"] == "cpsat")


@pytest.mark.parametrize("ext", [".csv", ".json", ".parquet"])
def test_results_in_each_format_and_the_manifest(shop, tmp_path, ext):
    """The table by extension, read back equal; the manifest names inputs with hashes, parameters,
    seeds, solvers, versions and the machine."""
    from opsplan.app.batch_jobs import file_hash

    jobs = make_jobs([shop["ft06"], shop["la01"]], ["dispatch:spt", "dispatch:lpt"], 2, 3.0, 1)
    out = tmp_path / f"results{ext}"
    run = run_batch(jobs, Serial(), out, manifest_extra={"workers": 1})
    assert len(run) == 8 and _plain(read_results(out)) == _plain(run) and set(run[0]) == set(NAMES)
    assert sorted({r["seed"] for r in run}) == [0, 1]
    m = json.loads(manifest_path(out).read_text())
    assert [(i["path"], i["sha256"]) for i in m["inputs"]] == [(p, file_hash(p)) for p in (shop["ft06"], shop["la01"])]
    assert m["solvers"] == ["dispatch:spt", "dispatch:lpt"] and m["seeds"] == [0, 1]
    assert m["parameters"]["time_limit"] == [3.0] and m["parameters"]["workers"] == 1
    assert set(m["versions"]) >= {"opsplan", "python", "ortools", "highspy", "onnxruntime"}
    assert m["versions"]["ortools"] and m["machine"]["cpus"] >= 1 and m["machine"]["host"]
    assert m["jobs"] == {"total": 8, "resumed": 0, "run": 8, "errors": 0, "complete": True, "interrupted": False}


def test_resume_skips_finished_jobs_and_reruns_failed_ones(shop, tmp_path):
    """A second run over the same file submits only the jobs it lacks (and the one that failed);
    the finished rows are kept as they were."""
    out = tmp_path / "r.json"
    first = make_jobs([shop["ft06"], shop["la01"]], ["dispatch:spt", "no-such-solver"])
    ex = Serial()
    rows1 = run_batch(first, ex, out)
    assert len(ex.specs) == 4 and sum(r["status"] == "error" for r in rows1) == 2
    more = make_jobs([shop["ft06"], shop["la01"]], ["dispatch:spt", "no-such-solver", "dispatch:mwkr"])
    ex = Serial()
    rows2 = run_batch(more, ex, out)
    assert sorted(s.solver for s in ex.specs) == ["dispatch:mwkr"] * 2 + ["no-such-solver"] * 2
    assert rows2.skipped == 2 and rows2.new == 4 and len(rows2) == 6
    kept = {r["job_id"]: r for r in _plain(rows1) if r["status"] != "error"}
    assert all(r == kept[r["job_id"]] for r in _plain(rows2) if r["job_id"] in kept)  # same rows, same finish times
    ex = Serial()
    assert len(run_batch(more, ex, out, resume=False)) == 6 and len(ex.specs) == 6  # --no-resume: all again


def test_a_malformed_input_is_an_error_row_and_the_rest_finish(shop, tmp_path):
    """A broken file among good ones: its rows say why; every other job has its schedule."""
    bad = tmp_path / "broken.txt"
    bad.write_text("2 2\n0 3 1 4\n1 zz\n")
    jobs = make_jobs([shop["ft06"], str(bad), shop["la01"]], ["dispatch:spt", "dispatch:mwkr"], fmt="orlib-jobshop")
    run = run_batch(jobs, Serial(), tmp_path / "r.csv")
    assert [r["status"] for r in run if "broken" in r["input"]] == ["error", "error"]
    assert all("broken.txt" in r["error"] for r in run if "broken" in r["input"])
    assert [r["status"] for r in run if "broken" not in r["input"]] == ["feasible"] * 4


def test_a_worker_that_dies_costs_only_its_job(shop, tmp_path, crash_solver):
    """The solver `crash` ends its worker process: that job is run again alone, dies again and is an
    error row; the jobs beside it in the pool are run again and finish; the pool was replaced twice."""
    jobs = make_jobs([shop["ft06"]], ["dispatch:spt", crash_solver, "dispatch:mwkr", "dispatch:lpt"])
    ex = LocalExecutor(2, context="spawn")
    try:
        run = run_batch(jobs, ex, tmp_path / "r.csv")
    finally:
        ex.close()
    by = {r["solver"]: r for r in run}
    assert by["crash"]["status"] == "error" and "died" in by["crash"]["error"]
    assert [by[s]["objective"] for s in ("dispatch:spt", "dispatch:mwkr", "dispatch:lpt")] == [88, 61, 77]
    assert ex.restarts == 2  # its first death (with company) and its second (alone)


@pytest.mark.timeout(60)
def test_workers_that_never_finish_a_job_fail_the_rest_at_once(shop, tmp_path, crash_solver, monkeypatch):
    """Every worker dies and none has ever finished a job (a broken environment): after a few fresh pools
    the jobs left are error rows at once, not two deaths each (and no job is left waiting forever)."""
    monkeypatch.setattr(batch, "MAX_START_FAILURES", 1)
    jobs = make_jobs([shop["ft06"], shop["la01"], shop["abz7"]], [crash_solver], 2)
    ex = LocalExecutor(2, context="spawn")
    try:
        run = run_batch(jobs, ex, tmp_path / "r.csv")
    finally:
        ex.close()
    assert len(run) == 6 and {r["status"] for r in run} == {"error"}
    assert ex.restarts == 2 and sum("before finishing any job" in r["error"] for r in run) >= 4


def test_too_many_workers_for_the_cores_is_refused_unless_asked(shop, tmp_path, monkeypatch, capsys):
    """--workers x --threads beyond the cores is refused (exit 2, nothing run); --oversubscribe allows
    it; without --workers there are cores // threads workers."""
    made: list[int] = []

    def fake(workers, context=None):  # noqa: ANN001, ANN202
        made.append(workers)
        return Serial(workers)

    monkeypatch.setattr(batch, "cpu_count", lambda: 4)
    monkeypatch.setattr(batch, "LocalExecutor", fake)
    base = ["batch", shop["ft06"], shop["la01"], shop["abz7"], "--solver", "dispatch:spt,dispatch:lpt"]
    assert main([*base, "--workers", "3", "--threads", "2", "-o", str(tmp_path / "a.csv")]) == 2
    assert "needs 6 cores, this machine has 4" in capsys.readouterr().err and not made
    assert not (tmp_path / "a.csv").exists()
    assert main([*base, "--workers", "3", "--threads", "2", "--oversubscribe", "-o", str(tmp_path / "b.csv")]) == 0
    assert main([*base, "--threads", "2", "-o", str(tmp_path / "c.csv")]) == 0
    assert main([*base, "--threads", "0", "-o", str(tmp_path / "d.csv")]) == 0  # 0: the solver's choice, all cores
    race = ["--solvers", "dispatch:spt,dispatch:mwkr,dispatch:lpt", "-o", str(tmp_path / "e.csv")]
    assert main([*base[:3], *race]) == 0  # two jobs: two workers would fit were a race one core
    assert made == [3, 2, 1, 1]  # a race of three members keeps three cores busy
    assert {r["solver"] for r in read_results(tmp_path / "e.csv")} == {"race:dispatch:spt+dispatch:mwkr+dispatch:lpt"}


def test_schedules_are_saved_per_job_and_pass_the_checker(shop, tmp_path, capsys):
    """--schedules DIR: each job's schedule as an OpsPlan document, which `opsplan check` accepts."""
    from opsplan.models import check
    from opsplan.models.io.document import load

    jobs = make_jobs([shop["ft06"]], ["dispatch:spt", "dispatch:mwkr"], schedules_dir=tmp_path / "plans")
    run = run_batch(jobs, Serial(), tmp_path / "r.csv")
    for r in run:
        doc = load(r["schedule_file"])
        assert Path(r["schedule_file"]).parent == tmp_path / "plans"
        assert doc.schedules[0].name == r["solver"] and check(doc.scenario, doc.schedules[0]) == []


# -- progress --------------------------------------------------------------------------------------
def test_the_bar_on_a_terminal_shows_done_total_and_failures(shop):
    """On a terminal: rich's live bar with done/total and the failures; --verbose adds a line per job."""
    import io

    stream = io.StringIO()
    p = BatchProgress(stream, verbose=True, tty=True)
    rows = [run_job(j) for j in make_jobs([shop["ft06"]], ["dispatch:spt", "nope"])]
    p.start(3, 1)
    for r in rows:
        p.job_done(r)
    p.stop()
    text = stream.getvalue()
    assert "3/3" in text and "1 failed" in text and "\x1b[" in text
    assert "[2/3] ft06 dispatch:spt seed 0: feasible 88" in text and "[3/3] ft06 nope seed 0: error:" in text


def test_without_a_terminal_only_the_summary_and_with_verbose_a_line_per_job(shop, tmp_path):
    """stderr not a terminal: no bar, no escape codes; one summary line (and the first failure); -v adds
    one line per finished job. A failed job makes the exit code 1."""
    bad = tmp_path / "bad.jss"
    bad.write_text("not a shop\n")
    args = [shop["ft06"], str(bad), "--solver", "dispatch:spt", "--workers", "1"]
    quiet = _cli(*args, "-o", str(tmp_path / "q.csv"))
    assert quiet.returncode == 1 and quiet.stdout == "" and "\x1b" not in quiet.stderr
    lines = quiet.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("batch: 2 job(s); 2 run now") and "1 solved, 1 failed" in lines[0]
    assert lines[1].startswith("e.g.") and "bad.jss" in lines[1]
    loud = _cli(*args, "-o", str(tmp_path / "v.csv"), "-v")
    lines = loud.stderr.splitlines()
    assert len(lines) == 4 and lines[0].startswith("[1/2] ft06 dispatch:spt seed 0: feasible 88")
    assert lines[1].startswith("[2/2] bad dispatch:spt seed 0: error:")


# -- interrupts ------------------------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_keeps_what_is_done_and_the_same_command_resumes(shop, tmp_path, sig):
    """Ctrl+C (SIGINT to the process group, as a terminal sends it) or SIGTERM (to the group too, as a
    batch system sends it) while abz7's CP-SAT job runs: exit 130 at once, the five finished rows and
    an 'interrupted' manifest are written; the same command run again runs only the sixth job."""
    out = tmp_path / "r.csv"
    cmd = [sys.executable, "-m", "opsplan.app.cli", "batch", shop["ft06"], shop["la01"], shop["abz7"],
           "--solver", "dispatch:spt,cpsat", "--time-limit", "2", "--workers", "1", "-o", str(out), "-v"]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=ROOT)
    try:
        seen = []
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("[5/6]"):
                break
        assert seen and seen[-1].startswith("[5/6] abz7 dispatch:spt"), "".join(seen)
        t = time.monotonic()
        os.killpg(proc.pid, sig)
        rest = proc.stderr.read()
        assert proc.wait(timeout=30) == 130, rest
        assert time.monotonic() - t < 1.5  # not the rest of abz7's time limit
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "interrupted: 1 not run" in rest and "Traceback" not in rest
    rows = read_results(out)
    assert len(rows) == 5 and ("abz7", "cpsat") not in {(r["instance"], r["solver"]) for r in rows}
    assert json.loads(manifest_path(out).read_text())["jobs"]["interrupted"] is True
    if sig == signal.SIGINT:
        again = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert again.returncode == 0, again.stderr
        assert [x for x in again.stderr.splitlines() if x.startswith("[")] == [
            x for x in again.stderr.splitlines() if x.startswith("[6/6] abz7 cpsat")]
        assert "5 already in" in again.stderr
        after = read_results(out)
        assert len(after) == 6 and _plain(after[:5]) == _plain(rows)
        assert json.loads(manifest_path(out).read_text())["jobs"]["complete"] is True


# -- scaling (measured, not a unit test) -----------------------------------------------------------
@pytest.mark.slow
def test_two_workers_against_one_on_twenty_short_jobs(shop, bench_dir, tmp_path):
    """20 short CP-SAT jobs (1 s limit, 1 thread; five instances none of which it proves in 1 s, x four
    seeds) on 1 worker, then on 2, in one run on this machine: the speed-up is printed (goal: at least
    1.8 on 2 cores). Worker start-up (importing the solvers) is part of each run's time."""
    wt40 = str(bench_dir / "tardiness" / "wt40.txt")
    files = [shop["abz7"], str(bench_dir / "jobshop" / "ft10.txt"), f"{wt40}#1", f"{wt40}#2", f"{wt40}#3"]
    jobs = make_jobs(files, ["cpsat"], 4, 1.0, 1)
    assert len(jobs) == 20
    wall = {}
    for workers in (1, 2):
        ex = LocalExecutor(workers)
        try:
            t = time.perf_counter()
            run = run_batch(jobs, ex, tmp_path / f"w{workers}.csv")
            wall[workers] = time.perf_counter() - t
        finally:
            ex.close()
        assert len(run) == 20 and all(r["status"] in ("optimal", "feasible") for r in run)
    ratio = wall[1] / wall[2]
    print(f"\n20 jobs: 1 worker {wall[1]:.2f} s, 2 workers {wall[2]:.2f} s: speed-up {ratio:.2f}x "
          f"on {batch.cpu_count()} cores")
    assert ratio >= 1.7  # the goal is 1.8; the margin is for a machine busy with something else
