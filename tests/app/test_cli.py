"""The headless command line: the exact forms promised in the README."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from opsplan.app.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def ft06_txt(bench_dir):
    """The OR-Library ft06 file from the benchmark copies in tests/data."""
    return str(bench_dir / "jobshop" / "ft06.txt")


def test_import_then_solve_then_check(capsys, tmp_path, ft06_txt):
    """import -> solve -o -> check round trip on ft06, proving makespan 55."""
    doc = tmp_path / "ft06.json"
    rc, out, _ = run(capsys, "import", "--format", "orlib-jobshop", ft06_txt, "-o", str(doc))
    assert rc == 0 and doc.is_file() and "6 jobs" in out
    solved = tmp_path / "solved.json"
    rc, out, _ = run(capsys, "solve", str(doc), "--solver", "cpsat", "--time-limit", "30", "--threads", "2",
                     "-o", str(solved), "--json")
    assert rc == 0
    res = json.loads(out)
    assert res["status"] == "optimal" and res["objective"] == 55 and res["violations"] == 0
    assert {"status", "objective", "bound", "gap", "runtime_s", "solver", "violations"} <= set(res)
    rc, out, _ = run(capsys, "check", str(doc), str(solved))
    assert rc == 0 and "no violations" in out


def test_solve_la01_optimal(capsys, bench_dir):
    """la01 solved straight from the benchmark file with --format proves 666."""
    rc, out, _ = run(capsys, "solve", str(bench_dir / "jobshop" / "la01.txt"), "--format", "orlib-jobshop",
                     "--solver", "cpsat", "--time-limit", "60", "--threads", "2", "--json")
    res = json.loads(out)
    assert rc == 0 and (res["status"], res["objective"]) == ("optimal", 666)


def test_check_reports_violations_with_exit_1(capsys, tmp_path):
    """A schedule with a machine overlap makes `check` exit 1 and list the violation."""
    sc = SAMPLES / "ft06.json"
    solved = tmp_path / "s.json"
    assert main(["solve", str(sc), "--solver", "dispatch:spt", "-o", str(solved), "--json"]) == 0
    data = json.loads(solved.read_text())
    a = data["schedules"][-1]["assignments"]
    work = [x for x in a if x["category"] == "work"]
    # move the second operation on some machine onto the first one's start
    by_res: dict[str, list] = {}
    for x in work:
        by_res.setdefault(x["resource"], []).append(x)
    first, second = sorted(next(iter(by_res.values())), key=lambda x: x["start"])[:2]
    dur = second["end"] - second["start"]
    second["start"], second["end"] = first["start"], first["start"] + dur
    solved.write_text(json.dumps(data))
    capsys.readouterr()
    rc, out, _ = run(capsys, "check", str(sc), str(solved))
    assert rc == 1 and "machine_overlap" in out


def test_solve_summary_and_progress(capsys):
    """Without --json: a readable summary with status, objective, KPIs and the checker's count."""
    rc, out, _ = run(capsys, "solve", str(SAMPLES / "bakery-jobshop.json"), "--solver", "cpsat",
                     "--time-limit", "5", "--threads", "2")
    assert rc == 0
    for word in ("status", "objective", "total_weighted_tardiness", "kpis", "checker    0 violation"):
        assert word in out
    # the kind's words: its label, its one-line summary, every KPI by its label and unit
    from opsplan.models.io.document import load
    from opsplan.models.kinds import descriptor

    sc = load(SAMPLES / "bakery-jobshop.json").scenario
    d = descriptor(sc)
    assert f"({d.label}: {d.summary(sc)})" in out
    kpi_line = next(line for line in out.splitlines() if line.startswith("kpis"))
    assert all(k.label in kpi_line for k in d.kpi_list)
    assert "Makespan" in kpi_line and " min" in kpi_line and "%" in kpi_line


@pytest.mark.parametrize("rule", ["fifo", "spt", "lpt", "mwkr", "mor", "edd", "atc", "cr", "random"])
def test_every_rule_from_cli(capsys, rule):
    """dispatch:<rule> works from the CLI and yields a checked, feasible plan."""
    rc, out, _ = run(capsys, "solve", str(SAMPLES / "bakery-jobshop.json"), "--solver", f"dispatch:{rule}", "--json")
    res = json.loads(out)
    assert rc == 0 and res["status"] == "feasible" and res["violations"] == 0


def test_export_csv(capsys, tmp_path):
    """export writes a CSV with a header and one row per assignment, with calendar times."""
    solved = tmp_path / "s.json"
    main(["solve", str(SAMPLES / "bakery-jobshop.json"), "--solver", "dispatch:atc", "-o", str(solved), "--json"])
    out_csv = tmp_path / "plan.csv"
    rc, _, _ = run(capsys, "export", str(solved), "-o", str(out_csv))
    lines = out_csv.read_text().splitlines()
    assert rc == 0 and lines[0].startswith("task,") and "start_time" in lines[0] and len(lines) > 10


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["solve", "missing.json"], "missing.json"),
        (["solve", str(SAMPLES / "ft06.json"), "--solver", "nosuch"], "unknown solver 'nosuch'"),
        (["solve", str(SAMPLES / "ft06.json"), "--solver", "dispatch:nosuch"], "unknown dispatch variant"),
        (["solve", str(ROOT / "tests/data/bad/truncated.orlib-jobshop.txt"), "--format", "orlib-jobshop"], "line"),
        (["solve", str(ROOT / "tests/data/bad/unknown-machine.opsplan.json")], "unknown machine 'M9'"),
        (["import", str(SAMPLES / "ft06.json"), "--format", "nosuch", "-o", "x.json"], "nosuch"),
        (["bench", "jobshop", "--dir", "/nonexistent"], "index.json"),
    ],
)
def test_bad_input_one_line_error(capsys, argv, needle):
    """Bad input: non-zero exit, one line on stderr naming the problem, no traceback."""
    rc, _, err = run(capsys, *argv)
    assert rc != 0
    assert needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def small_jobshop_bench(folder: Path, bench_dir: Path, names=("ft06", "la01", "la02")) -> Path:
    """A benchmark folder in ``folder`` holding only ``names`` of the job-shop set in ``bench_dir``."""
    src = bench_dir / "jobshop"
    index = json.loads((src / "index.json").read_text())
    keep = {k: index[k] for k in names}
    for k in keep:
        shutil.copy(src / keep[k]["file"], folder / keep[k]["file"])
    (folder / "index.json").write_text(json.dumps(keep))
    return folder


def test_bench_without_its_folder_says_where_it_looked_and_how_to_point_there(capsys, tmp_path, monkeypatch):
    """A clone without the public sets: bench fails in one line naming the folder it looked in (from
    $OPSPLAN_BENCHMARKS, the default beside the checkout, or --dir) and the two ways to point it there."""
    import opsplan.app.bench as bench

    def fails(*argv: str) -> str:
        rc, out, err = run(capsys, "bench", *argv, "--solver", "dispatch:spt")
        assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert "benchmark folder not found" in err and "--dir DIR" in err and "OPSPLAN_BENCHMARKS=DIR" in err
        return err

    missing = tmp_path / "nowhere"
    monkeypatch.setenv("OPSPLAN_BENCHMARKS", str(missing))
    err = fails("jobshop")
    assert f"{missing / 'jobshop'} (from OPSPLAN_BENCHMARKS={missing})" in err
    monkeypatch.delenv("OPSPLAN_BENCHMARKS")
    monkeypatch.setattr(bench, "REPO", tmp_path / "clone")  # a checkout with nothing beside it
    err = fails("tardiness")
    assert f"{tmp_path / 'shared' / 'benchmarks' / 'tardiness'} (the default" in err
    err = fails("fjsp", "--dir", str(missing))
    assert f"{missing} (given by --dir)" in err


def test_bench_json_on_a_small_folder(capsys, tmp_path, bench_dir):
    """bench over a folder laid out like the public jobshop set: per-instance rows and the mean gap."""
    small_jobshop_bench(tmp_path, bench_dir)
    rc, out, _ = run(capsys, "bench", "jobshop", "--dir", str(tmp_path), "--solver", "dispatch:mwkr,cpsat",
                     "--time-limit", "20", "--threads", "2", "--json")
    rep = json.loads(out)
    assert rc == 0
    assert len(rep["rows"]) == 6 and all(r["violations"] == 0 for r in rep["rows"])
    cp = {r["instance"]: r for r in rep["rows"] if r["solver"] == "cpsat"}
    assert cp["ft06"]["gap_pct"] == 0.0 and cp["la01"]["objective"] == 666
    assert rep["mean_gap_pct"]["cpsat"] == 0.0
    assert rep["mean_gap_pct"]["dispatch:mwkr"] > 0.0
    assert set(rep["summary"]["families"]) == {"ft", "la"}
    rc, out, _ = run(capsys, "bench", "jobshop", "--dir", str(tmp_path), "--solver", "dispatch:spt",
                     "--instances", "la*")
    assert rc == 0 and "la" in out and "mean gap" in out


def test_bench_reuses_proofs_of_a_shorter_run(capsys, tmp_path, bench_dir):
    """--reuse-proven takes instances proved optimal at a shorter limit instead of solving again."""
    small_jobshop_bench(tmp_path, bench_dir, ("ft06",))
    first = tmp_path / "short.json"
    assert main(["bench", "jobshop", "--dir", str(tmp_path), "--solver", "cpsat", "--time-limit", "20",
                 "--output", str(first), "--json"]) == 0
    capsys.readouterr()
    rc, out, _ = run(capsys, "bench", "jobshop", "--dir", str(tmp_path), "--solver", "cpsat,dispatch:spt",
                     "--time-limit", "30", "--reuse-proven", str(first), "--json")
    rows = {r["solver"]: r for r in json.loads(out)["rows"]}
    assert rc == 0 and rows["cpsat"].get("reused") and rows["cpsat"]["objective"] == 55
    assert not rows["dispatch:spt"].get("reused")
    rc, _, err = run(capsys, "bench", "jobshop", "--dir", str(tmp_path), "--time-limit", "5",
                     "--reuse-proven", str(first))
    assert rc == 2 and "not below" in err


def test_bench_saves_after_every_instance_and_resumes(capsys, tmp_path, bench_dir, monkeypatch):
    """A bench killed half way keeps its finished rows in --output; --resume runs only the rest."""
    import opsplan.app.bench as bench

    small_jobshop_bench(tmp_path, bench_dir)
    out = tmp_path / "rep.json"
    real, calls = bench.run_instance, []

    def crash_on_third(*a, **k):
        calls.append(a[2])
        if len(calls) == 3:
            raise RuntimeError("power cut")
        return real(*a, **k)

    monkeypatch.setattr(bench, "run_instance", crash_on_third)
    args = ["bench", "jobshop", "--dir", str(tmp_path), "--solver", "dispatch:spt,dispatch:mwkr",
            "--time-limit", "5", "--output", str(out)]
    assert main(args) != 0  # the crash is reported as an internal error
    partial = json.loads(out.read_text())
    assert not partial["complete"] and [(r["instance"], r["solver"]) for r in partial["rows"]] == [
        ("ft06", "dispatch:spt"), ("ft06", "dispatch:mwkr")]
    monkeypatch.setattr(bench, "run_instance", real)
    capsys.readouterr()
    rc, printed, _ = run(capsys, *args, "--resume", str(out), "--json")
    rep = json.loads(printed)
    assert rc == 0 and rep["complete"] and len(rep["rows"]) == 6
    assert [bool(r.get("resumed")) for r in rep["rows"]] == [True, True, False, False, False, False]
    assert rep["rows"][0]["objective"] == partial["rows"][0]["objective"]
    assert json.loads(out.read_text())["complete"]
    # the wall time adds up over the resumed runs (a finished report resumed is not reset to 0 s)
    done = json.loads(out.read_text())
    out.write_text(json.dumps({**done, "wall_s": 100.0}))
    capsys.readouterr()
    rc, printed, _ = run(capsys, *args, "--resume", str(out), "--json")
    again = json.loads(printed)
    assert rc == 0 and 100.0 <= again["wall_s"] < 200
    assert [(r["instance"], r["solver"], r["objective"]) for r in again["rows"]] == [
        (r["instance"], r["solver"], r["objective"]) for r in done["rows"]]
    # a second stop before a resumed row is reached keeps that row in the partial report
    later = tmp_path / "later.json"
    assert main([*args[:-1], str(later), "--instances", "la02"]) == 0
    calls.clear()
    monkeypatch.setattr(bench, "run_instance", crash_on_third)
    assert main([*args[:-1], str(later), "--resume", str(later)]) != 0
    kept = json.loads(later.read_text())
    assert not kept["complete"] and {r["instance"] for r in kept["rows"]} == {"ft06", "la02"}
    assert sum(bool(r.get("resumed")) for r in kept["rows"]) == 2
    monkeypatch.setattr(bench, "run_instance", real)
    capsys.readouterr()
    # a report of other settings cannot be continued: its rows would not compare
    rc, _, err = run(capsys, *args[:-4], "--time-limit", "9", "--resume", str(out))
    assert rc == 2 and "time limit is 5.0" in err
    rc, _, err = run(capsys, "bench", "jobshop", "--dir", str(tmp_path), "--solver", "dispatch:spt",
                     "--resume", str(tmp_path / "index.json"))
    assert rc == 2 and "cannot resume" in err


@pytest.mark.parametrize("solver", ["cpsat", "cpsat-textbook"])
def test_bench_killed_mid_search_stops_and_keeps_the_finished_rows(tmp_path, bench_dir, solver):
    """SIGTERM while CP-SAT searches abz7 (60 s limit): the search is cancelled at once (not at
    its limit: CP-SAT's native search holds the main thread, where Python runs signal handlers),
    the run ends with exit code 130, and its report holds ft06's finished row, marked incomplete."""
    import os
    import signal
    import subprocess
    import sys
    import time

    small_jobshop_bench(tmp_path, bench_dir, ("ft06", "abz7"))
    out = tmp_path / "rep.json"
    cmd = [sys.executable, "-m", "opsplan.app.cli", "bench", "jobshop", "--dir", str(tmp_path), "--solver", solver,
           "--time-limit", "60", "--threads", "1", "--output", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while not out.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert out.exists(), proc.communicate()[1]
    time.sleep(3.0)  # abz7's starting schedule and model take well under a second: the search runs now
    t = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=70)
    assert time.monotonic() - t < 10  # not the rest of the 60 s limit
    assert proc.returncode == 130, err
    rep = json.loads(out.read_text())
    assert not rep["complete"] and [r["instance"] for r in rep["rows"]] == ["ft06"]
    assert "interrupted" in err and "Traceback" not in err


def test_ctrl_c_cancels_a_cpsat_solve_mid_search(bench_dir):
    """Ctrl+C during CP-SAT's search: `opsplan solve` reports the best schedule so far as
    cancelled within seconds (CP-SAT's own Ctrl+C catching would end it as if its time were up)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    cmd = [sys.executable, "-m", "opsplan.app.cli", "solve", str(bench_dir / "jobshop" / "abz7.txt"),
           "--format", "orlib-jobshop", "--solver", "cpsat", "--time-limit", "60", "--threads", "1", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(5)
    t = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=70)
    assert time.monotonic() - t < 10, err
    assert proc.returncode == 0, err
    res = json.loads(out)
    assert res["termination"] == "cancelled" and res["objective"] is not None and res["violations"] == 0
    assert res["runtime_s"] < 30
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


# -- reschedule ------------------------------------------------------------------------
@pytest.fixture
def running_plan(tmp_path, capsys):
    """A 4x3 shop document and its optimal plan from `opsplan solve` (schedule named 'cpsat', makespan 45)."""
    from opsplan.models.io.document import Document, save
    from opsplan.models.jobshop.build import random_jobshop

    scen = tmp_path / "shop.json"
    save(Document(random_jobshop(4, 3, seed=3, high=15)), scen)
    solved = tmp_path / "solved.json"
    assert main(["solve", str(scen), "--time-limit", "10", "--threads", "2", "-o", str(solved), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == 45
    return scen, solved


def test_reschedule_end_to_end_with_a_change_budget(capsys, tmp_path, running_plan):
    """`reschedule SCEN SCHED --down M1@20+15 --max-changes 3 -o NEW.json`: a feasible plan within the budget."""
    from opsplan.models import check
    from opsplan.models.core import Window
    from opsplan.models.io.document import load
    from opsplan.solvers.reschedule import count_changes

    scen, solved = running_plan
    new = tmp_path / "new.json"
    rc, out, err = run(capsys, "reschedule", str(scen), str(solved), "--down", "M1@20+15", "--max-changes", "3",
                       "--time-limit", "10", "--threads", "2", "-o", str(new), "--json")
    assert rc == 0, err
    res = json.loads(out)
    assert res["status"] == "optimal" and res["violations"] == 0
    assert res["changes"] <= 3 and res["max_changes"] == 3 and res["at"] == 20
    assert res["objective_before"] == 45 and res["objective_after"] >= 45
    doc = load(new)
    assert Window(20, 35, "breakdown") in doc.scenario.machine_index["M1"].calendar.windows
    old_s, new_s = doc.schedules
    assert old_s.name == "cpsat" and new_s.name == "cpsat rescheduled @20"
    assert check(doc.scenario, new_s) == [] and count_changes(old_s, new_s) == res["changes"]
    assert all(new_s.by_task()[a.task] == a for a in old_s.work() if a.end <= 20)
    # without the budget the plan is better and moves more operations: the budget was binding
    rc, out, _ = run(capsys, "reschedule", str(scen), str(solved), "--down", "M1@20+15", "-o", str(new), "--json")
    free = json.loads(out)
    assert rc == 0 and free["objective_after"] < res["objective_after"] and free["changes"] > 3


def test_reschedule_named_schedule_and_summary(capsys, tmp_path, running_plan):
    """SCHEDULE may name a schedule inside the document; the summary shows before/after, changes, checker."""
    _, solved = running_plan
    new = tmp_path / "new.json"
    rc, out, _ = run(capsys, "reschedule", str(solved), "cpsat", "--down", "M1@20+15", "--late", "J0.2@+5",
                     "--solver", "dispatch:mwkr", "-o", str(new))
    assert rc == 0
    for needle in ("before 45 -> after", "frozen", "changes", "no limit", "checker      0 violation", "saved"):
        assert needle in out


def test_reschedule_budget_too_small_exits_1(capsys, tmp_path, running_plan):
    """No plan within the budget: exit 1, the reason on the last stderr line, nothing written."""
    scen, solved = running_plan
    new = tmp_path / "new.json"
    rc, out, err = run(capsys, "reschedule", str(scen), str(solved), "--down", "M1@20+15", "--max-changes", "0",
                       "-o", str(new))
    assert rc == 1 and "no feasible schedule" in err.strip().splitlines()[-1] and "infeasible" in err
    assert not new.exists()


@pytest.mark.parametrize(
    "extra, needle",
    [
        (["--down", "nonsense"], "expected MACHINE@AT+DURATION"),
        (["--down", "M9@20+15"], "unknown machine 'M9'"),
        (["--late", "J9.9@+5"], "unknown operation 'J9.9'"),
        (["--late", "J0.0+5"], "expected TASK@+DELAY"),
        (["--down", "M1@20+15", "--at", "30"], "after the disruption"),
        (["--down", "M1@20+15", "--max-changes", "-1"], "--max-changes must not be negative"),
        (["--down", "M1@20+15", "--solver", "dispatch:spt", "--max-changes", "3"], "change budget"),
    ],
)
def test_reschedule_bad_input_one_line(capsys, tmp_path, running_plan, extra, needle):
    """Bad disruptions or options: exit 2 with one line naming the problem."""
    scen, solved = running_plan
    rc, _, err = run(capsys, "reschedule", str(scen), str(solved), *extra, "-o", str(tmp_path / "n.json"))
    assert rc == 2 and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_reschedule_unknown_schedule_name(capsys, tmp_path, running_plan):
    """SCHEDULE that is neither a file nor a schedule of the document: exit 2, naming what exists."""
    _, solved = running_plan
    rc, _, err = run(capsys, "reschedule", str(solved), "nosuch", "--down", "M1@20+15", "-o", str(tmp_path / "n.json"))
    assert rc == 2 and "no schedule named 'nosuch'" in err and "'cpsat'" in err
    assert len(err.strip().splitlines()) == 1


def test_bench_tardiness_reports_gaps_to_the_optimum(bench_dir, capsys):
    """`opsplan bench tardiness` imports each wt instance by position and reports gaps; --improve never hurts."""
    args = ["bench", "tardiness", "--dir", str(bench_dir / "tardiness"), "--solver", "dispatch:edd",
            "--instances", "wt40_00[1-4]", "--json"]
    assert main(args) == 0
    plain = json.loads(capsys.readouterr().out)
    assert main([*args, "--improve"]) == 0
    improved = json.loads(capsys.readouterr().out)
    assert [r["instance"] for r in plain["rows"]] == ["wt40_001", "wt40_002", "wt40_003", "wt40_004"]
    index = json.loads((bench_dir / "tardiness" / "index.json").read_text())
    for a, b in zip(plain["rows"], improved["rows"]):
        assert a["violations"] == b["violations"] == 0 and a["family"] == "wt40"
        ref = index[a["instance"]]["optimum"]
        assert a["ub"] == ref and b["objective"] <= a["objective"] and b["objective"] >= ref
    assert improved["mean_gap_pct"]["dispatch:edd"] < plain["mean_gap_pct"]["dispatch:edd"]


def test_bench_pv_generates_and_compares_rules_with_the_exact_result(capsys):
    """`opsplan bench pv`: 25 (TF, RDD) cells per size, rules never below the best, the exact solver proves n=6."""
    rc, out, _ = run(capsys, "bench", "pv", "--sizes", "6", "--solver", "cpsat", "--time-limit", "10",
                     "--threads", "1", "--json")
    assert rc == 0
    rep = json.loads(out)
    assert len(rep["rows"]) == 25 and {(r["tf"], r["rdd"]) for r in rep["rows"]} == {
        (a, b) for a in (0.2, 0.4, 0.6, 0.8, 1.0) for b in (0.2, 0.4, 0.6, 0.8, 1.0)}
    for r in rep["rows"]:
        assert r["exact_status"] == "optimal" and r["exact"] == r["best"]
        assert all(r[rule] >= r["best"] for rule in ("edd", "eddc", "mdd", "mddc"))
    cell = rep["summary"]["6"]
    assert cell["exact"] == 0.0 and cell["exact_optimal"] == 25
    assert all(cell[rule] is None or cell[rule] >= 0 for rule in ("edd", "eddc", "mdd", "mddc"))
    rc, _, err = run(capsys, "bench", "pv", "--sizes", "x")
    assert rc != 0 and "--sizes" in err


def test_potts_van_wassenhove_scheme():
    from opsplan.models.jobshop.build import potts_van_wassenhove

    a = potts_van_wassenhove(50, 0.6, 0.4, seed=3)
    assert a == potts_van_wassenhove(50, 0.6, 0.4, seed=3)  # reproducible
    p = [j.operations[0].modes[0].duration for j in a.jobs]
    total = sum(p)
    assert all(1 <= x <= 100 for x in p) and len(a.machines) == 1 and all(j.weight == 1 for j in a.jobs)
    assert all(total * (1 - 0.6 - 0.2) - 1 <= j.due <= total * (1 - 0.6 + 0.2) + 1 for j in a.jobs)
    with pytest.raises(ValueError):
        potts_van_wassenhove(10, 1.5, 0.2)


def test_policy_train_from_a_card_then_info_then_solve(capsys, tmp_path, ft06_txt):
    """`opsplan policy train --card` reproduces a (tiny) run; `policy info` and `solve --solver policy:PATH` use it."""
    pytest.importorskip("torch")
    from opsplan.policies.jobshop_features import JOBSHOP_V1
    from opsplan.policies.training.train import TrainConfig

    config = TrainConfig(iterations=2, instances=2, samples=2, jobs=(4, 4), machines=(3, 3), eval_every=0, seed=3)
    card = {"name": "tiny", "training": {"method": "self-labeling", "config": config.as_dict()},
            "kind": "jobshop", "features": JOBSHOP_V1.as_dict()}
    (tmp_path / "card.json").write_text(json.dumps(card))
    rc, out, err = run(capsys, "policy", "train", "--card", str(tmp_path / "card.json"), "--out",
                       str(tmp_path / "out"), "--name", "tiny")
    assert rc == 0, err
    onnx_file = tmp_path / "out" / "tiny.onnx"
    assert onnx_file.is_file() and (tmp_path / "out" / "tiny.json").is_file()
    rc, out, _ = run(capsys, "policy", "info", str(onnx_file), "--json")
    info = json.loads(out)
    assert rc == 0 and info["name"] == "tiny" and info["features"] == "jobshop/v1"
    assert info["provider"] in ("CPUExecutionProvider", "CUDAExecutionProvider")
    rc, out, _ = run(capsys, "solve", ft06_txt, "--format", "orlib-jobshop", "--solver", f"policy:{onnx_file}",
                     "--json")
    res = json.loads(out)
    assert rc == 0 and res["status"] == "feasible" and res["violations"] == 0
    rc, _, err = run(capsys, "policy", "info")
    assert rc != 0 and "needs a policy" in err
    rc, _, err = run(capsys, "policy", "train", "--card", str(tmp_path / "nope.json"))
    assert rc != 0 and "no such file" in err


def test_bench_policy_speed_reports_decisions_per_second(capsys):
    pytest.importorskip("torch")
    rc, out, _ = run(capsys, "bench", "policy-speed", "--size", "6x4", "--batches", "1,8", "--json")
    rep = json.loads(out)
    assert rc == 0 and rep["provider"] in ("CPUExecutionProvider", "CUDAExecutionProvider")
    assert [(r["batch"], r["mode"]) for r in rep["rows"]] == [(1, "greedy"), (8, "greedy"), (8, "sampled")]
    assert all(r["decisions"] > 0 and r["decisions_per_s"] > 0 for r in rep["rows"])
    one = rep["rows"][0]["decisions"]  # at most one decision per operation (a lone candidate is no decision)
    assert 0 < one <= 24 and rep["rows"][1]["decisions"] == 8 * one  # eight greedy copies decide alike
    assert 8 <= rep["rows"][2]["decisions"] <= 8 * 24
    rc, _, err = run(capsys, "bench", "policy-speed", "--size", "6by4")
    assert rc != 0 and "--size" in err
    rc, _, err = run(capsys, "bench", "policy-speed", "--size", "0x5")
    assert rc != 0 and "at least one job and one machine" in err


def _two_instance_set(bench_dir, tmp_path):  # noqa: ANN001, ANN202
    """A benchmark folder holding only ft06 and la01 (with their index entries)."""
    src = bench_dir / "jobshop"
    index = json.loads((src / "index.json").read_text())
    keep = {k: index[k] for k in ("ft06", "la01")}
    folder = tmp_path / "set"
    folder.mkdir()
    for k in keep:
        shutil.copy(src / keep[k]["file"], folder / keep[k]["file"])
    (folder / "index.json").write_text(json.dumps(keep))
    return folder


def test_bench_runs_a_policy_in_batches_and_fjsp(capsys, tmp_path, bench_dir):
    """bench jobshop --solver policy:PATH --samples N: one session, all instances batched, every schedule checked."""
    pytest.importorskip("onnxruntime")
    from tests.policies import tiny_onnx

    policy = tiny_onnx.write(tmp_path / "spt.onnx", name="spt")
    folder = _two_instance_set(bench_dir, tmp_path)
    rc, out, _ = run(capsys, "bench", "jobshop", "--dir", str(folder), "--solver", f"policy:{policy},dispatch:spt",
                     "--samples", "8", "--json")
    rep = json.loads(out)
    assert rc == 0 and all(r["violations"] == 0 for r in rep["rows"])
    pol = {r["instance"]: r for r in rep["rows"] if r["solver"].startswith("policy:")}
    spt = {r["instance"]: r for r in rep["rows"] if r["solver"] == "dispatch:spt"}
    assert set(pol) == {"ft06", "la01"} and all(r["samples"] == 8 for r in pol.values())
    assert all(pol[k]["objective"] > 0 for k in pol) and set(spt) == set(pol)
    rc, out, _ = run(capsys, "bench", "fjsp", "--solver", "dispatch:mwkr", "--instances", "mk01", "--json")
    rep = json.loads(out)
    assert rc == 0 and rep["rows"][0]["violations"] == 0 and rep["rows"][0]["gap_pct"] >= 0


def test_bench_equal_time_gives_each_solver_the_policy_time(capsys, tmp_path, bench_dir):
    """--equal-time: the policy runs instance by instance and cpsat's limit there is the policy's own time."""
    pytest.importorskip("onnxruntime")
    from tests.policies import tiny_onnx

    policy = tiny_onnx.write(tmp_path / "spt.onnx", name="spt")
    folder = _two_instance_set(bench_dir, tmp_path)
    out_file = tmp_path / "rep.json"
    rc, out, _ = run(capsys, "bench", "jobshop", "--dir", str(folder), "--solver", f"policy:{policy},cpsat",
                     "--samples", "16", "--threads", "1", "--equal-time", "--markdown", "--output", str(out_file))
    assert rc == 0 and "s / instance" in out.splitlines()[0]
    rep = json.loads(out_file.read_text())
    assert rep["equal_time"] is True and all(r["violations"] == 0 for r in rep["rows"])
    pol = {r["instance"]: r for r in rep["rows"] if r["solver"].startswith("policy:")}
    cp = {r["instance"]: r for r in rep["rows"] if r["solver"] == "cpsat"}
    assert set(cp) == set(pol) == {"ft06", "la01"}
    for k in cp:
        assert cp[k]["time_limit"] == pytest.approx(max(pol[k]["runtime_s"], 0.05))
        assert cp[k]["runtime_s"] <= cp[k]["time_limit"] + 1.0
    assert pol["ft06"]["runtime_s"] != pol["la01"]["runtime_s"]  # each instance timed on its own
    rc, _, err = run(capsys, "bench", "jobshop", "--dir", str(folder), "--solver", "cpsat", "--equal-time")
    assert rc != 0 and "first solver must be a policy" in err


# -- bad combinations and edge cases a user runs into (each was silently wrong before) ---------------
@pytest.mark.parametrize("argv, flag", [
    (["bench", "pv", "--instances", "nothing"], "--instances does not apply to bench pv (only to: jobshop, fjsp, "
                                                "tardiness)"),
    (["bench", "pv", "--reuse-proven", "nosuchfile"], "--reuse-proven does not apply to bench pv"),
    (["bench", "jobshop", "--improve"], "--improve does not apply to bench jobshop (only to: tardiness)"),
    (["bench", "tardiness", "--sizes", "5"], "--sizes does not apply to bench tardiness (only to: pv)"),
    (["bench", "policy-speed", "--markdown"], "--markdown does not apply to bench policy-speed"),
    (["bench", "jobshop", "--sizes", "20"], "--sizes does not apply to bench jobshop (only to: pv)"),
    (["bench", "pv", "--objective", "makespan"], "--objective does not apply to bench pv"),
    (["bench", "pool", "--solver", "cpsat"], "--solver does not apply to bench pool"),
    (["bench", "gui", "--time-limit", "5"], "--time-limit does not apply to bench gui"),
    (["bench", "jobshop", "--nosuch"], "opsplan bench jobshop: error: unrecognized arguments: --nosuch"),
])
def test_bench_refuses_a_flag_its_set_does_not_read(capsys, argv, flag):
    """Each set's subcommand takes only its own flags: argparse refuses the others before anything runs
    (exit 2, the set's usage and one error line naming the sets that do read the flag)."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    assert info.value.code == 2 and flag in err and out == ""
    assert err.startswith(f"usage: opsplan bench {argv[1]} ") and flag in err.strip().splitlines()[-1]


@pytest.mark.parametrize("argv, expect", [
    (["bench", "pv", "--sizes", "20,100", "--per-cell", "2", "--solver", "race"],
     {"sizes": "20,100", "per_cell": 2, "solver": "race"}),
    (["bench", "tardiness", "--improve", "--instances", "wt40_*"], {"improve": True, "instances": "wt40_*"}),
    (["bench", "jobshop", "--objective", "total_weighted_tardiness", "--equal-time"],
     {"objective": "total_weighted_tardiness", "equal_time": True, "instances": "*", "solver": "cpsat"}),
    (["bench", "policy-speed", "--size", "6x4", "--batches", "1,8", "--provider", "cpu"],
     {"size": "6x4", "batches": "1,8", "provider": "cpu", "seed": 0}),
    (["bench", "pool", "a.json", "b.json:cpsat", "--markdown"], {"reports": ["a.json", "b.json:cpsat"]}),
    (["bench", "gui", "--bars", "2000"], {"bars": 2000, "steps": None, "json": False}),
])
def test_each_bench_set_parses_its_own_flags(argv, expect):
    """`opsplan bench SET` is one subcommand per set; its flags (and their defaults) are its own."""
    from opsplan.app.benchsets import bench_set
    from opsplan.app.cli import build_parser

    args = build_parser().parse_args(argv)
    assert args.set == argv[1] and args.func is bench_set(argv[1]).run
    assert {k: getattr(args, k) for k in expect} == expect
    others = {"pv": ("sizes", "per_cell"), "policy-speed": ("batches", "provider"), "tardiness": ("improve",),
              "pool": ("reports",), "gui": ("bars",)}
    for name, dests in others.items():
        if name != argv[1]:
            assert not any(hasattr(args, d) for d in dests), (name, dests)


def test_bench_help_lists_every_set_and_each_set_only_its_flags(capsys):
    """`opsplan bench --help` lists the registered sets; `bench pv --help` shows pv's flags and not jobshop's."""
    from opsplan.app.benchsets import bench_sets

    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    out = capsys.readouterr().out
    assert all(spec.name in out for spec in bench_sets())
    assert {"jobshop", "fjsp", "tardiness", "pv", "policy-speed", "gui", "pool"} <= {s.name for s in bench_sets()}
    with pytest.raises(SystemExit):
        main(["bench", "pv", "--help"])
    out = capsys.readouterr().out
    assert "--sizes" in out and "--per-cell" in out and "--resume" in out
    assert "--instances" not in out and "--improve" not in out and "--dir" not in out
    with pytest.raises(SystemExit) as info:
        main(["bench", "nosuch"])
    assert info.value.code == 2 and "invalid choice: 'nosuch'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, what", [
    (["--threads", "-1"], "--threads: must be at least 0"),
    (["--samples", "0"], "--samples: must be at least 1"),
    (["--time-limit", "nan"], "--time-limit: must be a positive number"),
    (["--time-limit", "-3"], "--time-limit: must be a positive number"),
])
def test_solver_numbers_are_checked_before_anything_runs(capsys, argv, what):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(SAMPLES / "ft06.json"), *argv])
    assert info.value.code == 2 and what in capsys.readouterr().err


def test_bench_pv_saves_after_every_instance_stops_on_ctrl_c_and_resumes(capsys, tmp_path, monkeypatch):
    """`bench pv` keeps its finished rows in --output, exits 130 on Ctrl+C, and --resume runs only the rest."""
    import os
    import signal

    import opsplan.models.jobshop.build as build

    real, calls = build.potts_van_wassenhove, []

    def interrupt_on_fourth(*a, **k):
        calls.append(a)
        if len(calls) == 4:  # the planner presses Ctrl+C while the fourth instance is solved
            os.kill(os.getpid(), signal.SIGINT)
        return real(*a, **k)

    monkeypatch.setattr(build, "potts_van_wassenhove", interrupt_on_fourth)
    out = tmp_path / "pv.json"
    args = ["bench", "pv", "--sizes", "6", "--solver", "cpsat", "--time-limit", "5", "--threads", "1",
            "--output", str(out)]
    rc, _, err = run(capsys, *args)
    assert rc == 130 and "interrupted" in err
    partial = json.loads(out.read_text())
    assert not partial["complete"] and len(partial["rows"]) == 3

    def crash(*a, **k):
        raise RuntimeError("power cut")

    monkeypatch.setattr(build, "potts_van_wassenhove", crash)  # a crash before the first new row
    assert main([*args, "--resume", str(out)]) != 0
    assert json.loads(out.read_text())["rows"] == partial["rows"]  # the resumed rows are not lost
    rc, _, err = run(capsys, *args[:3], "7", *args[4:], "--resume", str(out))
    assert rc == 2 and "would drop its rows of 3 instance(s)" in err
    monkeypatch.setattr(build, "potts_van_wassenhove", real)
    rc, printed, _ = run(capsys, *args, "--resume", str(out), "--json")
    rep = json.loads(printed)
    assert rc == 0 and rep["complete"] and len(rep["rows"]) == 25
    assert rep["rows"][:3] == partial["rows"]
    rc, _, err = run(capsys, *args[:-4], "--time-limit", "9", "--resume", str(out))
    assert rc == 2 and "cannot resume" in err and "time limit" in err


def test_bench_pv_with_failed_solves_exits_1_with_the_reason_and_resume_runs_them_again(
        capsys, tmp_path, monkeypatch):
    """As in the other sets: a failed exact solve is no result (exit 1, the reason named), and
    --resume solves it again instead of keeping the error."""
    from dataclasses import replace as dc_replace

    import opsplan.solvers as solvers

    real = solvers.solve

    def failing(sc, solver, *a, **k):
        r = real(sc, solver, *a, **k)
        if solver == "cpsat":
            return dc_replace(r, termination=solvers.Termination.ERROR, solution_status=solvers.SolutionStatus.NONE,
                              schedule=None, objective=None, bound=None, message="the disk is full")
        return r

    monkeypatch.setattr(solvers, "solve", failing)
    out = tmp_path / "pv.json"
    args = ["bench", "pv", "--sizes", "5", "--solver", "cpsat", "--time-limit", "5", "--threads", "1",
            "--output", str(out)]
    rc, _, err = run(capsys, *args)
    assert rc == 1 and "25 solve(s) failed" in err and "the disk is full" in err
    assert {r["exact_status"] for r in json.loads(out.read_text())["rows"]} == {"error"}
    monkeypatch.setattr(solvers, "solve", real)
    rc, printed, _ = run(capsys, *args, "--resume", str(out), "--json")
    rep = json.loads(printed)
    assert rc == 0 and "error" not in {r["exact_status"] for r in rep["rows"]} and len(rep["rows"]) == 25


def test_bench_never_starts_over_an_unfinished_report(capsys, tmp_path, bench_dir):
    """--output onto a report that stopped half way is refused unless it is resumed; a finished
    report is simply overwritten by a new run."""
    small_jobshop_bench(tmp_path, bench_dir, ("ft06", "la01"))
    out = tmp_path / "r.json"
    args = ["bench", "jobshop", "--dir", str(tmp_path), "--time-limit", "5", "--solver", "dispatch:spt",
            "--output", str(out)]
    assert main(args) == 0 and main(args) == 0  # finished: run again over it
    done = json.loads(out.read_text())
    unfinished = json.dumps({**done, "complete": False, "rows": done["rows"][:1]})
    out.write_text(unfinished)
    capsys.readouterr()
    rc, _, err = run(capsys, *args)
    assert rc == 2 and "unfinished report (1 rows)" in err and f"--resume {out}" in err
    assert out.read_text() == unfinished
    rc, printed, _ = run(capsys, *args, "--resume", str(out), "--json")
    rep = json.loads(printed)
    assert rc == 0 and rep["complete"] and [bool(r.get("resumed")) for r in rep["rows"]] == [True, False]


def test_bench_resume_into_itself_never_drops_rows(capsys, tmp_path, bench_dir):
    small_jobshop_bench(tmp_path, bench_dir, ("ft06", "la01"))
    out = tmp_path / "r.json"
    base = ["bench", "jobshop", "--dir", str(tmp_path), "--time-limit", "5"]
    assert main([*base, "--solver", "dispatch:spt", "--output", str(out)]) == 0
    before = out.read_text()
    capsys.readouterr()
    rc, _, err = run(capsys, *base, "--solver", "dispatch:lpt", "--resume", str(out), "--output", str(out))
    assert rc == 2 and "would drop its rows of solver(s) dispatch:spt" in err and out.read_text() == before
    rc, _, err = run(capsys, *base, "--solver", "dispatch:spt", "--instances", "ft06", "--resume", str(out),
                     "--output", str(out))
    assert rc == 2 and "1 instance(s) outside --instances, e.g. la01" in err and out.read_text() == before
    # adding a solver keeps the earlier one's rows; another --output may take a part
    rc, printed, _ = run(capsys, *base, "--solver", "dispatch:spt,dispatch:lpt", "--resume", str(out),
                         "--output", str(out), "--json")
    rep = json.loads(printed)
    assert rc == 0 and [(r["solver"], bool(r.get("resumed"))) for r in rep["rows"]] == [
        ("dispatch:spt", True), ("dispatch:lpt", False)] * 2
    part = tmp_path / "part.json"
    assert main([*base, "--solver", "dispatch:lpt", "--resume", str(out), "--output", str(part)]) == 0


def test_bench_failed_solves_exit_1_with_the_reason_and_are_run_again_on_resume(capsys, tmp_path, bench_dir,
                                                                                monkeypatch):
    import opsplan.app.bench as bench

    small_jobshop_bench(tmp_path, bench_dir, ("ft06", "la01"))
    real = bench.run_instance

    def fail_la01(path, *a, **k):
        if "la01" in str(path):
            return {"solver": a[1], "status": "error", "objective": None, "bound": None, "gap_pct": None,
                    "runtime_s": 0.0, "violations": None, "message": "solver crashed"}
        return real(path, *a, **k)

    monkeypatch.setattr(bench, "run_instance", fail_la01)
    out = tmp_path / "r.json"
    args = ["bench", "jobshop", "--dir", str(tmp_path), "--solver", "dispatch:spt", "--output", str(out)]
    rc, _, err = run(capsys, *args)
    assert rc == 1 and "1 solve(s) failed, e.g. la01 with dispatch:spt: solver crashed" in err
    monkeypatch.setattr(bench, "run_instance", real)
    rc, printed, _ = run(capsys, *args, "--resume", str(out), "--json")
    rows = {r["instance"]: r for r in json.loads(printed)["rows"]}
    assert rc == 0 and rows["ft06"].get("resumed") and not rows["la01"].get("resumed")
    assert rows["la01"]["status"] == "feasible"


@pytest.mark.parametrize("rows, what", [
    ([1], "row 0 has no instance"),
    ([{"instance": "ft06", "solver": "dispatch:spt", "status": "feasible"}], "row 0 has no objective"),
])
def test_a_broken_report_is_a_clean_error_for_resume_and_reuse(capsys, tmp_path, bench_dir, rows, what):
    small_jobshop_bench(tmp_path, bench_dir, ("ft06",))
    rep = tmp_path / "broken.json"
    rep.write_text(json.dumps({"set": "jobshop", "time_limit": 1, "threads": 0, "seed": 0, "options": {},
                               "rows": rows}))
    for flag in ("--resume", "--reuse-proven"):
        rc, _, err = run(capsys, "bench", "jobshop", "--dir", str(tmp_path), "--solver", "dispatch:spt",
                         "--time-limit", "5", flag, str(rep))
        assert rc == 2 and what in err and "internal error" not in err


def test_bench_table_shows_a_reference_of_zero_and_each_solver_once(capsys, bench_dir):
    rc, out, _ = run(capsys, "bench", "tardiness", "--solver", "dispatch:edd,dispatch:edd",
                     "--instances", "wt40_051,wt40_001")
    assert rc == 0
    lines = out.splitlines()
    zero = next(ln for ln in lines if ln.startswith("wt40_051"))
    assert zero.split()[3] == "0"  # the reference value, not '-'
    assert out.count("wt40_051") == 1


def test_solve_without_a_schedule_does_not_claim_to_have_written_one(capsys, tmp_path):
    target = tmp_path / "out.json"
    rc, out, err = run(capsys, "solve", str(SAMPLES / "bakery-infeasible.json"), "--time-limit", "5",
                       "-o", str(target), "--json")
    res = json.loads(out)
    assert res["status"] == "infeasible" and "output" not in res and not target.exists()
    assert "nothing written" in err
    assert rc == 1  # a script must not go on as if it had a plan


def test_check_name_is_honoured_for_an_exported_schedule(capsys, tmp_path):
    solved, exported = tmp_path / "s.json", tmp_path / "plan.json"
    assert main(["solve", str(SAMPLES / "ft06.json"), "--solver", "dispatch:spt", "-o", str(solved),
                 "--schedule-name", "spt"]) == 0
    assert main(["export", str(solved), "-o", str(exported)]) == 0
    capsys.readouterr()
    rc, _, err = run(capsys, "check", str(solved), str(exported), "--name", "no-such-plan")
    assert rc == 2 and "no schedule named 'no-such-plan'" in err
    rc, _, _ = run(capsys, "check", str(solved), str(exported), "--name", "spt")
    assert rc == 0


def test_export_takes_xls_and_asks_for_a_format_without_an_extension(capsys, tmp_path):
    pytest.importorskip("openpyxl")
    solved = tmp_path / "s.json"
    assert main(["solve", str(SAMPLES / "ft06.json"), "--solver", "dispatch:spt", "-o", str(solved)]) == 0
    capsys.readouterr()
    rc, _, _ = run(capsys, "export", str(solved), "-o", str(tmp_path / "plan.xls"))
    assert rc == 0 and (tmp_path / "plan.xls").read_bytes()[:2] == b"PK"  # an xlsx workbook
    rc, _, err = run(capsys, "export", str(solved), "-o", str(tmp_path / "plan"))
    assert rc == 2 and "without an extension" in err
    rc, _, _ = run(capsys, "export", str(solved), "-o", str(tmp_path / "plan"), "--format", "csv")
    assert rc == 0 and (tmp_path / "plan").read_text().count("\n") > 36


@pytest.mark.parametrize("bench_set", ["jobshop", "pv"])
def test_bench_output_that_cannot_be_written_fails_before_solving(capsys, tmp_path, bench_dir, monkeypatch,
                                                                  bench_set):
    import time

    import opsplan.app.bench as bench

    small_jobshop_bench(tmp_path, bench_dir, ("ft06",))
    solved = []
    monkeypatch.setattr(bench, "run_instance", lambda *a, **k: solved.append(a) or {})
    (tmp_path / "taken").write_text("a file, not a folder")
    args = (["bench", "jobshop", "--dir", str(tmp_path), "--solver", "dispatch:spt"] if bench_set == "jobshop"
            else ["bench", "pv", "--sizes", "500", "--solver", "cpsat", "--time-limit", "60"])
    t = time.perf_counter()
    rc, _, err = run(capsys, *args, "--output", str(tmp_path / "taken" / "r.json"))
    assert rc != 0 and "taken" in err and "Traceback" not in err and solved == []
    assert time.perf_counter() - t < 20  # not after a 60 s solve


def test_check_refuses_a_schedule_counted_in_another_time_unit(capsys, tmp_path):
    solved, exported = tmp_path / "s.json", tmp_path / "plan.json"
    assert main(["solve", str(SAMPLES / "ft06.json"), "--solver", "dispatch:spt", "-o", str(solved)]) == 0
    assert main(["export", str(solved), "-o", str(exported)]) == 0
    data = json.loads(exported.read_text())
    other = "h" if data["time_unit"] != "h" else "min"
    exported.write_text(json.dumps({**data, "time_unit": other}))
    capsys.readouterr()
    rc, _, err = run(capsys, "check", str(solved), str(exported))
    assert rc == 2 and f"the schedule counts time in {other}" in err


def test_weighted_tardiness_file_under_another_name_takes_jobs(capsys, tmp_path, bench_dir):
    f = tmp_path / "weights.txt"
    shutil.copy(bench_dir / "tardiness" / "wt40.txt", f)
    rc, _, err = run(capsys, "solve", str(f), "--format", "orlib-wt", "--index", "2", "--solver", "dispatch:atc")
    assert rc == 2 and "--jobs N" in err
    rc, out, _ = run(capsys, "solve", str(f), "--format", "orlib-wt", "--index", "2", "--jobs", "40",
                     "--solver", "dispatch:atc", "--json")
    assert rc == 0 and json.loads(out)["scenario"] == "weights_002"


def test_check_refuses_a_document_whose_scenario_counts_in_another_unit(capsys, tmp_path):
    solved = tmp_path / "s.json"
    assert main(["solve", str(SAMPLES / "ft06.json"), "--solver", "dispatch:spt", "-o", str(solved)]) == 0
    data = json.loads(solved.read_text())
    other = "h" if data["scenario"].get("time_unit") != "h" else "min"
    doc = tmp_path / "other-unit.json"
    doc.write_text(json.dumps({**data, "scenario": {**data["scenario"], "time_unit": other}}))
    capsys.readouterr()
    rc, _, err = run(capsys, "check", str(solved), str(doc))
    assert rc == 2 and f"the schedule counts time in {other}" in err


def test_solving_a_solved_file_again_keeps_both_plans_under_distinct_names(capsys, tmp_path):
    from opsplan.models.io import document as io

    f = tmp_path / "plan.json"
    shutil.copy(SAMPLES / "ft06.json", f)
    for _ in range(2):
        assert main(["solve", str(f), "--solver", "dispatch:spt", "-o", str(f)]) == 0
    doc = io.load(f)
    names = [s.name for s in doc.schedules][-2:]
    assert names == ["dispatch:spt", "dispatch:spt (2)"]
    # a file that does hold two plans of one name (written by hand): edits go to the one that is read
    spt = doc.schedule("dispatch:spt")
    twice = io.Document(doc.scenario, (spt, spt.renamed("other"), spt))
    from dataclasses import replace

    marked = replace(spt, extras=(("note", "edited"),))
    edited = twice.with_schedule(marked)
    assert edited.schedules[2] is marked is edited.schedule("dispatch:spt") and edited.schedules[0] is spt


def _one_op_doc(tmp_path, epoch=None, **extra) -> Path:
    doc = {"format": "opsplan", "version": 1, "kind": "jobshop",
           "scenario": {"name": "r", "time_unit": "min", "epoch": epoch, "machines": [{"id": "M0"}, {"id": "M1"}],
                        "jobs": [{"id": "J0", "operations": [{"id": "J0.0", "modes": [{"resource": "M0",
                                                                                       "duration": 5}]}]}]},
           "schedules": [{"name": "p", "assignments": [{"task": "J0.0", "resource": "M0", "start": 0, "end": 5}]}],
           **extra}
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    return path


def _exported(tmp_path, assignment, **extra) -> Path:
    return _exported_many(tmp_path, [assignment], **extra)


def test_inputs_found_by_fuzzing_give_one_clean_line_and_exit_2(capsys, tmp_path):
    """Each of these escaped as an internal error (exit 3) or was taken in silence."""
    doc = _one_op_doc(tmp_path)
    good = {"task": "J0.0", "resource": "M0", "start": 0, "end": 5}
    cases = [
        # a category that is a list: unhashable
        (["check", str(doc), str(_exported(tmp_path, {**good, "category": ["work"]}))],
         "($.assignments[0].category): ['work'] is not one of"),
        # times far past the range
        (["check", str(doc), str(_exported(tmp_path, {**good, "start": 10**20}))],
         "($.assignments[0].start): 100000000000000000000 is outside the time range"),
        # version true read as 1
        (["check", str(doc), str(_exported(tmp_path, good, version=True))], "($.version): unsupported"),
        # more digits than Python converts
        (["reschedule", str(doc), "p", "--down", "M0@" + "9" * 4301 + "+5", "--solver", "dispatch:spt",
          "-o", str(tmp_path / "o.json")], "is past the largest time 2147483647"),
        (["reschedule", str(doc), "p", "--late", "J0.0@+99999999999999999999", "--solver", "dispatch:spt",
          "-o", str(tmp_path / "o.json")], "is past the largest time 2147483647"),
    ]
    for argv, what in cases:
        rc, _, err = run(capsys, *argv)
        assert rc == 2 and what in err and len(err.strip().splitlines()) == 1, (argv[:2], err)


def test_an_epoch_that_puts_the_plan_past_year_9999_is_a_clean_export_error(capsys, tmp_path):
    doc = _one_op_doc(tmp_path, epoch="9999-12-31T23:58:00")
    rc, _, err = run(capsys, "export", str(doc), "-o", str(tmp_path / "x.csv"))
    assert rc == 2 and "falls outside the calendar (years 1-9999)" in err and not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(("assignments", "what"), [
    ([("J0.0", "M0", 0, 5), ("J0.0", "M0", 5, 10)], "assigns operation 'J0.0' more than once"),
    ([("J0.0", "M1", 0, 5)], "places operation 'J0.0' on 'M1', which it cannot use"),
    ([("J0.0", "M0", 0, -3)], "ends at -3, before its start 0"),
])
def test_reschedule_refuses_a_running_plan_no_plan_can_be(capsys, tmp_path, assignments, what):
    """The running plan is the past: a broken one is an input error (exit 2) for every solver,
    not an error from one and 'optimal' from another."""
    doc = _one_op_doc(tmp_path)
    plan = [{"task": t, "resource": r, "start": s, "end": e} for t, r, s, e in assignments]
    for solver in ("dispatch:spt", "cpsat"):
        rc, _, err = run(capsys, "reschedule", str(doc), str(_exported_many(tmp_path, plan)),
                         "--down", "M0@2+1", "--solver", solver, "--time-limit", "5", "-o", str(tmp_path / "o.json"))
        assert rc == 2 and what in err, (solver, err)


def _exported_many(tmp_path, assignments, **extra) -> Path:
    """An exported schedule file of its own (one per call) holding ``assignments``."""
    path = tmp_path / f"plan-{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps({"format": "opsplan-schedule", "version": 1, "kind": "jobshop", "time_unit": "min",
                                "name": "p", "assignments": assignments, **extra}))
    return path


def test_a_plan_ending_past_the_largest_time_is_not_saved(capsys, tmp_path):
    """The file would never load again: the checker names it and solve writes nothing (exit 1)."""
    doc = json.loads(_one_op_doc(tmp_path).read_text())
    doc["scenario"]["jobs"][0]["release"] = 2147483647 - 2
    del doc["schedules"]
    src = tmp_path / "late.json"
    src.write_text(json.dumps(doc))
    out = tmp_path / "solved.json"
    rc, printed, err = run(capsys, "solve", str(src), "--solver", "dispatch:spt", "-o", str(out))
    assert rc == 1 and "time_out_of_range" in printed + err and not out.exists()


def test_an_internal_error_is_one_line_whatever_its_text(capsys, monkeypatch):
    import opsplan.app.cli as cli

    def boom(args):  # noqa: ANN001
        raise RuntimeError("first line\nsecond line\n" + "x" * 1000)

    monkeypatch.setattr(cli, "cmd_solvers", boom, raising=False)
    monkeypatch.delenv("OPSPLAN_DEBUG", raising=False)
    rc, _, err = run(capsys, "solvers")
    assert rc == 3 and len(err.strip().splitlines()) == 1 and "first line second line" in err and len(err) < 500


def _report(path, rows):  # noqa: ANN001, ANN202
    keys = ("instance", "family", "solver", "objective", "gap_pct", "status", "runtime_s", "violations", "ub")
    path.write_text(json.dumps({"complete": True, "rows": [dict(zip(keys, r, strict=True)) for r in rows]}))
    return str(path)


def test_bench_pool_averages_runs_per_instance_then_family(tmp_path, capsys):
    """``bench pool`` averages each instance's gap over the runs that hold it (REPORT:solver takes only
    that solver's rows), then per family over the instances every solver has; paired differences
    are the first solver's against the other's."""
    from opsplan.app.cli import main

    a = _report(tmp_path / "a.json", [
        ("la1", "la", "race", 102, 2.0, "feasible", 60, 0, 100),
        ("la1", "la", "cpsat", 101, 1.0, "feasible", 60, 0, 100),
        ("yn1", "yn", "race", 100, 0.0, "optimal", 5, 0, 100),
        ("yn1", "yn", "cpsat", 100, 0.0, "optimal", 4, 0, 100),
        ("ft1", "ft", "race", 100, 0.0, "optimal", 1, 0, 100)])  # no cpsat row: left out
    b = _report(tmp_path / "b.json", [
        ("la1", "la", "race", 99, -1.0, "feasible", 60, 0, 100),  # an old version's race: not taken
        ("la1", "la", "cpsat", 104, 4.0, "feasible", 60, 0, 100),
        ("yn1", "yn", "cpsat", 102, 2.0, "feasible", 60, 0, 100)])
    assert main(["bench", "pool", a, f"{b}:cpsat", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["solvers"] == ["race", "cpsat"] and rep["instances"] == 2
    by = {(r["instance"], r["solver"]): r for r in rep["rows"]}
    assert by[("la1", "race")]["gap_pct"] == 2.0 and by[("la1", "race")]["runs"] == 1  # b's race row not taken
    assert by[("la1", "cpsat")]["gap_pct"] == 2.5 and by[("la1", "cpsat")]["objectives"] == [101, 104]
    assert by[("yn1", "cpsat")]["status"] == "pooled"  # proved in one run only
    fam = rep["summary"]["by_solver"]
    assert fam["race"]["la"]["mean_gap_pct"] == 2.0 and fam["cpsat"]["yn"]["mean_gap_pct"] == 1.0
    assert fam["cpsat"]["all"]["mean_gap_pct"] == 1.75 and fam["race"]["all"]["mean_gap_pct"] == 1.0
    diff = rep["paired"]["cpsat"]
    assert diff["la"]["mean_diff_pts"] == -0.5 and diff["all"]["mean_diff_pts"] == -0.75
    assert diff["all"]["better"] == 2 and diff["all"]["worse"] == 0
    assert main(["bench", "pool", a, f"{b}:cpsat", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| race | 2.00% | 0.00% | 1.00% |" in out and "race - cpsat" in out


def test_bench_pool_says_what_it_cannot_use(tmp_path, capsys):
    from opsplan.app.cli import main

    a = _report(tmp_path / "a.json", [("la1", "la", "race", 102, 2.0, "feasible", 60, 0, 100)])
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["bench", "pool"]) != 0 and "needs reports" in capsys.readouterr().err
    assert main(["bench", "pool", str(broken)]) != 0 and "cannot pool" in capsys.readouterr().err
    assert main(["bench", "pool", f"{a}:cpsat"]) != 0 and "no rows of cpsat" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # reports are pool's arguments, not jobshop's
        main(["bench", "jobshop", a])
    assert info.value.code == 2 and f"unrecognized arguments: {a}" in capsys.readouterr().err


def test_a_kill_during_solve_keeps_the_best_plan_so_far(bench_dir, tmp_path):
    """SIGTERM while CP-SAT searches abz7 with -o: the search stops within seconds and the best plan
    found so far is written, marked cancelled (before, the kill lost it)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "abz7-plan.json"
    cmd = [sys.executable, "-m", "opsplan.app.cli", "solve", str(bench_dir / "jobshop" / "abz7.txt"),
           "--format", "orlib-jobshop", "--solver", "cpsat", "--time-limit", "60", "--threads", "1",
           "--json", "-o", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(5)
    t = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    stdout, err = proc.communicate(timeout=70)
    assert time.monotonic() - t < 10, err
    summary = json.loads(stdout.strip().splitlines()[-1])
    assert summary["termination"] == "cancelled" and summary["violations"] == 0, summary
    from opsplan.models.io.document import load

    doc = load(out)
    assert len(doc.schedules) == 1 and doc.schedules[0].makespan == summary["objective"]
