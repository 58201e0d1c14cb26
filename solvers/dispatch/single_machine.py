"""Single-machine total (weighted) tardiness: sequence rules and a fast local search.

A scenario is *single-machine* (:func:`is_single_machine`) when every job has one
operation with one mode, all on the same machine, and that machine has no
calendar windows and no setups. Such a shop is a sequence: the jobs run back to
back in a permutation, each as early as its release allows (idle time is inserted
only while nothing is released).

Everything here works on plain arrays: processing times ``p``, due dates ``d``,
weights ``w`` and, optionally, releases ``r``, indexed by job. A rule
``rule(p, d, w, **params) -> list[int]`` returns an order of job indices.

* Without releases the static rules (EDD, SPT, WSPT, EDDC) are a sort and the
  dynamic ones (MDD, ATC, MDDC) pick the next job at the time ``t`` the machine
  gets free.
* With releases every rule is a non-delay list schedule: at time ``t`` only the
  released jobs compete (the static rules by their key); when none is released
  the machine idles until the next release. "The unscheduled jobs" of ATC and
  MDDC (mean and max processing time) are then the released ones, as in the
  job-shop simulator.

A job without a due date gets the due date ``sum(p) + max(r)`` (the horizon), so
it is never tardy and the due-date rules put it last.

:func:`improve` is a local search usable after any rule; :func:`solve_single_machine`
builds the :class:`~opsplan.models.schedule.Schedule`. The dispatch backend
(``dispatch:<rule>``) uses this module for :data:`SEQUENCE_RULES` on single-machine
scenarios; ``Params.options["improve"] = True`` adds the local search.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.scenario import JobShopScenario, Objective
from opsplan.models.schedule import Assignment, Category, Schedule
from opsplan.solvers.dispatch.rules import ATC_K, MDDC_SLOPE

_TINY = 1e-9  # stands in for a zero processing time in w / p

ArrayLike = Sequence[int] | np.ndarray
Picker = Callable[[np.ndarray, int], int]


# --------------------------------------------------------------------------- arrays
def _ints(a: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.int64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return arr


def _check(p: ArrayLike, d: ArrayLike, w: ArrayLike | None, r: ArrayLike | None) -> tuple[np.ndarray, ...]:
    p_ = _ints(p, "p")
    n = len(p_)
    d_ = _ints(d, "d")
    w_ = np.ones(n, dtype=np.int64) if w is None else _ints(w, "w")
    r_ = np.zeros(n, dtype=np.int64) if r is None else _ints(r, "r")
    for name, arr in (("d", d_), ("w", w_), ("r", r_)):
        if len(arr) != n:
            raise ValueError(f"{name} has {len(arr)} entries, p has {n}")
    return p_, d_, w_, r_


def _has_releases(r: np.ndarray) -> bool:
    return bool(len(r)) and bool((r > 0).any())


def _as_order(order: Sequence[int] | np.ndarray, n: int) -> np.ndarray:
    o = np.asarray(order, dtype=np.intp)
    if o.shape != (n,) or not np.array_equal(np.sort(o), np.arange(n)):
        raise ValueError(f"order must be a permutation of 0..{n - 1}")
    return o


def _completions(p: np.ndarray, r: np.ndarray | None) -> np.ndarray:
    """Completion times of jobs run in the given (already permuted) order, along the last axis.

    Without releases a cumulative sum. With releases ``C_k = max(C_{k-1}, r_k) + p_k``,
    which unrolls to ``S_k + max(0, max_{i<=k} (r_i - S_{i-1}))`` with ``S`` the
    cumulative sum of ``p``: still a few vectorised passes, also over a matrix of orders.
    """
    s = np.cumsum(p, axis=-1)
    if r is None:
        return s
    idle = np.maximum.accumulate(np.maximum(r - (s - p), 0), axis=-1)
    return s + idle


def weighted_tardiness(
    p: ArrayLike, d: ArrayLike, w: ArrayLike | None, order: Sequence[int] | np.ndarray, *, r: ArrayLike | None = None
) -> int:
    """Total weighted tardiness ``sum w_j max(0, C_j - d_j)`` of the jobs run in ``order``.

    Each job starts when the previous one ends, or at its release ``r`` if later.
    ``w=None`` weighs every job 1 (total tardiness).
    """
    p_, d_, w_, r_ = _check(p, d, w, r)
    o = _as_order(order, len(p_))
    c = _completions(p_[o], r_[o] if _has_releases(r_) else None)
    return int((w_[o] * np.maximum(c - d_[o], 0)).sum())


# --------------------------------------------------------------------------- rule skeletons
def _static_order(keys: tuple[np.ndarray, ...], p: np.ndarray, r: np.ndarray) -> list[int]:
    """Sort by ``keys`` (primary first, job index last); with releases a non-delay list schedule."""
    n = len(p)
    rank = np.lexsort((np.arange(n), *reversed(keys))) if n else np.zeros(0, np.intp)
    if not _has_releases(r):
        return [int(j) for j in rank]
    pos = np.empty(n, dtype=np.int64)
    pos[rank] = np.arange(n)
    by_release = sorted(range(n), key=lambda j: (int(r[j]), int(pos[j])))
    heap: list[tuple[int, int]] = []
    out: list[int] = []
    t = 0
    k = 0
    while len(out) < n:
        while k < n and r[by_release[k]] <= t:
            j = by_release[k]
            heapq.heappush(heap, (int(pos[j]), j))
            k += 1
        if not heap:
            t = int(r[by_release[k]])
            continue
        _, j = heapq.heappop(heap)
        out.append(j)
        t = max(t, int(r[j])) + int(p[j])
    return out


def _dynamic_order(p: np.ndarray, r: np.ndarray, pick: Callable[[np.ndarray, np.ndarray, int], int]) -> list[int]:
    """Greedy list schedule: at time ``t`` call ``pick(base_idx, cand, t)`` for the next job.

    Jobs are held in SPT order (processing time, then index): ``cand`` are positions
    in that order of the competing jobs, ascending, and ``base_idx[cand]`` their job
    indices, so an ``argmin`` breaks ties by SPT. ``pick`` returns a position in ``cand``.
    """
    n = len(p)
    base = np.lexsort((np.arange(n), p))
    pb = p[base]
    rb = r[base]
    releases = _has_releases(r)
    alive = np.ones(n, dtype=bool)
    out: list[int] = []
    t = 0
    for _ in range(n):
        if releases:
            ready = alive & (rb <= t)
            if not ready.any():
                t = int(rb[alive].min())
                ready = alive & (rb <= t)
            cand = np.flatnonzero(ready)
        else:
            cand = np.flatnonzero(alive)
        k = int(cand[pick(base, cand, t)])
        alive[k] = False
        out.append(int(base[k]))
        t = max(t, int(rb[k])) + int(pb[k])
    return out


# --------------------------------------------------------------------------- rules
def edd(p: ArrayLike, d: ArrayLike, w: ArrayLike | None = None, *, r: ArrayLike | None = None) -> list[int]:
    """Earliest due date first (ties: lower job index)."""
    p_, d_, _, r_ = _check(p, d, w, r)
    return _static_order((d_,), p_, r_)


def spt(p: ArrayLike, d: ArrayLike, w: ArrayLike | None = None, *, r: ArrayLike | None = None) -> list[int]:
    """Shortest processing time first (ties: lower job index)."""
    p_, _, _, r_ = _check(p, d, w, r)
    return _static_order((p_,), p_, r_)


def wspt(p: ArrayLike, d: ArrayLike, w: ArrayLike | None = None, *, r: ArrayLike | None = None) -> list[int]:
    """Weighted shortest processing time: the largest ratio ``w / p`` first (ties: lower index).

    A zero processing time counts as ``1e-9``, so such a job with a positive weight comes first.
    """
    p_, _, w_, r_ = _check(p, d, w, r)
    ratio = w_ / np.maximum(p_.astype(np.float64), _TINY)
    return _static_order((-ratio,), p_, r_)


def eddc(p: ArrayLike, d: ArrayLike, w: ArrayLike | None = None, *, r: ArrayLike | None = None) -> list[int]:
    """EDD Challenger (Çetinkaya et al. 2025): EDD, ties shorter first, then a last-pair swap.

    1. Sort by due date, ties by processing time (shorter first), then job index
       (with releases: the non-delay list schedule by that key).
    2. Swap pass over the last two jobs ``a, b`` of that order: if ``d_a`` exceeds
       the completion time of the prefix, i.e. of all jobs before ``a`` and ``b``
       (the time ``a`` would start, releases aside), run ``b`` before ``a``.

    Reading of the source text: "the prefix" is everything before the last two
    jobs, "exceeds" is strict, and the pass looks only at the last pair, once.
    """
    p_, d_, _, r_ = _check(p, d, w, r)
    order = _static_order((d_, p_), p_, r_)
    if len(order) >= 2:
        head = np.asarray(order[:-2], dtype=np.intp)
        prefix = _completions(p_[head], r_[head] if _has_releases(r_) else None)
        done = int(prefix[-1]) if len(prefix) else 0
        if d_[order[-2]] > done:
            order[-2], order[-1] = order[-1], order[-2]
    return order


def mdd(p: ArrayLike, d: ArrayLike, w: ArrayLike | None = None, *, r: ArrayLike | None = None) -> list[int]:
    """Modified due date: at time ``t`` the job with the smallest ``max(d_j, t + p_j)`` (ties: SPT, index)."""
    p_, d_, _, r_ = _check(p, d, w, r)
    base = np.lexsort((np.arange(len(p_)), p_))
    db, pb = d_[base], p_[base]

    def pick(base: np.ndarray, cand: np.ndarray, t: int) -> int:
        return int(np.argmin(np.maximum(db[cand], t + pb[cand])))

    return _dynamic_order(p_, r_, pick)


def atc(
    p: ArrayLike, d: ArrayLike, w: ArrayLike | None = None, *, r: ArrayLike | None = None, k: float = ATC_K
) -> list[int]:
    """Apparent tardiness cost: at time ``t`` the largest ``w/p * exp(-max(d - p - t, 0) / (k * p_mean))``.

    ``p_mean`` is the mean processing time of the competing (unscheduled, released)
    jobs (1 when it is 0); ``k`` the look-ahead parameter. Ties: the larger ``w/p``,
    then the lower index. The same index as the job-shop simulator's ``atc``.
    """
    p_, d_, w_, r_ = _check(p, d, w, r)
    k = float(k)
    if not k > 0:
        raise ValueError(f"ATC look-ahead k must be positive, got {k}")
    n = len(p_)
    base = np.lexsort((np.arange(n), p_))
    pb = p_[base].astype(np.float64)
    db = d_[base].astype(np.float64)
    ratio = (w_[base] / np.maximum(pb, _TINY)).astype(np.float64)

    def pick(base_idx: np.ndarray, cand: np.ndarray, t: int) -> int:
        pc = pb[cand]
        p_mean = float(pc.sum()) / len(pc)
        if p_mean <= 0:
            p_mean = 1.0
        slack = np.maximum(db[cand] - float(t) - pc, 0.0)
        index = ratio[cand] * np.exp(-slack / (k * p_mean))
        return int(np.lexsort((base_idx[cand], -ratio[cand], -index))[0])

    return _dynamic_order(p_, r_, pick)


def mddc(p: ArrayLike, d: ArrayLike, w: ArrayLike | None = None, *, r: ArrayLike | None = None) -> list[int]:
    """MDD Challenger (Çetinkaya et al. 2025).

    Jobs are pre-sorted by SPT. At time ``t`` the job with the smallest score runs next:
    ``mu = max(1.1 p + t, d)``, ``rho = min(p / (t + max p), 1)``,
    ``theta = rho^2 / (1 + rho^2)``, ``mu <- mu (1 + theta) + p / (t + mean p)``, with
    max and mean over the unscheduled (with releases: released) jobs. Ties go to the
    first in SPT order. A zero denominator (``t = 0`` and every remaining ``p = 0``)
    makes its term 0. Weights are not used (the rule is for total tardiness).
    """
    p_, d_, _, r_ = _check(p, d, w, r)
    n = len(p_)
    base = np.lexsort((np.arange(n), p_))
    pb = p_[base].astype(np.float64)
    db = d_[base].astype(np.float64)

    def pick(base_idx: np.ndarray, cand: np.ndarray, t: int) -> int:
        return int(np.argmin(mddc_scores(pb[cand], db[cand], t)))

    return _dynamic_order(p_, r_, pick)


def mddc_scores(p: ArrayLike, d: ArrayLike, t: float) -> np.ndarray:
    """MDDC's score ``mu`` of each competing job at time ``t`` (smaller runs first)."""
    pc = np.asarray(p, dtype=np.float64)
    dc = np.asarray(d, dtype=np.float64)
    t = float(t)
    n = len(pc)
    p_max = float(pc.max()) if n else 0.0
    p_mean = float(pc.sum()) / n if n else 0.0
    mu = np.maximum(MDDC_SLOPE * pc + t, dc)
    den = t + p_max
    rho = np.minimum(pc / den, 1.0) if den > 0 else np.zeros(n)
    theta = rho * rho / (1.0 + rho * rho)
    den = t + p_mean
    return mu * (1.0 + theta) + (pc / den if den > 0 else 0.0)


SEQUENCE_RULES: dict[str, Callable[..., list[int]]] = {
    "edd": edd,
    "spt": spt,
    "wspt": wspt,
    "mdd": mdd,
    "atc": atc,
    "eddc": eddc,
    "mddc": mddc,
}


# --------------------------------------------------------------------------- local search
@dataclass
class ImproveStats:
    """What :func:`improve_with_stats` did: full passes, moves applied, values, why it stopped."""

    start_value: int
    value: int
    passes: int = 0
    moves: int = 0
    stopped: str = "local_optimum"  # local_optimum, zero, max_passes, time_limit, cancelled


def _insert_template(n: int) -> np.ndarray:
    """``T[j, k]``: index into ``[order without job i] + [job i]`` of position ``k`` when job i goes to ``j``."""
    j = np.arange(n)[:, None]
    k = np.arange(n)[None, :]
    return np.where(k < j, k, np.where(k == j, n - 1, k - 1))


def improve_with_stats(
    p: ArrayLike,
    d: ArrayLike,
    w: ArrayLike | None,
    order: Sequence[int] | np.ndarray,
    *,
    r: ArrayLike | None = None,
    time_limit: float | None = None,
    max_passes: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[list[int], ImproveStats]:
    """:func:`improve`, also returning an :class:`ImproveStats`."""
    p_, d_, w_, r_ = _check(p, d, w, r)
    n = len(p_)
    o = _as_order(order, n)
    releases = _has_releases(r_)
    value = weighted_tardiness(p_, d_, w_, o, r=r_)
    stats = ImproveStats(value, value)
    if n < 2 or value == 0:
        stats.stopped = "zero" if value == 0 else "local_optimum"
        return o.tolist(), stats
    deadline = math.inf if time_limit is None else time.perf_counter() + max(0.0, float(time_limit))

    def halted() -> str | None:
        if should_stop is not None and should_stop():
            return "cancelled"
        if time.perf_counter() >= deadline:
            return "time_limit"
        return None

    template = _insert_template(n) if releases else None
    pl, dl, wl = p_.tolist(), d_.tolist(), w_.tolist()
    while True:
        if max_passes is not None and stats.passes >= max_passes:
            stats.stopped = "max_passes"
            break
        why = halted()
        if why:
            stats.stopped = why
            break
        stats.passes += 1
        moves = stats.moves

        if not releases:
            # 1) adjacent pairwise interchange: O(1) per pair, a bubble-like sweep.
            ol = o.tolist()
            t = 0  # start of position i
            for i in range(n - 1):
                a, b = ol[i], ol[i + 1]
                ca = t + pl[a]
                cb = ca + pl[b]
                old = wl[a] * max(ca - dl[a], 0) + wl[b] * max(cb - dl[b], 0)
                nb = t + pl[b]
                new = wl[b] * max(nb - dl[b], 0) + wl[a] * max(cb - dl[a], 0)
                if new < old:
                    ol[i], ol[i + 1] = b, a
                    value -= old - new
                    stats.moves += 1
                    t = nb
                else:
                    t = ca
            o = np.asarray(ol, dtype=np.intp)

        # 2) insertion: each position's job tried at every other position (best target taken).
        why = None
        i = 0
        dirty = True
        while i < n and value > 0:
            why = halted()
            if why:
                break
            x = int(o[i])
            if releases:
                assert template is not None
                ext = np.append(np.delete(o, i), x)
                m = ext[template]
                c = _completions(p_[m], r_[m])
                cost = (w_[m] * np.maximum(c - d_[m], 0)).sum(axis=1)
                j = int(np.argmin(cost))
                delta = int(cost[j]) - value
            else:
                if dirty:
                    pp, dd, ww = p_[o], d_[o], w_[o]
                    cc = np.cumsum(pp)
                    tt = ww * np.maximum(cc - dd, 0)
                    dirty = False
                px, dx, wx, tx = int(pp[i]), int(dd[i]), int(ww[i]), int(tt[i])
                j, delta = i, 0
                if i < n - 1:  # forward: i+1..j move px earlier, x ends at C_j
                    s = slice(i + 1, n)
                    g = ww[s] * np.maximum(cc[s] - px - dd[s], 0) - tt[s]
                    df = np.cumsum(g) + wx * np.maximum(cc[s] - dx, 0) - tx
                    q = int(np.argmin(df))
                    if df[q] < delta:
                        j, delta = i + 1 + q, int(df[q])
                if i > 0:  # backward: j..i-1 move px later, x starts where position j started
                    h = ww[:i] * np.maximum(cc[:i] + px - dd[:i], 0) - tt[:i]
                    db = np.cumsum(h[::-1])[::-1] + wx * np.maximum(cc[:i] - pp[:i] + px - dx, 0) - tx
                    q = int(np.argmin(db))
                    if db[q] < delta:
                        j, delta = q, int(db[q])
            if delta < 0:
                o = np.insert(np.delete(o, i), j, x)
                value += delta
                stats.moves += 1
                dirty = True
            i += 1
        if why:
            stats.stopped = why
            break
        if value == 0:
            stats.stopped = "zero"
            break
        if stats.moves == moves:
            stats.stopped = "local_optimum"
            break
    stats.value = value
    return o.tolist(), stats


def improve(
    p: ArrayLike,
    d: ArrayLike,
    w: ArrayLike | None,
    order: Sequence[int] | np.ndarray,
    time_limit: float | None = None,
    max_passes: int | None = None,
    *,
    r: ArrayLike | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[int]:
    """Local search on a sequence for total weighted tardiness; never worse than ``order``.

    Each pass (without releases) first sweeps adjacent pairwise interchanges (each
    pair evaluated in O(1)), then tries every position's job at every other position
    (insertion), evaluated for all targets at once from cumulative sums: moving a job
    shifts the jobs it passes by its processing time and leaves the rest untouched.
    Moves are applied at once when they strictly improve (first improvement over
    positions, the best target for that position's job). With releases the shift is
    not uniform (idle time absorbs it), so each insertion neighbourhood, which
    contains the adjacent interchanges, is evaluated as a matrix of orders instead.

    Passes repeat until one changes nothing (a local optimum for both
    neighbourhoods), the tardiness is 0, ``max_passes`` passes ran, ``time_limit``
    seconds passed or ``should_stop()`` says so.

    Returns
    -------
    list[int]
        The improved order (``order`` itself, as a list, when nothing improves).
    """
    out, _ = improve_with_stats(
        p, d, w, order, r=r, time_limit=time_limit, max_passes=max_passes, should_stop=should_stop
    )
    return out


def _best_insertion(pp: np.ndarray, dd: np.ndarray, ww: np.ndarray) -> tuple[int, int, int]:
    """The best single insertion move of the sequence ``pp, dd, ww`` (already in order, no
    releases): ``(delta, i, j)``, the job at position ``i`` moved to position ``j``.

    Every move at once, as n x n matrices: moving job i forward to j shifts the jobs
    ``i+1..j`` earlier by ``p_i`` and ends job i where position j ended; moving it backward
    to j shifts ``j..i-1`` later by ``p_i`` and starts job i where position j started."""
    n = len(pp)
    c = np.cumsum(pp)
    t = ww * np.maximum(c - dd, 0)
    tw = t[:, None]
    g = ww * np.maximum(c[None, :] - pp[:, None] - dd, 0) - t  # [i, k]: job k shifted earlier by p_i
    cg = np.cumsum(g, axis=1)
    diag = np.arange(n)
    fwd = cg - cg[diag, diag][:, None] + ww[:, None] * np.maximum(c[None, :] - dd[:, None], 0) - tw
    h = ww * np.maximum(c[None, :] + pp[:, None] - dd, 0) - t  # [i, k]: job k shifted later by p_i
    rh = np.cumsum(h[:, ::-1], axis=1)[:, ::-1]  # [i, j]: sum of h[i, j:]
    bwd = rh - rh[diag, diag][:, None] + ww[:, None] * np.maximum((c - pp)[None, :] + pp[:, None] - dd[:, None], 0) - tw
    delta = np.where(_upper(n), fwd, bwd)
    delta[diag, diag] = 0
    k = int(np.argmin(delta))
    return int(delta.flat[k]), k // n, k % n


def _best_swap(pp: np.ndarray, dd: np.ndarray, ww: np.ndarray, reach: int) -> tuple[int, int, int]:
    """The best interchange of two jobs at most ``reach`` positions apart: ``(delta, i, j)``.

    Swapping positions i < j ends the job from j where position i's start plus its own
    length puts it, ends the job from i where position j ended, and shifts every job
    between by the difference of their lengths (an n x reach x reach array)."""
    n = len(pp)
    reach = min(reach, n - 1)
    c = np.cumsum(pp)
    t = ww * np.maximum(c - dd, 0)
    s = c - pp
    i = np.arange(n)[:, None]
    off = np.arange(1, reach + 1)[None, :]
    j = np.minimum(i + off, n - 1)  # [i, offset]; clipped where i + offset runs past the end
    pj = pp[j]
    shift = pj - pp[:, None]
    ends = (ww[j] * np.maximum(s[:, None] + pj - dd[j], 0) - t[:, None]
            + ww[:, None] * np.maximum(c[j] - dd[:, None], 0) - t[j])
    m = np.arange(1, reach)[None, None, :]
    k = np.minimum(i[:, :, None] + m, n - 1)
    between = ww[k] * np.maximum(c[k] + shift[:, :, None] - dd[k], 0) - t[k]
    between *= (m < off[:, :, None]) & (i[:, :, None] + m < n)
    delta = np.where(i + off < n, ends + between.sum(axis=2), 0)
    a = int(np.argmin(delta))
    return int(delta.flat[a]), a // reach, a // reach + a % reach + 1


_UPPER: dict[int, np.ndarray] = {}


def _upper(n: int) -> np.ndarray:
    if n not in _UPPER:
        _UPPER.clear()
        idx = np.arange(n)
        _UPPER[n] = idx[None, :] > idx[:, None]
    return _UPPER[n]


SWAP_REACH = 20


def descend(
    p: ArrayLike,
    d: ArrayLike,
    w: ArrayLike | None,
    order: Sequence[int] | np.ndarray,
    *,
    swap_reach: int = SWAP_REACH,
    deadline: float | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[int]:
    """Steepest descent for total weighted tardiness without releases; never worse than ``order``.

    Each step takes the best of all insertion moves (every job to every position, evaluated
    together as matrices: :func:`_best_insertion`); at an insertion optimum it takes the
    best interchange of two jobs at most ``swap_reach`` positions apart (0: none), and goes
    on while either improves. Faster per step than :func:`improve`'s first-improvement
    passes, which the iterated local search (``ils``) repeats thousands of times.
    Stops early, with the best order so far, at ``deadline`` (a ``time.perf_counter()``
    value) or when ``should_stop()`` says so.
    """
    p_, d_, w_, r_ = _check(p, d, w, None)
    o = _as_order(order, len(p_))
    n = len(o)
    if n < 2:
        return o.tolist()
    pp, dd, ww = p_[o], d_[o], w_[o]
    while True:
        if (should_stop is not None and should_stop()) or (deadline is not None and time.perf_counter() >= deadline):
            break
        if not (ww * np.maximum(np.cumsum(pp) - dd, 0)).any():
            break  # no job is late
        delta, i, j = _best_insertion(pp, dd, ww)
        if delta < 0:
            perm = np.insert(np.delete(np.arange(n), i), j, i)
        elif swap_reach > 0:
            delta, i, j = _best_swap(pp, dd, ww, swap_reach)
            if delta >= 0:
                break
            perm = np.arange(n)
            perm[i], perm[j] = j, i
        else:
            break
        o, pp, dd, ww = o[perm], pp[perm], dd[perm], ww[perm]
    return o.tolist()


# --------------------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class SingleMachine:
    """A single-machine scenario as arrays (index ``j`` = ``scenario.jobs[j]``)."""

    machine: str
    tasks: tuple[str, ...]  # the one operation of each job
    p: np.ndarray
    d: np.ndarray  # missing due dates are the horizon: never tardy
    w: np.ndarray
    r: np.ndarray

    @property
    def has_releases(self) -> bool:
        return _has_releases(self.r)


def is_single_machine(scenario: JobShopScenario) -> bool:
    """True when every job has exactly one operation with one mode, all on one machine.

    That machine must have no calendar windows and the scenario no (non-zero)
    setups on it; other machines may exist unused. Releases are allowed (see the
    module notes). A scenario without jobs is not single-machine.
    """
    if not scenario.jobs:
        return False
    machine = None
    for job in scenario.jobs:
        if len(job.operations) != 1 or len(job.operations[0].modes) != 1:
            return False
        res = job.operations[0].modes[0].resource
        if machine is None:
            machine = res
        elif res != machine:
            return False
    m = scenario.machine_index.get(machine)
    if m is None or m.calendar.windows:
        return False
    s = scenario.setup_index.get(machine)
    return s is None or not any(any(row) for row in s.matrix)


def single_machine_data(scenario: JobShopScenario) -> SingleMachine:
    """The arrays of a single-machine scenario; raises SolverError when it is not one."""
    if not is_single_machine(scenario):
        raise SolverError(
            f"scenario '{scenario.name}' is not a single-machine shop (one operation and one mode per job, "
            "all on one machine without calendar windows or setups)"
        )
    ops = [job.operations[0] for job in scenario.jobs]
    p = np.asarray([op.modes[0].duration for op in ops], dtype=np.int64)
    r = np.asarray([job.release for job in scenario.jobs], dtype=np.int64)
    horizon = int(p.sum()) + max(0, int(r.max()))
    d = np.asarray([horizon if job.due is None else job.due for job in scenario.jobs], dtype=np.int64)
    w = np.asarray([job.weight for job in scenario.jobs], dtype=np.int64)
    return SingleMachine(ops[0].modes[0].resource, tuple(op.id for op in ops), p, d, w, r)


def sequence(data: SingleMachine, rule: str, params: Mapping[str, Any] | None = None) -> list[int]:
    """The order of rule ``rule`` (a key of :data:`SEQUENCE_RULES`) on ``data``.

    ``params`` may carry ``atc_k`` (ATC's look-ahead); other keys are ignored.
    """
    fn = SEQUENCE_RULES.get(rule)
    if fn is None:
        raise SolverError(f"no single-machine sequence rule '{rule}'; known: {', '.join(SEQUENCE_RULES)}")
    kw: dict[str, Any] = {"r": data.r}
    if rule == "atc":
        k = (params or {}).get("atc_k", ATC_K)
        try:
            kw["k"] = float(k)
        except (TypeError, ValueError):
            kw["k"] = math.nan
        if not kw["k"] > 0:
            raise SolverError(f"option 'atc_k' must be a positive number, got {k!r}")
    return fn(data.p, data.d, data.w, **kw)


def build_schedule(data: SingleMachine, order: Sequence[int], name: str = "") -> Schedule:
    """The schedule of ``order``: each job as early as the previous end and its release allow."""
    out: list[Assignment] = []
    t = 0
    for j in order:
        start = max(t, int(data.r[j]))
        t = start + int(data.p[j])
        out.append(Assignment(data.tasks[j], data.machine, start, t, Category.WORK))
    return Schedule(tuple(out), name)


def run_single_machine(
    scenario: JobShopScenario,
    rule: str,
    params: Mapping[str, Any] | None = None,
    improve_after: bool = False,
    *,
    name: str | None = None,
    time_limit: float | None = None,
    max_passes: int | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> tuple[Schedule, dict[str, Any]]:
    """:func:`solve_single_machine`, also returning plain-data statistics.

    The statistics: ``rule_value`` (the rule's total weighted tardiness) and, with
    ``improve_after``, ``improve_passes``, ``improve_moves``, ``improve_stopped`` and
    ``improved_value``; ``improve_kept`` is False when the local search was undone
    because it made the scenario's own objective (not weighted tardiness) worse.
    """
    from opsplan.models import objective_value

    data = single_machine_data(scenario)
    order = sequence(data, rule, params)
    label = name if name is not None else f"dispatch:{rule}"
    stats: dict[str, Any] = {"rule_value": weighted_tardiness(data.p, data.d, data.w, order, r=data.r)}
    schedule = build_schedule(data, order, label)
    if improve_after:
        better, st = improve_with_stats(
            data.p,
            data.d,
            data.w,
            order,
            r=data.r,
            time_limit=time_limit,
            max_passes=max_passes,
            should_stop=should_stop,
        )
        stats.update(
            improve_passes=st.passes, improve_moves=st.moves, improve_stopped=st.stopped, improved_value=st.value
        )
        candidate = build_schedule(data, better, label)
        keep = Objective(scenario.objective) is Objective.TOTAL_WEIGHTED_TARDINESS or objective_value(
            scenario, candidate
        ) <= objective_value(scenario, schedule)
        stats["improve_kept"] = keep
        if keep:
            schedule = candidate
    return schedule, stats


def solve_single_machine(
    scenario: JobShopScenario,
    rule: str,
    params: Mapping[str, Any] | None = None,
    improve_after: bool = False,
    *,
    time_limit: float | None = None,
    max_passes: int | None = None,
) -> Schedule:
    """Sequence a single-machine scenario with ``rule`` (optionally + :func:`improve`) as a Schedule.

    Parameters
    ----------
    scenario
        A single-machine job shop (:func:`is_single_machine`).
    rule
        A key of :data:`SEQUENCE_RULES`: edd, spt, wspt, mdd, atc, eddc, mddc.
    params
        Rule settings: ``{"atc_k": k}`` for ATC.
    improve_after
        Run the local search on the rule's order. It minimises total weighted
        tardiness; for a scenario judged by another objective its result is kept
        only when that objective does not get worse.
    time_limit, max_passes
        Limits of the local search.

    Returns
    -------
    Schedule
        Named ``dispatch:<rule>``; it passes the checker.
    """
    schedule, _ = run_single_machine(
        scenario, rule, params, improve_after, time_limit=time_limit, max_passes=max_passes
    )
    return schedule


def single_machine_seed(sc: JobShopScenario, *, deadline: float | None = None,
                        should_stop: Callable[[], bool] | None = None) -> tuple[Schedule, str, int] | None:
    """The best single-machine rule followed by the local search, or None when ``sc`` is not that shape.

    Each rule's local search gets at most a second, less when ``deadline`` (a ``perf_counter``
    time) is near; past the deadline or on ``should_stop`` the rules not yet tried are skipped
    (once one has a result).
    """
    from opsplan.models import check, objective_value

    if not is_single_machine(sc):
        return None
    if any(job.deadline is not None for job in sc.jobs):
        return None  # the sequencing rules ignore hard deadlines
    best = None
    rules = tuple(SEQUENCE_RULES)
    for k, rule in enumerate(rules):
        limit = 1.0
        if deadline is not None:
            left = deadline - time.perf_counter()
            if best is not None and left <= 0:
                break
            limit = max(0.01, min(1.0, left / (len(rules) - k)))
        if best is not None and should_stop is not None and should_stop():
            break
        try:
            schedule, _ = run_single_machine(sc, rule, None, True, time_limit=limit, should_stop=should_stop)
        except Exception:  # a rule that cannot run on this data is skipped, never fatal
            continue
        if check(sc, schedule):
            continue
        value = objective_value(sc, schedule)
        if best is None or value < best[2]:
            best = (schedule, f"dispatch:{rule}+local search", value)
    return best


__all__ = [
    "SEQUENCE_RULES",
    "ImproveStats",
    "SingleMachine",
    "atc",
    "build_schedule",
    "edd",
    "eddc",
    "descend",
    "improve",
    "improve_with_stats",
    "is_single_machine",
    "mdd",
    "mddc",
    "mddc_scores",
    "run_single_machine",
    "sequence",
    "single_machine_data",
    "single_machine_seed",
    "solve_single_machine",
    "spt",
    "weighted_tardiness",
]
