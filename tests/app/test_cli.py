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
    """The OR-Library ft06 file from the shared benchmarks."""
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


def test_bench_json_on_a_small_folder(capsys, tmp_path, bench_dir):
    """bench over a folder laid out like shared/benchmarks/jobshop: per-instance rows and the mean gap."""
    src = bench_dir / "jobshop"
    index = json.loads((src / "index.json").read_text())
    keep = {k: index[k] for k in ("ft06", "la01", "la02")}
    for k in keep:
        shutil.copy(src / keep[k]["file"], tmp_path / keep[k]["file"])
    (tmp_path / "index.json").write_text(json.dumps(keep))
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
    src = bench_dir / "jobshop"
    index = json.loads((src / "index.json").read_text())
    (tmp_path / "index.json").write_text(json.dumps({"ft06": index["ft06"]}))
    shutil.copy(src / "ft06.txt", tmp_path / "ft06.txt")
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
