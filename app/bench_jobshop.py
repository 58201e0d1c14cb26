"""The job-shop kind's bench sets: the public job-shop, flexible job-shop (Brandimarte) and weighted
tardiness sets, generated unweighted tardiness (``pv``) and a policy's decisions per second
(``policy-speed``). Registered by :mod:`opsplan.app.bench_registrations`."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from statistics import mean
from typing import Any

from opsplan.app.bench import (
    INTERRUPTED,
    BenchSet,
    _emit_json,
    _read_report,
    _start_report,
    _write_report,
    family_of,
    file_set,
)
from opsplan.app.benchsets import BenchSetSpec
from opsplan.app.common import add_solver_args, at_least, solver_options
from opsplan.models.errors import OpsPlanError

KIND = "jobshop"

# job shop: gap to the best known upper bound
JOBSHOP = BenchSet("jobshop", "orlib-jobshop", lambda e: e.get("ub"), lambda n, e: family_of(n),
                   kind=KIND, objective="makespan")
FJSP = BenchSet("fjsp", "fjs", lambda e: e.get("ub"), lambda n, e: family_of(n), kind=KIND, objective="makespan")
# weighted tardiness: gap to the optimum, else the best known value; one file holds many instances
TARDINESS = BenchSet("tardiness", "orlib-wt",
                     lambda e: e["optimum"] if e.get("optimum") is not None else e.get("best_known"),
                     lambda n, e: Path(e["file"]).stem, lambda e: int(e["position"]),
                     kind=KIND, objective="total_weighted_tardiness")


def _add_improve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--improve", action="store_true",
                   help="run the local-search improvement step after a dispatch rule (single machine)")


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
    options = solver_options(args)
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
    from opsplan.policies.jobshop_features import JOBSHOP_V1
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


# -- the sets --------------------------------------------------------------------------------------
def _add_pv_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sizes", default="20,100,200,500", help="instance sizes n, comma-separated")
    p.add_argument("--per-cell", type=at_least(1), default=1, metavar="K",
                   help="instances per (tardiness factor, due-date range) cell; 25 cells per size")
    add_solver_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object with rows and means")
    p.add_argument("--output", default=None, help="also write the JSON result to this file")
    p.add_argument("--resume", default=None, metavar="REPORT",
                   help="continue an earlier bench pv report of the same exact solver and limits")


def _add_policy_speed_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--policy", default=None, help="a policy name or .onnx path (default: an untrained "
                                                  "network; speed does not depend on the weights)")
    p.add_argument("--size", default="100x20", help="the generated shop, JOBSxMACHINES")
    p.add_argument("--batches", default="1,4,16,64,256,1024", help="batch sizes (rollouts at once)")
    p.add_argument("--provider", default=None, help="cpu or cuda (default: automatic)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--output", default=None, help="also write the JSON result to this file")


SETS: tuple[BenchSetSpec, ...] = (
    file_set(JOBSHOP, "public job-shop instances (ft, la, abz, orb, swv, yn, ta...): gap to the best known "
                      "makespan"),
    file_set(FJSP, "flexible job shop (Brandimarte mk01-mk10): gap to the best known makespan"),
    file_set(TARDINESS, "single-machine weighted tardiness (OR-Library wt40/wt50/wt100): gap to the optimum",
             extra=_add_improve),
    BenchSetSpec("pv", KIND, "generated unweighted tardiness (Potts-Van Wassenhove scheme): rules EDD, EDDC, "
                             "MDD, MDDC against the best exact result", _add_pv_arguments, run_pv_bench),
    BenchSetSpec("policy-speed", KIND, "decisions per second of a policy on one generated shop, per batch size",
                 _add_policy_speed_arguments, run_policy_speed),
)
