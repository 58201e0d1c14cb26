"""The command line serves every kind: ``--objective``, the bench-set registry, the kind's own words,
and every ``opsplan bench`` command the README and the docs show parses with the real parser."""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
from opsplan.app.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


# -- solve --objective -----------------------------------------------------------------------------
def test_solve_objective_overrides_the_scenarios_own(capsys, tmp_path):
    """`solve --objective max_lateness` judges ft06 (a makespan scenario) by its maximum lateness: the
    reported objective is that KPI of the plan, and the written document keeps the objective."""
    from opsplan.models import kpis
    from opsplan.models.io.document import load

    out_doc = tmp_path / "solved.json"
    rc, out, _ = run(capsys, "solve", str(SAMPLES / "ft06.json"), "--solver", "dispatch:spt",
                     "--objective", "max_lateness", "-o", str(out_doc), "--json")
    res = json.loads(out)
    assert rc == 0 and res["objective_name"] == "max_lateness" and res["kind"] == "jobshop"
    doc = load(out_doc)
    assert str(doc.scenario.objective) == "max_lateness"
    assert res["objective"] == kpis(doc.scenario, doc.schedules[-1])["max_lateness"]
    assert str(load(SAMPLES / "ft06.json").scenario.objective) == "makespan"  # the input is not touched
    rc, out, _ = run(capsys, "solve", str(SAMPLES / "ft06.json"), "--solver", "dispatch:spt")
    assert rc == 0 and "objective  makespan = " in out
    rc, out, _ = run(capsys, "solve", str(SAMPLES / "ft06.json"), "--solver", "dispatch:spt",
                     "--objective", "total_weighted_tardiness")
    assert rc == 0 and "objective  total_weighted_tardiness = " in out


def test_solve_unknown_objective_is_one_line_naming_the_kinds_objectives(capsys):
    from opsplan.models.kinds import descriptor

    rc, out, err = run(capsys, "solve", str(SAMPLES / "ft06.json"), "--solver", "dispatch:spt",
                       "--objective", "profit")
    known = ", ".join(descriptor("jobshop").objectives)
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert f"Job shop scenarios have no objective 'profit' (known: {known})" in err


# -- bench --objective -----------------------------------------------------------------------------
@pytest.fixture
def two_shops(tmp_path, bench_dir):
    """A job-shop benchmark folder holding ft06 and la01 only."""
    from tests.app.test_cli import _two_instance_set

    return _two_instance_set(bench_dir, tmp_path)


def test_bench_objective_other_than_the_sets_has_no_gaps(capsys, tmp_path, two_shops):
    """`bench jobshop --objective total_weighted_tardiness`: each plan judged by that objective; the set's
    reference values are makespans, so no gap, and the report records the objective (resume checks it)."""
    from opsplan.models import kpis
    from opsplan.models.io.importers import import_file
    from opsplan.solvers import solve

    out = tmp_path / "r.json"
    base = ["bench", "jobshop", "--dir", str(two_shops), "--solver", "dispatch:spt"]
    rc, printed, err = run(capsys, *base, "--objective", "total_weighted_tardiness", "--output", str(out), "--json")
    rep = json.loads(printed)
    assert rc == 0 and rep["objective"] == "total_weighted_tardiness"
    assert all(r["gap_pct"] is None and r["ub"] is None and r["violations"] == 0 for r in rep["rows"])
    assert "no gaps" in err and "makespan" in err
    sc = import_file(two_shops / "la01.txt", "orlib-jobshop").scenario
    spt = solve(sc, "dispatch:spt").schedule
    la01 = next(r for r in rep["rows"] if r["instance"] == "la01")
    assert la01["objective"] == kpis(sc, spt)["total_weighted_tardiness"]
    # the set's own objective named is the same run as without the flag: gaps, no "objective" in the report
    rc, printed, _ = run(capsys, *base, "--objective", "makespan", "--json")
    same = json.loads(printed)
    assert rc == 0 and "objective" not in same and all(r["gap_pct"] is not None for r in same["rows"])
    # a report of another objective is not continued, nor are its proofs reused
    rc, _, err = run(capsys, *base, "--resume", str(out))
    assert rc == 2 and "cannot resume, its objective is 'total_weighted_tardiness'" in err
    rc, _, err = run(capsys, *base, "--reuse-proven", str(out))
    assert rc == 2 and "its objective is total_weighted_tardiness" in err


def test_bench_unknown_objective_fails_before_any_solve(capsys, monkeypatch, two_shops):
    import opsplan.app.bench as bench

    solved = []
    monkeypatch.setattr(bench, "run_instance", lambda *a, **k: solved.append(a) or {})
    rc, out, err = run(capsys, "bench", "jobshop", "--dir", str(two_shops), "--solver", "dispatch:spt",
                       "--objective", "profit")
    assert rc == 2 and out == "" and solved == [] and len(err.strip().splitlines()) == 1
    assert "Job shop scenarios have no objective 'profit' (known: makespan," in err


# -- the bench-set registry ------------------------------------------------------------------------
@pytest.fixture
def fake_set():
    """A set registered by a test alone (kind 'toy'), removed afterwards."""
    from opsplan.app.benchsets import BenchSetSpec, bench_sets, register_bench_set, unregister_bench_set

    bench_sets()  # the built-in sets first, as in a real run
    seen = []

    def add_arguments(p):  # noqa: ANN001
        p.add_argument("--widgets", type=int, default=3)
        p.add_argument("--json", action="store_true")

    def run_it(args) -> int:  # noqa: ANN001
        seen.append(args)
        print(f"widgets {args.widgets}")
        return 7

    spec = register_bench_set(BenchSetSpec("toy-widgets", "toy", "widgets per second", add_arguments, run_it))
    yield spec, seen
    unregister_bench_set("toy-widgets")


def test_a_registered_set_is_a_subcommand_with_its_own_flags(capsys, fake_set):
    """Registering a set adds `opsplan bench NAME` with only its flags; cli.py is not touched."""
    from opsplan.app.benchsets import bench_set, bench_sets

    spec, seen = fake_set
    assert bench_set("toy-widgets") is spec and bench_sets()[-1] is spec
    rc, out, _ = run(capsys, "bench", "toy-widgets", "--widgets", "5")
    assert rc == 7 and out == "widgets 5\n" and seen[0].widgets == 5 and seen[0].set == "toy-widgets"
    with pytest.raises(SystemExit) as info:
        main(["bench", "toy-widgets", "--sizes", "20"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and "--sizes does not apply to bench toy-widgets (only to: pv)" in err
    with pytest.raises(SystemExit) as info:  # nor does another set read the toy's flag
        main(["bench", "pv", "--widgets", "2"])
    assert info.value.code == 2 and "only to: toy-widgets" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bench", "--help"])
    listing = capsys.readouterr().out
    assert "toy-widgets" in listing and "widgets per second" in listing


def test_an_unregistered_set_is_gone_and_names_are_checked(capsys):
    from opsplan.app.benchsets import BenchSetSpec, bench_set, bench_sets, register_bench_set
    from opsplan.models.errors import OpsPlanError

    assert "toy-widgets" not in {s.name for s in bench_sets()}
    with pytest.raises(OpsPlanError, match="unknown benchmark set 'toy-widgets'.*jobshop"):
        bench_set("toy-widgets")
    with pytest.raises(OpsPlanError, match="lower case"):
        register_bench_set(BenchSetSpec("Bad Name", None, "", lambda p: None, lambda a: 0))


def test_built_in_sets_declare_their_kind():
    """The job-shop sets say so; pool and gui serve every kind."""
    from opsplan.app.benchsets import bench_sets
    from opsplan.models.kinds import kinds

    by = {s.name: s.kind for s in bench_sets()}
    assert by["pool"] is None and by["gui"] is None
    assert {by[n] for n in ("jobshop", "fjsp", "tardiness", "pv", "policy-speed")} == {"jobshop"}
    assert all(k is None or k in kinds() for k in by.values())


def test_bench_gui_hands_its_flags_to_the_plan_boards_own_benchmark(capsys, monkeypatch):
    """`bench gui` parses its flags without Qt and passes only the given ones on (the defaults stay
    with app/gui/bench.py)."""
    import sys
    import types

    got = []
    fake = types.ModuleType("opsplan.app.gui.bench")
    fake.main = lambda argv: got.append(argv) or 0
    monkeypatch.setitem(sys.modules, "opsplan.app.gui.bench", fake)
    assert main(["bench", "gui", "--bars", "2000", "--json"]) == 0
    assert main(["bench", "gui"]) == 0
    assert got == [["--bars", "2000", "--json"], []]


# -- the README's and the docs' commands -----------------------------------------------------------
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _code_commands(text: str) -> list[str]:
    """Every ``opsplan ...`` command on the lines of the code blocks of ``text`` (a line continued
    with a trailing backslash joined to the next; what follows ``cd DIR &&`` included)."""
    found = []
    in_code, pending = False, ""
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code, pending = not in_code, ""
            continue
        if not in_code:
            continue
        line = pending + line
        if line.rstrip().endswith("\\"):
            pending = line.rstrip()[:-1] + " "
            continue
        pending = ""
        m = re.search(r"(?:^|&&\s*|;\s*|\$\s*)(opsplan\s.*)", line.strip())
        if m:
            found.append(m.group(1))
    return found


def _bench_commands(text: str) -> list[str]:
    """Every `opsplan bench ...` command in ``text``: in code blocks (see :func:`_code_commands`) and
    in inline code spans, which may wrap over lines."""
    found = [c for c in _code_commands(text) if c.startswith("opsplan bench")]
    for span in re.findall(r"(?<!`)`(opsplan bench[^`]*)`(?!`)", re.sub(r"```.*?```", "", text, flags=re.S)):
        found.append(" ".join(span.split()))
    return found


def test_docs_hold_bench_commands():
    """The scan finds the commands (a scan that found none would pass the next test vacuously)."""
    commands = [c for path in DOCS if path.is_file() for c in _bench_commands(path.read_text())]
    sets = {shlex.split(c, comments=True)[2] for c in commands if len(shlex.split(c, comments=True)) > 2}
    assert {"jobshop", "tardiness", "fjsp", "pv", "policy-speed", "gui", "pool"} <= sets
    assert len(commands) >= 20


@pytest.mark.parametrize("path", [p for p in DOCS if p.is_file() and "opsplan bench" in p.read_text()],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_bench_command_in_the_docs_parses(path, capsys):
    """Each `opsplan bench SET ...` line of README.md and docs/ parses with the real parser (nothing runs)."""
    parser = build_parser()
    bad = []
    for command in _bench_commands(path.read_text()):
        argv = shlex.split(command, comments=True)[1:]
        if len(argv) < 2:  # "`opsplan bench`": the command named, not a command
            continue
        try:
            args = parser.parse_args(argv)
        except SystemExit:
            bad.append(f"{command}\n    {capsys.readouterr().err.strip().splitlines()[-1]}")
            continue
        assert args.set == argv[1] and callable(args.func)
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("path", [p for p in DOCS if p.is_file() and "```" in p.read_text()],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_in_the_docs_code_blocks_parses(path, capsys):
    """Each `opsplan ...` line of a code block in README.md and docs/ parses (`opsplan gui` has its own parser)."""
    parser = build_parser()
    bad = []
    for command in _code_commands(path.read_text()):
        argv = shlex.split(command, comments=True)[1:]
        if not argv or argv[0] == "gui":
            continue
        try:
            parser.parse_args(argv)
        except SystemExit as stop:
            if stop.code in (0, None):  # --version, --help: they print and end, as meant
                capsys.readouterr()
                continue
            bad.append(f"{command}\n    {capsys.readouterr().err.strip().splitlines()[-1]}")
    assert not bad, "\n".join(bad)


# -- the kind's own words -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Widgets:
    """A scenario of a kind only this test knows."""

    name: str = "three widgets"
    kind: str = "toy-cli"
    objective: str = "cost"
    time_unit: str = "h"


@pytest.fixture
def toy_kind():
    """A kind registered by this test alone: its summary, KPIs (labels, units) and objectives."""
    from opsplan.models.kinds import KPI, Disruption, KindDescriptor, register_kind, unregister_kind

    d = KindDescriptor(
        kind="toy-cli", label="Widget line", scenario_type=_Widgets, to_json=lambda sc: {},
        from_json=lambda data: _Widgets(), schema_defs={}, schema_root="widgets", validate=lambda sc: [],
        check=lambda sc, s: [], objective_value=lambda sc, s: 12,
        kpis=lambda sc, s: {"cost": 12, "busy": 0.25, "idle_benches": 2, "per_bench": {"B1": 1}},
        kpi_list=(KPI("cost", "Total cost", "time"), KPI("busy", "Busy", "%", "higher"),
                  KPI("idle_benches", "Idle benches", "count"), KPI("absent", "Never reported", "EUR")),
        objectives=("cost", "speed"), with_objective=lambda sc, name: sc, task_ids=lambda sc: ["w1", "w2", "w3"],
        group_of=lambda sc, t: "", horizon=lambda sc: 10, summary=lambda sc: "3 widgets on 2 benches",
        resources=lambda sc: (), new_scenario=_Widgets, task_word="widget", resource_word="bench",
        disruptions=(Disruption("bench_jammed", "Bench jammed", "resource", flag="jam", syntax="BENCH@AT+DURATION",
                                example="B1@5+3"),),
    )
    register_kind(d)
    yield d
    unregister_kind("toy-cli")


def test_solve_summary_speaks_the_kinds_words(capsys, toy_kind):
    """The solve summary prints the kind's label, summary line and KPIs by label and unit; nothing of job shop."""
    from opsplan.app.cli import _print_summary
    from opsplan.models.schedule import Schedule
    from opsplan.solvers.result import Result, SolutionStatus, Termination

    result = Result(Termination.COMPLETED, SolutionStatus.FEASIBLE, Schedule(), 12, None, 0.5, "toy")
    _print_summary(_Widgets(), result, [], None)
    out = capsys.readouterr().out
    assert "scenario   three widgets  (Widget line: 3 widgets on 2 benches)" in out
    assert "objective  cost = 12" in out
    assert "kpis       Total cost 12 h   Busy 25.0%   Idle benches 2\n" in out
    assert "Never reported" not in out and "per_bench" not in out
    assert not re.search(r"\b(jobs?|machines?|operations?)\b", out)


def test_reschedule_offers_every_kinds_disruption_flags(toy_kind, capsys):
    """`reschedule` takes one repeatable flag per disruption type a kind declares (--down, --late of job
    shop; the toy's --jam), each with its syntax and example; none is written into cli.py."""
    args = build_parser().parse_args(["reschedule", "w.json", "plan", "--jam", "B1@5+3", "--jam", "B2@9+1",
                                      "--down", "M1@20+15", "-o", "x.json"])
    assert args.disruption_flags[:2] == ("down", "late") and "jam" in args.disruption_flags
    assert args.disrupt_jam == ["B1@5+3", "B2@9+1"] and args.disrupt_down == ["M1@20+15"] and args.disrupt_late == []
    with pytest.raises(SystemExit):
        main(["reschedule", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--jam BENCH@AT+DURATION" in text and "Widget line: bench jammed (e.g. B1@5+3)" in text
    assert "--down MACHINE@AT+DURATION" in text and "Job shop: machine breakdown (e.g. M3@120+60)" in text


def test_cli_reads_kinds_through_the_registry_only():
    """cli.py and the shared helpers name no kind module (the architecture test lists the generic
    modules; this one also keeps the bench machinery and the registry kind-neutral)."""
    import ast

    for rel in ("app/cli.py", "app/common.py", "app/benchsets.py", "app/bench.py"):
        tree = ast.parse((ROOT / rel).read_text())
        mods = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
        mods += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in mods if "jobshop" in m], rel
