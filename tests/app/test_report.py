"""``opsplan report``: the tables' numbers on hand-made rows, the performance profile, time to
target, one self-contained HTML page, comparing runs, empty / all-error inputs, bad paths."""

from __future__ import annotations

import base64
import json
import math
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from opsplan.app import report
from opsplan.app.cli import main
from opsplan.app.results import empty_row, write_results

ROOT = Path(__file__).resolve().parents[2]


def row(inst: str, solver: str, **kw):
    """A row of the shared schema for instance ``inst`` (family f1 for i1/i2, f2 for i3)."""
    base = dict(job_id=f"{inst}-{solver}-{kw.get('seed', 0)}", input=f"sets/{inst}.txt", instance=inst,
                kind="jobshop", family="f2" if inst == "i3" else "f1", solver=solver, violations=0,
                status="feasible")
    base.update(kw)
    return empty_row(**base)


# i1 (ref 100): A 100 optimal, B 100 (bound 90), C 110  -> A and B tie: 0.5 each
# i2 (ref 200): A 220 (bound 200), B error, C 210       -> C wins
# i3 (no ref):  A error (with a stray objective 10 that must not count), B 60 optimal, C 60 -> B, C tie
ROWS = [
    row("i1", "A", status="optimal", objective=100, bound=100, gap=0.0, reference=100, ref_gap=0.0, runtime_s=1.0,
        progress=json.dumps([[0.5, 104, None], [2.0, 100, 100]])),
    row("i1", "B", status="time_limit", objective=100, bound=90, gap=0.1, reference=100, ref_gap=0.0, runtime_s=4.0),
    row("i1", "C", objective=110, reference=100, ref_gap=0.1, runtime_s=0.1),
    row("i2", "A", status="time_limit", objective=220, bound=200, gap=20 / 220, reference=200, ref_gap=0.1,
        runtime_s=3.0, progress=json.dumps([[0.1, 300, None], [1.0, 220, 200]])),
    row("i2", "B", status="error", error="RuntimeError: solver crashed", violations=-1, reference=200, runtime_s=0.5),
    row("i2", "C", objective=210, reference=200, ref_gap=0.05, runtime_s=0.2),
    row("i3", "A", status="error", error="boom", objective=10, gap=0.9, ref_gap=5.0, runtime_s=100.0),
    row("i3", "B", status="optimal", objective=60, bound=60, gap=0.0, runtime_s=2.0),
    row("i3", "C", objective=60, runtime_s=0.3),
]


def _runs(rows=ROWS, label="run"):
    return [report.Run(label, [Path(f"{label}.csv")], [dict(r) for r in rows])]


def _lines(rows=ROWS):
    items = report.entries(_runs(rows))
    return {(ln.solver, ln.family): ln for ln in report.summary(items, report.solver_order(items))}


def run_cli(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


# -- the numbers -------------------------------------------------------------------------------------
def test_summary_over_all_families_by_hand():
    """Wins with shared ties, proofs, errors, mean gaps without the error rows, mean runtime."""
    lines = _lines()
    a, b, c = lines[("A", "")], lines[("B", "")], lines[("C", "")]
    assert (a.instances, a.jobs, b.instances, c.instances) == (3, 3, 3, 3)
    assert (a.wins, b.wins, c.wins) == pytest.approx((0.5, 1.0, 1.5))
    assert (a.proofs, b.proofs, c.proofs) == (1, 1, 0)
    assert (a.errors, b.errors, c.errors) == (1, 1, 0)
    # A's error row on i3 carries ref_gap 5.0 and gap 0.9: excluded
    assert a.ref_gap == pytest.approx(0.05) and a.gap == pytest.approx(10 / 220)
    assert b.ref_gap == pytest.approx(0.0) and b.gap == pytest.approx(0.05)
    assert c.ref_gap == pytest.approx(0.075) and math.isnan(c.gap)
    assert a.runtime == pytest.approx(2.0)  # the error's 100 s left out
    assert c.runtime == pytest.approx(0.2)


def test_summary_per_family_by_hand():
    lines = _lines()
    assert lines[("A", "f1")].wins == pytest.approx(0.5) and lines[("A", "f2")].wins == 0
    assert lines[("C", "f1")].wins == pytest.approx(1.0) and lines[("C", "f2")].wins == pytest.approx(0.5)
    assert lines[("B", "f2")].proofs == 1 and lines[("B", "f1")].errors == 1
    assert lines[("A", "f2")].instances == 1 and math.isnan(lines[("A", "f2")].ref_gap)
    # the families come first, each solver's line over all of them last
    items = report.entries(_runs())
    order = [(ln.family, ln.solver) for ln in report.summary(items, report.solver_order(items))]
    assert order[:3] == [("f1", "A"), ("f1", "B"), ("f1", "C")] and order[-3:] == [("", "A"), ("", "B"), ("", "C")]


def test_invalid_schedules_and_unsolved_rows_are_not_solutions():
    rows = [row("i1", "A", objective=90, violations=2, runtime_s=1.0),  # best, but the checker rejects it
            row("i1", "B", objective=100, runtime_s=1.0),
            row("i1", "C", status="time_limit", runtime_s=1.0)]  # no schedule
    lines = _lines(rows)
    assert lines[("A", "")].invalid == 1 and lines[("A", "")].wins == 0
    assert lines[("B", "")].wins == 1 and lines[("C", "")].unsolved == 1


def test_wins_ties_and_seeds():
    assert report.wins({"x": {"A": 5.0, "B": 5.0, "C": 5.0}, "y": {"A": 1.0, "B": 2.0}}) == pytest.approx(
        {"A": 1 + 1 / 3, "B": 1 / 3, "C": 1 / 3})
    # a solver's objective on an instance is the mean over its seeds
    rows = [row("i1", "A", seed=0, objective=100), row("i1", "A", seed=1, objective=120),
            row("i1", "B", objective=105)]
    objs = report.objectives(report.entries(_runs(rows)))
    assert objs == {"jobshop:i1.txt": {"A": 110.0, "B": 105.0}}


def test_performance_profile_values():
    items = report.entries(_runs())
    objs = report.objectives(items)
    # i1 {A 100, B 100, C 110}, i2 {A 220, C 210}, i3 {B 60, C 60}
    prof = report.performance_profile(objs, ["A", "B", "C"], [1.0, 1.05, 1.1, 1.5])
    assert prof["A"] == pytest.approx([1 / 3, 2 / 3, 2 / 3, 2 / 3])  # 220/210 = 1.0476
    assert prof["B"] == pytest.approx([2 / 3] * 4)
    assert prof["C"] == pytest.approx([2 / 3, 2 / 3, 1.0, 1.0])
    assert report.profile_breakpoints(objs, 1.5) == pytest.approx([1.0, 220 / 210, 1.1, 1.5])


def test_ratio_for_zero_and_negative_objectives():
    assert report.ratio(0, 0) == 1 and report.ratio(3, 0) == math.inf
    assert report.ratio(-90, -100) == pytest.approx(1.1)  # 10 above the best, relative to |best|
    assert report.performance_profile({}, ["A"], [1.0]) == {"A": [0.0]}


def test_time_to_target_from_progress():
    items = report.entries(_runs())
    by = {(e.inst.split(":")[1][:2], e.key): e for e in items}
    tg = report.targets(items, report.objectives(items))
    assert tg["jobshop:i1.txt"] == 100 and tg["jobshop:i2.txt"] == 200 and tg["jobshop:i3.txt"] == 60
    a1, b1, c1 = by[("i1", "A")], by[("i1", "B")], by[("i1", "C")]
    assert report.time_to_target(a1, 100, 0.05) == 0.5  # 104 is within 5 %
    assert report.time_to_target(a1, 100, 0.01) == 2.0  # 104 is not within 1 %, 100 is
    assert report.time_to_target(b1, 100, 0.01) == 4.0  # no progress: the runtime
    assert report.time_to_target(c1, 100, 0.05) == math.inf and report.time_to_target(c1, 100, 0.1) == 0.1
    assert report.time_to_target(by[("i2", "A")], 200, 0.1) == 1.0
    assert report.time_to_target(by[("i3", "A")], 60, 10.0) == math.inf  # an error never reaches it
    times = report.ttt_times(items, 0.05)
    # i1 0.5, i2 never (220 > 210), i3 error
    assert times["A"] == [0.5, math.inf, math.inf]
    assert times["C"] == [0.2, 0.3, math.inf]  # i1 110 > 105
    assert report.share_by(times["C"], 0.25) == pytest.approx(1 / 3)


def test_target_is_the_best_found_when_it_beats_the_reference():
    rows = [row("i1", "A", objective=95, reference=100, runtime_s=1.0),
            row("i1", "B", objective=100, reference=100, runtime_s=1.0)]
    items = report.entries(_runs(rows))
    assert report.targets(items, report.objectives(items)) == {"jobshop:i1.txt": 95}
    assert report.ttt_times(items, 0.01) == {"A": [1.0], "B": [math.inf]}


def test_parse_progress_tolerates_garbage():
    assert report.parse_progress("") == []
    assert report.parse_progress("not json") == []
    assert report.parse_progress('{"a": 1}') == []
    points = report.parse_progress('[[2, 5, null], [1, 7, 3], ["x", 1], [3]]')  # sorted by time, junk dropped
    assert [p[:2] for p in points] == [(1.0, 7.0), (2.0, 5.0)]
    assert points[0][2] == 3.0 and math.isnan(points[1][2])


# -- the page ------------------------------------------------------------------------------------
class _Page(HTMLParser):
    """Collects tags and attributes and checks that every element is closed in order."""

    VOID = {"meta", "img", "br", "hr", "link", "input", "col", "source"}

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.tags, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse_page(path: Path) -> _Page:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    page = _Page()
    page.feed(text)
    page.close()
    assert not page.errors and not page.stack, (page.errors, page.stack)
    return page


def _check_self_contained(page: _Page) -> list[bytes]:
    pngs = []
    for tag, attrs in page.tags:
        assert tag not in {"script", "link", "iframe", "object", "embed"}
        for name in ("src", "href"):
            v = attrs.get(name) or ""
            assert not v.lower().startswith(("http:", "https:", "//")), v
        if tag == "img":
            assert attrs["src"].startswith("data:image/png;base64,")
            pngs.append(base64.b64decode(attrs["src"].split(",", 1)[1]))
    assert all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pngs)
    return pngs


@pytest.fixture(scope="module")
def one_run_report(tmp_path_factory):
    d = tmp_path_factory.mktemp("rep")
    res = d / "night.csv"
    write_results(res, ROWS)
    (d / "night.csv.manifest.json").write_text(json.dumps(
        {"versions": {"opsplan": "0.1.0", "ortools": "9.15"}, "machine": {"host": "box7", "cpus": 2},
         "parameters": {"time_limit": 10, "seeds": [0]}, "inputs": {f"f{i}": f"sha{i}" for i in range(40)}}))
    out = d / "report.html"
    assert main(["report", str(res), "-o", str(out)]) == 0
    return out


def test_html_is_one_self_contained_valid_page(one_run_report):
    page = parse_page(one_run_report)
    pngs = _check_self_contained(page)
    assert len(pngs) == 3  # performance profile, time to target, objective over time
    text = " ".join(page.text)
    assert "night.csv" in text and "night.csv.manifest.json" in text
    assert "box7" in text and "9.15" in text and "40 entries" in text  # the manifest, the hashes summarised
    assert "RuntimeError: solver crashed" in text  # the errors table


def test_html_tables_show_the_numbers(one_run_report):
    text = one_run_report.read_text(encoding="utf-8")
    # C over all families: 3 instances, 3 jobs, ref gap 7.50 %, no bound gap, 1.5 wins
    assert '<td class=l>C</td><td class=l>all</td><td>3</td><td>3</td><td>7.50 %</td><td>-</td><td>1.50</td>' in text


def test_cli_imports_matplotlib_only_to_draw():
    code = ("import sys\nfrom opsplan.app.cli import build_parser\nbuild_parser()\n"
            "import opsplan.app.report\nprint('MPL', 'matplotlib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "MPL False" in out.stdout


def test_without_matplotlib_the_page_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(report, "_pyplot", lambda: None)
    page = report.render(_runs())
    assert "Plots need matplotlib" in page and "<img" not in page and "7.50 %" in page


# -- several runs ----------------------------------------------------------------------------------
def test_two_runs_are_compared_as_solver_at_run(tmp_path, capsys):
    first = tmp_path / "monday" / "results.csv"
    second = tmp_path / "tuesday" / "results.parquet"
    first.parent.mkdir()
    second.parent.mkdir()
    write_results(first, [row("i1", "A", objective=100), row("i2", "A", objective=200)])
    write_results(second, [row("i1", "A", objective=100, input="/elsewhere/sets/i1.txt"),
                           row("i2", "A", objective=190, input="/elsewhere/sets/i2.txt")])
    runs = report.load_runs([first, second])
    assert [r.label for r in runs] == ["monday/results", "tuesday/results"]  # the same stem: the folder too
    items = report.entries(runs)
    lines = {ln.solver: ln for ln in report.summary(items, report.solver_order(items))}
    # the same instances across runs (matched by file name): i1 tied, i2 won by tuesday
    assert lines["A@monday/results"].wins == pytest.approx(0.5)
    assert lines["A@tuesday/results"].wins == pytest.approx(1.5)
    out = tmp_path / "cmp.html"
    rc, stdout, _ = run_cli(capsys, "report", first, second, "-o", out, "--label", "mon", "--label", "tue")
    assert rc == 0 and "2 runs compared" in stdout
    page = parse_page(out)
    _check_self_contained(page)
    text = " ".join(page.text)
    assert "A@mon" in text and "A@tue" in text


def test_same_label_joins_files_into_one_run(tmp_path):
    a, b = tmp_path / "part1.csv", tmp_path / "part2.json"
    write_results(a, [row("i1", "A", objective=100)])
    write_results(b, [row("i2", "A", objective=100), row("i1", "A", objective=100)])  # i1-A-0 again
    runs = report.load_runs([a, b], ["x", "x"])
    assert len(runs) == 1 and len(runs[0].paths) == 2
    assert len(runs[0].rows) == 2  # the job written twice counts once
    assert {e.key for e in report.entries(runs)} == {"A"}


def test_default_labels_are_unique():
    assert report.default_labels([Path("a/r.csv"), Path("b/r.csv"), Path("c/s.csv")]) == ["a/r", "b/r", "s"]


# -- empty, all errors, bad input ----------------------------------------------------------------
def test_empty_results_make_a_page_that_says_so(tmp_path, capsys):
    res = tmp_path / "empty.csv"
    write_results(res, [])
    out = tmp_path / "r.html"
    rc, stdout, _ = run_cli(capsys, "report", res, "-o", out)
    assert rc == 0 and "0 row(s)" in stdout
    page = parse_page(out)
    assert "No results" in " ".join(page.text) and not [t for t, _ in page.tags if t == "img"]


def test_all_error_results_make_a_page_that_says_so(tmp_path, capsys):
    res = tmp_path / "bad.json"
    write_results(res, [row(f"i{i}", s, status="error", error="ValueError: bad input", violations=-1)
                        for i in (1, 2) for s in ("A", "B")])
    out = tmp_path / "r.html"
    rc, stdout, _ = run_cli(capsys, "report", res, "-o", out)
    assert rc == 0 and "4 error(s)" in stdout
    page = parse_page(out)
    text = " ".join(page.text)
    assert "No solver found a schedule: all 4 job(s) ended in an error" in text
    assert "ValueError: bad input" in text and not [t for t, _ in page.tags if t == "img"]


@pytest.mark.parametrize("name, content, says", [
    ("missing.csv", None, "no such file"),
    ("broken.json", "{not json", "not a results file"),
    ("list.json", "[1, 2]", "not a results file"),
    ("other.csv", "a,b\n1,2\n", "not a results file (no solver, input or instance"),
    ("typed.csv", "job_id,seed\n1,abc\n", "column 'seed'"),
    ("broken.parquet", "xx", "not a results file"),
    ("results.txt", "x", "expected .csv, .parquet or .json"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, name, content, says):
    path = tmp_path / name
    if content is not None:
        path.write_text(content)
    out = tmp_path / "r.html"
    rc, _, err = run_cli(capsys, "report", path, "-o", out)
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("opsplan: error: ") and str(path) in err and says in err
    assert not out.exists()


def test_bad_output_and_arguments_fail_before_reading(tmp_path, capsys):
    res = tmp_path / "r.csv"
    write_results(res, ROWS)
    rc, _, err = run_cli(capsys, "report", res, "-o", tmp_path)
    assert rc == 2 and "is a folder" in err
    rc, _, err = run_cli(capsys, "report", res, "-o", res / "sub.html")
    assert rc == 2 and "is a file, not a folder" in err
    rc, _, err = run_cli(capsys, "report", res, "-o", tmp_path / "x.html", "--tau-max", "1")
    assert rc == 2 and "--tau-max must be a number above 1" in err
    rc, _, err = run_cli(capsys, "report", res, "-o", tmp_path / "x.html", "--label", "a", "--label", "b")
    assert rc == 2 and "--label given 2 time(s) for 1 results file(s)" in err


def test_a_fifo_is_refused_not_waited_on(tmp_path, capsys):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    rc, _, err = run_cli(capsys, "report", fifo, "-o", tmp_path / "x.html")
    assert rc == 2 and "not a regular file" in err
