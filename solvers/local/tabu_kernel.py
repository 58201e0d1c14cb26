"""The compiled inner loop of the job-shop tabu search (:mod:`opsplan.solvers.local.tabu`).

Operations are numbered 0..n-1. The data are flat integer arrays: ``p`` (duration),
``rel`` (earliest start: the job's release on its first operation, else 0), ``jp`` /
``js`` (the job predecessor / successor, -1 for none). A solution is the order of
the operations on each machine: machine k's operations are ``seq[mstart[k]:mstart[k+1]]``
and ``pos[o]`` is o's index in ``seq``; ``mp`` / ``ms`` are the machine predecessor /
successor, kept in step with ``seq``.

Every schedule is semi-active: each operation starts when its job predecessor, its
machine predecessor and its release allow (``r``, the head); ``q`` is the tail, the
longest path from an operation's end to the end of the schedule.

The search (Nowicki and Smutnicki's neighbourhood N5): take one critical path, cut it
into blocks of operations that follow each other on one machine, and consider swapping
the first two and the last two operations of each block (not the first pair of the
first block or the last pair of the last one: those cannot shorten the path). Each
swap is judged by the longest path through the two swapped operations, computed from
the heads and tails (exact when the new critical path passes through them); the best
one that is not tabu is made, or a tabu one that would beat the best makespan seen.
Undoing a swap is tabu for a random number of iterations. After ``stall`` iterations
without a new best, the search goes back to the best order and makes a few random
swaps on its critical path.

The random numbers come from numba's own generator, seeded by :func:`seed`. The compiled
functions release the GIL (``nogil``): a solve in a worker thread leaves the GUI responsive.
The longest-path updates are written out in place rather than through a small helper: a
call per arc halved the iterations per second (measured on ft10 and swv11).
"""

from __future__ import annotations

import os
import time

import numpy as np
from numba import njit

TABU_SLOTS = 64  # the ring of recent moves; a tenure above this is cut to it

# state[]: the loop's counters, kept between calls
IT, BEST, CUR, LAST_IMPROVED, TABU_PTR, RESTARTS, CYCLES = range(7)
STATE_SIZE = 7


@njit(cache=True, nogil=True)
def seed(s):
    np.random.seed(s)


@njit(cache=True, nogil=True)
def link(mstart, seq, pos, mp, ms):
    """Set ``pos``, ``mp`` and ``ms`` from ``seq``."""
    for k in range(mstart.shape[0] - 1):
        a = mstart[k]
        b = mstart[k + 1]
        for i in range(a, b):
            o = seq[i]
            pos[o] = i
            mp[o] = seq[i - 1] if i > a else -1
            ms[o] = seq[i + 1] if i + 1 < b else -1


@njit(cache=True, nogil=True)
def evaluate(p, rel, jp, js, mp, ms, r, q, order, indeg):
    """Heads, tails and the makespan; -1 when the machine orders make a cycle."""
    n = p.shape[0]
    tail = 0
    for o in range(n):
        d = 0
        if jp[o] >= 0:
            d += 1
        if mp[o] >= 0:
            d += 1
        indeg[o] = d
        if d == 0:
            order[tail] = o
            tail += 1
    head = 0
    while head < tail:
        o = order[head]
        head += 1
        s = js[o]
        if s >= 0:
            indeg[s] -= 1
            if indeg[s] == 0:
                order[tail] = s
                tail += 1
        s = ms[o]
        if s >= 0:
            indeg[s] -= 1
            if indeg[s] == 0:
                order[tail] = s
                tail += 1
    if tail < n:
        return -1
    cmax = 0
    for i in range(n):
        o = order[i]
        t = rel[o]
        a = jp[o]
        if a >= 0 and r[a] + p[a] > t:
            t = r[a] + p[a]
        a = mp[o]
        if a >= 0 and r[a] + p[a] > t:
            t = r[a] + p[a]
        r[o] = t
        if t + p[o] > cmax:
            cmax = t + p[o]
    for i in range(n - 1, -1, -1):
        o = order[i]
        t = 0
        a = js[o]
        if a >= 0 and q[a] + p[a] > t:
            t = q[a] + p[a]
        a = ms[o]
        if a >= 0 and q[a] + p[a] > t:
            t = q[a] + p[a]
        q[o] = t
    return cmax


@njit(cache=True, nogil=True)
def swap(u, v, seq, pos, mp, ms):
    """Swap ``u`` and its machine successor ``v``."""
    i = pos[u]
    j = pos[v]
    seq[i] = v
    seq[j] = u
    pos[v] = i
    pos[u] = j
    a = mp[u]
    b = ms[v]
    mp[v] = a
    ms[v] = u
    mp[u] = v
    ms[u] = b
    if a >= 0:
        ms[a] = v
    if b >= 0:
        mp[b] = u


@njit(cache=True, nogil=True)
def critical_pairs(p, r, q, jp, mp, cmax, path, via_machine, bs, bt, mu, mv, n5):
    """The swaps on one critical path: N5's (``n5``) or every adjacent pair on a machine (N1).

    Writes them to ``mu`` / ``mv`` (``mu[k]`` before ``mv[k]`` on their machine) and
    returns how many there are.
    """
    n = p.shape[0]
    start = np.random.randint(n)
    e = -1
    for k in range(n):
        o = (start + k) % n
        if r[o] + p[o] == cmax and q[o] == 0:
            e = o
            break
    if e < 0:
        return 0
    # walk back from the end; path[] is filled backwards, then read from its end
    length = 0
    o = e
    while True:
        path[length] = o
        length += 1
        a = mp[o]
        b = jp[o]
        ca = a >= 0 and r[a] + p[a] == r[o]
        cb = b >= 0 and r[b] + p[b] == r[o]
        if ca and cb:
            if np.random.random() < 0.5:
                cb = False
            else:
                ca = False
        if ca:
            via_machine[length - 1] = 1  # path[length-1] is reached from a over a machine arc
            o = a
        elif cb:
            via_machine[length - 1] = 0
            o = b
        else:
            via_machine[length - 1] = 0
            break
    # forward order: f(i) = path[length - 1 - i]; op f(i+1) is reached from f(i) over a machine
    # arc when via_machine[length - 2 - i] is 1
    n_moves = 0
    i = 0
    # the blocks as (s, t) in forward indices
    nb = 0
    while i < length:
        s = i
        while i + 1 < length and via_machine[length - 2 - i] == 1:
            i += 1
        bs[nb] = s
        bt[nb] = i
        nb += 1
        i += 1
    for b in range(nb):
        s = bs[b]
        t = bt[b]
        if t == s:
            continue
        if n5:
            # N5: not the first pair of the first block nor the last pair of the last one
            add_a = nb == 1 or b != 0
            if add_a:
                mu[n_moves] = path[length - 1 - s]
                mv[n_moves] = path[length - 2 - s]
                n_moves += 1
            if (nb == 1 or b != nb - 1) and not (add_a and t - 1 == s):
                mu[n_moves] = path[length - t]
                mv[n_moves] = path[length - 1 - t]
                n_moves += 1
        else:
            for k in range(s, t):
                mu[n_moves] = path[length - 1 - k]
                mv[n_moves] = path[length - 2 - k]
                n_moves += 1
    return n_moves


@njit(cache=True, nogil=True)
def estimate(u, v, p, rel, jp, js, mp, ms, r, q):
    """The longest path through ``u`` and ``v`` once they are swapped (``v`` now before ``u``)."""
    a = mp[u]
    b = ms[v]
    rv = rel[v]
    x = jp[v]
    if x >= 0 and r[x] + p[x] > rv:
        rv = r[x] + p[x]
    if a >= 0 and r[a] + p[a] > rv:
        rv = r[a] + p[a]
    ru = rel[u]
    x = jp[u]
    if x >= 0 and r[x] + p[x] > ru:
        ru = r[x] + p[x]
    if rv + p[v] > ru:
        ru = rv + p[v]
    qu = 0
    x = js[u]
    if x >= 0 and q[x] + p[x] > qu:
        qu = q[x] + p[x]
    if b >= 0 and q[b] + p[b] > qu:
        qu = q[b] + p[b]
    qv = 0
    x = js[v]
    if x >= 0 and q[x] + p[x] > qv:
        qv = q[x] + p[x]
    if qu + p[u] > qv:
        qv = qu + p[u]
    e1 = rv + p[v] + qv
    e2 = ru + p[u] + qu
    return e1 if e1 > e2 else e2


@njit(cache=True, nogil=True)
def _is_tabu(x, y, it, tu, tv, texp):
    for k in range(tu.shape[0]):
        if texp[k] > it and tu[k] == x and tv[k] == y:
            return True
    return False


@njit(cache=True, nogil=True)
def run(p, rel, jp, js, mstart, seq, pos, mp, ms, best_seq, state, tu, tv, texp,
        iterations, stall, tenure_lo, tenure_hi, kick, lower_bound):
    """``iterations`` more steps of the tabu search from the state left by the last call.

    ``seq`` is the current order and ``best_seq`` the best one (``state[BEST]`` its makespan).
    Returns early when the best reaches ``lower_bound``. ``state[CUR]`` must hold the current
    order's makespan on entry (-1: evaluate it first).
    """
    n = p.shape[0]
    r = np.zeros(n, np.int64)
    q = np.zeros(n, np.int64)
    order = np.zeros(n, np.int64)
    indeg = np.zeros(n, np.int64)
    path = np.zeros(n + 1, np.int64)
    via = np.zeros(n + 1, np.int64)
    bs = np.zeros(n + 1, np.int64)
    bt = np.zeros(n + 1, np.int64)
    mu = np.zeros(2 * n + 2, np.int64)
    mv = np.zeros(2 * n + 2, np.int64)
    cmax = evaluate(p, rel, jp, js, mp, ms, r, q, order, indeg)
    if cmax < 0:
        return -1
    state[CUR] = cmax
    end = state[IT] + iterations
    while state[IT] < end and state[BEST] > lower_bound:
        it = state[IT]
        state[IT] = it + 1
        if it - state[LAST_IMPROVED] > stall:
            # back to the best order, then a few random swaps on its critical path
            for i in range(seq.shape[0]):
                seq[i] = best_seq[i]
            link(mstart, seq, pos, mp, ms)
            cmax = evaluate(p, rel, jp, js, mp, ms, r, q, order, indeg)
            for k in range(texp.shape[0]):
                texp[k] = 0
            for _ in range(kick):
                m = critical_pairs(p, r, q, jp, mp, cmax, path, via, bs, bt, mu, mv, False)
                if m == 0:
                    break
                k = np.random.randint(m)
                u = mu[k]
                v = mv[k]
                if js[u] == v:
                    continue
                swap(u, v, seq, pos, mp, ms)
                c = evaluate(p, rel, jp, js, mp, ms, r, q, order, indeg)
                if c < 0:
                    swap(v, u, seq, pos, mp, ms)
                    c = evaluate(p, rel, jp, js, mp, ms, r, q, order, indeg)
                cmax = c
            state[CUR] = cmax
            state[LAST_IMPROVED] = it
            state[RESTARTS] += 1
            if cmax < state[BEST]:
                state[BEST] = cmax
                for i in range(seq.shape[0]):
                    best_seq[i] = seq[i]
            continue
        m = critical_pairs(p, r, q, jp, mp, cmax, path, via, bs, bt, mu, mv, True)
        chosen = -1
        chosen_est = 0
        ties = 0
        fallback = -1
        n_fallback = 0
        for k in range(m):
            u = mu[k]
            v = mv[k]
            if js[u] == v:
                continue  # u's job goes on to v: swapping them makes a cycle
            est = estimate(u, v, p, rel, jp, js, mp, ms, r, q)
            if _is_tabu(v, u, it, tu, tv, texp) and est >= state[BEST]:
                n_fallback += 1
                if np.random.random() * n_fallback < 1.0:
                    fallback = k
                continue
            if chosen < 0 or est < chosen_est:
                chosen = k
                chosen_est = est
                ties = 1
            elif est == chosen_est:
                ties += 1
                if np.random.random() * ties < 1.0:
                    chosen = k
        if chosen < 0:
            chosen = fallback
        if chosen < 0:
            # no move at all (one block, or only job-internal pairs): force a restart
            state[LAST_IMPROVED] = it - stall - 1
            continue
        u = mu[chosen]
        v = mv[chosen]
        swap(u, v, seq, pos, mp, ms)
        c = evaluate(p, rel, jp, js, mp, ms, r, q, order, indeg)
        if c < 0:
            # zero-length operations can close a cycle: undo and restart from the best
            swap(v, u, seq, pos, mp, ms)
            cmax = evaluate(p, rel, jp, js, mp, ms, r, q, order, indeg)
            state[CYCLES] += 1
            state[LAST_IMPROVED] = it - stall - 1
            continue
        cmax = c
        state[CUR] = cmax
        slot = state[TABU_PTR]
        tu[slot] = u
        tv[slot] = v
        texp[slot] = it + tenure_lo + np.random.randint(tenure_hi - tenure_lo + 1)
        state[TABU_PTR] = (slot + 1) % tu.shape[0]
        if cmax < state[BEST]:
            state[BEST] = cmax
            state[LAST_IMPROVED] = it
            for i in range(seq.shape[0]):
                best_seq[i] = seq[i]
    return state[BEST]


def is_compiled() -> bool:
    """True when calling the kernel will not compile it first: compiled in this process, or in
    numba's on-disk cache (compiling takes several seconds, once per installation)."""
    if run.signatures:
        return True
    try:
        return os.path.exists(run._cache._cache_file._index_path)
    except AttributeError:  # another numba's cache internals: assume the worst
        return False


def warm() -> None:
    """Compile the kernel (into numba's cache) on a two-job shop; ``make`` runs this after installing."""
    p = np.array([3, 2, 2, 4], np.int64)
    rel = np.zeros(4, np.int64)
    jp = np.array([-1, 0, -1, 2], np.int64)
    js = np.array([1, -1, 3, -1], np.int64)
    mstart = np.array([0, 2, 4], np.int64)
    seq = np.array([0, 3, 1, 2], np.int64)  # machine 0: ops 0, 3; machine 1: ops 1, 2
    pos, mp, ms = (np.zeros(4, np.int64) for _ in range(3))
    link(mstart, seq, pos, mp, ms)
    state = np.zeros(STATE_SIZE, np.int64)
    state[BEST] = 1 << 40
    tu, tv, texp = (np.zeros(TABU_SLOTS, np.int64) for _ in range(3))
    seed(0)
    run(p, rel, jp, js, mstart, seq, pos, mp, ms, seq.copy(), state, tu, tv, texp, 50, 10, 1, 2, 2, 0)


if __name__ == "__main__":
    t0 = time.perf_counter()
    warm()
    print(f"tabu search kernel compiled and cached in {time.perf_counter() - t0:.1f} s")
