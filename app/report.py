"""``opsplan report RESULTS... -o report.html``: one self-contained HTML page about batch results.

Reads results files of the shared schema (:mod:`opsplan.app.results`: CSV, Parquet or JSON, as
``opsplan batch`` and ``opsplan bench`` write them) and shows, per solver and family, how many
instances it ran, its mean gap to the reference and to its own bound, its wins, proofs, errors and
mean runtime; a performance profile, a time-to-target plot and objective-versus-time curves where
progress was recorded. Plots are drawn by matplotlib (Agg, imported only here, only when drawing)
to PNG and embedded as ``data:`` URIs: the page needs no network, no script and no other file.

Several files are several runs, compared in one page: each run is labelled by its file name (or
``--label``; files given the same label are one run) and every solver is shown as ``solver@run``.

Conventions (said in the page too): objectives are minimised; a solver's objective on an instance is
the mean over its seeds that found a schedule the checker accepts; rows with ``status=error`` or
checker violations count as errors / invalid and never as solutions, wins or gaps.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import html
import io
import json
import math
import platform
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any

from opsplan.models.errors import OpsPlanError

TAU_MAX = 1.5  # the performance profile's x range: 1 .. TAU_MAX
TARGETS = (0.01, 0.05)  # time to target: within 1 % and 5 % of the best known / best found
MAX_CURVES = 6  # objective-versus-time: at most this many instances
MAX_INSTANCE_ROWS = 500  # the per-instance table (folded) shows at most this many instances
MAX_ERRORS = 30  # the errors table shows at most this many rows
_REL_TIE = 1e-9  # objectives this close (relative) are a tie
_MIN_TIME = 1e-3  # time-to-target's log axis starts at a millisecond


# -- loading -------------------------------------------------------------------------------------
@dataclass
class Run:
    """One run: the rows of the files given one label, and what their manifests say."""

    label: str
    paths: list[Path] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    manifests: dict[Path, dict[str, Any] | str] = field(default_factory=dict)  # a dict, or why it is unreadable


def manifest_path(path: Path) -> Path | None:
    """The manifest beside a results file: ``<results>.manifest.json`` (or ``<stem>.manifest.json``)."""
    for cand in (path.with_name(path.name + ".manifest.json"), path.with_name(path.stem + ".manifest.json")):
        if cand.is_file():
            return cand
    return None


def read_one(path: Path) -> list[dict[str, Any]]:
    """The rows of one results file; any problem is an :class:`OpsPlanError` of one line naming it."""
    from opsplan.app.results import FORMATS, read_results

    if not path.exists():
        raise OpsPlanError(f"{path}: no such file")
    if not path.is_file():
        raise OpsPlanError(f"{path}: not a regular file")
    if path.suffix.lower() not in FORMATS:
        raise OpsPlanError(f"{path}: not a results file (expected .csv, .parquet or .json, not "
                           f"{path.suffix or 'no extension'!r})")
    try:
        rows = read_results(path)
    except (ValueError, KeyError, TypeError, OSError) as err:  # pyarrow's errors are ValueErrors too
        what = " ".join(str(err).split())
        what = what.removeprefix(f"{path}: ")
        if what.startswith("not a results file (") and what.endswith(")"):  # results.py's own words
            what = what[len("not a results file ("):-1]
        what = what if len(what) <= 200 else what[:200] + " ..."
        raise OpsPlanError(f"{path}: not a results file ({what})") from None
    if rows and not any(r["solver"] or r["input"] or r["instance"] for r in rows):
        raise OpsPlanError(f"{path}: not a results file (no solver, input or instance in any row)")
    return rows


def default_labels(paths: Sequence[Path]) -> list[str]:
    """A label per file: its stem; where two stems are equal, parent/stem (then the whole path)."""
    labels = [p.stem for p in paths]
    for pick in (lambda p: f"{p.parent.name}/{p.stem}", lambda p: str(p)):
        dup = {x for x in labels if labels.count(x) > 1}
        labels = [pick(p) if lab in dup else lab for p, lab in zip(paths, labels, strict=True)]
    return labels


def load_runs(paths: Sequence[str | Path], labels: Sequence[str] | None = None) -> list[Run]:
    """The runs of ``paths`` (files given the same label form one run, in the order first seen)."""
    paths = [Path(p) for p in paths]
    if labels:
        if len(labels) != len(paths):
            raise OpsPlanError(f"--label given {len(labels)} time(s) for {len(paths)} results file(s); "
                               f"give one per file (the same label twice joins files into one run)")
        labels = [str(x) for x in labels]
    else:
        labels = default_labels(paths)
    runs: dict[str, Run] = {}
    for path, label in zip(paths, labels, strict=True):
        rows = read_one(path)
        run = runs.setdefault(label, Run(label))
        run.paths.append(path)
        run.rows.extend(rows)
        mpath = manifest_path(path)
        if mpath is not None:
            try:
                data = json.loads(mpath.read_text(encoding="utf-8"))
                run.manifests[mpath] = data if isinstance(data, dict) else {"manifest": data}
            except (OSError, ValueError) as err:
                run.manifests[mpath] = f"unreadable: {' '.join(str(err).split())[:200]}"
    for run in runs.values():  # a job written twice (a resumed run's file) counts once: its last row
        seen: dict[str, int] = {}
        kept: list[dict[str, Any]] = []
        for r in run.rows:
            if r["job_id"] and r["job_id"] in seen:
                kept[seen[r["job_id"]]] = r
            else:
                if r["job_id"]:
                    seen[r["job_id"]] = len(kept)
                kept.append(r)
        run.rows = kept
    return list(runs.values())


# -- the entries every table and plot reads -------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One row as the report reads it: which solver (``solver@run`` when comparing), which instance."""

    key: str  # the solver as shown
    solver: str
    run: str
    inst: str  # the instance's identity across runs
    name: str  # the instance as shown
    family: str
    row: Mapping[str, Any]

    @property
    def ok(self) -> bool:
        """A solution the report counts: not an error, an objective, no checker violation."""
        r = self.row
        return (r["status"] != "error" and _finite(r["objective"]) and int(r["violations"] or 0) <= 0)


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


def entries(runs: Sequence[Run]) -> list[Entry]:
    """Every row of ``runs`` as an :class:`Entry`; solvers are ``solver@run`` when there are several runs."""
    several = len(runs) > 1
    out = []
    for run in runs:
        # an instance is known across runs by its file name (paths differ between machines), unless
        # two inputs of one run share a file name
        by_base: dict[str, set[str]] = defaultdict(set)
        for r in run.rows:
            by_base[_base(r["input"])].add(r["input"])
        for r in run.rows:
            base = _base(r["input"])
            ident = (r["input"] if len(by_base[base]) > 1 else base) or r["instance"] or "?"
            solver = r["solver"] or "?"
            out.append(Entry(key=f"{solver}@{run.label}" if several else solver, solver=solver, run=run.label,
                             inst=f"{r['kind']}:{ident}", name=r["instance"] or ident,
                             family=r["family"] or r["kind"] or "-", row=r))
    return out


def solver_order(items: Sequence[Entry]) -> list[str]:
    """The solvers as shown: in the order first seen, each solver's runs side by side."""
    names = list(dict.fromkeys(e.solver for e in items))
    runs = list(dict.fromkeys(e.run for e in items))
    keys = {e.key: (names.index(e.solver), runs.index(e.run)) for e in items}
    return sorted(keys, key=keys.__getitem__)


def _base(inp: str) -> str:
    return inp.replace("\\", "/").rsplit("/", 1)[-1] if inp else ""


def objectives(items: Iterable[Entry]) -> dict[str, dict[str, float]]:
    """instance -> solver -> the solver's objective there (mean over its seeds with a counted solution)."""
    acc: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for e in items:
        if e.ok:
            acc[e.inst][e.key].append(float(e.row["objective"]))
    return {i: {k: mean(v) for k, v in d.items()} for i, d in acc.items()}


def ratio(value: float, best: float) -> float:
    """How far ``value`` is above ``best`` as a factor (``value/best`` for positive objectives;
    ``1 + (value-best)/|best|`` in general; a best of 0 gives 1 when equal, infinity otherwise)."""
    if best == 0:
        return 1.0 if abs(value) <= _REL_TIE else math.inf
    return 1.0 + (value - best) / abs(best)


def wins(objs: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """solver -> wins: each instance's best objective wins 1; a tie of k solvers gives each 1/k."""
    out: dict[str, float] = defaultdict(float)
    for per in objs.values():
        if not per:
            continue
        best = min(per.values())
        tol = _REL_TIE * max(1.0, abs(best))
        winners = [k for k, v in per.items() if v - best <= tol]
        for k in winners:
            out[k] += 1.0 / len(winners)
    return dict(out)


def performance_profile(objs: Mapping[str, Mapping[str, float]], solvers: Sequence[str],
                        taus: Sequence[float]) -> dict[str, list[float]]:
    """Dolan-Moré profile: for each solver and each tau, the share of instances whose objective is
    within factor tau of the best over all solvers (an instance a solver did not solve counts as
    never within). The instances are those of ``objs`` (every instance that was run)."""
    n = len(objs)
    rs: dict[str, list[float]] = {s: [] for s in solvers}
    for per in objs.values():
        best = min(per.values()) if per else math.nan
        for s in solvers:
            rs[s].append(ratio(per[s], best) if s in per else math.inf)
    return {s: [(sum(r <= t * (1 + _REL_TIE) for r in rs[s]) / n if n else 0.0) for t in taus] for s in solvers}


def profile_breakpoints(objs: Mapping[str, Mapping[str, float]], tau_max: float) -> list[float]:
    """The taus where some solver's profile steps, from 1 to ``tau_max`` (the x values of the step plot)."""
    pts = {1.0, tau_max}
    for per in objs.values():
        if per:
            best = min(per.values())
            pts |= {r for r in (ratio(v, best) for v in per.values()) if 1.0 <= r <= tau_max}
    return sorted(pts)


def parse_progress(text: str) -> list[tuple[float, float, float]]:
    """``[[t, objective, bound], ...]`` as tuples (bound NaN when null); '' or garbage gives []."""
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return []
    out = []
    if isinstance(data, list):
        for p in data:
            if isinstance(p, (list, tuple)) and len(p) >= 2 and _finite(p[0]) and _finite(p[1]):
                bound = p[2] if len(p) > 2 and _finite(p[2]) else math.nan
                out.append((float(p[0]), float(p[1]), float(bound)))
    return sorted(out)


def targets(items: Iterable[Entry], objs: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """instance -> the value to reach: the best of the reference (best known) and the best found
    by any row on it (any seed). Instances with neither have no target."""
    best: dict[str, float] = {}
    for e in items:
        cands = [float(e.row["reference"])] if _finite(e.row["reference"]) else []
        if e.ok:
            cands.append(float(e.row["objective"]))
        if cands:
            best[e.inst] = min(best.get(e.inst, math.inf), *cands)
    return best


def time_to_target(e: Entry, target: float, eps: float) -> float:
    """Seconds row ``e`` took to be within ``eps`` (relative) of ``target``: the first progress point
    that is; without progress (or when only the final schedule is), its runtime; never: infinity."""
    limit = target + eps * abs(target)
    tol = _REL_TIE * max(1.0, abs(target))
    if not e.ok:
        return math.inf
    for t, obj, _ in parse_progress(e.row["progress"]):
        if obj <= limit + tol:
            return max(t, 0.0)
    if float(e.row["objective"]) <= limit + tol:
        rt = e.row["runtime_s"]
        return float(rt) if _finite(rt) else 0.0
    return math.inf


def ttt_times(items: Sequence[Entry], eps: float) -> dict[str, list[float]]:
    """solver -> the sorted times to target (within ``eps`` of the best known / found) of its rows;
    a row that never got there (or erred, or whose instance has no target) is infinity."""
    tg = targets(items, objectives(items))
    out: dict[str, list[float]] = defaultdict(list)
    for e in items:
        out[e.key].append(time_to_target(e, tg[e.inst], eps) if e.inst in tg else math.inf)
    return {k: sorted(v) for k, v in out.items()}


def share_by(times: Sequence[float], t: float) -> float:
    """The share of ``times`` at most ``t``."""
    return sum(x <= t for x in times) / len(times) if times else 0.0


# -- the tables -------------------------------------------------------------------------------------
@dataclass
class Line:
    """One line of the summary table."""

    solver: str
    family: str  # '' for the solver's line over all families
    instances: int
    jobs: int
    ref_gap: float  # mean over counted rows with a reference, NaN when none
    gap: float  # mean over counted rows with a bound, NaN when none
    wins: float
    proofs: int  # instances the solver proved optimal (in some seed)
    errors: int  # rows with status error
    invalid: int  # rows whose schedule broke the checker
    unsolved: int  # rows without error but without a schedule
    runtime: float  # mean over rows that did not err


def _mean(xs: Sequence[float]) -> float:
    xs = [x for x in xs if _finite(x)]
    return mean(xs) if xs else math.nan


def summary(items: Sequence[Entry], solvers: Sequence[str]) -> list[Line]:
    """Per family (when there are several) a line per solver that ran there, then per solver its line
    over all families (``family=''``). Wins are counted among all the solvers on each instance."""
    objs = objectives(items)
    won_on: dict[tuple[str, str], float] = defaultdict(float)  # (solver, instance) -> share of its win
    for inst, per in objs.items():
        for k, w in wins({inst: per}).items():
            won_on[(k, inst)] += w
    families = sorted({e.family for e in items})
    groups = [(f, s) for f in families for s in solvers] if len(families) > 1 else []
    lines = []
    for fam, s in [*groups, *(("", s) for s in solvers)]:
        es = [e for e in items if e.key == s and (not fam or e.family == fam)]
        if not es:
            continue
        counted = [e for e in es if e.ok]
        insts = {e.inst for e in es}
        lines.append(Line(
            solver=s, family=fam, instances=len(insts), jobs=len(es),
            ref_gap=_mean([e.row["ref_gap"] for e in counted]),
            gap=_mean([e.row["gap"] for e in counted]),
            wins=sum(won_on.get((s, i), 0.0) for i in insts),
            proofs=len({e.inst for e in es if e.row["status"] == "optimal" and e.ok}),
            errors=sum(e.row["status"] == "error" for e in es),
            invalid=sum(e.row["status"] != "error" and int(e.row["violations"] or 0) > 0 for e in es),
            unsolved=sum(e.row["status"] != "error" and not _finite(e.row["objective"]) for e in es),
            runtime=_mean([e.row["runtime_s"] for e in es if e.row["status"] != "error"]),
        ))
    return lines


# -- the plots (matplotlib, imported here only) --------------------------------------------------------
_STYLES = ("-", "--", ":", "-.")


def _pyplot():  # noqa: ANN202 - matplotlib.pyplot, or None when matplotlib is not installed
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def _style(items: Sequence[Entry], solvers: Sequence[str]) -> dict[str, dict[str, Any]]:
    """A colour per solver (the same in every run) and a line style per run."""
    names = list(dict.fromkeys(e.solver for e in items))
    runs = list(dict.fromkeys(e.run for e in items))
    by_key = {e.key: (e.solver, e.run) for e in items}
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf"]
    out = {}
    for k in solvers:
        s, r = by_key[k]
        out[k] = {"color": palette[names.index(s) % len(palette)], "linestyle": _STYLES[runs.index(r) % 4],
                  "marker": "osD^"[runs.index(r) % 4]}
    return out


def _png(fig) -> str:  # noqa: ANN001 - a matplotlib figure
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    fig.clf()
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def plot_profile(plt, items, solvers, objs, tau_max: float) -> str:  # noqa: ANN001
    taus = profile_breakpoints(objs, tau_max)
    prof = performance_profile(objs, solvers, taus)
    style = _style(items, solvers)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for s in solvers:
        ax.step(taus, prof[s], where="post", label=s, linewidth=1.8, color=style[s]["color"],
                linestyle=style[s]["linestyle"])
    ax.set_xlim(1.0, tau_max)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("τ: objective within factor τ of the best found by any solver")
    ax.set_ylabel("share of instances")
    ax.set_title(f"Performance profile ({len(objs)} instances)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return _png(fig)


def plot_ttt(plt, items, solvers) -> str:  # noqa: ANN001
    from matplotlib.ticker import NullFormatter

    style = _style(items, solvers)
    fig, axes = plt.subplots(1, len(TARGETS), figsize=(5.2 * len(TARGETS), 3.8), sharey=True, squeeze=False)
    tmax = max([float(e.row["runtime_s"]) for e in items if _finite(e.row["runtime_s"])] + [1.0]) * 1.3
    for ax, eps in zip(axes[0], TARGETS, strict=True):
        times = ttt_times(items, eps)
        for s in solvers:
            ts = [max(t, _MIN_TIME) for t in times.get(s, [])]  # below a millisecond: at the axis' start
            xs = [_MIN_TIME] + [t for t in ts if math.isfinite(t)] + [tmax]
            ys = [share_by(ts, x) for x in xs]
            ax.step(xs, ys, where="post", label=s, linewidth=1.8, color=style[s]["color"],
                    linestyle=style[s]["linestyle"])
        ax.set_xscale("log")
        ax.set_xlim(_MIN_TIME, tmax)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("seconds")
        ax.set_title(f"within {eps:.0%} of the best known / found")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("share of runs at target")
    _legend_below(fig, axes[0][0])
    return _png(fig)


def _legend_below(fig, ax) -> None:  # noqa: ANN001 - one legend for the whole figure, under it
    handles, labels = [], []
    for a in fig.axes:
        for h, lab in zip(*a.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=min(len(labels), 4),
               fontsize="small", frameon=False)


def _running_min(xs: Sequence[float]) -> list[float]:
    out: list[float] = []
    for x in xs:
        out.append(min(x, out[-1]) if out else x)
    return out


def curve_instances(items: Sequence[Entry]) -> list[str]:
    """Up to :data:`MAX_CURVES` instances with recorded progress: most solvers with progress first."""
    with_prog: dict[str, set[str]] = defaultdict(set)
    for e in items:
        if e.ok and len(parse_progress(e.row["progress"])) > 1:
            with_prog[e.inst].add(e.key)
    order = sorted(with_prog, key=lambda i: (-len(with_prog[i]), i))
    return order[:MAX_CURVES]


def plot_curves(plt, items, solvers, insts: Sequence[str]) -> str:  # noqa: ANN001
    from matplotlib.ticker import NullFormatter

    style = _style(items, solvers)
    ncols = min(3, len(insts))
    nrows = math.ceil(len(insts) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.3 * nrows), squeeze=False)
    for ax, inst in zip([a for row in axes for a in row], insts, strict=False):
        mine = [e for e in items if e.inst == inst]
        ref = next((float(e.row["reference"]) for e in mine if _finite(e.row["reference"])), math.nan)
        tmax = max([float(e.row[c]) for e in mine for c in ("runtime_s", "time_limit") if _finite(e.row[c])]
                   + [_MIN_TIME])
        for s in solvers:
            es = sorted((e for e in mine if e.key == s and e.ok), key=lambda e: e.row["seed"])
            if not es:
                continue
            e = es[0]  # one seed per solver: the lowest
            prog = parse_progress(e.row["progress"])
            prog = prog if len(prog) > 1 else []  # one point is the final schedule: drawn as a dot
            end = float(e.row["runtime_s"]) if _finite(e.row["runtime_s"]) else (prog[-1][0] if prog else 0.0)
            if prog:
                xs = [max(t, _MIN_TIME) for t, _, _ in prog] + [max(end, prog[-1][0], _MIN_TIME)]
                ys = _running_min([o for _, o, _ in prog] + [float(e.row["objective"])])
                ax.step(xs, ys, where="post", label=s, linewidth=1.6, color=style[s]["color"],
                        linestyle=style[s]["linestyle"])
                # the best bound so far (a bound only rises), ending at the row's final bound
                bs = [(max(t, _MIN_TIME), b) for t, _, b in prog if math.isfinite(b)]
                if _finite(e.row["bound"]):
                    bs.append((xs[-1], float(e.row["bound"])))
                if bs:
                    bys = [-b for b in _running_min([-b for _, b in bs])]
                    ax.step([x for x, _ in bs] + [xs[-1]], [*bys, bys[-1]], where="post",
                            color=style[s]["color"], linewidth=1.2, alpha=0.8, linestyle=":")
            # the final schedule as a point (alone when no progress was recorded)
            ax.plot([max(end, _MIN_TIME)], [float(e.row["objective"])], marker=style[s]["marker"],
                    linestyle="none", color=style[s]["color"], markersize=5, label=None if prog else s)
        if math.isfinite(ref):
            ax.axhline(ref, color="black", linewidth=0.8, linestyle="--", label="reference")
        ax.set_xscale("log")
        ax.set_xlim(_MIN_TIME / 1.5, max(tmax, _MIN_TIME * 10) * 1.3)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_title(mine[0].name, fontsize="medium")
        ax.set_xlabel("seconds")
        ax.grid(True, which="both", alpha=0.3)
    for ax in [a for row in axes for a in row][len(insts):]:
        ax.set_visible(False)
    axes[0][0].set_ylabel("objective (dotted: bound)")
    fig.tight_layout()
    _legend_below(fig, axes[0][0])
    return _png(fig)


# -- the page ------------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:2em auto;max-width:1100px;
color:#222;line-height:1.4;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:1.8em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:right;vertical-align:top}
th{background:#f2f2f2}td.l,th.l{text-align:left}tr.all td{background:#f7f7fa}tr.grp td{border-top:2px solid #888}
.note{color:#555;font-size:.9em}.warn{color:#a40000;font-weight:bold}img{max-width:100%;height:auto}
code{background:#f4f4f4;padding:0 .2em}td.best{background:#e3f4e3;font-weight:bold}
table.m{font-size:.85em;margin-left:1em}table.m td,table.m th{border:none;border-bottom:1px solid #eee}
table.m th{background:none;font-weight:600}
"""


def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _pct(v: float) -> str:
    return "-" if not _finite(v) else f"{100 * v:.2f} %"


def _num(v: float, digits: int = 2) -> str:
    if not _finite(v):
        return "-"
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.{digits}f}"


def _short(v: Any, limit: int = 160, sep: str = ", ") -> str:
    """A manifest value in one short line: long lists and dicts are summarised."""
    if isinstance(v, list) and v and all(isinstance(x, str) for x in v):  # a command line, names
        text = sep.join(v)
        return text if len(text) <= limit else text[:limit] + " ..."
    if isinstance(v, list) and (len(v) > 6 or any(isinstance(x, dict) for x in v)):
        return f"{len(v)} items"
    if isinstance(v, dict) and len(v) > 12:
        return f"{len(v)} entries"
    if isinstance(v, dict) and len(json.dumps(v, default=str)) > limit:
        return f"{len(v)} entries: " + ", ".join(map(str, list(v)[:8])) + (" ..." if len(v) > 8 else "")
    text = v if isinstance(v, str) else json.dumps(v, default=str)
    return text if len(text) <= limit else text[:limit] + " ..."


def _seconds(v: float) -> str:
    """Seconds with the digits that matter: 12.3, 1.23, 0.012."""
    if not _finite(v):
        return "-"
    return f"{v:.1f}" if v >= 10 else f"{v:.2f}" if v >= 0.1 else f"{v:.3f}"


def _manifest_html(m: dict[str, Any] | str) -> str:
    """A manifest as a two-column table: a nested mapping on one line (``key: value; ...``), long
    lists and mappings (input hashes) as their count."""
    if isinstance(m, str):
        return f'<p class="warn">{_e(m)}</p>'
    items = []
    for k, v in m.items():
        if isinstance(v, dict) and len(v) <= 12:
            text = "; ".join(f"{kk}: {_short(vv, 80)}" for kk, vv in v.items())
        else:
            text = _short(v, sep=" " if k == "command" else ", ")
        items.append(f"<tr><th class=l>{_e(k)}</th><td class=l>{_e(text)}</td></tr>")
    return f'<table class="m">{"".join(items)}</table>'


def _img(b64: str, alt: str) -> str:
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{b64}">'


def render(runs: Sequence[Run], *, tau_max: float = TAU_MAX, title: str = "OpsPlan batch report",
           now: _dt.datetime | None = None) -> str:
    """The whole HTML page for ``runs``."""
    now = now or _dt.datetime.now().astimezone()
    items = entries(runs)
    solvers = solver_order(items)
    out = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>"
           f"<style>{_CSS}</style></head><body>", f"<h1>{_e(title)}</h1>",
           f'<p class="note">Made {_e(now.strftime("%Y-%m-%d %H:%M %Z").strip())} on {_e(platform.node())} '
           f"from {sum(len(r.paths) for r in runs)} results file(s).</p>"]
    out.append("<h2>Inputs</h2>")
    for run in runs:
        head = f"run <b>{_e(run.label)}</b>: " if len(runs) > 1 else ""
        for p in run.paths:
            out.append(f"<p>{head}<code>{_e(p)}</code></p>")
        out.append(f'<p class="note">{len(run.rows)} row(s); solvers: '
                   f'{_e(", ".join(dict.fromkeys(r["solver"] for r in run.rows)) or "none")}</p>')
        for mp, m in run.manifests.items():
            out.append(f'<p class="note">manifest <code>{_e(mp.name)}</code>:</p>{_manifest_html(m)}')
        if not run.manifests:
            out.append('<p class="note">no manifest beside the file.</p>')
    if not items:
        out.append('<h2>Results</h2><p class="warn">No results: the input file(s) hold no rows.</p>')
        out.append("</body></html>\n")
        return "\n".join(out)

    objs = objectives(items)
    n_err = sum(e.row["status"] == "error" for e in items)
    out.append("<h2>Summary</h2>")
    if not objs:
        why = (f"all {n_err} job(s) ended in an error" if n_err == len(items) else
               f"{n_err} of {len(items)} job(s) ended in an error, the others without a solution")
        out.append(f'<p class="warn">No solver found a schedule: {why}. Nothing to compare or plot.</p>')
    out.append(_summary_table(summary(items, solvers)))
    out.append('<p class="note">Gaps are means over the jobs that found a schedule (errors and schedules '
               "the checker rejects excluded): <i>gap to ref.</i> = (objective − reference) / reference, "
               "<i>gap to bound</i> = (objective − bound) / objective. <i>Wins</i>: the best objective on an "
               "instance (a solver's mean over its seeds); a tie of k solvers gives each 1/k. "
               "<i>Proofs</i>: instances proved optimal. Objectives are minimised. Mean runtime over the jobs "
               "that did not err.</p>")
    plt = _pyplot() if objs else None
    if objs and plt is None:
        out.append('<p class="warn">Plots need matplotlib: <code>pip install "opsplan[report]"</code>.</p>')
    if plt is not None:
        out.append("<h2>Performance profile</h2>")
        out.append(_img(plot_profile(plt, items, solvers, objs, tau_max), "performance profile"))
        out.append('<p class="note">For each solver, the share of instances whose objective is within a '
                   "factor τ of the best objective any solver found there (objective/best for positive "
                   "objectives); an instance it did not solve never counts. At τ = 1: its share of wins, "
                   "ties included.</p>")
        out.append("<h2>Time to target</h2>")
        out.append(_img(plot_ttt(plt, items, solvers), "time to target"))
        out.append('<p class="note">The share of runs (instance × seed) that reached the target by a given time: '
                   "within 1 % / 5 % of the best of the reference and the best objective found by any run. "
                   "The time is that of the first recorded improving solution within the target; for runs "
                   "without recorded progress, the runtime of the whole solve.</p>")
        insts = curve_instances(items)
        out.append("<h2>Objective over time</h2>")
        if insts:
            out.append(_img(plot_curves(plt, items, solvers, insts), "objective versus time"))
            out.append('<p class="note">Improving solutions as recorded (one seed per solver, the lowest), '
                       "ending in a dot at the runtime (a dot alone: no progress recorded); dotted: the solver's "
                       f"best bound so far; dashed: the reference. Up to {MAX_CURVES} instances, those with the "
                       "most solvers recording progress.</p>")
        else:
            out.append('<p class="note">No run recorded its progress.</p>')
    out.append(_instance_table(items, solvers, objs))
    out.append(_errors_table(items))
    out.append("</body></html>\n")
    return "\n".join(out)


def _summary_table(lines: Sequence[Line]) -> str:
    head = ("<tr><th class=l>solver</th><th class=l>family</th><th>instances</th><th>jobs</th>"
            "<th>gap to ref.</th><th>gap to bound</th><th>wins</th><th>proofs</th><th>errors</th>"
            "<th>invalid</th><th>no solution</th><th>mean runtime (s)</th></tr>")
    rows = []
    for i, ln in enumerate(lines):
        classes = ["all"] if not ln.family else []
        if i and ln.family != lines[i - 1].family:
            classes.append("grp")
        cls = f' class="{" ".join(classes)}"' if classes else ""
        rows.append(
            f"<tr{cls}><td class=l>{_e(ln.solver)}</td><td class=l>{_e(ln.family or 'all')}</td>"
            f"<td>{ln.instances}</td><td>{ln.jobs}</td><td>{_pct(ln.ref_gap)}</td><td>{_pct(ln.gap)}</td>"
            f"<td>{_num(ln.wins)}</td><td>{ln.proofs}</td><td>{ln.errors}</td><td>{ln.invalid}</td>"
            f"<td>{ln.unsolved}</td><td>{_seconds(ln.runtime)}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _instance_table(items: Sequence[Entry], solvers: Sequence[str], objs: Mapping[str, Mapping[str, float]]) -> str:
    insts = list(dict.fromkeys(e.inst for e in items))
    names = {e.inst: (e.name, e.family) for e in items}
    refs: dict[str, float] = {}
    for e in items:
        if _finite(e.row["reference"]):
            refs.setdefault(e.inst, float(e.row["reference"]))
    shown = sorted(insts, key=lambda i: (names[i][1], names[i][0]))[:MAX_INSTANCE_ROWS]
    head = ("<tr><th class=l>instance</th><th class=l>family</th><th>reference</th>"
            + "".join(f"<th>{_e(s)}</th>" for s in solvers) + "</tr>")
    rows = []
    for i in shown:
        per = objs.get(i, {})
        best = min(per.values()) if per else math.nan
        cells = []
        for s in solvers:
            v = per.get(s)
            if v is None:
                errs = [e for e in items if e.inst == i and e.key == s]
                text = "error" if errs and all(e.row["status"] == "error" for e in errs) else ("-" if not errs
                                                                                              else "none")
                cells.append(f"<td>{text}</td>")
            else:
                best_cls = ' class="best"' if v - best <= _REL_TIE * max(1.0, abs(best)) else ""
                cells.append(f"<td{best_cls}>{_num(v)}</td>")
        rows.append(f"<tr><td class=l>{_e(names[i][0])}</td><td class=l>{_e(names[i][1])}</td>"
                    f"<td>{_num(refs.get(i, math.nan))}</td>{''.join(cells)}</tr>")
    more = (f'<p class="note">... and {len(insts) - len(shown)} more instance(s).</p>'
            if len(insts) > len(shown) else "")
    return (f"<h2>Per instance</h2><details><summary>Objective per instance and solver ({len(insts)} "
            f"instance(s); best in green; <i>none</i>: no schedule, <i>-</i>: not run)</summary>"
            f"<table>{head}{''.join(rows)}</table>{more}</details>")


def _errors_table(items: Sequence[Entry]) -> str:
    bad = [e for e in items if e.row["status"] == "error" or int(e.row["violations"] or 0) > 0]
    if not bad:
        return ""
    rows = []
    for e in bad[:MAX_ERRORS]:
        what = e.row["error"] or (f"{e.row['violations']} checker violation(s)" if e.row["status"] != "error"
                                  else "error")
        rows.append(f"<tr><td class=l>{_e(e.key)}</td><td class=l>{_e(e.name)}</td><td>{e.row['seed']}</td>"
                    f"<td class=l>{_e(_short(what, 300))}</td></tr>")
    more = f'<p class="note">... and {len(bad) - MAX_ERRORS} more.</p>' if len(bad) > MAX_ERRORS else ""
    return (f"<h2>Errors ({len(bad)})</h2><table><tr><th class=l>solver</th><th class=l>instance</th>"
            f"<th>seed</th><th class=l>what</th></tr>{''.join(rows)}</table>{more}")


# -- the command --------------------------------------------------------------------------------------
def build(paths: Sequence[str | Path], output: str | Path, labels: Sequence[str] | None = None,
          tau_max: float = TAU_MAX, title: str | None = None) -> tuple[Path, list[Run]]:
    """Read ``paths``, write the report to ``output``; the runs it read."""
    from opsplan.app.common import check_output
    from opsplan.models.io.atomic import atomic_write_text

    output = Path(output)
    if not (math.isfinite(tau_max) and tau_max > 1):
        raise OpsPlanError(f"--tau-max must be a number above 1, got {tau_max}")
    check_output(output)  # before reading anything
    runs = load_runs(paths, labels)
    page = render(runs, tau_max=tau_max, title=title or "OpsPlan batch report")
    return atomic_write_text(output, page), runs


def run(args: argparse.Namespace) -> int:
    out, runs = build(args.results, args.output, args.label, args.tau_max, args.title)
    n = sum(len(r.rows) for r in runs)
    errs = sum(row["status"] == "error" for r in runs for row in r.rows)
    what = f"{n} row(s) from {sum(len(r.paths) for r in runs)} file(s)"
    what += f", {len(runs)} runs compared" if len(runs) > 1 else ""
    what += f", {errs} error(s)" if errs else ""
    print(f"report: {what} -> {out}")
    return 0


__all__ = ["Entry", "Line", "Run", "build", "entries", "load_runs", "objectives", "parse_progress",
           "performance_profile", "profile_breakpoints", "ratio", "render", "share_by", "solver_order", "summary",
           "targets", "time_to_target", "ttt_times", "wins"]
