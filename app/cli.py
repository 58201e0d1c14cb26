"""``opsplan`` command line: headless import, solve, reschedule, check, export and bench.

Never imports Qt (the GUI is started lazily by ``opsplan gui`` once it exists). Kind-neutral:
what it prints about a scenario comes from the kind's descriptor (:mod:`opsplan.models.kinds`),
and ``bench``'s subcommands from the bench-set registry (:mod:`opsplan.app.benchsets`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path

from opsplan.app.common import (
    PROG,
    Parser,
    add_objective_arg,
    add_solver_args,
    at_least,
    check_output,
    check_output_folder,
    objective_name,
    package_version,
)
from opsplan.app.common import fail as _fail
from opsplan.app.common import fmt_num as _fmt_num
from opsplan.app.common import solver_params as _params
from opsplan.models.errors import OpsPlanError, ValidationError


# -- helpers ----------------------------------------------------------------------------------
def _one_line(err: OpsPlanError) -> str:
    if isinstance(err, ValidationError):
        head = f"{err.source}: " if err.source else ""
        shown = "; ".join(str(i) for i in err.issues[:5])
        more = f"; ... {len(err.issues) - 5} more" if len(err.issues) > 5 else ""
        return f"{head}{len(err.issues)} validation issue(s): {shown}{more}"
    return " ".join(str(err).split())


def _load_document(path: str, fmt: str | None, index: int | None, jobs: int | None = None):
    """A Document from an OpsPlan JSON file or any importable file."""
    from opsplan.models.io.importers import import_file

    return import_file(path, fmt, index=index, n=jobs)


# -- commands ----------------------------------------------------------------------
def cmd_import(args: argparse.Namespace) -> int:
    from opsplan.models.io.document import save
    from opsplan.models.kinds import descriptor

    check_output(args.output)  # every command that writes checks its output first: no work is thrown away
    doc = _load_document(args.file, args.format, args.index, args.jobs)
    save(doc, args.output)
    sc = doc.scenario
    print(f"imported {sc.name}: {descriptor(sc).summary(sc)} -> {args.output}")
    return 0


def cmd_solve(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from opsplan.app.progress import ProgressLine, in_worker, interrupts
    from opsplan.models import check
    from opsplan.models.io.document import save
    from opsplan.models.kinds import with_objective
    from opsplan.solvers import StopToken, solve

    check_output(args.output)  # before the solve: a plan is never computed only to be lost at the save
    doc = _load_document(args.file, args.format, args.index, args.jobs)
    sc = doc.scenario
    if args.objective is not None:  # an unknown name fails here, naming the kind's objectives
        sc = with_objective(sc, args.objective)
    warm = None
    if args.warm_start:
        warm = doc.schedules[-1] if doc.schedules else None
        if warm is None:
            return _fail(f"{args.file}: --warm-start given but the document holds no schedule")
    params = _params(args, warm_start=warm)
    stop = StopToken()
    line = ProgressLine()
    quiet = args.json

    def on_progress(p) -> None:  # noqa: ANN001
        if not quiet:
            gap = ""
            if p.objective and p.bound is not None and p.objective != 0:
                gap = f"  gap {abs(p.objective - p.bound) / abs(p.objective):.2%}"
            who = f"  [{p.solver}]" if p.solver and p.solver != args.solver else ""
            line.update(f"  {p.elapsed_s:7.2f}s  objective {_fmt_num(p.objective)}  "
                        f"bound {_fmt_num(p.bound)}{gap}{who}")

    try:  # Ctrl+C or a kill (SIGTERM) cancels the search: the best plan so far is kept (-o) and reported
        with interrupts(stop.set, (signal.SIGINT, signal.SIGTERM)):
            result = in_worker(solve, sc, args.solver, params, on_progress, stop)
    finally:
        line.done()
    violations = check(sc, result.schedule) if result.schedule is not None else []
    if args.output and result.schedule is not None:
        # a plan of the same name already in the file is kept: the new one gets "name (2)"
        sched = result.schedule.renamed(doc.unique_name(args.schedule_name or result.solver))
        # the document keeps the scenario the plan was made for (--objective included)
        save(replace(doc, scenario=sc, schedules=tuple(doc.schedules) + (sched,)), args.output)
    elif args.output:
        print(f"{PROG}: nothing written to {args.output}: the solve found no schedule", file=sys.stderr)

    if args.json:
        out = result.summary()
        out["violations"] = len(violations)
        out["scenario"] = sc.name
        out["kind"] = sc.kind
        out["objective_name"] = objective_name(sc)
        if result.solver == "race":
            st = result.stats
            out["race"] = {"members": st.get("members"), "winner": st.get("winner"),
                           "found_at_s": st.get("found_at_s"), "proved_by": st.get("proved_by"),
                           "members_final": {k: {f: v.get(f) for f in ("status", "objective", "bound", "runtime_s")}
                                             for k, v in (st.get("per_member") or {}).items()}}
        if args.output and result.schedule is not None:
            out["output"] = args.output
        print(json.dumps(out))
    else:
        _print_summary(sc, result, violations, args.output)
    # a script may go on only with a plan: none found (infeasible, stopped first, error) is exit 1
    if result.termination.value == "error" or result.schedule is None:
        return 1
    return 0 if not violations else 1


def _print_summary(sc, result, violations, output) -> None:  # noqa: ANN001
    from opsplan.models import kpis
    from opsplan.models.kinds import descriptor

    d = descriptor(sc)
    print(f"scenario   {sc.name}  ({d.label}: {d.summary(sc)})")
    extra = f"  [{result.message}]" if result.message else ""
    print(f"solver     {result.solver} ({result.solver_version}){extra}")
    gap = "-" if result.gap is None else f"{result.gap:.2%}"
    print(f"status     {result.status}  (stopped: {result.termination.value})")
    print(f"objective  {objective_name(sc)} = {_fmt_num(result.objective)}   bound {_fmt_num(result.bound)}"
          f"   gap {gap}")
    print(f"runtime    {result.runtime_s:.2f} s")
    _print_conflicts(result, "why       ")
    if result.schedule is not None:
        values = kpis(sc, result.schedule)
        print("kpis       " + "   ".join(_kpi_text(sc, k, values[k.key]) for k in d.kpi_list if k.key in values))
        print(f"checker    {len(violations)} violation(s)")
        for v in violations[:20]:
            print(f"  - {v}")
    if output and result.schedule is not None:
        print(f"saved      {output}")


def _kpi_text(sc, kpi, value) -> str:  # noqa: ANN001
    """A KPI with its label and unit: ``Makespan 615 min``, ``Utilization 32.8%``, a count bare."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{kpi.label} {value}"
    if kpi.unit == "%":
        return f"{kpi.label} {100 * value:.1f}%"
    unit = kpi.unit
    if unit == "time":
        unit = str(getattr(sc, "time_unit", ""))
    elif unit == "count":
        unit = ""
    return f"{kpi.label} {_fmt_num(value)} {unit}".rstrip()


def _print_conflicts(result, label: str) -> None:  # noqa: ANN001
    """The conflicting business constraints of an infeasible result, one per line with where they live."""
    if not result.conflicts:
        return
    many = len(result.conflicts) > 1
    minimal = result.stats.get("explain_minimal", True)
    print(f"{label} {'these constraints cannot all hold' if many else 'this constraint cannot hold'}"
          + ("" if minimal else " (a conflict set, maybe not the smallest: the search ran out of time)") + ":")
    for c in result.conflicts:
        where = c.path or ", ".join(c.objects)
        print(f"  - {c.message}" + (f"   [{where}]" if where else ""))


def cmd_check(args: argparse.Namespace) -> int:
    from opsplan.models import check
    from opsplan.models.io.exporters import schedule_from_json
    from opsplan.models.kinds import descriptor

    doc = _load_document(args.scenario, args.format, args.index, args.jobs)
    schedule = schedule_from_json(args.schedule, name=args.name, scenario=doc.scenario)
    violations = check(doc.scenario, schedule)
    if args.json:
        print(json.dumps({"feasible": not violations, "violations": [
            {"code": v.code, "message": v.message, "objects": list(v.objects)} for v in violations]}))
    elif violations:
        print(f"{len(violations)} violation(s):")
        for v in violations:
            print(f"  - {v}")
    else:
        print(f"feasible: {len(schedule.work())} {descriptor(doc.scenario).task_word}s, no violations")
    return 1 if violations else 0


def cmd_export(args: argparse.Namespace) -> int:
    from opsplan.models.io.exporters import export_schedule
    from opsplan.models.kinds import descriptor

    check_output(args.output)
    doc = _load_document(args.file, None, None)
    if not doc.schedules:
        return _fail(f"{args.file}: the document holds no schedule to export")
    schedule = doc.schedules[-1]
    if args.name:
        named = [s for s in doc.schedules if s.name == args.name]
        if not named:
            return _fail(f"{args.file}: no schedule named '{args.name}' "
                         f"(have: {', '.join(s.name for s in doc.schedules)})")
        schedule = named[-1]
    export_schedule(doc.scenario, schedule, args.output, args.format)
    task = descriptor(doc.scenario).task_word
    print(f"exported {schedule.name or 'schedule'} ({len(schedule.work())} {task}s) -> {args.output}")
    return 0


def _running_schedule(doc, spec: str, name: str | None, source: str):  # noqa: ANN001, ANN202
    """SCHEDULE of ``opsplan reschedule``: a schedule file if the path exists, else a schedule named in the document."""
    from opsplan.models.io.exporters import schedule_from_json

    if Path(spec).is_file():
        return schedule_from_json(spec, name=name, scenario=doc.scenario)
    found = doc.schedule(spec)
    if found is not None:
        return found
    have = ", ".join(repr(s.name) for s in doc.schedules) or "none"
    raise OpsPlanError(f"{spec}: no such file, and {source} holds no schedule named '{spec}' (have: {have})")


def _distinct(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name} ({k})", k + 1
    return out


def cmd_reschedule(args: argparse.Namespace) -> int:
    from opsplan.app.progress import ProgressLine, in_worker, interrupts
    from opsplan.models import check, objective_value
    from opsplan.models.io.document import Document, save
    from opsplan.models.kinds import descriptor
    from opsplan.solvers import StopToken
    from opsplan.solvers.reschedule import parse_flag, prepare, reschedule

    for flag, v in (("--max-changes", args.max_changes), ("--tolerance", args.tolerance), ("--at", args.at)):
        if v is not None and v < 0:
            return _fail(f"{flag} must not be negative, got {v}")
    check_output(args.output)
    doc = _load_document(args.scenario, args.format, args.index, args.jobs)
    sc = doc.scenario
    desc = descriptor(sc)
    # each --<flag> a disruption type of the scenario's kind is written with, in the parser's order
    disruptions = [parse_flag(flag, text, sc.kind) for flag in args.disruption_flags
                   for text in getattr(args, _disruption_dest(flag))]
    old = _running_schedule(doc, args.schedule, args.name, args.scenario)
    old = old.renamed(old.name or "plan")
    plan = prepare(sc, old, disruptions, args.at)  # validation errors before any solving
    stop = StopToken()
    line = ProgressLine()

    def on_progress(p) -> None:  # noqa: ANN001
        if not args.json:
            line.update(f"  {p.elapsed_s:7.2f}s  objective {_fmt_num(p.objective)}  bound {_fmt_num(p.bound)}")

    try:
        with interrupts(stop.set, (signal.SIGINT, signal.SIGTERM)):
            new_sc, result = in_worker(reschedule, sc, old, disruptions, args.solver, _params(args),
                                       args.max_changes, args.tolerance, on_progress, stop, at=args.at)
    finally:
        line.done()
    info = result.stats["reschedule"]
    violations = check(new_sc, result.schedule) if result.schedule is not None else []
    before = objective_value(sc, old)
    if args.output and result.schedule is not None:
        new = result.schedule.renamed(_distinct(result.schedule.name, {old.name}))
        save(Document(new_sc, (old, new)), args.output)

    if args.json:
        out = result.summary()
        out.update(scenario=sc.name, objective_name=objective_name(sc), objective_before=before,
                   objective_after=result.objective, at=info["at"], frozen=info["frozen"],
                   interrupted=info["interrupted"], changes=info["changes"], max_changes=args.max_changes,
                   tolerance=args.tolerance, violations=len(violations),
                   disruptions=[str(d) for d in disruptions])
        if args.output and result.schedule is not None:
            out["output"] = args.output
        print(json.dumps(out))
    else:
        print(f"scenario     {sc.name}  ({desc.summary(sc)})")
        print(f"disruptions  {', '.join(str(d) for d in disruptions) or 'none'}   cut at {info['at']}")
        interrupted = ", ".join(info["interrupted"]) or "none"
        print(f"frozen       {info['frozen']} {desc.task_word}(s) started before {info['at']}   "
              f"interrupted: {interrupted}")
        print(f"solver       {result.solver}   status {result.status}  (stopped: {result.termination.value})"
              + (f"  [{result.message}]" if result.message else ""))
        print(f"objective    {objective_name(sc)}: before {_fmt_num(before)} -> after {_fmt_num(result.objective)}")
        if result.schedule is not None:
            limit = "no limit" if args.max_changes is None else f"limit {args.max_changes}"
            print(f"changes      {info['changes']} {desc.task_word}(s) changed ({limit}, tolerance {args.tolerance})")
            print(f"checker      {len(violations)} violation(s)")
            for v in violations[:20]:
                print(f"  - {v}")
        if args.output and result.schedule is not None:
            print(f"saved        {args.output}")
        _print_conflicts(result, "why         ")
    if result.schedule is None:
        if result.status == "infeasible":
            reason = "the frozen past, the downtime and the earliest starts leave no feasible plan"
            if args.max_changes is not None:
                reason = (f"no plan changes at most {args.max_changes} {desc.task_word}(s); the budget must cover "
                          f"the {len(plan.interrupted)} interrupted {desc.task_word}(s) and every {desc.task_word} "
                          "pushed later")
        elif result.status == "error":
            reason = result.message or "the solver failed"
        else:
            reason = "no solution before the solver stopped; try a longer --time-limit"
        return _fail(f"no feasible schedule found ({result.status}): {reason}", 1)
    return 0 if not violations else 1


def cmd_policy(args: argparse.Namespace) -> int:
    """``opsplan policy train|info``: train a dispatch policy (or reproduce one from its card), describe one."""
    if args.action == "info":
        if not args.policy:
            return _fail("policy info needs a policy: a shipped name or a .onnx/.json path")
        from opsplan.policies.runtime import cuda_unavailable_reason, load_policy

        session = load_policy(args.policy)
        card = session.card or {}
        info = {"name": session.name, "kind": session.kind, "features": session.spec.id,
                "provider": session.provider, "path": str(session.path), "sha256": session.sha256,
                "training": (card.get("training") or {}).get("method"), "quality": card.get("quality") or {}}
        why = cuda_unavailable_reason()
        if why:
            info["cuda"] = why
        if args.json:
            print(json.dumps(info))
        else:
            for k, v in info.items():
                print(f"{k:10s} {v}")
        return 0
    try:
        from opsplan.policies.training.train import TrainConfig, train, train_from_card
    except ImportError as err:
        return _fail(f"training needs torch: pip install 'opsplan[train]' ({err})")
    out = Path(args.out)
    check_output_folder(out, "--out")
    if args.card:
        try:
            card = json.loads(Path(args.card).read_text())
        except FileNotFoundError:
            return _fail(f"{args.card}: no such file")
        except json.JSONDecodeError as err:
            return _fail(f"{args.card}: not valid JSON (line {err.lineno}: {err.msg})")
        try:
            new = train_from_card(card, out, name=args.name)
        except ValueError as err:
            return _fail(f"{args.card}: {err}")
    else:
        fields = {"iterations": args.iterations, "instances": args.instances, "samples": args.samples,
                  "seed": args.seed, "time_budget_s": args.time_budget}
        config = TrainConfig(**{k: v for k, v in fields.items() if v is not None})
        command = "opsplan policy train " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["policy"] else None
        new = train(config, out, args.name, command=command)  # no name: "<kind>-policy"
    print(f"wrote {out / new['onnx']} and its card {out / (new['name'] + '.json')}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from opsplan.app.report import run

    return run(args)


def cmd_batch(args: argparse.Namespace) -> int:
    from opsplan.app.batch import main as batch_main

    return batch_main(args)


def cmd_solvers(args: argparse.Namespace) -> int:
    from opsplan.solvers import available, known

    avail = set(available())
    for name in known():
        print(f"{name:24s} {'available' if name in avail else 'not installed'}")
    return 0


# -- parser ----------------------------------------------------------------------
def _add_input_args(p: argparse.ArgumentParser) -> None:
    from opsplan.models.io.importers import importers

    formats = importers()
    multi = ", ".join(name for name, spec in formats.items() if spec.takes_index) or "none"
    p.add_argument("--format", default=None, help=f"input format ({', '.join(formats)}; default: from the file)")
    p.add_argument("--index", type=at_least(1), default=None,
                   help=f"instance number in multi-instance files ({multi})")
    p.add_argument("--jobs", type=at_least(1), default=None, metavar="N",
                   help=f"{multi}: tasks per instance, when the file name does not say (wt40.txt: 40)")


def _disruption_dest(flag: str) -> str:
    return "disrupt_" + flag.replace("-", "_")


def _add_disruption_args(p: argparse.ArgumentParser) -> None:
    """``reschedule``'s ``--down``, ``--late``...: one repeatable flag per flag a kind's disruption types declare."""
    from opsplan.models.kinds import descriptors

    types: dict[str, list] = {}
    for d in descriptors():
        for t in d.disruptions:
            if t.flag:
                types.setdefault(t.flag, []).append((d, t))
    for flag, pairs in types.items():
        t = pairs[0][1]
        what = "; ".join(f"{d.label}: {t.label.lower()}" + (f" (e.g. {t.example})" if t.example else "")
                         for d, t in pairs)
        p.add_argument(f"--{flag}", action="append", default=[], dest=_disruption_dest(flag),
                       metavar=t.syntax or ("TARGET@AT+DURATION" if t.target == "resource" else "TARGET@+DELAY"),
                       help=f"{what}; repeatable")
    p.set_defaults(disruption_flags=tuple(types))


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog=PROG, description="OpsPlan: operations planning from the command line")
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("import", help="convert a benchmark/tabular file into an OpsPlan document")
    p.add_argument("file")
    _add_input_args(p)
    p.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("solve", help="solve a scenario")
    p.add_argument("file")
    _add_input_args(p)
    add_solver_args(p)
    add_objective_arg(p)
    p.add_argument("-o", "--output", default=None, help="write the document with the new schedule here")
    p.add_argument("--schedule-name", default=None)
    p.add_argument("--warm-start", action="store_true", help="start from the document's last schedule")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=cmd_solve)

    p = sub.add_parser("reschedule", help="re-plan a running schedule after breakdowns or late tasks",
                       description="Keep what already started, re-plan the rest after the disruptions. "
                                   "Exit 1 when no feasible schedule is found.")
    p.add_argument("scenario", help="the scenario document (OpsPlan JSON or any importable file)")
    p.add_argument("schedule", help="the running schedule: a schedule JSON file, or the name of a schedule "
                                    "in the scenario document")
    p.add_argument("--name", default=None, help="schedule name when the SCHEDULE file holds several")
    _add_disruption_args(p)
    p.add_argument("--at", type=int, default=None, metavar="T",
                   help="cut time: keep what started before T (default: the first disruption)")
    p.add_argument("--max-changes", type=int, default=None, metavar="K",
                   help="at most K tasks may move (to another resource, or a start beyond --tolerance)")
    p.add_argument("--tolerance", type=int, default=0, metavar="T",
                   help="a start moved by at most T does not count as a change (default 0)")
    _add_input_args(p)
    add_solver_args(p)
    p.add_argument("-o", "--output", required=True,
                   help="write a document with the new scenario, the old and the new schedule here")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(func=cmd_reschedule)

    p = sub.add_parser("check", help="check a schedule against a scenario (exit 1 when infeasible)")
    p.add_argument("scenario")
    p.add_argument("schedule")
    p.add_argument("--name", default=None, help="schedule name when the file holds several")
    _add_input_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("export", help="export a document's schedule (json, csv, xlsx)")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--name", default=None, help="schedule name (default: the last one)")
    p.add_argument("--format", default=None, help="json, csv or xlsx (default: from the extension)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("batch", help="solve many scenarios x solvers x seeds into one results table (resumable)",
                       description="Every (scenario, solver, seed) is one job, run on local worker processes or a "
                                   "Dask cluster (--scheduler). Rows are written as jobs finish; Ctrl+C keeps them "
                                   "and the same command run again resumes. Exit 1 when a job failed, 130 when "
                                   "interrupted.")
    from opsplan.app.batch import add_arguments as _add_batch_args

    _add_batch_args(p)
    p.set_defaults(func=cmd_batch)

    _add_bench_parsers(sub)

    p = sub.add_parser("report", help="one self-contained HTML page (tables, plots) of batch/bench results files",
                       description="Per solver and family: gaps, wins, proofs, errors, runtimes; a performance "
                                   "profile, time to target and objective over time. Several files are compared "
                                   "as runs (solver@run).")
    p.add_argument("results", nargs="+", metavar="RESULTS",
                   help="results files (.csv, .parquet, .json) of `opsplan batch` or `opsplan bench`")
    p.add_argument("-o", "--output", required=True, help="the HTML page to write")
    p.add_argument("--label", action="append", default=None, metavar="NAME",
                   help="a run's name, once per results file in order (default: the file names); files given "
                        "the same label are one run")
    p.add_argument("--tau-max", type=float, default=1.5, metavar="T",
                   help="the performance profile's x range: 1 to T (default 1.5)")
    p.add_argument("--title", default=None, help="the page's title")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("solvers", help="list solvers and whether they are installed")
    p.set_defaults(func=cmd_solvers)

    p = sub.add_parser("policy", help="learned dispatch policies: train one (or reproduce one from its card), "
                                      "describe one")
    p.add_argument("action", choices=("train", "info"))
    p.add_argument("policy", nargs="?", default=None, help="info: a shipped policy name or a .onnx/.json path")
    p.add_argument("--card", default=None, help="train: reproduce the policy this card describes")
    p.add_argument("--out", default="policies-out", help="train: output folder for <name>.onnx and <name>.json")
    p.add_argument("--name", default=None, help="train: the policy's name")
    p.add_argument("--iterations", type=int, default=None)
    p.add_argument("--instances", type=int, default=None, help="train: generated instances per iteration")
    p.add_argument("--samples", type=int, default=None, help="train: sampled schedules per instance")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--time-budget", type=float, default=None, metavar="S", help="train: stop after S seconds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_policy)

    # the plan board lives in app/gui (Qt); its own parser takes over, loaded only when asked for
    p = sub.add_parser("gui", help="open the plan board (opsplan gui FILE [--solve S] [--screenshot OUT.png])",
                       add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


class _BenchSetParser(Parser):
    """The parser of one bench set: what it does not read is its own error, and a flag that
    another set reads says so (``--FLAG does not apply to bench SET (only to: OTHER, ...)``)."""

    set_name = ""
    siblings: dict[str, argparse.ArgumentParser] = {}

    def parse_known_args(self, args=None, namespace=None):  # noqa: ANN001, ANN201 - argparse's signature
        ns, extras = super().parse_known_args(args, namespace)
        if extras:
            for flag in (x.split("=", 1)[0] for x in extras if x.startswith("--")):
                readers = [name for name, q in self.siblings.items() if flag in q._option_string_actions]
                if readers:
                    self.error(f"{flag} does not apply to bench {self.set_name} (only to: {', '.join(readers)})")
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return ns, extras


def _add_bench_parsers(sub) -> None:  # noqa: ANN001 - argparse's subparsers action
    """``opsplan bench SET``: one subcommand per registered set, each with its own flags only."""
    from opsplan.app.benchsets import bench_sets

    p = sub.add_parser("bench", help="benchmark solvers on a public or generated set (gap to best known bounds)",
                       description="Benchmark solvers on a set: `opsplan bench SET --help` lists the set's own "
                                   "flags. A long run with --output keeps every finished row; --resume goes on.")
    sets = p.add_subparsers(dest="set", required=True, metavar="SET", title="benchmark sets",
                            parser_class=_BenchSetParser)
    parsers: dict[str, argparse.ArgumentParser] = {}
    for spec in bench_sets():
        sp = sets.add_parser(spec.name, help=spec.help, description=spec.description or spec.help)
        spec.add_arguments(sp)
        sp.set_defaults(func=spec.run)
        sp.set_name, sp.siblings = spec.name, parsers
        parsers[spec.name] = sp


def _delegate_gui(argv: list[str]) -> int | None:
    """``opsplan gui ...`` runs the Qt side's own parser."""
    if argv[:1] == ["gui"]:
        from opsplan.app.gui.app import main as gui_main

        return gui_main(argv[1:])
    return None


def _version() -> str:
    return package_version()  # the installed version, else the source tree's pyproject.toml


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        code = _delegate_gui(argv)
        if code is not None:
            return int(code)
        from opsplan.app.progress import sigterm_as_ctrl_c

        # a kill (SIGTERM: a job scheduler, a container, a Dask nanny) is Ctrl+C for every command: what
        # a command keeps on Ctrl+C (a solve's best plan, a bench's rows) it keeps on a kill, same exit status
        with sigterm_as_ctrl_c():
            args = build_parser().parse_args(argv)
            if getattr(args, "solvers", None):
                explicit = any(a == "--solver" or a.startswith("--solver=") for a in argv)
                if explicit and args.solver != "race":
                    return _fail(f"--solvers races solvers; it goes with --solver race, not --solver {args.solver}")
                args.solver = "race"
            return int(args.func(args) or 0)
    except OpsPlanError as err:
        return _fail(_one_line(err))
    except FileNotFoundError as err:
        return _fail(f"{err.filename}: no such file")
    except OSError as err:  # disk full, permission denied, ...: the file named, nothing half-written
        return _fail(f"{err.filename or 'I/O'}: {err.strerror or err}")
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except Exception as err:  # a bug: say so in one line; OPSPLAN_DEBUG=1 shows the traceback
        if os.environ.get("OPSPLAN_DEBUG"):
            raise
        what = " ".join(str(err).split())  # one line, whatever the exception's text holds
        what = what if len(what) <= 300 else what[:300] + " ..."
        return _fail(f"internal error ({type(err).__name__}: {what}); rerun with OPSPLAN_DEBUG=1 and report it", 3)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
