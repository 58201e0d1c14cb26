"""``opsplan bench``: solvers against public benchmark sets, reported as gaps to the best known bounds."""

from __future__ import annotations

import argparse
import dataclasses
import fnmatch
import json
import os
import re
import signal
import sys
import time
from pathlib import Path
from statistics import mean, stdev
from typing import Any

from opsplan.models.errors import OpsPlanError

REPO = Path(__file__).resolve().parents[1]
INTERRUPTED = 130  # exit code of a run stopped by Ctrl+C or SIGTERM (its report is partial)
MIN_EQUAL_TIME_S = 0.05  # --equal-time: no solver gets less than this (CP-SAT needs a moment to load)


def default_benchmarks() -> Path:
    """``$OPSPLAN_BENCHMARKS`` or the ``shared/benchmarks`` folder beside the checkout."""
    env = os.environ.get("OPSPLAN_BENCHMARKS")
    return Path(env) if env else REPO.parent / "shared" / "benchmarks"


def family_of(name: str) -> str:
    """``la21`` -> ``la``; ``abz5`` -> ``abz``; ``ft06`` -> ``ft``."""
    m = re.match(r"[a-z]+", name.lower())
    return m.group(0) if m else name


def expand_solvers(spec: str) -> list[str]:
    """``'cpsat,dispatch:*'`` -> every named solver, ``dispatch:*`` meaning every rule."""
    from opsplan.solvers import known

    out: list[str] = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        if "*" in part:
            matched = [n for n in known() if fnmatch.fnmatch(n, part)]
            if not matched:
                raise OpsPlanError(f"no solver matches '{part}'")
            out += matched
        else:
            out.append(part)
    return list(dict.fromkeys(out))  # each solver once, in the order first named


def load_index(folder: Path) -> dict[str, dict[str, Any]]:
    index = folder / "index.json"
    if not index.is_file():
        raise OpsPlanError(f"{folder}: no index.json (expected instance files plus index.json)")
    try:
        return json.loads(index.read_text())
    except json.JSONDecodeError as err:
        raise OpsPlanError(f"{index}: not valid JSON (line {err.lineno}: {err.msg})") from None


def run_instance(path: Path, fmt: str, solver: str, params, ub: float | None,
                 index: int | None = None, stop=None) -> dict[str, Any]:  # noqa: ANN001
    """Solve one instance file (``index``: its position in a multi-instance file) and return its row."""
    from opsplan.models import check
    from opsplan.models.io.importers import import_file
    from opsplan.solvers import solve

    sc = import_file(str(path), fmt, index=index).scenario
    result = solve(sc, solver, params, stop=stop)
    violations = len(check(sc, result.schedule)) if result.schedule is not None else None
    gap = None
    if result.objective is not None and ub:
        gap = 100.0 * (result.objective - ub) / ub
    row = {
        "solver": solver,
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "gap_pct": gap,
        "runtime_s": round(result.runtime_s, 3),
        "violations": violations,
    }
    # who won a race and when; which MIP formulation ran
    row.update({k: result.stats[k] for k in ("winner", "found_at_s", "proved_by", "formulation")
                if k in result.stats})
    if result.status == "error":
        row["message"] = result.message
    return row


def summarise(rows: list[dict[str, Any]], solvers: list[str]) -> dict[str, Any]:
    """Mean gap per family and overall, per solver (instances without a gap are left out)."""
    families = sorted({r["family"] for r in rows}, key=lambda f: min(
        i for i, r in enumerate(rows) if r["family"] == f))
    table: dict[str, dict[str, Any]] = {}
    for s in solvers:
        per: dict[str, Any] = {}
        for fam in families + ["all"]:
            gaps = [r["gap_pct"] for r in rows if r["solver"] == s and r["gap_pct"] is not None
                    and (fam == "all" or r["family"] == fam)]
            n_opt = sum(1 for r in rows if r["solver"] == s and r["status"] == "optimal"
                        and (fam == "all" or r["family"] == fam))
            # at (or below) the reference: the optimum where index.json has one, else the best known
            n_ref = sum(1 for r in rows if r["solver"] == s and r["objective"] is not None and r["ub"] is not None
                        and r["objective"] <= r["ub"] and (fam == "all" or r["family"] == fam))
            times = [r["runtime_s"] for r in rows if r["solver"] == s and r.get("runtime_s") is not None
                     and (fam == "all" or r["family"] == fam)]
            per[fam] = {"mean_gap_pct": mean(gaps) if gaps else None, "n": len(gaps), "proved_optimal": n_opt,
                        "at_reference": n_ref, "mean_runtime_s": mean(times) if times else None}
        table[s] = per
    return {"families": families, "by_solver": table}


def _write_report(path: str, report: dict[str, Any]) -> None:
    from opsplan.models.io.atomic import atomic_write_text

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(report, indent=1))


def _start_report(args: argparse.Namespace, report: dict[str, Any]) -> None:
    """The first write of ``--output``, before any solve: a path that cannot be written fails now,
    not after the first (perhaps long) solve. It refuses to start over an unfinished report: where
    the file holds a run that stopped half way, this run must resume it (``--resume`` the same
    file) or its rows would be lost. A finished report, or a file that is no report, is overwritten."""
    out, resume = args.output, getattr(args, "resume", None)
    if Path(out).is_file() and not (resume and Path(resume).resolve() == Path(out).resolve()):
        try:
            old = _read_report(out, "check", need=())
        except OpsPlanError:
            old = None
        if old is not None and old.get("complete") is False and old["rows"]:
            raise OpsPlanError(f"{out} holds an unfinished report ({len(old['rows'])} rows): continue it with "
                               f"--resume {out}, or write --output elsewhere (or delete it first)")
    _write_report(out, report)


def _emit_json(args: argparse.Namespace, report: dict[str, Any]) -> bool:
    """Write ``report`` to ``--output`` when given; print it and return True with ``--json``."""
    if args.output:
        _write_report(args.output, report)
    if args.json:
        print(json.dumps(report))
        return True
    return False


def run_jobshop_bench(args: argparse.Namespace) -> int:
    return _run_bench(args, BENCH_SETS["jobshop"])


def run_tardiness_bench(args: argparse.Namespace) -> int:
    return _run_bench(args, BENCH_SETS["tardiness"])


def run_fjsp_bench(args: argparse.Namespace) -> int:
    return _run_bench(args, BENCH_SETS["fjsp"])


class BenchSet:
    """How one benchmark folder is read: its format, the reference value and the family of an entry."""

    def __init__(self, name: str, fmt: str, ref, family, position=None) -> None:
        self.name, self.fmt, self.ref, self.family, self.position = name, fmt, ref, family, position


BENCH_SETS = {
    # job shop: gap to the best known upper bound
    "jobshop": BenchSet("jobshop", "orlib-jobshop", lambda e: e.get("ub"), lambda n, e: family_of(n)),
    "fjsp": BenchSet("fjsp", "fjs", lambda e: e.get("ub"), lambda n, e: family_of(n)),
    # weighted tardiness: gap to the optimum, else the best known value; one file holds many instances
    "tardiness": BenchSet("tardiness", "orlib-wt",
                          lambda e: e["optimum"] if e.get("optimum") is not None else e.get("best_known"),
                          lambda n, e: Path(e["file"]).stem, lambda e: int(e["position"])),
}


def _run_bench(args: argparse.Namespace, bset: BenchSet) -> int:
    from opsplan.app.progress import ProgressLine, in_worker, interrupts
    from opsplan.solvers import Params, StopToken
    from opsplan.solvers.registry import split_name

    folder = Path(args.dir) if args.dir else default_benchmarks() / bset.name
    index = load_index(folder)
    globs = [g.strip() for g in args.instances.split(",") if g.strip()]
    names = [n for n in index if any(fnmatch.fnmatch(n, g) for g in globs)]
    if not names:
        raise OpsPlanError(f"no instance in {folder} matches '{args.instances}'")
    solvers = expand_solvers(args.solver)
    for s in solvers:
        split_name(s)  # fail fast on an unknown name
    from opsplan.app.cli import solver_options

    options = {"improve": True} if getattr(args, "improve", False) else {}
    options.update(solver_options(args))
    params = Params(time_limit=args.time_limit, threads=args.threads, seed=args.seed, options=options)
    line = ProgressLine()
    proven = _proven_rows(args.reuse_proven, args.time_limit) if args.reuse_proven else {}
    resumed, earlier_s = (_resumed_rows(args.resume, args, options, bset, folder, names, solvers)
                          if getattr(args, "resume", None) else ({}, 0.0))
    equal = getattr(args, "equal_time", False)
    if equal and not solvers[0].startswith("policy:"):
        raise OpsPlanError("--equal-time gives every solver the time the first one took: the first solver must "
                           "be a policy (e.g. --solver policy:jobshop-sl,cpsat)")
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    total = len(names) * len(solvers)

    def head(name: str) -> dict[str, Any]:
        entry = index[name]
        return {"instance": name, "family": bset.family(name, entry), "ub": bset.ref(entry), "lb": entry.get("lb")}

    # resumed rows not reached yet still belong in a partial report, or a second stop would lose them
    pending = [(n, s) for n in names for s in solvers if (n, s) in resumed]

    def report(complete: bool) -> dict[str, Any]:
        done = {(r["instance"], r["solver"]) for r in rows}
        rows_now = rows + [{**head(n), **resumed[n, s]} for n, s in pending if (n, s) not in done]
        summary = summarise(rows_now, solvers)
        return {
            "set": bset.name,
            "options": options,
            "dir": str(folder),
            "solvers": solvers,
            "time_limit": args.time_limit,
            "equal_time": bool(equal),
            "threads": args.threads,
            "seed": args.seed,
            "complete": complete,
            "rows": rows_now,
            "summary": summary,
            "mean_gap_pct": {s: summary["by_solver"][s]["all"]["mean_gap_pct"] for s in solvers},
            "wall_s": round(earlier_s + time.perf_counter() - t0, 1),  # a resumed run adds to the earlier wall time
        }

    if args.output:
        _start_report(args, report(complete=False))
    # a learned policy runs every instance through one inference session, in large batches (with
    # --equal-time the first one runs instance by instance, so that each instance has its own time)
    batched = {s: _policy_rows(s, names, index, folder, bset, params, line, per_instance=equal and k == 0)
               for k, s in enumerate(solvers) if s.startswith("policy:")}
    # Ctrl+C or a kill (SIGTERM) cancels the instance being solved and ends the run with what
    # is finished: the solver stops within a second, and --output keeps every finished row
    stop = StopToken()
    try:
        with interrupts(stop.set, (signal.SIGINT, signal.SIGTERM)):
            for name in names:
                entry = index[name]
                for s in solvers:
                    if stop.is_set():
                        raise KeyboardInterrupt
                    done = len(rows)
                    row = head(name)
                    ref = row["ub"]
                    if (name, s) in resumed:
                        row.update(resumed[name, s])
                        rows.append(row)
                        continue
                    line.update(f"[{done + 1}/{total}] {name} with {s}  ({time.perf_counter() - t0:.0f}s elapsed)",
                                force=True)
                    if (name, s) in proven:
                        row.update(proven[name, s])
                        row["reused"] = True
                    elif s in batched:
                        row.update(batched[s][name])
                    else:
                        pos = bset.position(entry) if bset.position else None
                        run_params = params
                        if equal:  # the lead policy's time on this instance is this solver's limit
                            limit = max(float(batched[solvers[0]][name]["runtime_s"]), MIN_EQUAL_TIME_S)
                            run_params = dataclasses.replace(params, time_limit=limit)
                            row["time_limit"] = limit
                        path = folder / entry["file"]
                        row.update(in_worker(run_instance, path, bset.fmt, s, run_params, ref, pos, stop))
                        if stop.is_set():  # cancelled part way: not a result
                            raise KeyboardInterrupt
                        if ref == 0 and row["objective"] is not None:  # no relative gap to 0: say if it was hit
                            row["hit_zero"] = row["objective"] == 0
                    rows.append(row)
                    if args.output:  # a long run killed half way keeps what it finished (see --resume)
                        _write_report(args.output, report(complete=False))
    except KeyboardInterrupt:
        stop.set()
        print(f"interrupted: reporting the {len(rows)} results finished so far", file=sys.stderr)
    finally:
        line.done()
    final = report(complete=len(rows) == total)
    if not _emit_json(args, final):
        if args.markdown:
            print(markdown_table(final))
        else:
            print_table(final)
    bad = [r for r in rows if r["violations"]]
    if bad:
        print(f"checker found violations in {len(bad)} schedule(s): this is a solver bug", file=sys.stderr)
        return 1
    failed = [r for r in rows if r["status"] == "error"]
    if failed:
        r = failed[0]
        print(f"{len(failed)} solve(s) failed, e.g. {r['instance']} with {r['solver']}: "
              f"{r.get('message') or 'no reason given'}", file=sys.stderr)
        return 1
    return INTERRUPTED if stop.is_set() else 0


def _policy_rows(solver: str, names: list[str], index: dict, folder: Path, bset: BenchSet, params,  # noqa: ANN001
                 line, per_instance: bool = False) -> dict[str, dict[str, Any]]:  # noqa: ANN001
    """Rows of a ``policy:`` solver, all instances rolled out together (runtime: the total shared evenly),
    or with ``per_instance`` one instance at a time (its samples still in one batch; runtime: its own)."""
    from opsplan.models import check, objective_value
    from opsplan.models.io.importers import import_file
    from opsplan.policies.runtime import load_policy

    session = load_policy(solver.partition(":")[2])
    scs = []
    for name in names:
        entry = index[name]
        pos = bset.position(entry) if bset.position else None
        scs.append(import_file(str(folder / entry["file"]), bset.fmt, index=pos).scenario)
    samples = int(params.options.get("samples", 1))
    line.update(f"{solver}: {len(scs)} instances x {samples} rollout(s) in batches on {session.provider}", force=True)
    max_batch = int(params.options.get("batch", 1024))
    if per_instance:
        session.rollout(scs[:1], samples=1)  # warm-up: the first inference builds the session's kernels
        outs, times = [], []
        for k, sc in enumerate(scs):
            line.update(f"[{k + 1}/{len(scs)}] {names[k]} with {solver} x {samples}")
            t0 = time.perf_counter()
            outs += session.rollout([sc], samples=samples, seed=params.seed, max_batch=max_batch)
            times.append(time.perf_counter() - t0)
    else:
        t0 = time.perf_counter()
        outs = session.rollout(scs, samples=samples, seed=params.seed, max_batch=max_batch)
        times = [(time.perf_counter() - t0) / max(1, len(scs))] * len(scs)
    rows = {}
    for name, sc, out, each in zip(names, scs, outs, times, strict=True):
        ub = bset.ref(index[name])
        value = objective_value(sc, out.schedule)
        rows[name] = {"solver": solver, "status": "feasible", "objective": value, "bound": None,
                      "gap_pct": 100.0 * (value - ub) / ub if ub else None, "runtime_s": round(each, 4),
                      "violations": len(check(sc, out.schedule)), "provider": session.provider, "samples": samples}
    return rows


ROW_KEYS = ("instance", "solver", "status", "objective", "gap_pct", "runtime_s", "violations")


def _read_report(path: str, use: str, need: tuple[str, ...] = ROW_KEYS) -> dict[str, Any]:
    """An earlier bench report (``--output``), or a clean error saying why it cannot be used."""
    try:
        old = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise OpsPlanError(f"{path}: cannot {use} this report ({err})") from None
    if not isinstance(old, dict) or not isinstance(old.get("rows"), list):
        raise OpsPlanError(f"{path}: cannot {use} this report (it has no list of rows)")
    for i, r in enumerate(old["rows"]):
        missing = [k for k in need if not isinstance(r, dict) or k not in r]
        if missing:
            raise OpsPlanError(f"{path}: cannot {use} this report (row {i} has no {', '.join(missing)})")
    return old


def _proven_rows(path: str, time_limit: float | None) -> dict[tuple[str, str], dict[str, Any]]:
    """Rows of an earlier report whose solver proved optimality within a limit no larger than this one.

    A proof found in 10 s stands at 60 s, so a longer run may reuse it instead of
    solving the instance again; reused rows are marked ``"reused": true``.
    """
    old = _read_report(path, "reuse")
    old_limit = old.get("time_limit")
    if time_limit is not None and (old_limit is None or old_limit > time_limit):
        raise OpsPlanError(f"{path}: its time limit {old_limit} is not below this run's {time_limit}")
    keep = ("solver", "status", "objective", "bound", "gap_pct", "runtime_s", "violations")
    return {(r["instance"], r["solver"]): {k: r.get(k) for k in keep}
            for r in old["rows"] if r.get("status") == "optimal"}


def _resumed_rows(path: str, args: argparse.Namespace, options: dict[str, Any], bset: BenchSet, folder: Path,
                  names: list[str], solvers: list[str]) -> tuple[dict[tuple[str, str], dict], float]:
    """Rows of an earlier (perhaps unfinished) report of the same settings, to continue it,
    and the wall time it had taken.

    A long benchmark can then go on after it was stopped or killed (its ``--output`` is
    rewritten after every instance). The earlier report must be of the same set and
    folder and have the same time limit, threads, seed and solver options, or its rows
    would not be comparable; a missing file starts from nothing. Rows of instances or
    solvers outside this run are not carried over, so when ``--output`` is the resumed
    report itself such a run is refused (it would drop them). Rows whose solve failed
    (status ``error``) are run again.
    """
    if not Path(path).exists():
        print(f"{path}: no such report yet, starting from nothing", file=sys.stderr)
        return {}, 0.0
    old = _read_report(path, "resume from")
    mine = {"set": bset.name, "time_limit": args.time_limit, "threads": args.threads, "seed": args.seed,
            "options": options, "equal_time": bool(getattr(args, "equal_time", False))}
    # what reports that did not record these ran with
    older = {"seed": 0, "equal_time": False, "set": bset.name}
    for key, value in mine.items():
        theirs = old.get(key)
        if theirs is None and key in older:
            theirs = older[key]
        if theirs != value:
            raise OpsPlanError(f"{path}: cannot resume, its {key.replace('_', ' ')} is {theirs!r}, "
                               f"this run's is {value!r}")
    if old.get("dir") and Path(old["dir"]).resolve() != folder.resolve():
        raise OpsPlanError(f"{path}: cannot resume, its instances come from {old['dir']}, this run's from {folder}")
    if args.output and Path(args.output).resolve() == Path(path).resolve():
        lost_solvers = sorted({r["solver"] for r in old["rows"]} - set(solvers))
        lost_names = sorted({r["instance"] for r in old["rows"]} - set(names))
        if lost_solvers or lost_names:
            what = (f"solver(s) {', '.join(lost_solvers)}" if lost_solvers
                    else f"{len(lost_names)} instance(s) outside --instances, e.g. {lost_names[0]}")
            raise OpsPlanError(f"{path}: resuming it into itself would drop its rows of {what}; "
                               "include them in this run or write --output elsewhere")
    out = {}
    for r in old["rows"]:
        if r["status"] == "error":
            continue
        row = {k: v for k, v in r.items() if k not in ("instance", "family", "ub", "lb")}
        row["resumed"] = True
        out[r["instance"], r["solver"]] = row
    return out, float(old.get("wall_s") or 0.0)


def _g(v: float | None) -> str:
    return "-" if v is None else f"{v:6.2f}%"


def print_table(report: dict[str, Any]) -> None:
    solvers = report["solvers"]
    if len(solvers) == 1:
        print(f"{'instance':10s} {'objective':>10s} {'bound':>10s} {'best ub':>8s} {'gap':>8s} "
              f"{'status':>12s} {'time':>7s}")
        for r in report["rows"]:
            obj = "-" if r["objective"] is None else f"{r['objective']:.0f}"
            bnd = "-" if r["bound"] is None else f"{r['bound']:.0f}"
            ub = "-" if r["ub"] is None else r["ub"]
            print(f"{r['instance']:10s} {obj:>10s} {bnd:>10s} {ub:>8} {_g(r['gap_pct']):>8s} "
                  f"{r['status']:>12s} {r['runtime_s']:6.1f}s")
        print()
    fams = report["summary"]["families"] + ["all"]
    width = max(12, *(len(s) for s in solvers))

    def rows(cell) -> None:  # noqa: ANN001 - a summary cell -> its text
        for s in solvers:
            texts = [cell(report["summary"]["by_solver"][s][f]) for f in fams]
            print(f"{s:{width}s} " + " ".join(f"{t:>12s}" for t in texts))

    print("mean gap to best known upper bound, per family (instances)")
    print(f"{'solver':{width}s} " + " ".join(f"{f:>12s}" for f in fams))
    rows(lambda c: f"{_g(c['mean_gap_pct'])} ({c['n']:>2d})")
    print("instances at the reference (optimum or best known) / proved optimal")
    rows(lambda c: f"{c.get('at_reference', 0)}/{c['proved_optimal']}")
    print(f"time limit {report['time_limit']} s, threads {report['threads']}, wall {report['wall_s']} s")


def markdown_table(report: dict[str, Any]) -> str:
    """The per-family mean gaps as a Markdown table (what the README shows)."""
    fams = report["summary"]["families"] + ["all"]
    lines = ["| solver | " + " | ".join(f"{f} ({report['summary']['by_solver'][report['solvers'][0]][f]['n']})"
                                         for f in fams) + " |",
             "|---" * (len(fams) + 1) + "|"]
    if report.get("equal_time"):  # the time each solver took per instance belongs beside its gaps
        lines[0] += " s / instance |"
        lines[1] += "---|"
    for s in report["solvers"]:
        by = report["summary"]["by_solver"][s]
        cells = [_g(by[f]["mean_gap_pct"]).strip() for f in fams]
        if report.get("equal_time"):
            t = by["all"].get("mean_runtime_s")
            cells.append("-" if t is None else f"{t:.3g}")
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# -- generated unweighted tardiness (Potts-Van Wassenhove scheme) -------------------------------
PV_FACTORS = (0.2, 0.4, 0.6, 0.8, 1.0)  # tardiness factor TF and relative range of due dates RDD
PV_RULES = ("edd", "eddc", "mdd", "mddc")
# "Discovering Heuristics with Large Language Models for Mixed-Integer Programs: Single-Machine
# Scheduling" (2025): mean gaps to the best exact result, by n, as published
PV_PAPER = {20: {"edd": 46.61, "eddc": 12.83, "mdd": 1.86, "mddc": 1.70},
            100: {"edd": 59.57, "eddc": 28.12, "mdd": 1.81, "mddc": 1.52}}


def run_pv_bench(args: argparse.Namespace) -> int:
    """Rules EDD, EDDC, MDD, MDDC against the best exact result on generated instances, per size."""
    from opsplan.app.progress import ProgressLine, in_worker, interrupts
    from opsplan.models import check
    from opsplan.models.jobshop.build import potts_van_wassenhove
    from opsplan.solvers import Params, StopToken, solve

    try:
        sizes = [int(x) for x in str(args.sizes).split(",") if x.strip()]
    except ValueError:
        raise OpsPlanError(f"--sizes must be whole numbers separated by commas, got '{args.sizes}'") from None
    if not sizes or any(n < 1 for n in sizes):
        raise OpsPlanError(f"--sizes needs positive sizes, got '{args.sizes}'")
    per_cell = int(args.per_cell)
    exact = args.solver
    options: dict[str, Any] = {}
    if getattr(args, "solvers", None):
        options["solvers"] = [m.strip() for m in args.solvers.split(",") if m.strip()]
    params = Params(time_limit=args.time_limit, threads=args.threads, seed=args.seed, options=options)
    settings = {"exact": exact, "time_limit": args.time_limit, "threads": args.threads, "options": options}
    cells = [(n, tf, rdd, args.seed + k) for n in sizes for tf in PV_FACTORS for rdd in PV_FACTORS
             for k in range(per_cell)]
    resumed, earlier_s = _resumed_pv_rows(args.resume, settings, cells, args.output) if args.resume else ({}, 0.0)
    line = ProgressLine()
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()

    def make_report(complete: bool) -> dict[str, Any]:
        # resumed rows not reached yet still belong in a partial report, or a stop would lose them
        done = {(r["n"], r["tf"], r["rdd"], r["seed"]) for r in rows}
        now = rows + [resumed[c] for c in cells if c in resumed and c not in done]
        return {"set": "pv", "sizes": sizes, "per_cell": per_cell, **settings, "complete": complete,
                "rows": now, "summary": _pv_summary(now, sizes), "paper": PV_PAPER,
                "wall_s": round(earlier_s + time.perf_counter() - t0, 1)}

    def one(n: int, tf: float, rdd: float, seed: int) -> dict[str, Any]:
        sc = potts_van_wassenhove(n, tf, rdd, seed=seed)
        row: dict[str, Any] = {"n": n, "tf": tf, "rdd": rdd, "seed": seed}
        for rule in PV_RULES:
            r = solve(sc, f"dispatch:{rule}", Params())
            row[rule] = r.objective
            if check(sc, r.schedule):
                raise OpsPlanError(f"dispatch:{rule} broke the checker on {sc.name}")
        r = solve(sc, exact, params, stop=stop)
        if r.schedule is not None and check(sc, r.schedule):
            raise OpsPlanError(f"{exact} broke the checker on {sc.name}")
        row.update(exact=r.objective, exact_status=r.status, exact_bound=r.bound, exact_s=round(r.runtime_s, 3))
        if r.status == "error":
            row["exact_message"] = r.message or "no reason given"
        row["best"] = min(v for v in [r.objective, *(row[x] for x in PV_RULES)] if v is not None)
        return row

    if args.output:
        _start_report(args, make_report(complete=False))
    # as in the other sets: Ctrl+C or SIGTERM stops the solve under way, --output keeps every finished row
    stop = StopToken()
    try:
        with interrupts(stop.set, (signal.SIGINT, signal.SIGTERM)):
            for cell in cells:
                if stop.is_set():
                    raise KeyboardInterrupt
                if cell in resumed:
                    rows.append(resumed[cell])
                    continue
                n, tf, rdd, seed = cell
                line.update(f"[{len(rows) + 1}/{len(cells)}] n={n} TF={tf} RDD={rdd} seed {seed} "
                            f"({time.perf_counter() - t0:.0f}s elapsed)", force=True)
                row = in_worker(one, *cell)
                if stop.is_set():  # cancelled part way: not a result
                    raise KeyboardInterrupt
                rows.append(row)
                if args.output:
                    _write_report(args.output, make_report(complete=False))
    except KeyboardInterrupt:
        stop.set()
        print(f"interrupted: reporting the {len(rows)} instances finished so far", file=sys.stderr)
    finally:
        line.done()
    report = make_report(complete=len(rows) == len(cells))
    summary = report["summary"]
    failed = [r for r in rows if r["exact_status"] == "error"]
    code = INTERRUPTED if stop.is_set() else 0
    if failed:  # as in the other sets: a failed solve is not a result, and resume runs it again
        r = failed[0]
        print(f"{len(failed)} solve(s) failed, e.g. n={r['n']} TF={r['tf']} RDD={r['rdd']} seed {r['seed']} "
              f"with {exact}: {r.get('exact_message') or 'no reason given'}", file=sys.stderr)
        code = code or 1
    if _emit_json(args, report):
        return code
    print("mean gap to the best result (exact solver or any rule) on instances whose best is above 0;")
    print("in brackets: the paper's published figure")
    head = f"{'n':>5s} " + " ".join(f"{r.upper():>16s}" for r in PV_RULES) + f" {exact:>10s}  proven  zero"
    print(head)
    for n in sizes:
        c = summary[n]
        cells = []
        for rule in PV_RULES:
            ours = "-" if c[rule] is None else f"{c[rule]:.2f}%"
            paper = PV_PAPER.get(n, {}).get(rule)
            cells.append(f"{ours} ({paper:.2f})" if paper is not None else ours)
        ex = "-" if c["exact"] is None else f"{c['exact']:.2f}%"
        print(f"{n:>5d} " + " ".join(f"{x:>16s}" for x in cells)
              + f" {ex:>10s}  {c['exact_optimal']:>3d}/{c['instances']:<3d} {c['zero_best']:>3d}")
    print(f"{exact} time limit {args.time_limit} s, threads {args.threads}, "
          f"{per_cell} instance(s) per (TF, RDD) cell, wall {report['wall_s']} s")
    return code


def _pv_summary(rows: list[dict[str, Any]], sizes: list[int]) -> dict[int, dict[str, Any]]:
    summary: dict[int, dict[str, Any]] = {}
    for n in sizes:
        mine = [r for r in rows if r["n"] == n]
        scored = [r for r in mine if r["best"] > 0]  # a best of 0 gives no relative gap
        cell: dict[str, Any] = {"instances": len(mine), "zero_best": len(mine) - len(scored),
                                "exact_optimal": sum(r["exact_status"] == "optimal" for r in mine)}
        for rule in (*PV_RULES, "exact"):
            gaps = [100.0 * (r[rule] - r["best"]) / r["best"] for r in scored if r[rule] is not None]
            cell[rule] = mean(gaps) if gaps else None
        summary[n] = cell
    return summary


PV_ROW_KEYS = ("n", "tf", "rdd", "seed", "best", "exact", "exact_status", *PV_RULES)


def _resumed_pv_rows(path: str, settings: dict[str, Any], cells: list[tuple], output: str | None,
                     ) -> tuple[dict[tuple, dict[str, Any]], float]:
    """Rows of an earlier ``bench pv`` report with the same exact solver and limits, by instance;
    resuming into that report itself must not drop rows of instances outside this run."""
    if not Path(path).exists():
        print(f"{path}: no such report yet, starting from nothing", file=sys.stderr)
        return {}, 0.0
    old = _read_report(path, "resume from", need=PV_ROW_KEYS)
    if old.get("set") != "pv":
        raise OpsPlanError(f"{path}: cannot resume, it is a report of bench {old.get('set')}, not pv")
    for key, value in settings.items():
        if old.get(key, {} if key == "options" else None) != value:
            raise OpsPlanError(f"{path}: cannot resume, its {key.replace('_', ' ')} is {old.get(key)!r}, "
                               f"this run's is {value!r}")
    out = {(r["n"], r["tf"], r["rdd"], r["seed"]): r for r in old["rows"]}
    lost = [c for c in out if c not in set(cells)]
    if lost and output and Path(output).resolve() == Path(path).resolve():
        raise OpsPlanError(f"{path}: resuming it into itself would drop its rows of {len(lost)} instance(s) "
                           f"outside this run (e.g. n={lost[0][0]}); include them or write --output elsewhere")
    # a row whose exact solve failed is no result: it is run again
    return {c: r for c, r in out.items() if r["exact_status"] != "error"}, float(old.get("wall_s") or 0.0)


# -- learned policies: dispatch decisions per second --------------------------------------------
def _untrained_policy(folder: Path) -> Path:
    """An untrained scoring network exported to ONNX (speed does not depend on the weights)."""
    from opsplan.policies.features import JOBSHOP_V1
    from opsplan.policies.training.export import export_onnx
    from opsplan.policies.training.model import ScoringNet

    path = folder / "untrained.onnx"
    export_onnx(ScoringNet(JOBSHOP_V1.n_candidate, JOBSHOP_V1.n_global, seed=0), JOBSHOP_V1, path, "untrained")
    return path


def run_policy_speed(args: argparse.Namespace) -> int:
    """Decisions per second of a policy on one generated shop, per batch size (greedy at 1, sampled above)."""
    import tempfile

    from opsplan.models.jobshop.build import random_jobshop
    from opsplan.policies.runtime import cuda_unavailable_reason, load_policy

    try:
        n, m = (int(x) for x in str(args.size).lower().split("x"))
        batches = [int(b) for b in str(args.batches).split(",") if b.strip()]
    except ValueError:
        raise OpsPlanError(f"--size wants JOBSxMACHINES and --batches whole numbers, got '{args.size}', "
                           f"'{args.batches}'") from None
    if not batches or min(batches) < 1:
        raise OpsPlanError("--batches needs sizes of at least 1")
    if n < 1 or m < 1:
        raise OpsPlanError(f"--size needs at least one job and one machine, got '{args.size}'")
    with tempfile.TemporaryDirectory() as tmp:
        source = args.policy or str(_untrained_policy(Path(tmp)))
        session = load_policy(source, provider=args.provider)
        sc = random_jobshop(n, m, seed=args.seed, name=f"generated {n}x{m}")
        session.rollout([sc], samples=1)  # warm-up: first inference builds the session's kernels
        rows = []
        for b in batches:
            # greedy: b copies of the shop, one greedy rollout each; sampled: b rollouts of the one shop
            for mode in ("greedy", "sampled") if b > 1 else ("greedy",):
                t0 = time.perf_counter()
                if mode == "greedy":
                    outs = session.rollout([sc] * b, samples=1, max_batch=b, seed=args.seed)
                else:
                    outs = session.rollout([sc], samples=b, max_batch=b, seed=args.seed)
                wall = time.perf_counter() - t0
                st = outs[0].stats  # one call's totals (every rollout of the call shares them)
                decisions, infer, env_s = st["decisions"], st["inference_s"], st["env_s"]
                rows.append({"batch": b, "mode": mode, "decisions": decisions, "wall_s": round(wall, 4),
                             "inference_s": infer, "env_s": env_s,
                             "decisions_per_s": decisions / wall if wall > 0 else None,
                             "inference_decisions_per_s": decisions / infer if infer > 0 else None,
                             "best": min(o.value for o in outs)})
    report = {"set": "policy-speed", "policy": session.name, "provider": session.provider,
              "cuda": cuda_unavailable_reason() or "available", "size": f"{n}x{m}", "rows": rows}
    if _emit_json(args, report):
        return 0
    print(f"policy {session.name} on {session.provider}, one generated {n}x{m} shop"
          + ("" if report["cuda"] == "available" else f" (CUDA: {report['cuda'][:80]})"))
    print(f"{'batch':>6s} {'mode':>8s} {'decisions':>10s} {'wall':>8s} {'decisions/s':>12s} "
          f"{'inference/s':>12s} {'best':>8s}")
    for r in rows:
        print(f"{r['batch']:>6d} {r['mode']:>8s} {r['decisions']:>10d} {r['wall_s']:>7.2f}s "
              f"{r['decisions_per_s']:>12.0f} {r['inference_decisions_per_s'] or 0:>12.0f} {r['best']:>8}")
    return 0


# -- pooling reports of several runs ------------------------------------------------------------
def _pool_spec(spec: str) -> tuple[str, set[str] | None]:
    """``REPORT`` (every solver's rows) or ``REPORT:solver,solver`` (only those solvers' rows)."""
    path, sep, names = spec.rpartition(":")
    if sep and path and names and not any(c in names for c in "/\\") and not Path(spec).is_file():
        return path, {n.strip() for n in names.split(",") if n.strip()}
    return spec, None


def pool_reports(specs: list[str]) -> dict[str, Any]:
    """Average several runs: per instance and solver the mean gap (and objective, time) over the
    reports that hold it, then the per-family means of those, over the instances every solver has.

    Solvers are noisy between runs (CP-SAT with two workers moves by a unit or two on open
    instances), so a per-family verdict from one run can flip on the next; this pools them.
    Paired differences of the first solver against each other: per family the mean of
    (first - other) over instances, its standard error, and on how many instances the first is
    better and worse.
    """
    if not specs:
        raise OpsPlanError("bench pool needs reports: opsplan bench pool A.json B.json:cpsat ...")
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    order: list[str] = []
    for spec in specs:
        path, only = _pool_spec(spec)
        report = _read_report(path, "pool", need=("instance", "solver", "family", "gap_pct", "objective"))
        rows = [r for r in report["rows"] if only is None or r["solver"] in only]
        if only is not None and not rows:
            raise OpsPlanError(f"{path}: no rows of {', '.join(sorted(only))} in this report")
        for r in rows:
            runs.setdefault((r["instance"], r["solver"]), []).append(r)
            if r["solver"] not in order:
                order.append(r["solver"])
    instances = list(dict.fromkeys(i for i, _ in runs))
    common = [i for i in instances if all((i, s) in runs for s in order)]
    if not common:
        raise OpsPlanError("bench pool: no instance is held by every solver in these reports")

    def avg(rs: list[dict[str, Any]], key: str) -> float | None:
        vals = [r[key] for r in rs if r.get(key) is not None]
        return mean(vals) if vals else None

    pooled = []
    for i in common:
        for s in order:
            rs = runs[(i, s)]
            pooled.append({"instance": i, "family": rs[0]["family"], "solver": s, "ub": rs[0].get("ub"),
                           "runs": len(rs), "objectives": [r["objective"] for r in rs],
                           "objective": avg(rs, "objective"), "gap_pct": avg(rs, "gap_pct"),
                           "runtime_s": avg(rs, "runtime_s"),
                           "status": "optimal" if all(r["status"] == "optimal" for r in rs) else "pooled"})
    summary = summarise(pooled, order)
    by = {(r["instance"], r["solver"]): r for r in pooled}
    paired: dict[str, dict[str, Any]] = {}
    for s in order[1:]:
        per = {}
        for fam in summary["families"] + ["all"]:
            d = [by[(i, order[0])]["gap_pct"] - by[(i, s)]["gap_pct"] for i in common
                 if (fam == "all" or by[(i, s)]["family"] == fam)
                 and by[(i, s)]["gap_pct"] is not None and by[(i, order[0])]["gap_pct"] is not None]
            m = mean(d) if d else None
            se = stdev(d) / len(d) ** 0.5 if len(d) > 1 else None
            per[fam] = {"mean_diff_pts": m, "se": se, "better": sum(x < 0 for x in d), "worse": sum(x > 0 for x in d)}
        paired[s] = per
    return {"set": "pool", "reports": specs, "solvers": order, "instances": len(common),
            "runs": {s: sorted({len(runs[(i, s)]) for i in common}) for s in order},
            "rows": pooled, "summary": summary, "paired": paired}


def run_pool(args: argparse.Namespace) -> int:
    """``opsplan bench pool REPORT[:solvers] ...``: the per-family table over several runs."""
    report = pool_reports(list(args.reports))
    if _emit_json(args, report):
        return 0
    print(markdown_table(report))
    first = report["solvers"][0]
    print("\nruns per instance: " + ", ".join(
        f"{s} {n[0]}" + (f"-{n[-1]}" if len(n) > 1 else "") for s, n in report["runs"].items()))
    for s, per in report["paired"].items():
        parts = []
        for fam, v in per.items():
            if v["mean_diff_pts"] is not None:
                se = "-" if v["se"] is None else f"{v['se']:.3f}"
                parts.append(f"{fam} {v['mean_diff_pts']:+.3f} (se {se}; {v['better']} better, {v['worse']} worse)")
        print(f"{first} - {s}, per instance, points of gap: " + "; ".join(parts))
    return 0
