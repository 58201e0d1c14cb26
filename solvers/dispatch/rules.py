"""Priority dispatch rules over the simulator's candidates.

A rule is defined by ``priority(batch, rng, options)``: it maps a
:class:`~opsplan.solvers.dispatch.simulator.CandidateBatch` to priorities,
**higher first**, or to a tuple of arrays for a lexicographic priority (primary
first). Remaining ties go to the candidate that starts earliest, then to the lower
job index, so every deterministic rule gives one schedule.

Candidate sets are small (a handful of jobs compete for one machine), and numpy's
per-call overhead then dominates. So each rule also has ``keys``: the same
priorities computed per (operation, machine) pair in plain Python, which
:meth:`RuleSpec.chooser` uses for rollouts. Both give the same choice at every
decision (a test holds them to it); ``priority`` remains the definition and the
form a learned policy is compared with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from opsplan.models.errors import SolverError
from opsplan.solvers.dispatch.simulator import CandidateBatch, JobShopSim

Priority = np.ndarray | tuple[np.ndarray, ...]
PriorityFn = Callable[[CandidateBatch, np.random.Generator, Mapping[str, Any]], Priority]
# keys(sim, rng, options) -> key_of(sim, pairs) -> one priority tuple per pair (higher first)
KeyOf = Callable[[JobShopSim, list[int]], list[tuple[float, ...]]]
KeysFn = Callable[[JobShopSim, np.random.Generator, Mapping[str, Any]], KeyOf]

ATC_K = 2.0  # default look-ahead parameter of ATC
_TINY = 1e-9  # stands in for a zero duration or zero remaining work in divisions


@dataclass(frozen=True)
class RuleSpec:
    """A named priority rule.

    ``priority`` is the definition over a batch (see the module docstring);
    ``keys`` the equivalent per-pair computation for fast rollouts (optional);
    ``deterministic`` is False for rules that draw from ``rng``.
    """

    name: str
    description: str
    priority: PriorityFn
    keys: KeysFn | None = None
    deterministic: bool = True
    # Measured on ft/la/abz/orb: non-delay generation beats active (Giffler-Thompson)
    # for every rule or ties with it (MWKR 15.5 % against 21.7 %), so it is the default.
    scheme: str = "nondelay"

    def choose(self, batch: CandidateBatch, rng: np.random.Generator, options: Mapping[str, Any]) -> int:
        """Index of the candidate this rule dispatches from ``batch``."""
        n = len(batch)
        if n == 1:
            return 0
        keys = self.priority(batch, rng, options)
        if not isinstance(keys, tuple):
            keys = (keys,)
        cols = [np.asarray(k, dtype=np.float64).tolist() for k in keys]
        start = batch.start.tolist()
        job = batch.job.tolist()
        return max(range(n), key=lambda i: (tuple(c[i] for c in cols), -start[i], -job[i]))

    def chooser(
        self, sim: JobShopSim, rng: np.random.Generator, options: Mapping[str, Any]
    ) -> Callable[[JobShopSim], int]:
        """A ``choose(sim) -> candidate index`` for :meth:`JobShopSim.run`."""
        if self.keys is None:
            return lambda s: self.choose(s.batch(), rng, options)
        key_of = self.keys(sim, rng, options)
        job = sim._pair_job  # same package: per-pair job index as a list

        def choose(s: JobShopSim) -> int:
            pairs = s.candidate_pairs()
            keys = key_of(s, pairs)
            start = s._p_start
            return max(range(len(pairs)), key=lambda i: (keys[i], -start[pairs[i]], -job[pairs[i]]))

        return choose


def _static(fn: Callable[[JobShopSim], tuple[np.ndarray, ...]]) -> KeysFn:
    def keys(sim: JobShopSim, rng: np.random.Generator, opts: Mapping[str, Any]) -> KeyOf:
        table = list(zip(*(np.asarray(c, dtype=np.float64).tolist() for c in fn(sim)), strict=True))
        return lambda s, pairs: [table[p] for p in pairs]

    return keys


# -- fifo -------------------------------------------------------------------------------
def _fifo(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    # First come at the queue (job ready time), then the earlier release, then job order.
    return (-b.arrival, -b.release.astype(np.float64))


def _fifo_keys(sim: JobShopSim, rng: np.random.Generator, opts: Mapping[str, Any]) -> KeyOf:
    job = sim._pair_job
    release = sim.job_release.tolist()
    return lambda s, pairs: [(-s._job_ready[job[p]], -release[job[p]]) for p in pairs]


# -- static rules --------------------------------------------------------------------------
def _spt(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    return -b.duration.astype(np.float64)


def _lpt(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    return b.duration.astype(np.float64)


def _mwkr(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    return b.work_remaining


def _mor(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    return (b.ops_remaining.astype(np.float64), b.work_remaining)


def _edd(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    # Jobs without a due date (inf) come last.
    return -b.due


# -- atc ----------------------------------------------------------------------------------------
def _atc(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    """Apparent tardiness cost: ``w/p * exp(-max(0, d - t - W) / (k * p_mean))``.

    ``W`` is the job's remaining work (this operation included), ``t`` the decision
    time and ``p_mean`` the mean duration of the candidates. Without a due date the
    index is 0; ties (and jobs without due dates) fall back to WSPT.
    """
    k = float(opts.get("atc_k", ATC_K))
    p = b.duration.astype(np.float64)
    p_mean = float(p.sum()) / len(p) if len(p) else 1.0
    if p_mean <= 0:
        p_mean = 1.0
    wspt = b.weight / np.maximum(p, _TINY)
    # An infinite due date gives an infinite slack and an index of exactly 0.
    slack = np.maximum(b.due - b.now - b.work_remaining, 0.0)
    return (wspt * np.exp(-slack / (k * p_mean)), wspt)


def _atc_keys(sim: JobShopSim, rng: np.random.Generator, opts: Mapping[str, Any]) -> KeyOf:
    k = float(opts.get("atc_k", ATC_K))
    dur = sim._pair_d
    due = sim.pair_due.tolist()
    work = sim.pair_work_remaining.tolist()
    wspt = (sim.pair_weight / np.maximum(sim.pair_duration.astype(np.float64), _TINY)).tolist()

    def key_of(s: JobShopSim, pairs: list[int]) -> list[tuple[float, ...]]:
        start = s._p_start
        now = float(min([start[p] for p in pairs]))
        p_mean = float(sum([dur[p] for p in pairs])) / len(pairs)
        if p_mean <= 0:
            p_mean = 1.0
        kp = k * p_mean
        # numpy's exp, as in _atc, so that both give bit-identical indices
        ex = np.exp(np.asarray([-max(due[p] - now - work[p], 0.0) / kp for p in pairs])).tolist()
        return [(wspt[p] * e, wspt[p]) for p, e in zip(pairs, ex, strict=True)]

    return key_of


# -- cr --------------------------------------------------------------------------------------------
def _cr(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    """Critical ratio ``(d - t) / W``: the smallest ratio is the most urgent; no due date comes last."""
    return -((b.due - b.now) / np.maximum(b.work_remaining, _TINY))


def _cr_keys(sim: JobShopSim, rng: np.random.Generator, opts: Mapping[str, Any]) -> KeyOf:
    due = sim.pair_due.tolist()
    work = np.maximum(sim.pair_work_remaining, _TINY).tolist()

    def key_of(s: JobShopSim, pairs: list[int]) -> list[tuple[float, ...]]:
        start = s._p_start
        now = float(min([start[p] for p in pairs]))
        return [(-((due[p] - now) / work[p]),) for p in pairs]

    return key_of


# -- wspt, mdd, eddc, mddc ------------------------------------------------------------------------
# Single-machine tardiness rules, generalised to the shop. On one machine with all releases at 0
# they pick what the sequence rules of :mod:`opsplan.solvers.dispatch.single_machine` pick (EDDC
# without its final swap pass), which the backend uses there instead.
MDDC_SLOPE = 1.1  # the factor on the remaining work in MDDC's modified due date


def _wspt(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    """Weighted shortest processing time: the largest ``w / p`` first."""
    return b.weight / np.maximum(b.duration.astype(np.float64), _TINY)


def _mdd(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    """Modified due date ``max(d, t + W)`` (``W``: the job's remaining work), smallest first; ties SPT."""
    return (-np.maximum(b.due, b.now + b.work_remaining), -b.duration.astype(np.float64))


def _mdd_keys(sim: JobShopSim, rng: np.random.Generator, opts: Mapping[str, Any]) -> KeyOf:
    dur = sim._pair_d
    due = sim.pair_due.tolist()
    work = sim.pair_work_remaining.tolist()

    def key_of(s: JobShopSim, pairs: list[int]) -> list[tuple[float, ...]]:
        start = s._p_start
        now = float(min([start[p] for p in pairs]))
        return [(-max(due[p], now + work[p]), -float(dur[p])) for p in pairs]

    return key_of


def _eddc(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    """EDD with ties to the shorter operation (the simulator form of EDDC: no final swap pass)."""
    return (-b.due, -b.duration.astype(np.float64))


def _mddc(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    """MDD Challenger: the smallest score ``mu`` first, ties SPT.

    ``mu = max(1.1 W + t, d) * (1 + theta) + p / (t + mean p)`` with
    ``theta = rho^2 / (1 + rho^2)``, ``rho = min(p / (t + max p), 1)``; ``p`` is the
    candidate's duration, ``W`` its job's remaining work (``p`` on one machine), ``t``
    the decision time, max and mean over the candidates. A zero denominator (every
    candidate of length 0 at time 0) makes its term 0.
    """
    p = b.duration.astype(np.float64)
    t = b.now
    n = len(p)
    p_max = float(p.max()) if n else 0.0
    p_mean = float(p.sum()) / n if n else 0.0
    mu = np.maximum(MDDC_SLOPE * b.work_remaining + t, b.due)
    den = t + p_max
    rho = np.minimum(p / den, 1.0) if den > 0 else np.zeros(n)
    theta = rho * rho / (1.0 + rho * rho)
    den = t + p_mean
    mu = mu * (1.0 + theta) + (p / den if den > 0 else 0.0)
    return (-mu, -p)


def _mddc_keys(sim: JobShopSim, rng: np.random.Generator, opts: Mapping[str, Any]) -> KeyOf:
    dur = sim._pair_d
    due = sim.pair_due.tolist()
    work = sim.pair_work_remaining.tolist()

    def key_of(s: JobShopSim, pairs: list[int]) -> list[tuple[float, ...]]:
        start = s._p_start
        t = float(min([start[q] for q in pairs]))
        ps = [float(dur[q]) for q in pairs]
        den_max = t + max(ps)
        den_mean = t + float(sum(ps)) / len(ps)
        out = []
        for q, p in zip(pairs, ps, strict=True):
            mu = max(MDDC_SLOPE * work[q] + t, due[q])
            rho = min(p / den_max, 1.0) if den_max > 0 else 0.0
            theta = rho * rho / (1.0 + rho * rho)
            mu = mu * (1.0 + theta) + (p / den_mean if den_mean > 0 else 0.0)
            out.append((-mu, -p))
        return out

    return key_of


# -- random -----------------------------------------------------------------------------------------
def _random(b: CandidateBatch, rng: np.random.Generator, opts: Mapping[str, Any]) -> Priority:
    return rng.random(len(b))


def _random_keys(sim: JobShopSim, rng: np.random.Generator, opts: Mapping[str, Any]) -> KeyOf:
    # The same draws as _random: one vector per decision with a choice.
    return lambda s, pairs: [(v,) for v in rng.random(len(pairs)).tolist()]


RULES: dict[str, RuleSpec] = {
    r.name: r
    for r in (
        RuleSpec(
            "fifo",
            "first in first out: earliest arrival at the machine, then release, then job order",
            _fifo,
            _fifo_keys,
        ),
        RuleSpec(
            "spt",
            "shortest processing time on the machine",
            _spt,
            _static(lambda sim: (-sim.pair_duration,)),
        ),
        RuleSpec(
            "lpt",
            "longest processing time on the machine",
            _lpt,
            _static(lambda sim: (sim.pair_duration,)),
        ),
        RuleSpec(
            "mwkr",
            "most work remaining in the job",
            _mwkr,
            _static(lambda sim: (sim.pair_work_remaining,)),
        ),
        RuleSpec(
            "mor",
            "most operations remaining in the job",
            _mor,
            _static(lambda sim: (sim.pair_ops_remaining, sim.pair_work_remaining)),
        ),
        RuleSpec("edd", "earliest due date", _edd, _static(lambda sim: (-sim.pair_due,))),
        RuleSpec("atc", f"apparent tardiness cost (look-ahead k={ATC_K:g}, option 'atc_k')", _atc, _atc_keys),
        RuleSpec("cr", "smallest critical ratio (time to due date / remaining work)", _cr, _cr_keys),
        RuleSpec(
            "wspt",
            "weighted shortest processing time (largest weight / duration)",
            _wspt,
            _static(lambda sim: (sim.pair_weight / np.maximum(sim.pair_duration.astype(np.float64), _TINY),)),
        ),
        RuleSpec("mdd", "modified due date max(d, t + remaining work), ties SPT", _mdd, _mdd_keys),
        RuleSpec(
            "eddc",
            "EDD Challenger: EDD with ties SPT (+ a last-pair swap on one machine)",
            _eddc,
            _static(lambda sim: (-sim.pair_due, -sim.pair_duration)),
        ),
        RuleSpec("mddc", "MDD Challenger: smallest perturbed modified due date, ties SPT", _mddc, _mddc_keys),
        RuleSpec(
            "random",
            "uniformly random among the candidates (seeded)",
            _random,
            _random_keys,
            deterministic=False,
        ),
    )
}

DETERMINISTIC: tuple[str, ...] = tuple(name for name, r in RULES.items() if r.deterministic)
# for a makespan a hint (cpsat, tabu) tries the rules the README's benchmarks were measured with
# (the due-date rules only differ from their base rule when there are due dates)
MAKESPAN_HINT_RULES: tuple[str, ...] = ("fifo", "spt", "lpt", "mwkr", "mor", "edd", "atc", "cr")


def get_rule(name: str) -> RuleSpec:
    """The rule called ``name``; raises SolverError listing the known ones."""
    try:
        return RULES[name]
    except KeyError:
        raise SolverError(f"unknown dispatch rule '{name}'; known: {', '.join(RULES)}") from None


__all__ = ["ATC_K", "DETERMINISTIC", "MAKESPAN_HINT_RULES", "MDDC_SLOPE", "RULES", "RuleSpec", "get_rule"]
