"""``opsplan bench``: solvers against public benchmark sets, reported as gaps to the best known bounds.

The kind-neutral machinery: sets of instance files (:class:`BenchSet`, :func:`run_file_set`), reports
(``--output``, ``--resume``, ``--reuse-proven``), tables, pooling several reports (``bench pool``) and
the plan board's timing (``bench gui``). A kind's own sets live in ``app/bench_<kind>.py`` and are
registered in :mod:`opsplan.app.bench_registrations` (see :mod:`opsplan.app.benchsets`).
"""

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
from collections.abc import Callable
from pathlib import Path
from statistics import mean, stdev
from typing import Any

from opsplan.app.benchsets import BenchSetSpec
from opsplan.app.common import add_objective_arg, add_solver_args, check_objective, solver_options
from opsplan.models.errors import OpsPlanError

REPO = Path(__file__).resolve().parents[1]
INTERRUPTED = 130  # exit code of a run stopped by Ctrl+C or SIGTERM (its report is partial)
MIN_EQUAL_TIME_S = 0.05  # --equal-time: no solver gets less than this (CP-SAT needs a moment to load)


def default_benchmarks() -> Path:
    """``$OPSPLAN_BENCHMARKS`` or the ``shared/benchmarks`` folder beside the checkout."""
    env = os.environ.get("OPSPLAN_BENCHMARKS")
    return Path(env) if env else REPO.parent / "shared" / "benchmarks"


def benchmark_folder(given: str | None, set_name: str) -> Path:
    """The folder of the public set ``set_name``: ``--dir`` when ``given``, else ``set_name`` under
    :func:`default_benchmarks`. One that is not there is an error saying where it looked and how to
    point there (the public sets are not part of the repository)."""
    if given:
        folder, source = Path(given), "given by --dir"
    else:
        env = os.environ.get("OPSPLAN_BENCHMARKS")
        folder = default_benchmarks() / set_name
        source = f"from OPSPLAN_BENCHMARKS={env}" if env else "the default: shared/benchmarks beside the checkout"
    if not folder.is_dir():
        raise OpsPlanError(f"benchmark folder not found: {folder} ({source}); pass the {set_name} set's folder "
                           f"(its instance files and index.json) with --dir DIR, or the folder that holds all "
                           f"sets with OPSPLAN_BENCHMARKS=DIR (read as DIR/{set_name})")
    return folder


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
                 index: int | None = None, stop=None, objective: str | None = None) -> dict[str, Any]:  # noqa: ANN001
    """Solve one instance file (``index``: its position in a multi-instance file; ``objective``:
    judged by this objective instead of its own) and return its row."""
    from opsplan.models import check
    from opsplan.models.io.importers import import_file
    from opsplan.models.kinds import with_objective
    from opsplan.solvers import solve

    sc = import_file(str(path), fmt, index=index).scenario
    if objective is not None:
        sc = with_objective(sc, objective)
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


class BenchSet:
    """How one benchmark folder of instance files is read.

    Parameters
    ----------
    name
        The set's name: its subcommand and its folder under the benchmarks folder.
    fmt
        The import format of its instance files.
    ref, family, position
        ``ref(entry)`` the reference value of an ``index.json`` entry (the optimum or the best
        known), ``family(name, entry)`` the row's family, ``position(entry)`` the 1-based
        place of the instance in a file that holds several (None: one instance per file).
    kind
        The scenario kind its files import into.
    objective
        The objective the reference values are for; a run with another ``--objective`` has
        no reference, so no gaps.
    """

    def __init__(self, name: str, fmt: str, ref, family, position=None, *,  # noqa: ANN001
                 kind: str | None = None, objective: str | None = None) -> None:
        self.name, self.fmt, self.ref, self.family, self.position = name, fmt, ref, family, position
        self.kind, self.objective = kind, objective


def add_file_set_arguments(p: argparse.ArgumentParser, bset: BenchSet) -> None:
    """The flags every set of instance files reads (a kind registers such sets with :func:`file_set`)."""
    p.add_argument("--dir", default=None,
                   help=f"the {bset.name} set's folder (instance files and index.json); default: {bset.name} "
                        f"in $OPSPLAN_BENCHMARKS, else in shared/benchmarks beside the checkout")
    add_solver_args(p)
    if bset.kind is not None:
        add_objective_arg(p, bset.kind)
    p.add_argument("--instances", default="*", metavar="GLOB",
                   help="instance names to run, comma-separated globs, e.g. 'ft*,la*'")
    p.add_argument("--json", action="store_true", help="print one JSON object with rows and means")
    p.add_argument("--markdown", action="store_true", help="print the per-family table as Markdown")
    p.add_argument("--output", default=None, help="also write the JSON result to this file")
    p.add_argument("--reuse-proven", default=None, metavar="REPORT",
                   help="reuse instances an earlier bench report (shorter limit) proved optimal")
    p.add_argument("--resume", default=None, metavar="REPORT",
                   help="continue an earlier bench report of the same settings (e.g. the --output of a run "
                        "that was stopped, which is saved after every instance): its rows are kept, the "
                        "rest are run")
    p.add_argument("--equal-time", action="store_true",
                   help="the first solver (a policy) runs instance by instance and every other solver gets, "
                        "per instance, the time it took as its limit")


def file_set(bset: BenchSet, help: str, *, description: str = "",  # noqa: A002 - argparse's word
             extra: Callable[[argparse.ArgumentParser], None] | None = None) -> BenchSetSpec:
    """The :class:`BenchSetSpec` of a folder of instance files: :func:`add_file_set_arguments` (plus
    ``extra(parser)``, the set's own flags) and :func:`run_file_set`."""

    def add_arguments(p: argparse.ArgumentParser) -> None:
        add_file_set_arguments(p, bset)
        if extra is not None:
            extra(p)

    return BenchSetSpec(bset.name, bset.kind, help, add_arguments, lambda args: run_file_set(args, bset),
                        description=description)


def run_file_set(args: argparse.Namespace, bset: BenchSet) -> int:
    """Every solver on every instance of the set's folder: rows, gaps per family, the report."""
    from opsplan.app.progress import ProgressLine, in_worker, interrupts
    from opsplan.solvers import Params, StopToken
    from opsplan.solvers.registry import split_name

    folder = benchmark_folder(args.dir, bset.name)
    index = load_index(folder)
    globs = [g.strip() for g in args.instances.split(",") if g.strip()]
    names = [n for n in index if any(fnmatch.fnmatch(n, g) for g in globs)]
    if not names:
        raise OpsPlanError(f"no instance in {folder} matches '{args.instances}'")
    solvers = expand_solvers(args.solver)
    for s in solvers:
        split_name(s)  # fail fast on an unknown name
    objective = getattr(args, "objective", None)
    if objective is not None and bset.kind is not None:
        check_objective(bset.kind, objective)  # before any instance is read
    if objective == bset.objective:  # the set's own: the same run as without --objective
        objective = None
    # the index's reference values are for the set's own objective: judged by another, no gaps
    refs = objective is None
    options = {"improve": True} if getattr(args, "improve", False) else {}
    options.update(solver_options(args))
    params = Params(time_limit=args.time_limit, threads=args.threads, seed=args.seed, options=options)
    line = ProgressLine()
    proven = _proven_rows(args.reuse_proven, args.time_limit, objective) if args.reuse_proven else {}
    resumed, earlier_s = (_resumed_rows(args.resume, args, options, bset, folder, names, solvers, objective)
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
        ub, lb = (bset.ref(entry), entry.get("lb")) if refs else (None, None)
        return {"instance": name, "family": bset.family(name, entry), "ub": ub, "lb": lb}

    # resumed rows not reached yet still belong in a partial report, or a second stop would lose them
    pending = [(n, s) for n in names for s in solvers if (n, s) in resumed]

    def report(complete: bool) -> dict[str, Any]:
        done = {(r["instance"], r["solver"]) for r in rows}
        rows_now = rows + [{**head(n), **resumed[n, s]} for n, s in pending if (n, s) not in done]
        summary = summarise(rows_now, solvers)
        out = {
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
        if objective is not None:  # reports of the set's own objective stay as they were
            out["objective"] = objective
        return out

    if args.output:
        _start_report(args, report(complete=False))
    # a learned policy runs every instance through one inference session, in large batches (with
    # --equal-time the first one runs instance by instance, so that each instance has its own time)
    batched = {s: _policy_rows(s, names, index, folder, bset, params, line, per_instance=equal and k == 0,
                               objective=objective, refs=refs)
               for k, s in enumerate(solvers) if s.startswith("policy:")}
    # Ctrl+C or a kill (SIGTERM) cancels the instance being solved and ends the run with what
    # is finished: the solver stops within a second, and --output keeps every finished row
    stop = StopToken()
    from opsplan.app.progress import BatchProgress

    # the same live bar as batch (done/total, failures, elapsed, remaining) on a terminal; quiet otherwise
    bar = BatchProgress(label=f"bench {bset.name}")
    bar.start(total, 0)
    try:
        with interrupts(stop.set, (signal.SIGINT, signal.SIGTERM)):
            for name in names:
                entry = index[name]
                for s in solvers:
                    if stop.is_set():
                        raise KeyboardInterrupt
                    row = head(name)
                    ref = row["ub"]
                    if (name, s) in resumed:
                        row.update(resumed[name, s])
                        rows.append(row)
                        bar.advance(bool(row.get("error")))
                        continue
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
                        row.update(in_worker(run_instance, path, bset.fmt, s, run_params, ref, pos, stop, objective))
                        if stop.is_set():  # cancelled part way: not a result
                            raise KeyboardInterrupt
                        if ref == 0 and row["objective"] is not None:  # no relative gap to 0: say if it was hit
                            row["hit_zero"] = row["objective"] == 0
                    rows.append(row)
                    bar.advance(bool(row.get("error")))
                    if args.output:  # a long run killed half way keeps what it finished (see --resume)
                        _write_report(args.output, report(complete=False))
    except KeyboardInterrupt:
        stop.set()
        print(f"interrupted: reporting the {len(rows)} results finished so far", file=sys.stderr)
    finally:
        bar.stop()
        line.done()
    final = report(complete=len(rows) == total)
    if not _emit_json(args, final):
        if args.markdown:
            print(markdown_table(final))
        else:
            print_table(final)
    if not refs:
        print(f"no gaps: the {bset.name} set's reference values are for {bset.objective or 'its own objective'}, "
              f"this run's objective is {objective}", file=sys.stderr)
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
                 line, per_instance: bool = False, objective: str | None = None,  # noqa: ANN001
                 refs: bool = True) -> dict[str, dict[str, Any]]:
    """Rows of a ``policy:`` solver, all instances rolled out together (runtime: the total shared evenly),
    or with ``per_instance`` one instance at a time (its samples still in one batch; runtime: its own)."""
    from opsplan.models import check, objective_value
    from opsplan.models.io.importers import import_file
    from opsplan.models.kinds import with_objective
    from opsplan.policies.runtime import load_policy

    session = load_policy(solver.partition(":")[2])
    scs = []
    for name in names:
        entry = index[name]
        pos = bset.position(entry) if bset.position else None
        sc = import_file(str(folder / entry["file"]), bset.fmt, index=pos).scenario
        scs.append(sc if objective is None else with_objective(sc, objective))
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
        ub = bset.ref(index[name]) if refs else None
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


def _proven_rows(path: str, time_limit: float | None,
                 objective: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
    """Rows of an earlier report whose solver proved optimality within a limit no larger than this one.

    A proof found in 10 s stands at 60 s, so a longer run may reuse it instead of
    solving the instance again; reused rows are marked ``"reused": true``.
    """
    old = _read_report(path, "reuse")
    old_limit = old.get("time_limit")
    if time_limit is not None and (old_limit is None or old_limit > time_limit):
        raise OpsPlanError(f"{path}: its time limit {old_limit} is not below this run's {time_limit}")
    if old.get("objective") != objective:  # a proof holds for the objective it was made for
        own = "the set's own"
        raise OpsPlanError(f"{path}: its objective is {old.get('objective') or own}, "
                           f"this run's is {objective or own}")
    keep = ("solver", "status", "objective", "bound", "gap_pct", "runtime_s", "violations")
    return {(r["instance"], r["solver"]): {k: r.get(k) for k in keep}
            for r in old["rows"] if r.get("status") == "optimal"}


def _resumed_rows(path: str, args: argparse.Namespace, options: dict[str, Any], bset: BenchSet, folder: Path,
                  names: list[str], solvers: list[str], objective: str | None = None,
                  ) -> tuple[dict[tuple[str, str], dict], float]:
    """Rows of an earlier (perhaps unfinished) report of the same settings, to continue it,
    and the wall time it had taken.

    A long benchmark can then go on after it was stopped or killed (its ``--output`` is
    rewritten after every instance). The earlier report must be of the same set and
    folder and have the same time limit, threads, seed, solver options and objective, or its rows
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
            "options": options, "equal_time": bool(getattr(args, "equal_time", False)), "objective": objective}
    # what reports that did not record these ran with (a report of the set's own objective has none)
    older = {"seed": 0, "equal_time": False, "set": bset.name, "objective": None}
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


def _add_pool_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("reports", nargs="*", default=[], metavar="REPORT[:SOLVERS]",
                   help="bench reports (--output) to average; REPORT:a,b takes only solvers a and b")
    p.add_argument("--json", action="store_true", help="print one JSON object with the pooled rows and means")
    p.add_argument("--markdown", action="store_true", help="the per-family table as Markdown (it is, either way)")
    p.add_argument("--output", default=None, help="also write the JSON result to this file")


POOL = BenchSetSpec(
    "pool", None, "several runs' reports averaged (opsplan bench pool A.json B.json:cpsat)", _add_pool_arguments,
    run_pool,
    description="Average several bench reports: per instance and solver over the reports that hold it, then "
                "per family over the instances every solver has, with paired differences of the first "
                "solver against each other.",
)


# -- the plan board: open and frame times --------------------------------------------------------
# the flags of app/gui/bench.py's own parser (which holds the defaults), offered here without loading Qt
_GUI_FLAGS = (("--bars", "operations in the synthetic plan (default 20000)"),
              ("--steps", "zoom steps and pan steps to time (default 30 each)"),
              ("--width", "viewport width in pixels (default 1600)"),
              ("--height", "viewport height in pixels (default 900)"))


def _add_gui_arguments(p: argparse.ArgumentParser) -> None:
    for flag, text in _GUI_FLAGS:
        p.add_argument(flag, type=int, default=None, metavar="N", help=text)
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def run_gui(args: argparse.Namespace) -> int:
    """``opsplan bench gui``: the plan board's own benchmark (Qt is loaded only now)."""
    from opsplan.app.gui.bench import main as gui_bench

    argv = [x for flag, _ in _GUI_FLAGS if (v := getattr(args, flag[2:])) is not None for x in (flag, str(v))]
    return int(gui_bench(argv + (["--json"] if args.json else [])) or 0)


GUI = BenchSetSpec(
    "gui", None, "the plan board: open time and frame times (opsplan bench gui --bars 20000)", _add_gui_arguments,
    run_gui, description="Time opening and zooming/panning a big plan in the Gantt chart.",
)
