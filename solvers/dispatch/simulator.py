"""One event-driven job-shop simulator for priority rules and learned dispatch policies.

The simulator builds an *active* schedule with the Giffler–Thompson conflict set,
generalised to flexible shops by working on (operation, machine) pairs:

1. every unfinished job offers its next operation, once per allowed machine (a
   *pair*), each with the earliest start it would get if it were dispatched now;
2. the pair with the smallest earliest completion ``C*`` fixes the machine ``m*``;
3. the candidates are the pairs on ``m*`` that can start before ``C*``;
4. a rule or a policy picks one candidate; it is placed at its earliest start.

Earliest starts honour job release dates, route order, machine calendars
(an operation never crosses an unavailability window), sequence-dependent
setups (an operation after one of job ``p`` on machine ``m`` starts no earlier
than the previous end plus ``scenario.setup_time(m, p, job)``), per-operation
earliest starts (rescheduling: nothing new before the cut time) and pinned
assignments, which are reserved before anything else and kept exactly.

The hot path is plain Python over lists plus a numpy arg-min, so that a 100 x 20
shop dispatches in a few tens of milliseconds. Candidates are available both as
:class:`Candidate` objects (readable) and as a :class:`CandidateBatch` of numpy
arrays (for batch scoring by a policy).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from opsplan.models.errors import SolverError
from opsplan.models.jobshop.scenario import JobShopScenario
from opsplan.models.schedule import Assignment, Category, Schedule

INF = math.inf
# "active": Giffler-Thompson conflict set on the machine of the earliest completion;
# "nondelay": only pairs that can start at the earliest possible start time.
SCHEMES = ("active", "nondelay")


class DispatchError(SolverError):
    """The simulator cannot build a feasible schedule (e.g. pins that leave no room)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """One feasible decision: run operation ``op_id`` on machine ``machine_id`` from ``start``.

    Indices (``pair``, ``op``, ``job``, ``machine``) refer to the simulator's arrays;
    ``index`` is the position of this candidate in the current candidate list.
    ``work_remaining`` and ``ops_remaining`` include this operation (the remaining
    operations count with their mean duration over modes). ``due`` and
    ``deadline`` are ``None`` when absent; ``deadline`` is set only when a later
    operation of the same job is pinned.
    """

    index: int
    pair: int
    op: int
    op_id: str
    job: int
    job_id: str
    machine: int
    machine_id: str
    position: int
    start: int
    end: int
    duration: int
    setup: int
    arrival: int
    release: int
    due: int | None
    weight: int
    work_remaining: float
    ops_remaining: int
    deadline: int | None


def _gather(table: str, doc: str) -> cached_property:
    def get(self: CandidateBatch) -> np.ndarray:
        return getattr(self._sim, table)[self.pair]

    get.__doc__ = doc
    return cached_property(get)


class CandidateBatch:
    """The current candidates as parallel numpy arrays (one entry per candidate).

    A snapshot: it stays valid after :meth:`JobShopSim.step` (treat it as
    read-only). Static fields are gathered from the simulator's tables on first
    access, so a rule that reads two fields pays for two.

    ``due`` and ``deadline`` are ``inf`` where absent. ``now`` is the decision time
    (the smallest earliest start among the candidates) and ``makespan_so_far`` the
    latest end placed so far.
    """

    FIELDS: tuple[str, ...] = (
        "pair",
        "op",
        "job",
        "machine",
        "position",
        "start",
        "end",
        "duration",
        "setup",
        "arrival",
        "release",
        "due",
        "weight",
        "work_remaining",
        "ops_remaining",
        "deadline",
    )

    def __init__(
        self,
        sim: JobShopSim,
        pairs: list[int],
        setup: list[int],
        arrival: list[int],
        now: float,
        makespan_so_far: float,
    ) -> None:
        self._sim = sim
        self.pair: np.ndarray = np.asarray(pairs, dtype=np.int64)
        p_start = sim._p_start
        self.start: np.ndarray = np.asarray([p_start[q] for q in pairs], dtype=np.float64)  # earliest starts
        self._setup = setup
        self._arrival = arrival
        self.now = now
        self.makespan_so_far = makespan_so_far

    op = _gather("pair_op", "Operation index of each candidate.")
    job = _gather("pair_job", "Job index.")
    machine = _gather("pair_machine", "Machine index.")
    position = _gather("pair_position", "Position of the operation in its job's route (0-based).")
    duration = _gather("pair_duration", "Duration on the candidate's machine.")
    work_remaining = _gather("pair_work_remaining", "Work left in the job, this operation included.")
    ops_remaining = _gather("pair_ops_remaining", "Operations left in the job, this one included.")
    release = _gather("pair_release", "Release date of the job.")
    due = _gather("pair_due", "Due date of the job (inf when none).")
    weight = _gather("pair_weight", "Weight of the job.")
    deadline = _gather("pair_deadline", "Latest end allowed by a pinned successor (inf when none).")

    @cached_property
    def end(self) -> np.ndarray:
        """Earliest completion."""
        return self.start + self.duration

    @cached_property
    def setup(self) -> np.ndarray:
        """Setup owed before the candidate on its machine."""
        return np.asarray(self._setup, dtype=np.int64)

    @cached_property
    def arrival(self) -> np.ndarray:
        """When the job became ready for this operation (its previous end, or its release)."""
        return np.asarray(self._arrival, dtype=np.float64)

    def __len__(self) -> int:
        return len(self.pair)

    @property
    def sim(self) -> JobShopSim:
        """The simulator this snapshot was taken from."""
        return self._sim

    def matrix(self, names: Sequence[str]) -> np.ndarray:
        """Stack the named per-candidate fields as columns of a float32 matrix ``(n, len(names))``."""
        if not names:
            return np.zeros((len(self), 0), np.float32)
        return np.stack([np.asarray(getattr(self, n), dtype=np.float32) for n in names], axis=1)


class JobShopSim:
    """Event-driven Giffler–Thompson dispatch simulator for one job-shop scenario.

    Parameters
    ----------
    scenario
        A validated job-shop scenario.
    pinned
        Assignments kept exactly (only category work counts; others are ignored).
        They are reserved on their machines before dispatching; the other
        operations fit around them (with setups), route predecessors of a pinned
        operation must end before it starts and successors start after it ends.
    scheme
        ``"active"`` or ``"nondelay"`` (see :data:`SCHEMES`).
    earliest
        Operation id -> earliest start: a per-operation ready time on top of the
        job's release and route (unknown ids are ignored; pinned operations keep
        their pin).

    Notes
    -----
    Static data is precomputed as numpy arrays (``op_job``, ``op_position``,
    ``pair_op``, ``pair_machine``, ``pair_duration``, ``pair_work_remaining``,
    ``job_release``, ``job_due``, ``job_weight`` ...) so that a policy can build
    features without touching the scenario objects. Call :meth:`reset` to run
    again on the same instance.

    Raises
    ------
    DispatchError
        When a pinned assignment names an unknown operation or machine, a machine
        the operation cannot use, or pins one operation twice.
    """

    def __init__(
        self,
        scenario: JobShopScenario,
        pinned: Iterable[Assignment] = (),
        scheme: str = "active",
        earliest: Mapping[str, int] | None = None,
    ) -> None:
        if scheme not in SCHEMES:
            raise DispatchError(f"unknown schedule-generation scheme '{scheme}' (use one of {', '.join(SCHEMES)})")
        sc = scenario
        self.scenario = sc
        self.scheme = scheme
        self.machine_ids: tuple[str, ...] = tuple(m.id for m in sc.machines)
        self.job_ids: tuple[str, ...] = tuple(j.id for j in sc.jobs)
        m_index = {mid: i for i, mid in enumerate(self.machine_ids)}
        j_index = {jid: i for i, jid in enumerate(self.job_ids)}
        self.n_machines = len(self.machine_ids)
        self.n_jobs = len(self.job_ids)

        op_ids: list[str] = []
        op_job: list[int] = []
        op_pos: list[int] = []
        op_lo: list[int] = []
        op_hi: list[int] = []
        op_mean: list[float] = []
        pair_op: list[int] = []
        pair_m: list[int] = []
        pair_d: list[int] = []
        job_first: list[int] = []
        for j, job in enumerate(sc.jobs):
            job_first.append(len(op_ids))
            for k, op in enumerate(job.operations):
                o = len(op_ids)
                op_ids.append(op.id)
                op_job.append(j)
                op_pos.append(k)
                op_lo.append(len(pair_op))
                for mode in op.modes:
                    if mode.resource not in m_index:
                        raise DispatchError(f"operation '{op.id}' uses unknown machine '{mode.resource}'")
                    pair_op.append(o)
                    pair_m.append(m_index[mode.resource])
                    pair_d.append(int(mode.duration))
                op_hi.append(len(pair_op))
                durs = [int(m.duration) for m in op.modes]
                op_mean.append(sum(durs) / len(durs) if durs else 0.0)
        job_first.append(len(op_ids))
        self.op_ids: tuple[str, ...] = tuple(op_ids)
        self.n_ops = len(op_ids)
        self.n_pairs = len(pair_op)
        self._op_index = {oid: i for i, oid in enumerate(op_ids)}

        # Suffix sums: mean work of the operations after each one in its route.
        after = [0.0] * self.n_ops
        for j in range(self.n_jobs):
            acc = 0.0
            for o in range(job_first[j + 1] - 1, job_first[j] - 1, -1):
                after[o] = acc
                acc += op_mean[o]
        n_ops_job = [job_first[j + 1] - job_first[j] for j in range(self.n_jobs)]

        # Python lists for the hot path, numpy arrays for features.
        self._op_job = op_job
        self._op_lo = op_lo
        self._op_hi = op_hi
        self._pair_op = pair_op
        self._pair_m = pair_m
        self._pair_d = pair_d
        self._pair_job = [op_job[o] for o in pair_op]
        self._job_first = job_first
        self._release = [int(j.release) for j in sc.jobs]
        # Per-pair earliest start (0 = none beyond release and route).
        op_earliest = [0] * self.n_ops
        for oid, t in (earliest or {}).items():
            o = self._op_index.get(oid)
            if o is not None:
                op_earliest[o] = max(op_earliest[o], int(t))
        self._pair_earliest = [op_earliest[o] for o in pair_op]
        self.op_earliest = np.asarray(op_earliest, dtype=np.int64)

        self.op_job = np.asarray(op_job, dtype=np.int64)
        self.op_position = np.asarray(op_pos, dtype=np.int64)
        self.op_mean_duration = np.asarray(op_mean, dtype=np.float64)
        self.op_work_after = np.asarray(after, dtype=np.float64)
        self.pair_op = np.asarray(pair_op, dtype=np.int64)
        self.pair_machine = np.asarray(pair_m, dtype=np.int64)
        self.pair_duration = np.asarray(pair_d, dtype=np.int64)
        self.pair_job = self.op_job[self.pair_op] if self.n_pairs else np.zeros(0, np.int64)
        self.pair_position = self.op_position[self.pair_op] if self.n_pairs else np.zeros(0, np.int64)
        self.pair_work_remaining = (
            self.pair_duration + self.op_work_after[self.pair_op] if self.n_pairs else np.zeros(0)
        )
        self.pair_ops_remaining = (
            np.asarray(n_ops_job, dtype=np.int64)[self.pair_job] - self.pair_position
            if self.n_pairs
            else np.zeros(0, np.int64)
        )
        self.job_release = np.asarray(self._release, dtype=np.int64)
        self.job_due = np.asarray([INF if j.due is None else float(j.due) for j in sc.jobs], dtype=np.float64)
        self.job_weight = np.asarray([int(j.weight) for j in sc.jobs], dtype=np.int64)
        self.job_n_ops = np.asarray(n_ops_job, dtype=np.int64)
        self.job_total_work = np.asarray(
            [sum(op_mean[job_first[j] : job_first[j + 1]]) for j in range(self.n_jobs)], dtype=np.float64
        )

        self.pair_release = self.job_release[self.pair_job]
        self.pair_due = self.job_due[self.pair_job]
        self.pair_weight = self.job_weight[self.pair_job]

        # Calendars: only machines that have windows get one (None is the fast path).
        self._cal = [m.calendar if m.calendar.windows else None for m in sc.machines]
        # Setups as dense per-machine lists of lists (None when the machine has none).
        self._setup: list[list[list[int]] | None] = [None] * self.n_machines
        for s in sc.setups:
            mi = m_index.get(s.machine)
            if mi is None or not any(any(row) for row in s.matrix):
                continue
            mat = [[0] * self.n_jobs for _ in range(self.n_jobs)]
            idx = [j_index.get(jid) for jid in s.jobs]
            for a, ja in enumerate(idx):
                if ja is None:
                    continue
                row = s.matrix[a]
                for b, jb in enumerate(idx):
                    if jb is not None:
                        mat[ja][jb] = int(row[b])
            self._setup[mi] = mat

        self._init_pins(tuple(pinned), m_index)
        self.reset()

    # -- pins ------------------------------------------------------------------
    def _init_pins(self, pinned: tuple[Assignment, ...], m_index: dict[str, int]) -> None:
        self.pinned: tuple[Assignment, ...] = tuple(a for a in pinned if a.category == Category.WORK)
        self._pin_of: dict[int, Assignment] = {}
        self._pin_machine: dict[int, int] = {}
        pins_on: list[list[tuple[int, int, int]]] = [[] for _ in range(self.n_machines)]
        for a in self.pinned:
            o = self._op_index.get(a.task)
            if o is None:
                raise DispatchError(f"pinned task '{a.task}' is not an operation of the scenario")
            if o in self._pin_of:
                raise DispatchError(f"operation '{a.task}' is pinned twice")
            mi = m_index.get(a.resource)
            if mi is None:
                raise DispatchError(f"operation '{a.task}' is pinned to unknown machine '{a.resource}'")
            if mi not in (self._pair_m[p] for p in range(self._op_lo[o], self._op_hi[o])):
                raise DispatchError(f"operation '{a.task}' is pinned to machine '{a.resource}' it cannot use")
            self._pin_of[o] = a
            self._pin_machine[o] = mi
            pins_on[mi].append((a.start, a.end, self._op_job[o]))
        for lst in pins_on:
            lst.sort()
        self._pins_on = pins_on
        # For each pin, the index of the first pin from it on that takes machine time
        # (zero-length work owes and needs no setup).
        self._pin_next_real: list[list[int]] = []
        for lst in pins_on:
            nxt = [len(lst)] * len(lst)
            q = len(lst)
            for i in range(len(lst) - 1, -1, -1):
                if lst[i][1] > lst[i][0]:
                    q = i
                nxt[i] = q
            self._pin_next_real.append(nxt)
        # A route predecessor of a pinned operation must end by the pin's start.
        deadline = [INF] * self.n_ops
        for o, a in self._pin_of.items():
            j = self._op_job[o]
            for q in range(o - 1, self._job_first[j] - 1, -1):
                if q in self._pin_of:
                    break
                deadline[q] = min(deadline[q], a.start)
        self._deadline = deadline
        self.op_deadline = np.asarray(deadline, dtype=np.float64)
        self.pair_deadline = self.op_deadline[self.pair_op] if self.n_pairs else np.zeros(0)
        self._n_free = self.n_ops - len(self._pin_of)

    # -- state -------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every decision: only the pinned assignments remain."""
        n_pairs = self.n_pairs
        self._op_start = [-1] * self.n_ops
        self._op_mach = [-1] * self.n_ops
        self._op_setup = [0] * self.n_ops
        self._m_avail = [0] * self.n_machines
        self._m_last = [-1] * self.n_machines
        self._m_pin = [0] * self.n_machines
        self._m_front: list[set[int]] = [set() for _ in range(self.n_machines)]
        self._ect = np.full(n_pairs, INF)
        self._est = np.full(n_pairs, INF)
        self._p_setup = [0] * n_pairs
        self._p_pin = [0] * n_pairs
        self._p_prev = [-1] * n_pairs
        self._p_start = [0] * n_pairs
        self._job_next = [-1] * self.n_jobs
        self._job_ready = list(self._release)
        self._scheduled = 0
        self._makespan = 0
        self._cand: list[int] | None = None
        for o, a in self._pin_of.items():
            self._op_start[o] = a.start
            self._op_mach[o] = self._pin_machine[o]
            self._makespan = max(self._makespan, a.end)
        for j in range(self.n_jobs):
            self._advance(j, self._job_first[j])

    @property
    def done(self) -> bool:
        """True once every operation has a start."""
        return self._scheduled >= self._n_free

    @property
    def job_next(self) -> list[int]:
        """Each job's next operation index (-1 when the job is finished); read-only."""
        return self._job_next

    @property
    def n_scheduled(self) -> int:
        """Operations dispatched so far (pinned ones not counted)."""
        return self._scheduled

    @property
    def n_to_schedule(self) -> int:
        """Operations the simulator has to dispatch (all but the pinned ones)."""
        return self._n_free

    def _advance(self, j: int, o: int) -> None:
        """Make ``o`` (or the first unpinned operation from ``o`` on) the next operation of job ``j``."""
        end = self._job_first[j + 1]
        ready = self._job_ready[j]
        pin_of = self._pin_of
        while o < end and o in pin_of:
            ready = max(ready, pin_of[o].end)
            o += 1
        self._job_ready[j] = ready
        if o >= end:
            self._job_next[j] = -1
            return
        self._job_next[j] = o
        for p in range(self._op_lo[o], self._op_hi[o]):
            self._m_front[self._pair_m[p]].add(p)
            self._evaluate(p)

    def _evaluate(self, p: int) -> None:
        """Earliest start of pair ``p`` given the machine's state and its job's ready time.

        Zero-length work needs no setup and takes no machine time, but it is still
        kept off the inside of other work and of calendar windows (at a boundary is
        fine), so that stricter models (e.g. CP-SAT's no-overlap) accept the schedule
        as a hint.
        """
        m = self._pair_m[p]
        d = self._pair_d[p]
        j = self._pair_job[p]
        r = self._job_ready[j]
        e = self._pair_earliest[p]
        if e > r:
            r = e
        avail = self._m_avail[m]
        prev = self._m_last[m]
        k = self._m_pin[m]
        pins = self._pins_on[m]
        n_pins = len(pins)
        cal = self._cal[m]
        setup = self._setup[m]
        s = 0
        while True:
            if d > 0 and setup is not None and prev >= 0:
                s = setup[prev][j]
            t = avail + s
            if r > t:
                t = r
            if cal is not None:
                t = cal.earliest_start(t, d)
            if k < n_pins:
                ps, pe, pj = pins[k]
                fits = t + d <= ps
                if fits and d > 0 and setup is not None:
                    # The setup is owed to the next pin that takes machine time.
                    q = self._pin_next_real[m][k]
                    if q < n_pins:
                        qs, _, qj = pins[q]
                        fits = t + d + setup[j][qj] <= qs
                if not fits:
                    # Does not fit before the next pinned block: try after it.
                    if pe > ps:
                        avail, prev = pe, pj
                    elif pe > avail:
                        avail = pe
                    k += 1
                    continue
            break
        self._p_start[p] = t
        self._p_setup[p] = s
        self._p_pin[p] = k
        self._p_prev[p] = prev
        self._ect[p] = t + d
        self._est[p] = t

    # -- decisions -----------------------------------------------------------------
    def candidate_pairs(self) -> list[int]:
        """Pair indices of the current candidates (the Giffler–Thompson conflict set).

        When some candidates must end before a pinned operation of their job, only
        those are offered, so that the pins stay reachable.
        """
        if self._cand is not None:
            return self._cand
        if self.done:
            self._cand = []
            return self._cand
        if self.scheme == "nondelay":
            # non-delay: every (operation, machine) pair that can start at the earliest start time
            cand = np.flatnonzero(self._est == self._est.min()).tolist()
        else:
            best = int(self._ect.argmin())
            m_star = self._pair_m[best]
            start = self._p_start
            c_star = start[best] + self._pair_d[best]
            cand = sorted([p for p in self._m_front[m_star] if start[p] < c_star or p == best])
        dl = self._deadline
        urgent = [p for p in cand if dl[self._pair_op[p]] < INF]
        self._cand = urgent or cand
        return self._cand

    def candidates(self) -> list[Candidate]:
        """The current candidates as readable objects (empty when done)."""
        out: list[Candidate] = []
        for i, p in enumerate(self.candidate_pairs()):
            o = self._pair_op[p]
            j = self._op_job[o]
            m = self._pair_m[p]
            job = self.scenario.jobs[j]
            dl = self._deadline[o]
            start = self._p_start[p]
            out.append(
                Candidate(
                    index=i,
                    pair=p,
                    op=o,
                    op_id=self.op_ids[o],
                    job=j,
                    job_id=self.job_ids[j],
                    machine=m,
                    machine_id=self.machine_ids[m],
                    position=int(self.op_position[o]),
                    start=start,
                    end=start + self._pair_d[p],
                    duration=self._pair_d[p],
                    setup=self._p_setup[p],
                    arrival=self._job_ready[j],
                    release=self._release[j],
                    due=job.due,
                    weight=int(job.weight),
                    work_remaining=float(self.pair_work_remaining[p]),
                    ops_remaining=int(self.pair_ops_remaining[p]),
                    deadline=None if dl == INF else int(dl),
                )
            )
        return out

    def batch(self) -> CandidateBatch:
        """The current candidates as numpy arrays, in the order of :meth:`candidates`."""
        pairs = self.candidate_pairs()
        ready = self._job_ready
        op_job = self._op_job
        pair_op = self._pair_op
        p_start = self._p_start
        return CandidateBatch(
            self,
            pairs,
            [self._p_setup[q] for q in pairs],
            [ready[op_job[pair_op[q]]] for q in pairs],
            float(min([p_start[q] for q in pairs])) if pairs else float(self._makespan),
            float(self._makespan),
        )

    features = batch  # the hook a learned policy scores

    def step(self, choice: int | Candidate) -> tuple[int, int]:
        """Dispatch one candidate: an index into the current list, or a :class:`Candidate`.

        Returns
        -------
        tuple[int, int]
            The start and end the operation got.

        Raises
        ------
        DispatchError
            When the simulator is done, the choice is not a current candidate, or
            the operation would end after a pinned successor of its job starts.
        """
        pairs = self.candidate_pairs()
        if isinstance(choice, Candidate):
            p = choice.pair
            if p not in pairs or choice.start != self._p_start[p]:
                raise DispatchError(f"operation '{choice.op_id}' on '{choice.machine_id}' is not a candidate now")
        else:
            i = int(choice)
            if not 0 <= i < len(pairs):
                raise DispatchError(f"candidate index {i} out of range (0..{len(pairs) - 1})")
            p = pairs[i]
        return self._commit(p)

    def _commit(self, p: int) -> tuple[int, int]:
        o = self._pair_op[p]
        j = self._op_job[o]
        m = self._pair_m[p]
        d = self._pair_d[p]
        start = self._p_start[p]
        end = start + d
        if end > self._deadline[o]:
            raise DispatchError(
                f"operation '{self.op_ids[o]}' cannot end before its pinned successor starts at "
                f"{int(self._deadline[o])} (earliest end {end} on '{self.machine_ids[m]}')"
            )
        self._op_start[o] = start
        self._op_mach[o] = m
        self._op_setup[o] = self._p_setup[p]
        if d > 0:
            self._m_avail[m] = end
            self._m_last[m] = j
        else:
            # Zero-length work leaves the setup chain alone (the checker skips it).
            self._m_avail[m] = start
            self._m_last[m] = self._p_prev[p]
        self._m_pin[m] = self._p_pin[p]
        if end > self._makespan:
            self._makespan = end
        for q in range(self._op_lo[o], self._op_hi[o]):
            self._m_front[self._pair_m[q]].discard(q)
            self._ect[q] = INF
            self._est[q] = INF
        self._scheduled += 1
        self._job_ready[j] = end
        self._advance(j, o + 1)
        for q in self._m_front[m]:
            if self._op_job[self._pair_op[q]] != j:
                self._evaluate(q)
        self._cand = None
        return start, end

    def run(self, choose: Callable[[JobShopSim], int]) -> Schedule:
        """Dispatch until done, asking ``choose(sim)`` for a candidate index whenever there is a choice."""
        while not self._scheduled >= self._n_free:
            pairs = self.candidate_pairs()
            # A lone candidate needs no decision (and no features).
            self._commit(pairs[0] if len(pairs) == 1 else pairs[choose(self)])
        return self.schedule()

    # -- result ------------------------------------------------------------------------
    def schedule(self, name: str = "") -> Schedule:
        """The schedule so far: work of every placed operation, pins unchanged, then setups.

        A setup assignment (task = the following operation) is placed right before
        each operation that needs one after its predecessor on the machine.
        """
        out: list[Assignment] = []
        lanes: list[list[tuple[int, int, int]]] = [[] for _ in range(self.n_machines)]
        pin_of = self._pin_of
        for o in range(self.n_ops):
            start = self._op_start[o]
            if start < 0:
                continue
            a = pin_of.get(o)
            if a is None:
                m = self._op_mach[o]
                d = self._pair_d[self._mode_pair(o, m)]
                a = Assignment(self.op_ids[o], self.machine_ids[m], start, start + d, Category.WORK)
            else:
                m = self._op_mach[o]
            out.append(a)
            if a.end > a.start:
                lanes[m].append((a.start, a.end, o))
        for m, lane in enumerate(lanes):
            setup = self._setup[m]
            if setup is None or len(lane) < 2:
                continue
            lane.sort()
            prev_end, prev_o = lane[0][1], lane[0][2]
            for start, end, o in lane[1:]:
                s = setup[self._op_job[prev_o]][self._op_job[o]]
                if s > 0:
                    out.append(Assignment(self.op_ids[o], self.machine_ids[m], start - s, start, Category.SETUP))
                if end >= prev_end:
                    prev_end, prev_o = end, o
        return Schedule(tuple(out), name)

    def _mode_pair(self, o: int, m: int) -> int:
        for p in range(self._op_lo[o], self._op_hi[o]):
            if self._pair_m[p] == m:
                return p
        raise DispatchError(f"operation '{self.op_ids[o]}' has no mode on '{self.machine_ids[m]}'")  # pragma: no cover


__all__ = ["Candidate", "CandidateBatch", "DispatchError", "JobShopSim"]
