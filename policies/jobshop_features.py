"""The job-shop feature library and its specification :data:`JOBSHOP_V1`.

Job-shop features are scale-free: durations are divided by the instance's longest
duration, work by its total or per-job work and times by a makespan estimate
(:func:`horizon_estimate`), so that a 6 x 6 and a 100 x 20 shop look alike. Every
value is a finite float32, clipped to ``[-spec.clip, spec.clip]``.

:data:`JOBSHOP_V1` is registered by :mod:`opsplan.policies.registrations`; the
generic machinery (:class:`~opsplan.policies.features.FeatureSpec`, the registry,
:class:`~opsplan.policies.features.FeatureMismatch`) lives in :mod:`opsplan.policies.features`.
"""

from __future__ import annotations

import weakref

import numpy as np
from opsplan.policies.features import FeatureMismatch, FeatureSpec, clip_features
from opsplan.solvers.dispatch.simulator import CandidateBatch, JobShopSim

KIND = "jobshop"

# -- the feature library ----------------------------------------------------------------
# Per-candidate features. Scales: D = longest duration of the instance, H = horizon_estimate,
# Wmax = largest total work of a job, Nmax = most operations of a job, M = machines.
JOBSHOP_CANDIDATE: dict[str, str] = {
    "duration": "duration on the candidate's machine / D",
    "start_delay": "(earliest start - decision time) / D",
    "makespan_increase": "max(0, earliest end - current makespan) / D",
    "work_left": "job's remaining work (this operation included) / Wmax (orders like MWKR)",
    "work_left_frac": "job's remaining work / the job's total work",
    "ops_left": "job's remaining operations (this one included) / Nmax (orders like MOR)",
    "ops_left_frac": "job's remaining operations / the job's operation count",
    "job_share": "job's remaining work / remaining work of all jobs",
    "machine_load": "remaining work expected on the candidate's machine / H "
    "(each unscheduled operation's duration on a machine, divided by its number of modes)",
    "shortest_mode": "1 when this is the operation's shortest mode (ties included), else 0",
    "n_modes": "number of machines the operation may use / M",
    "rank_spt": "SPT rank among the candidates: 1 = the rule's choice, 0 = its last (ties share)",
    "rank_mwkr": "MWKR rank among the candidates (as rank_spt)",
    "rank_mor": "MOR rank among the candidates (most operations left, then most work)",
    "setup": "setup owed before the candidate / D",
    "has_due": "1 when the job has a due date, else 0",
    "due_slack": "(due - decision time - job's remaining work) / H; 0 without a due date",
    "weight": "job weight / largest weight (0 when every weight is 0)",
}
JOBSHOP_GLOBAL: dict[str, str] = {
    "progress": "operations dispatched / operations to dispatch",
    "n_candidates": "number of candidates / jobs",
    "makespan": "current makespan / H",
    "now": "decision time / H",
    "work_left": "remaining work of all jobs / total work",
    "max_machine_load": "largest remaining expected machine load / H",
}

# registered by opsplan.policies.registrations
JOBSHOP_V1 = FeatureSpec(KIND, 1, tuple(JOBSHOP_CANDIDATE), tuple(JOBSHOP_GLOBAL))

_TINY = 1e-9


def horizon_estimate(sim: JobShopSim) -> float:
    """A makespan estimate of ``sim``'s instance that scales times (a lower bound, at least D).

    The largest of: the longest job (release + shortest modes), the load of each
    machine from operations that can only use it, the total shortest work spread
    over all machines, the latest pin end and the latest per-operation earliest start.
    """
    return _tables(sim).horizon


class _JobShopTables:
    """Static per-instance tables for the job-shop features (computed once per simulator)."""

    def __init__(self, sim: JobShopSim) -> None:
        n_ops, n_pairs, n_m, n_j = sim.n_ops, sim.n_pairs, sim.n_machines, sim.n_jobs
        pair_op = sim.pair_op
        pair_m = sim.pair_machine
        dur = sim.pair_duration.astype(np.float64)
        self.max_dur = max(float(dur.max()) if n_pairs else 0.0, 1.0)
        n_modes = np.bincount(pair_op, minlength=n_ops).astype(np.float64) if n_pairs else np.zeros(n_ops)
        op_min = np.full(n_ops, np.inf)
        if n_pairs:
            np.minimum.at(op_min, pair_op, dur)
        op_min[~np.isfinite(op_min)] = 0.0

        # pinned operations are placed already: they add no remaining work
        pinned_ops = {a.task for a in sim.pinned}
        free = np.asarray([oid not in pinned_ops for oid in sim.op_ids], dtype=bool)

        # horizon estimate
        job_min = np.bincount(sim.op_job, weights=op_min, minlength=n_j) if n_ops else np.zeros(n_j)
        bounds = [self.max_dur]
        if n_j:
            bounds.append(float((sim.job_release + job_min).max()))
        single = n_modes[pair_op] == 1 if n_pairs else np.zeros(0, bool)
        if n_pairs and single.any():
            bounds.append(float(np.bincount(pair_m[single], weights=dur[single], minlength=n_m).max()))
        if n_m:
            bounds.append((float(sim.job_release.min()) if n_j else 0.0) + float(op_min.sum()) / n_m)
        bounds.extend(float(a.end) for a in sim.pinned)
        if n_ops:
            bounds.append(float(sim.op_earliest.max()))
        self.horizon = max(bounds)

        # expected machine load of each operation's route suffix: suffix[o, m]
        share = np.zeros((n_ops + 1, max(n_m, 1)))
        if n_pairs:
            np.add.at(share, (pair_op, pair_m), np.where(free[pair_op], dur / n_modes[pair_op], 0.0))
        rcum = np.cumsum(share[::-1], axis=0)[::-1]  # rcum[o] = sum over q >= o; rcum[n_ops] = 0
        rcum[n_ops] = 0.0
        job_end = np.zeros(n_j, dtype=np.int64)  # one past each job's last operation
        if n_ops:
            job_end[:] = np.bincount(sim.op_job, minlength=n_j).cumsum()
        # one trailing zero row: a finished job's next operation is -1
        suffix = rcum[:n_ops] - rcum[job_end[sim.op_job]] if n_ops else np.zeros((0, max(n_m, 1)))
        self.suffix_load = np.concatenate([suffix, np.zeros((1, suffix.shape[1]))])
        # remaining work of a job whose next operation is o (mean durations; pins excluded)
        op_work = np.where(free, sim.op_mean_duration, 0.0)
        wc = np.concatenate([np.cumsum(op_work[::-1])[::-1], [0.0]]) if n_ops else np.zeros(1)
        rem = wc[:n_ops] - wc[job_end[sim.op_job]] if n_ops else np.zeros(0)
        self.op_rem_work = np.concatenate([rem, [0.0]])  # trailing 0 for finished jobs (-1)
        self.total_work = max(float(op_work.sum()), _TINY)

        # static per-pair columns
        w_max = max(float(sim.job_total_work.max()) if n_j else 0.0, _TINY)
        n_max = max(int(sim.job_n_ops.max()) if n_j else 0, 1)
        weight_max = float(sim.job_weight.max()) if n_j else 0.0
        job_total = np.maximum(sim.job_total_work, _TINY)
        pj = sim.pair_job
        self.static = {
            "duration": dur / self.max_dur,
            "work_left": sim.pair_work_remaining / w_max,
            "work_left_frac": sim.pair_work_remaining / job_total[pj] if n_pairs else np.zeros(0),
            "ops_left": sim.pair_ops_remaining / n_max,
            "ops_left_frac": sim.pair_ops_remaining / np.maximum(sim.job_n_ops[pj], 1) if n_pairs else np.zeros(0),
            "shortest_mode": (dur <= op_min[pair_op]).astype(np.float64) if n_pairs else np.zeros(0),
            "n_modes": n_modes[pair_op] / max(n_m, 1) if n_pairs else np.zeros(0),
            "has_due": np.isfinite(sim.pair_due).astype(np.float64),
            "weight": sim.pair_weight / weight_max if weight_max > 0 else np.zeros(n_pairs),
        }
        # rule keys per pair (higher = the rule's preference), exact in float64
        work = sim.pair_work_remaining.astype(np.float64)
        self.key_spt = -dur
        self.key_mwkr = work
        self.key_mor = sim.pair_ops_remaining * (float(work.max(initial=0.0)) + 1.0) + work
        self.pair_dur = dur
        self.pair_work = work
        self.pair_due = sim.pair_due.astype(np.float64)
        self.pair_job = sim.pair_job
        self.pair_machine = pair_m
        self.plans: dict[FeatureSpec, _Plan] = {}


_TABLES: weakref.WeakKeyDictionary[JobShopSim, _JobShopTables] = weakref.WeakKeyDictionary()


def _tables(sim: JobShopSim) -> _JobShopTables:
    t = _TABLES.get(sim)
    if t is None:
        t = _TABLES[sim] = _JobShopTables(sim)
    return t


def _job_next(sim: JobShopSim) -> list[int]:
    # The simulator keeps each job's next operation (-1 when finished) as a private list; read it here only.
    return sim.job_next


def _rank(key: np.ndarray) -> np.ndarray:
    """Fraction of the other candidates with a strictly lower key (1 = best, ties share)."""
    n = len(key)
    if n <= 1:
        return np.ones(n)
    return (key[:, None] > key[None, :]).sum(axis=1) / (n - 1)


def _check_kind(spec: FeatureSpec) -> None:
    if spec.kind != KIND:
        raise FeatureMismatch(f"feature specification {spec.id} is not for a job shop")


class _Plan:
    """How to compute one spec's columns: a static per-pair matrix plus named dynamic columns."""

    def __init__(self, t: _JobShopTables, spec: FeatureSpec) -> None:
        dynamic = {
            "start_delay", "makespan_increase", "setup", "job_share", "machine_load",
            "rank_spt", "rank_mwkr", "rank_mor", "due_slack",
        }  # fmt: skip
        unknown = [n for n in spec.candidate if n not in t.static and n not in dynamic]
        if unknown:
            raise FeatureMismatch(f"{spec.id}: unknown job-shop candidate features {unknown}")
        unknown = [n for n in spec.global_ if n not in JOBSHOP_GLOBAL]
        if unknown:
            raise FeatureMismatch(f"{spec.id}: unknown job-shop global features {unknown}")
        self.static_pos = [i for i, n in enumerate(spec.candidate) if n in t.static]
        cols = [t.static[spec.candidate[i]] for i in self.static_pos]
        self.static = np.stack(cols, axis=1) if cols else np.zeros((len(t.static["duration"]), 0))
        self.dynamic = [(i, n) for i, n in enumerate(spec.candidate) if n in dynamic]
        self.needs_state = bool({"job_share", "machine_load"} & set(spec.candidate)) or bool(
            {"work_left", "max_machine_load"} & set(spec.global_)
        )


def _plan(t: _JobShopTables, spec: FeatureSpec) -> _Plan:
    p = t.plans.get(spec)
    if p is None:
        p = t.plans[spec] = _Plan(t, spec)
    return p


def _resolve(source: JobShopSim | CandidateBatch) -> tuple[JobShopSim, CandidateBatch]:
    if isinstance(source, CandidateBatch):
        return source.sim, source
    return source, source.batch()


def features(
    source: JobShopSim | CandidateBatch, spec: FeatureSpec = JOBSHOP_V1
) -> tuple[np.ndarray, np.ndarray]:
    """``(candidate_features, global_features)`` of the current decision, computed together (faster)."""
    _check_kind(spec)
    sim, batch = _resolve(source)
    t = _tables(sim)
    plan = _plan(t, spec)
    n = len(batch)
    pairs = batch.pair
    now = batch.now
    cmax = batch.makespan_so_far

    rem_job = load = None
    total_rem = 0.0
    if plan.needs_state:
        nxt = _job_next(sim)
        rem_job = t.op_rem_work[nxt]  # index -1 (finished job) hits the trailing 0
        total_rem = float(rem_job.sum())
        load = t.suffix_load[nxt].sum(axis=0)

    out = np.empty((n, spec.n_candidate), np.float64)
    if n:
        out[:, plan.static_pos] = plan.static[pairs]
        start = batch.start
        for i, name in plan.dynamic:
            if name == "start_delay":
                col = (start - now) / t.max_dur
            elif name == "makespan_increase":
                col = np.maximum(start + t.pair_dur[pairs] - cmax, 0.0) / t.max_dur
            elif name == "setup":
                col = batch.setup / t.max_dur
            elif name == "job_share":
                col = rem_job[t.pair_job[pairs]] / max(total_rem, _TINY)
            elif name == "machine_load":
                col = load[t.pair_machine[pairs]] / t.horizon
            elif name == "rank_spt":
                col = _rank(t.key_spt[pairs])
            elif name == "rank_mwkr":
                col = _rank(t.key_mwkr[pairs])
            elif name == "rank_mor":
                col = _rank(t.key_mor[pairs])
            else:  # due_slack
                due = t.pair_due[pairs]
                col = np.where(np.isfinite(due), (due - now - t.pair_work[pairs]) / t.horizon, 0.0)
            out[:, i] = col

    glob = np.empty(spec.n_global, np.float64)
    for i, name in enumerate(spec.global_):
        if name == "progress":
            v = sim.n_scheduled / max(sim.n_to_schedule, 1)
        elif name == "n_candidates":
            v = n / max(sim.n_jobs, 1)
        elif name == "makespan":
            v = cmax / t.horizon
        elif name == "now":
            v = now / t.horizon
        elif name == "work_left":
            v = total_rem / t.total_work
        else:  # max_machine_load
            v = float(load.max(initial=0.0)) / t.horizon
        glob[i] = v
    return clip_features(out, spec.clip), clip_features(glob, spec.clip)


def candidate_features(source: JobShopSim | CandidateBatch, spec: FeatureSpec = JOBSHOP_V1) -> np.ndarray:
    """Per-candidate features of the current decision.

    Parameters
    ----------
    source
        A simulator (its current :meth:`~JobShopSim.batch` is used) or a batch.
        A batch is a snapshot, but the dynamic features read the simulator's
        *current* state: featurise a batch before stepping its simulator.
    spec
        The feature specification (names from :data:`JOBSHOP_CANDIDATE`).

    Returns
    -------
    numpy.ndarray
        float32 ``(n_candidates, len(spec.candidate))``, finite, in the candidates' order.
    """
    return features(source, spec)[0]


def global_features(source: JobShopSim | CandidateBatch, spec: FeatureSpec = JOBSHOP_V1) -> np.ndarray:
    """Global features of the current decision: float32 ``(len(spec.global_),)``, finite.

    Works on a finished simulator too (no candidates: ``n_candidates`` is 0).
    """
    return features(source, spec)[1]


__all__ = [
    "JOBSHOP_CANDIDATE",
    "JOBSHOP_GLOBAL",
    "JOBSHOP_V1",
    "KIND",
    "candidate_features",
    "features",
    "global_features",
    "horizon_estimate",
]
